// BullMQ (npm) on a private redis-server that the orchestrator starts without persistence
// (--save '' --appendonly no): the figures are those of an in-memory store, unlike the SQLite
// contenders, which commit to a file. Idle workers block on Redis and wake at once.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { installedVersion } from '../support/machine.mjs';

export const key = 'bullmq';
export const label = 'BullMQ (Redis)';
export const description =
  '`Queue` + `Worker` (`concurrency` C, other options at their defaults, finished jobs kept) with ioredis, on a redis-server started by the bench on 127.0.0.1 ' +
  'with `--save \'\' --appendonly no`: an in-memory store, where the SQLite contenders commit every job to a file.';
export const versions = () => ({ bullmq: installedVersion('bullmq'), ioredis: installedVersion('ioredis') });

let serial = 0;

export async function createTarget(ctx) {
  if (!ctx.redis) throw new Error('no redis-server');
  return { host: ctx.redis.host, port: ctx.redis.port, queue: `bench-${process.pid}-${++serial}` };
}

const connection = (target) => ({ host: target.host, port: target.port });

/** Every measurement has the Redis instance to itself: empty it after each. */
export async function destroyTarget(target) {
  const redis = new Redis(connection(target));
  await redis.flushall();
  await redis.quit();
}

export function openMonitor(target) {
  const queue = new Queue(target.queue, { connection: connection(target) });
  return {
    unfinished: async () => {
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    close: () => queue.close(),
  };
}

export async function openProducer(target) {
  const queue = new Queue(target.queue, { connection: connection(target) });
  await queue.waitUntilReady();
  return {
    enqueue: (data) => queue.add('noop', data),
    enqueueMany: (list) => queue.addBulk(list.map((data) => ({ name: 'noop', data }))),
    close: () => queue.close(),
  };
}

export async function startWorker(target, { concurrency, handler }) {
  const worker = new Worker(target.queue, (job) => handler(job.data), { connection: connection(target), concurrency });
  worker.on('error', (error) => console.error(`BullMQ worker: ${error.message}`));
  await worker.waitUntilReady();
  let queue;
  return {
    async enqueue(data) {
      queue ??= new Queue(target.queue, { connection: connection(target) });
      return queue.add('noop', data);
    },
    async stop() {
      await worker.close();
      await queue?.close();
    },
  };
}
