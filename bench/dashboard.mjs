// The dashboard at N runs (default 1,000,000) in a SQLite file: the runs page, the API list with
// filters and the overview, through the storage's queries and through HTTP (the pages and the API
// of ZapJobsDashboardModule in a Nest app on that file, workers and scheduler off). Run after
// `npm run build`:
//   node bench/dashboard.mjs [runs] [--dist DIR]
// --dist DIR: another build's dist/ (say /tmp/base81/dist, the commit before the dashboard's indexes)
// on the same data, for before and after. No ANALYZE is run: ZapJobs never runs it, so the query
// planner sees what it sees in production (SQLite without statistics).
// "cold" is the first request of that URL after the app starts (the first of all also pays for
// Nest's first request); "warm" the median of the next ones; "recounted" the overview once its
// reused figures of finished runs have expired (finishedCountsMaxAgeMs, 2 s), so the one request in
// every few seconds that counts them again.
//
// Measured 2026-12-03 on the shared 2-core machine (other sessions' builds and tests running, so
// figures move by tens of percent between runs), 1,000,000 runs, through HTTP, ms, before (81afe47,
// --dist /tmp/base81/dist, cold) -> after (cold / warm median):
//   overview page 1,852 -> 249 / 13; overview with its finished figures counted again 2,340 -> 133;
//   runs page 1,527 -> 8 / 4; api/runs first page 1,391 -> 4 / 3, after a cursor 1,489 -> 4 / 3;
//   status=failed 273 -> 3 / 3; pending 237 -> 5 / 4; completed 1,223 -> 3 / 3; running (none)
//   231 -> 2 / 1; correlationId (none) 129 -> 1 / 1; queue=mail 477 -> 3 / 3; q=upstream 3
//   520 -> 22 / 15; q matching nothing 495 -> 64 / 64 (it read the newest 100,000 runs only).
//   In two earlier runs, busier: cold overview 350 and 416, recounted 152 and 358.
// Before these, on 2026-12-02 (with ANALYZE, busier machine): first page 6.2 s, counts by queue 9.5 s.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const N = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--dist') ?? 1_000_000);
const dist = pathToFileURL(resolve(option('--dist') ?? new URL('../dist', import.meta.url).pathname)).href;
const load = (path) => import(`${dist}/${path}`);
const { resolveOptions } = await load('options/resolve-options.js');
const { backendFor } = await load('storage/backend.js');
const { ZapJobsMigrations } = await load('migrations/zapjobs-migrations.js');
const { SystemClock } = await load('util/clock.js');
const { ZapJobsModule } = await load('index.js');
const { ZapJobsDashboardModule } = await load('dashboard/index.js');
// Nest as that build resolves it, so that its modules and this app share one copy.
const nest = createRequire(new URL(`${dist}/index.js`));
const { Module } = await import(pathToFileURL(nest.resolve('@nestjs/common')).href);
const { NestFactory } = await import(pathToFileURL(nest.resolve('@nestjs/core')).href);

const dir = mkdtempSync(join(tmpdir(), 'zapjobs-dash-bench-'));
const database = join(dir, 'bench.db');
const jobs = [['email', 'mail'], ['report', 'default'], ['sync', 'default'], ['charge', 'payments']];

// The data: N runs created over the last day, 90 % completed, 5 % failed, 3 % pending, 2 % cancelled.
{
  const options = resolveOptions({ database });
  const backend = await backendFor(options.storage);
  const dataSource = await backend.createDataSource(options);
  await new ZapJobsMigrations(backend.migrationRunner(dataSource, options), options).migrate();
  const storage = backend.createStorage(dataSource, options, new SystemClock());
  for (const [id, queue] of jobs) await storage.upsertDefinition({ jobTypeId: id, displayName: id, queue });
  const db = dataSource.driver.databaseConnection;
  const now = Date.now();
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
  console.log(`${dist}: inserted ${N.toLocaleString('en')} runs in ${Math.round(performance.now() - t0)} ms`);

  // The storage's reads on their own (what the service composes).
  const q = storage.dashboard();
  const first = await q.searchRuns({}, 50);
  await time('query: runs, first 50, no filter', () => q.searchRuns({}, 50));
  await time('query: runs after a cursor', () => q.searchRuns({}, 50, first.next));
  await time('query: status=failed', () => q.searchRuns({ status: ['failed'] }, 50));
  await time('query: status=pending', () => q.searchRuns({ status: ['pending'] }, 50));
  await time('query: job=charge status=failed', () => q.searchRuns({ jobTypeId: 'charge', status: ['failed'] }, 50));
  await time('query: count status=failed', () => q.countRuns({ status: ['failed'] }));
  await time('query: counts by queue and status', () => q.countsByQueue());
  await time('query: series last hour per minute', () => q.finishedSeries(3_600_000, 60_000));
  await time('query: series last day per hour', () => q.finishedSeries(86_400_000, 3_600_000));
  await time('query: backlogs', () => q.backlogs());
  await dataSource.destroy();
}

