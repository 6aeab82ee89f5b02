// graphile-worker (npm) on PostgreSQL, measured on the same server as ZapJobs on PostgreSQL
// (ZAPJOBS_BENCH_PG_URL, or the ZAPJOBS_TEST_PG_URL that `.ci/postgres.sh start` prints). Each
// measurement works in a schema of its own, created by graphile-worker's migrations and dropped
// afterwards. Two variants: its defaults (one job fetched and completed per query), and with its
// documented batching (a local queue of fetched jobs, completions batched).
//
// graphile-worker deletes a job when it completes, so "not completed" is simply "still in the
// jobs table" (a batched completion counts once its DELETE is committed).
//
// Do not run two benches against one server at once: graphile-worker announces a migration on the
// database-wide channel `worker:migrate`, not per schema, and every running graphile-worker in the
// database shuts down (cleanly, leaving its jobs) when another schema is created. Within one run the
// measurements are sequential, so this never happens; a drain that stalls fails after 60 s.
//
// maxPoolSize stays at its default of 10 (the same as ZapJobs' poolSize); graphile-worker warns
// that a pool smaller than the concurrency (16 in W2 and W6) "may lead to non-optimal performance".
import pg from 'pg';
import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker';
import { installedVersion } from '../support/machine.mjs';
import { PG_URL } from './zapjobs-postgres.mjs';

/** Local queue size of the batched variant: jobs fetched (and locked) per query. */
export const LOCAL_QUEUE_SIZE = 500;

/**
 * `variant`: 'plain' or 'batched'. `preset.worker` options of graphile-worker 0.17.3 for the
 * batched one: `localQueue.size`, `completeJobBatchDelay`, `failJobBatchDelay` (ms; -1 = off,
 * the default; 0 = batch what is pending in the same tick).
 */
export function graphileWorker(variant) {
  const batched = variant === 'batched';
  const preset = batched
    ? { worker: { localQueue: { size: LOCAL_QUEUE_SIZE }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
    : undefined;

  let serial = 0;
  // Quiet: graphile-worker logs every start and stop at info level; errors still show (all of it
  // with ZAPJOBS_BENCH_GW_LOG=1).
  const verbose = process.env.ZAPJOBS_BENCH_GW_LOG === '1';
  const logger = new Logger(() => (level, message) => {
    if (verbose || level === 'error') console.error(`graphile-worker ${level}: ${message}`);
  });
  const common = (target) => ({ connectionString: target.url, schema: target.schema, logger });

  async function withClient(url, fn) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  return {
    key: batched ? 'graphile-worker-batched' : 'graphile-worker',
    label: batched ? 'graphile-worker, batched (PostgreSQL)' : 'graphile-worker (PostgreSQL)',
    description: batched
      ? `the same, with graphile-worker's batching: \`preset: { worker: { localQueue: { size: ${LOCAL_QUEUE_SIZE} }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }\` ` +
        '(the pool fetches and locks up to 500 jobs per query and hands them to its C slots; completions of the same tick go in one query). ' +
        'Enqueueing is the same code as the plain variant.'
      : '`run()` with a `taskList` of one no-op task, `concurrency` C, `maxPoolSize` 10 (its default, and the same as ZapJobs\' `poolSize`), ' +
        '`pollInterval` 2 s (its default; idle workers wake on LISTEN/NOTIFY), a fresh `schema` per measurement; ' +
        'enqueued with `makeWorkerUtils().addJob` (and `addJobs` in bulk). It deletes a job when it completes. ' +
        'The server is the same as for ZapJobs on PostgreSQL (fsync and synchronous_commit as listed above).',

    async versions() {
      return { 'graphile-worker': installedVersion('graphile-worker') };
    },

    async createTarget(ctx, { history = 0 } = {}) {
      if (!PG_URL) throw new Error('no PostgreSQL server given (ZAPJOBS_BENCH_PG_URL)');
      if (history > 0) throw new Error('graphile-worker keeps no finished jobs (W4 does not apply)');
      const target = { url: PG_URL, schema: `gw_bench_${process.pid}_${++serial}` };
      await runMigrations(common(target));
      return target;
    },

    async destroyTarget(target) {
      await withClient(target.url, (client) => client.query(`DROP SCHEMA IF EXISTS "${target.schema}" CASCADE`));
    },

    async openMonitor(target) {
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      return {
        unfinished: async () => Number((await client.query(`SELECT count(*) AS n FROM "${target.schema}"._private_jobs`)).rows[0].n),
        close: () => client.end(),
      };
    },

    async openProducer(target) {
      const utils = await makeWorkerUtils(common(target));
      return {
        enqueue: (data) => utils.addJob('noop', data),
        enqueueMany: (list) => utils.addJobs(list.map((payload) => ({ identifier: 'noop', payload }))),
        close: () => utils.release(),
      };
    },

    async startWorker(target, { concurrency, handler }) {
      const runner = await run({
        ...common(target),
        concurrency,
        noHandleSignals: true,
        taskList: { noop: (payload) => handler(payload) },
        ...(preset ? { preset } : {}),
      });
      return {
        enqueue: (data) => runner.addJob('noop', data),
        stop: () => runner.stop(),
      };
    },
  };
}
