// ZapJobs on PostgreSQL, measured when a server is given: ZAPJOBS_BENCH_PG_URL, or the
// ZAPJOBS_TEST_PG_URL that `.ci/postgres.sh start` prints. Each measurement works in a schema of
// its own, created by ZapJobs' migrations and dropped afterwards.
import pg from 'pg';
import { installedVersion } from '../support/machine.mjs';

// The SQLite contender's boot code, on the build this module was loaded for (`?dist=URL`, see zapjobs.mjs).
const { openProducerWith, startWorkerWith } = await import(new URL(`./zapjobs.mjs${new URL(import.meta.url).search}`, import.meta.url).href);

export const PG_URL = process.env.ZAPJOBS_BENCH_PG_URL ?? process.env.ZAPJOBS_TEST_PG_URL;

export const key = 'zapjobs-pg';
export const label = 'ZapJobs (PostgreSQL)';
export const description =
  'the same module with `storage: \'postgres\'`, `url`, a fresh `schema` per measurement and `poolSize` 10 (its default); idle workers wake on LISTEN/NOTIFY. ' +
  'The server is the one given in ZAPJOBS_BENCH_PG_URL (or ZAPJOBS_TEST_PG_URL), on this machine.';

let serial = 0;
const storage = (target) => ({ storage: 'postgres', url: target.url, schema: target.schema });

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The server's version and the settings that decide what a commit costs. */
export async function versions() {
  const server = await withClient(PG_URL, async (client) => {
    const show = async (name) => (await client.query(`SHOW ${name}`)).rows[0][name];
    return `${await show('server_version')} (fsync ${await show('fsync')}, synchronous_commit ${await show('synchronous_commit')})`;
  });
  return { 'PostgreSQL server': server, pg: installedVersion('pg') };
}

export async function createTarget(ctx, { history = 0 } = {}) {
  if (!PG_URL) throw new Error('no PostgreSQL server given (ZAPJOBS_BENCH_PG_URL)');
  const target = { url: PG_URL, schema: `zj_bench_${process.pid}_${++serial}` };
  // Booting a producer runs the migrations, which create the schema and the tables.
  await (await openProducerWith(storage(target))).close();
  if (history > 0) {
    // W4: finished runs from the last day, as ZapJobs leaves them (one statement, not timed).
    await withClient(PG_URL, (client) =>
      client.query(
        `INSERT INTO "${target.schema}".zj_runs (id, job_type_id, status, trigger_type, queue, priority, input_json, scheduled_at,
           created_at, started_at, completed_at, duration_ms, worker_id, attempt_number, pass_parent_output)
         SELECT gen_random_uuid(), 'noop', 'completed', 'manual', 'default', 0, jsonb_build_object('i', g), t, t, t, t + interval '1 ms',
                1, 'history', 1, false
           FROM (SELECT g, now() - interval '1 day' + g * (interval '80000 seconds' / $1) AS t FROM generate_series(1, $1) AS g) AS s`,
        [history],
      ),
    );
    await withClient(PG_URL, (client) => client.query(`VACUUM ANALYZE "${target.schema}".zj_runs`));
  }
  return target;
}

export async function destroyTarget(target) {
  await withClient(target.url, (client) => client.query(`DROP SCHEMA IF EXISTS "${target.schema}" CASCADE`));
}

export async function openMonitor(target) {
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  const runs = `"${target.schema}".zj_runs`;
  return {
    unfinished: async () =>
      Number(
        (await client.query(`SELECT (SELECT count(*) FROM ${runs} WHERE status = 'pending') + (SELECT count(*) FROM ${runs} WHERE status = 'running') AS n`))
          .rows[0].n,
      ),
    tableWaitsMs: async () =>
      (
        await client.query(
          `SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms FROM ${runs} WHERE status = 'completed' AND input_json->>'live' = 'true'`,
        )
      ).rows.map((row) => Number(row.ms)),
    close: () => client.end(),
  };
}

export const openProducer = (target) => openProducerWith(storage(target));
export const startWorker = (target, options) => startWorkerWith(storage(target), options);

/** This contender with `prefetch: n` (off by default), in the drain workloads, where fetching ahead is what it changes. */
export function prefetching(n) {
  return {
    key: 'zapjobs-pg-prefetch', label: `ZapJobs (PostgreSQL), prefetch ${n}`,
    description: `ZapJobs (PostgreSQL) as above, with \`prefetch: ${n}\`: each worker holds up to ${n} runs claimed ahead of its free slots.`,
    versions: async () => ({}),
    workloads: ['W2', 'W5'],
    createTarget, destroyTarget, openMonitor, openProducer,
    startWorker: (target, options) => startWorkerWith({ ...storage(target), prefetch: n }, options),
  };
}