// The same through HTTP.
class App {}
Module({
  imports: [
    ZapJobsModule.forRoot({ database, enableWorkers: false, enableScheduler: false }),
    ZapJobsDashboardModule.forRoot({ path: '/zapjobs', auth: 'none' }),
  ],
})(App);
const app = await NestFactory.create(App, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
const origin = `http://127.0.0.1:${app.getHttpServer().address().port}`;
async function get(path) {
  const res = await fetch(origin + path);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  return body;
}
const rows = [];
async function http(label, path, warm = 7) {
  const t = performance.now();
  const body = await get(path);
  const cold = performance.now() - t;
  const samples = [];
  for (let i = 0; i < warm; i++) {
    const s = performance.now();
    await get(path);
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  rows.push([label, cold, samples[Math.floor(warm / 2)]]);
  console.log(`${label.padEnd(58)} cold ${cold.toFixed(1).padStart(7)} ms  warm median ${samples[Math.floor(warm / 2)].toFixed(1).padStart(7)} ms (max ${samples[warm - 1].toFixed(1)})`);
  return body;
}
await http('overview page', '/zapjobs');
await sleep(2_100);
{
  const t = performance.now();
  await get('/zapjobs');
  const recount = performance.now() - t;
  rows.push(['overview page, figures of finished runs recounted', recount, NaN]);
  console.log(`${'overview page, figures of finished runs recounted'.padEnd(58)} once    ${recount.toFixed(1).padStart(7)} ms`);
}
await http('runs page', '/zapjobs/runs');
const apiFirst = JSON.parse(await http('API runs, first 50', '/zapjobs/api/runs'));
await http('API runs, page after a cursor', `/zapjobs/api/runs?cursor=${apiFirst.next}`);
await http('API runs, status=failed', '/zapjobs/api/runs?status=failed');
await http('API runs, status=pending', '/zapjobs/api/runs?status=pending');
await http('API runs, status=completed', '/zapjobs/api/runs?status=completed');
await http('API runs, status=running (none)', '/zapjobs/api/runs?status=running');
await http('API runs, correlationId (none)', '/zapjobs/api/runs?correlationId=order-1');
await http('API runs, job=charge status=failed', '/zapjobs/api/runs?job=charge&status=failed');
await http('API runs, queue=mail', '/zapjobs/api/runs?queue=mail');
await http('API runs, text "upstream 3"', '/zapjobs/api/runs?q=upstream%203');
const nothing = JSON.parse(await http('API runs, text matching nothing', '/zapjobs/api/runs?q=no-such-text'));
await http('runs page, text matching nothing', '/zapjobs/runs?q=no-such-text');
await http('API runs/count, status=failed', '/zapjobs/api/runs/count?status=failed');
await http('API counts', '/zapjobs/api/counts');
if (nothing.searched) console.log(`(the text search read the newest ${nothing.searched.runs} runs, created since ${nothing.searched.since})`);
await app.close();
rmSync(dir, { recursive: true, force: true });
console.log('\n| request | cold (ms) | warm median (ms) |\n| --- | ---: | ---: |');
for (const [label, cold, warm] of rows) console.log(`| ${label} | ${cold.toFixed(0)} | ${Number.isNaN(warm) ? '–' : warm.toFixed(1)} |`);

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
