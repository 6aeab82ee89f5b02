// A worker process: starts one contender's worker on a target and reports what its handler saw.
// argv[2]: { contender, target, concurrency }. Sends 'ready' once the worker runs; then serves:
//   enqueue {i}  enqueue a probe job from this same process (W3 same-process), reply { t }
//   stop         stop the worker gracefully, reply with times (and when the contender's boot began,
//                if it says) and this process's peak RSS, exit
// Each probe job's handler start is sent at once as { type: 'started', i, at }.
import { childConfig, serveParent } from './support/children.mjs';
import { epochNow, peakRssMb } from './support/timing.mjs';
import { loadContender } from './contenders/index.mjs';

const config = childConfig();
const contender = await loadContender(config.contender);

let firstStartAt = null;
let started = 0;
/** Enqueue-to-start times of the jobs a producer enqueued while this worker ran (W6). */
const waits = [];

// The job: a no-op that notes when it started. It is async like any real handler.
async function handler(data) {
  const at = epochNow();
  started++;
  firstStartAt ??= at;
  if (data?.live) waits.push(at - data.t);
  if (data?.probe) process.send({ type: 'started', i: data.i, at });
}

// 'stop' may come before startWorker has resolved: with one job queued (W7) the job can be done, and
// seen done by the orchestrator, while the app is still finishing its bootstrap.
let starting;
serveParent({
  async enqueue({ i }) {
    const t = epochNow();
    await (await starting).enqueue({ i, t, probe: true });
    return { t };
  },
  async stop() {
    const worker = await starting;
    await worker.stop();
    return { firstStartAt, bootAt: worker.bootAt ?? null, started, waits, peakRssMb: peakRssMb(), exit: true };
  },
});
starting = contender.startWorker(config.target, { concurrency: config.concurrency, handler });
await starting;
process.send({ type: 'ready', at: epochNow() });
