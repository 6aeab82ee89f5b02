// The dashboard's queries on a SQLite file holding N runs (default 1,000,000): how long the runs
// page's list, the API list with filters and the overview's reads take. Run after `npm run build`:
//   node bench/dashboard.mjs [runs]
// Measured 2026-12-02 on the shared 2-core machine (other builds running), 1,000,000 runs, medians:
// first page unfiltered 6.2 s, after a cursor 6.7 s, status=failed 1.9 s, job+status 34 ms, text LIKE
// 3.8 s, counts by queue 9.5 s (noisy), series per minute 0.9 s, per hour 5.4 s, backlogs 25 ms.
// The targets (lists < 200 ms, overview < 500 ms) need indexes the schema lacks on SQLite:
// (created_at DESC, id DESC), (status, created_at DESC, id DESC), (completed_at) WHERE status IN
// ('completed', 'failed'), and a (queue, status) index for the counts: a migration of their own.
// With them (--with-indexes, same machine): first page 1.8 ms, after a cursor 2.5 ms, status=failed
// 12 ms, job+status 17 ms, text LIKE with matches 120 ms, text matching nothing 4.9 s (a full scan),
// count failed 8 ms, counts by queue 455 ms, series per minute 89 ms, per hour over a day 2.6 s,
// backlogs 20 ms. So the lists meet 200 ms; the overview's counts and day series need counters kept
// per (queue, status) and per hour (or a cache) to meet 500 ms.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveOptions } from '../dist/options/resolve-options.js';
import { backendFor } from '../dist/storage/backend.js';
import { ZapJobsMigrations } from '../dist/migrations/zapjobs-migrations.js';
import { SystemClock } from '../dist/util/clock.js';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'zapjobs-dash-bench-'));
const options = resolveOptions({ database: join(dir, 'bench.db') });
const backend = await backendFor(options.storage);
const dataSource = await backend.createDataSource(options);
await new ZapJobsMigrations(backend.migrationRunner(dataSource, options), options).migrate();
const storage = backend.createStorage(dataSource, options, new SystemClock());
for (const [id, queue] of [['email', 'mail'], ['report', 'default'], ['sync', 'default'], ['charge', 'payments']]) {
  await storage.upsertDefinition({ jobTypeId: id, displayName: id, queue });
}
const db = dataSource.driver.databaseConnection;
const now = Date.now();
const jobs = [['email', 'mail'], ['report', 'default'], ['sync', 'default'], ['charge', 'payments']];
const insert = db.prepare(`INSERT INTO ${options.tablePrefix}runs (id, job_type_id, status, trigger_type, queue, priority, input_json, output_json, scheduled_at,
  created_at, started_at, completed_at, duration_ms, error_message, attempt_number) VALUES (?, ?, ?, 'manual', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
const t0 = performance.now();
db.transaction(() => {
  for (let i = 0; i < N; i++) {
    const created = now - 86_400_000 + Math.floor((i / N) * 86_400_000);
    const hex = created.toString(16).padStart(12, '0');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${i.toString(16).padStart(12, '0')}`;
    const [job, queue] = jobs[i % 4];
    const r = i % 100;
    const status = r < 90 ? 'completed' : r < 95 ? 'failed' : r < 98 ? 'pending' : 'cancelled';
    const done = status === 'completed' || status === 'failed' ? created + 50 : null;
    insert.run(id, job, status, queue, JSON.stringify({ customer: `c${i % 5000}`, order: i }), status === 'completed' ? '{"ok":true}' : null,
      created, created, done ? created + 1 : null, done, done ? 49 : null, status === 'failed' ? `timeout talking to upstream ${i % 17}` : null, 1);
  }
})();
console.log(`inserted ${N} runs in ${Math.round(performance.now() - t0)} ms`);
// --with-indexes: the indexes a migration would add, to measure what they buy.
if (process.argv.includes('--with-indexes')) {
  const p = options.tablePrefix;
  const t0i = performance.now();
  db.exec(`CREATE INDEX ${p}runs_created ON ${p}runs (created_at DESC, id DESC);
    CREATE INDEX ${p}runs_status_created ON ${p}runs (status, created_at DESC, id DESC);
    CREATE INDEX ${p}runs_finished_at ON ${p}runs (completed_at) WHERE status IN ('completed', 'failed');
    CREATE INDEX ${p}runs_queue_status ON ${p}runs (queue, status);`);
  console.log(`indexes built in ${Math.round(performance.now() - t0i)} ms`);
}
db.exec('ANALYZE');

const q = storage.dashboard();
async function time(label, fn) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} median ${samples[2].toFixed(1).padStart(7)} ms  (min ${samples[0].toFixed(1)}, max ${samples[4].toFixed(1)})`);
}
const first = await q.searchRuns({}, 50);
await time('runs page: first 50, no filter', () => q.searchRuns({}, 50));
await time('runs page: page after a cursor', () => q.searchRuns({}, 50, first.next));
await time('API list: status=failed', () => q.searchRuns({ status: ['failed'] }, 50));
await time('API list: job=charge status=failed', () => q.searchRuns({ jobTypeId: 'charge', status: ['failed'] }, 50));
await time('API list: text "upstream 3" (LIKE)', () => q.searchRuns({ text: 'upstream 3' }, 50));
await time('API list: text that matches nothing (full scan)', () => q.searchRuns({ text: 'no-such-text' }, 50));
await time('count matching status=failed', () => q.countRuns({ status: ['failed'] }));
await time('overview: counts by queue and status', () => q.countsByQueue());
await time('overview: series last hour per minute', () => q.finishedSeries(3_600_000, 60_000));
await time('overview: series last day per hour', () => q.finishedSeries(86_400_000, 3_600_000));
await time('overview: backlogs', () => q.backlogs());
await time('overview: all reads together', () =>
  Promise.all([q.countsByQueue(), q.finishedSeries(3_600_000, 60_000), q.finishedSeries(86_400_000, 3_600_000), q.backlogs(), q.workers()]));
await dataSource.destroy();
rmSync(dir, { recursive: true, force: true });
