// The steps the workloads are made of. Each measurement gets a fresh store (createTarget) and
// fresh child processes, and cleans both up whatever happens.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkpoint } from '../contenders/zapjobs-table.mjs';
import { startChild } from '../support/children.mjs';
import { epochNow, sleep } from '../support/timing.mjs';

/** Jobs per call of a bulk API (enqueueMany, addMany, addBulk) and of seeding. */
export const CHUNK = 1000;
/** How often the orchestrator counts the jobs not yet completed. */
const POLL_MS = 10;
/** How long a drain may go without one more job completed before it counts as stuck. */
const STALL_MS = 60_000;

/** Runs `fn(target)` on a fresh target of `contender`, destroyed afterwards. */
export async function withTarget(ctx, contender, options, fn) {
  const target = await contender.createTarget(ctx, options);
  try {
    return await fn(target);
  } finally {
    await contender.destroyTarget(target);
  }
}

/** Starts a child and waits for its 'ready'; the child is killed if anything below fails. */
export async function ready(script, config, children) {
  const child = startChild(script, config);
  children.push(child);
  await child.next('ready');
  return child;
}

/** Kills whatever child of this measurement is still alive. */
export function killAll(children) {
  for (const child of children) child.kill();
}

/** Puts n jobs in the queue through the contender's own producer API, in this process (not timed). */
async function seed(contender, target, n) {
  const producer = await contender.openProducer(target);
  try {
    for (let from = 0; from < n; from += CHUNK) {
      const list = [];
      // The enqueue time rides in the payload; W6 reads it for the jobs it enqueues live.
      for (let i = from; i < Math.min(n, from + CHUNK); i++) list.push({ i, t: epochNow() });
      if (producer.enqueueMany) await producer.enqueueMany(list);
      else for (const data of list) await producer.enqueue(data);
    }
  } finally {
    await producer.close();
  }
}

/**
 * A target holding `jobs` queued jobs (and `history` finished ones). A SQLite store is seeded once
 * into a template file and copied for each measurement: every repetition starts from the same
 * bytes, and seeding 100,000 jobs is paid once. Other stores (Redis) are seeded each time.
 */
async function seededTarget(ctx, contender, { jobs, history }) {
  const target = await contender.createTarget(ctx, { history });
  if (!target.file) {
    await seed(contender, target, jobs);
    return target;
  }
  const template = join(ctx.tmpDir, `seeded-${contender.key}-${history}-${jobs}.db`);
  if (!existsSync(template)) {
    await seed(contender, target, jobs);
    checkpoint(target.file);
    copyFileSync(target.file, template);
  } else {
    await contender.destroyTarget(target);
    copyFileSync(template, target.file);
  }
  return target;
}

/**
 * W2 and its variants: `jobs` queued, then one worker process started; the time runs from the
 * spawn of that process until the store shows every job completed (committed). With `rate`,
 * a producer process enqueues rate.perSecond jobs/s for rate.seconds meanwhile (W6).
 */
export async function drain(ctx, contender, { jobs, concurrency, history = 0, rate }) {
  const target = await seededTarget(ctx, contender, { jobs, history });
  try {
    const monitor = await contender.openMonitor(target);
    const children = [];
    try {
      const producer = rate ? await ready('child-producer.mjs', { contender: contender.key, target }, children) : null;
      const spawnedAt = epochNow();
      const worker = startChild('child-worker.mjs', { contender: contender.key, target, concurrency });
      children.push(worker);
      const produced = producer?.request({ cmd: 'rate', ...rate });
      let workerGone = false;
      worker.exited.then(() => (workerGone = true));
      // Everything the producer sends must be in before "no job left" means the end.
      const production = produced ? await produced : null;
      // A worker that stops making progress fails the measurement instead of hanging the run.
      let last = Infinity;
      let progressAt = epochNow();
      for (let left; (left = await monitor.unfinished()) > 0; ) {
        if (workerGone) throw worker.failure() ?? new Error(`${contender.key}: the worker exited before the queue was drained`);
        if (left < last) [last, progressAt] = [left, epochNow()];
        else if (epochNow() - progressAt > STALL_MS) throw new Error(`${contender.key}: no job completed for ${STALL_MS / 1000} s, ${left} left`);
        await sleep(POLL_MS);
      }
      const doneAt = epochNow();
      const tableWaits = await monitor.tableWaitsMs?.();
      const stats = await worker.request({ cmd: 'stop' });
      if (producer) await producer.request({ cmd: 'close' });
      const total = jobs + (production?.sent ?? 0);
      return {
        jobsPerSecond: (total / (doneAt - spawnedAt)) * 1000,
        startupMs: stats.firstStartAt - spawnedAt,
        bootToFirstMs: stats.bootAt === null ? null : stats.firstStartAt - stats.bootAt,
        steadyJobsPerSecond: (total / (doneAt - stats.firstStartAt)) * 1000,
        peakRssMb: stats.peakRssMb,
        waits: stats.waits,
        tableWaits,
        production,
      };
    } finally {
      killAll(children);
      await monitor.close();
    }
  } finally {
    await contender.destroyTarget(target);
  }
}
