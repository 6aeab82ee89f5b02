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
//   workloads?                                   the workloads it runs in (default: all), for a variant that
//                                                only means something in some
//   startWorker(target, { concurrency, handler }) -> { enqueue(data), stop() }
//                                                handler(data) is the bench's no-op, called once per job
//                                                start; enqueue() enqueues from the worker's own process (W3)

/** Every contender, in the order of the report's rows. */
export const CONTENDER_KEYS = [
  'zapjobs', 'zapjobs@baseline', 'zapjobs-prefetch', 'zapjobs-pg', 'zapjobs-pg@baseline', 'zapjobs-pg-prefetch', 'raw-1', 'raw-100', 'raw-min-100', 'plainjob', 'liteque', 'bullmq', 'graphile-worker',
  'graphile-worker-batched', 'bare-app',
];

/**
 * The prefetch of the '-prefetch' rows: with concurrency 16, up to 100 runs per statement, the batch of the
 * raw 100-jobs/txn loop (graphile-worker's batched mode, beside them, fetches 500 ahead). 84 was the best of
 * 0, 64, 84 and 256 in a drain of 20,000-50,000 runs on both backends.
 */
const PREFETCH = Number(process.env.ZAPJOBS_BENCH_PREFETCH ?? 84);

/**
 * ZapJobs on another build (`--baseline DIR`), beside this checkout's: the same contender modules,
 * loaded again with the baseline's dist (ZAPJOBS_BENCH_BASELINE_DIST, set by bench/run.mjs).
 */
export const BASELINE_KEYS = { 'zapjobs@baseline': 'zapjobs', 'zapjobs-pg@baseline': 'zapjobs-pg' };

/** The contenders that need a PostgreSQL server (ZAPJOBS_BENCH_PG_URL or ZAPJOBS_TEST_PG_URL). */
export const POSTGRES_KEYS = ['zapjobs-pg', 'zapjobs-pg@baseline', 'zapjobs-pg-prefetch', 'graphile-worker', 'graphile-worker-batched'];

/** The contender `key` stands for: itself, or for a baseline key the contender it runs on another build. */
export const baseKey = (key) => BASELINE_KEYS[key] ?? key;

async function loadBaseline(key) {
  const dist = process.env.ZAPJOBS_BENCH_BASELINE_DIST;
  if (!dist) throw new Error(`${key} needs --baseline DIR`);
  const file = BASELINE_KEYS[key] === 'zapjobs' ? './zapjobs.mjs' : './zapjobs-postgres.mjs';
  const module = await import(`${file}?dist=${encodeURIComponent(dist)}`);
  const revision = process.env.ZAPJOBS_BENCH_BASELINE_REV;
  return {
    ...module,
    key,
    label: `${module.label} @ baseline`,
    description: `${module.label} as above, but on the baseline build given with --baseline (${revision}) instead of this checkout's dist/.`,
    versions: async () => ({ '@zapjobs/nestjs (baseline)': revision }),
  };
}

export async function loadContender(key) {
  if (BASELINE_KEYS[key]) return loadBaseline(key);
  switch (key) {
    case 'zapjobs':
      return import('./zapjobs.mjs');
    case 'zapjobs-pg':
      return import('./zapjobs-postgres.mjs');
    case 'zapjobs-prefetch':
      return (await import('./zapjobs.mjs')).prefetching(PREFETCH);
    case 'zapjobs-pg-prefetch':
      return (await import('./zapjobs-postgres.mjs')).prefetching(PREFETCH);
    case 'plainjob':
      return import('./plainjob.mjs');
    case 'bare-app':
      return import('./bare-app.mjs');
    case 'liteque':
      return import('./liteque.mjs');
    case 'bullmq':
      return import('./bullmq.mjs');
    case 'graphile-worker':
      return (await import('./graphile-worker.mjs')).graphileWorker('plain');
    case 'graphile-worker-batched':
      return (await import('./graphile-worker.mjs')).graphileWorker('batched');
    default: {
      const minimal = /^raw-min-(\d+)$/.exec(key)?.[1];
      if (minimal) return (await import('./raw-minimal.mjs')).rawMinimal(Number(minimal));
      const batch = /^raw-(\d+)$/.exec(key)?.[1];
      if (!batch) throw new Error(`unknown contender ${key}`);
      return (await import('./raw-sqlite.mjs')).rawSqlite(Number(batch));
    }
  }
}
