// W3: an idle worker; one job enqueued; the time until its handler starts. From the worker's own
// process (same process) and from another process (cross process).
import { rotation, sleep } from '../support/timing.mjs';
import { killAll, ready, withTarget } from './steps.mjs';
import { startChild } from '../support/children.mjs';
import { baseKey } from '../contenders/index.mjs';

/**
 * Which contenders wake an idle worker at once, per mode. The others find a job at their next
 * poll, so the latency depends on where in the poll cycle the job arrives: for those, the bench
 * waits a random time of up to one poll interval before each enqueue, so that arrivals fall at
 * random points of the cycle (the median then tends to half the interval, the p95 to 95 % of it).
 */
const WAKES_AT_ONCE = {
  zapjobs: { same: true, cross: true }, // PRAGMA data_version, checked every 10 ms
  'zapjobs-pg': { same: true, cross: true }, // LISTEN/NOTIFY
  bullmq: { same: true, cross: true },
  plainjob: { same: false, cross: false },
  liteque: { same: false, cross: false },
  'graphile-worker': { same: true, cross: true }, // LISTEN/NOTIFY
  'graphile-worker-batched': { same: true, cross: true },
};
const POLL_INTERVAL_MS = 1000; // every poll-bound contender runs with a 1 s poll interval
const SETTLE_MS = 300; // after start-up, so that the worker is idle when the first probe comes

const NA = 'not measured: how an idle worker learns of a new job is a design choice, not a cost of the SQL';

/**
 * One fresh worker process (and a producer process beside it); `count` probes from the worker's
 * own process, then `count` from the producer. Returns the latencies in ms per mode.
 */
async function probes(bench, key, count, firstIndex) {
  const contender = bench.contenders.get(key);
  return withTarget(bench.ctx, contender, {}, async (target) => {
    const children = [];
    try {
      // Concurrency 1: one idle worker. (plainjob runs one polling loop per unit of concurrency,
      // so more would poll more often.) Both processes start together, to save a start-up.
      const producerChild = startChild('child-producer.mjs', { contender: key, target });
      children.push(producerChild);
      const worker = await ready('child-worker.mjs', { contender: key, target, concurrency: 1 }, children);
      await producerChild.next('ready');
      await sleep(SETTLE_MS);
      const latencies = { same: [], cross: [] };
      let i = firstIndex;
      for (const mode of ['same', 'cross']) {
        for (let k = 0; k < count; k++, i++) {
          await sleep(WAKES_AT_ONCE[baseKey(key)][mode] ? 20 : Math.random() * POLL_INTERVAL_MS);
          const sent = mode === 'cross' ? await producerChild.request({ cmd: 'probe', i }) : await worker.request({ cmd: 'enqueue', i });
          const started = await worker.next('started');
          if (started.i !== i) throw new Error(`${key}: probe ${started.i} started, expected ${i}`);
          latencies[mode].push(started.at - sent.t);
        }
      }
      await worker.request({ cmd: 'stop' });
      await producerChild.request({ cmd: 'close' });
      return latencies;
    } finally {
      killAll(children);
    }
  });
}

export async function w3(bench) {
  const samples = bench.plan.latencySamples;
  const rounds = bench.plan.repetitions;
  const keys = bench.keys.filter((key) => WAKES_AT_ONCE[baseKey(key)]);
  const tables = {};
  for (const mode of ['same', 'cross']) {
    const table = bench.results.table({
      id: `W3-${mode}`,
      title:
        mode === 'same'
          ? `W3: idle worker, one job enqueued from the worker's own process: enqueue to handler start (${samples} samples)`
          : `W3: idle worker, one job enqueued from a second process: enqueue to handler start (${samples} samples)`,
      unit: 'ms (median)',
      higherIsBetter: false,
      digits: 1,
      extras: [{ key: 'p95', label: 'p95 (ms)', percentileOfSamples: 95 }],
      // The median of n arrivals spread evenly over a 1 s cycle has a standard error of about 1000 / sqrt(4n) ms.
      summaryNote:
        mode === 'cross'
          ? `plainjob and liteque poll every 1 s here: each median is expected near 500 ms, ± ${Math.round(1000 / Math.sqrt(4 * samples))} ms for ${samples} samples, so their gap is sampling noise`
          : undefined,
    });
    for (const key of bench.keys) if (!WAKES_AT_ONCE[baseKey(key)]) table.na(key, NA);
    if (mode === 'same') {
      table.note('ZapJobs wakes its idle worker when the same process enqueues (graphile-worker and ZapJobs on PostgreSQL also on LISTEN/NOTIFY); plainjob and liteque have no such wake-up and wait for their next poll (1 s).');
    } else {
      table.note(
        'plainjob and liteque learn of a job from another process at their next poll: ' +
          "plainjob's `pollIntervall` 1 s (its default), liteque's `pollIntervalMs` 1 s (its README's value), so this latency is bounded by 1 s " +
          'and shrinks with the interval. ZapJobs on SQLite watches `PRAGMA data_version` (it moves when another connection commits) every 10 ms; ' +
          'ZapJobs on PostgreSQL and graphile-worker wake on LISTEN/NOTIFY; BullMQ workers block on Redis.',
      );
    }
    table.note(
      'Worker concurrency 1. Before each probe to a poll-bound worker the bench waits a random 0-1 s, so that probes land at random points ' +
        'of the poll cycle; the time runs from just before the enqueue call to the handler start (clocks of the two processes: `performance.timeOrigin + performance.now()`).',
    );
    tables[mode] = table;
  }
  // The samples are split into rounds, each against a fresh worker, interleaved across contenders.
  for (let round = 0; round < rounds; round++) {
    const count = Math.floor(samples / rounds) + (round < samples % rounds ? 1 : 0);
    for (const key of rotation(keys, round)) {
      await bench.measure([tables.same, tables.cross], key, async () => {
        const latencies = await probes(bench, key, count, round * samples * 2);
        for (const mode of ['same', 'cross']) {
          for (const latency of latencies[mode]) tables[mode].add(key, latency);
          bench.log(tables[mode], key, round);
        }
      });
    }
  }
}
