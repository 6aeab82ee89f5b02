// The contenders, each a module with the one interface below, loaded on demand so
// that a child process loads only the library it measures.
//
//   key, label, description, versions()          names and what is installed (versions() may be async)
//   createTarget(ctx, { history })  -> target    a fresh, empty store (a SQLite file, a Redis queue),
//                                                optionally holding `history` finished jobs (W4);
//                                                the target is JSON, passed to child processes
//   destroyTarget(target)
//   openMonitor(target) -> { unfinished(), close() }   jobs not yet completed (committed), polled by the orchestrator
//   openProducer(target) -> { enqueue(data), enqueueMany?(list), close() }
//   startWorker(target, { concurrency, handler }) -> { enqueue(data), stop() }
//                                                handler(data) is the bench's no-op, called once per job
//                                                start; enqueue() enqueues from the worker's own process (W3)

/** Every contender, in the order of the report's rows. */
export const CONTENDER_KEYS = ['zapjobs', 'zapjobs-pg', 'raw-1', 'raw-100', 'plainjob', 'liteque', 'bullmq', 'graphile-worker', 'graphile-worker-batched'];

/** The contenders that need a PostgreSQL server (ZAPJOBS_BENCH_PG_URL or ZAPJOBS_TEST_PG_URL). */
export const POSTGRES_KEYS = ['zapjobs-pg', 'graphile-worker', 'graphile-worker-batched'];

export async function loadContender(key) {
  switch (key) {
    case 'zapjobs':
      return import('./zapjobs.mjs');
    case 'zapjobs-pg':
      return import('./zapjobs-postgres.mjs');
    case 'plainjob':
      return import('./plainjob.mjs');
    case 'liteque':
      return import('./liteque.mjs');
    case 'bullmq':
      return import('./bullmq.mjs');
    case 'graphile-worker':
      return (await import('./graphile-worker.mjs')).graphileWorker('plain');
    case 'graphile-worker-batched':
      return (await import('./graphile-worker.mjs')).graphileWorker('batched');
    default: {
      const batch = /^raw-(\d+)$/.exec(key)?.[1];
      if (!batch) throw new Error(`unknown contender ${key}`);
      return (await import('./raw-sqlite.mjs')).rawSqlite(Number(batch));
    }
  }
}
