// W3's other half: what an idle worker costs. A ZapJobs worker on SQLite (default options) or PostgreSQL (`pg`,
// LISTEN) doing nothing for 20 s: its CPU time as a share of one core. Run after `npm run build`:
// node bench/idle-cost.mjs [pg]. Measured 2026-12-03 on the 2-core machine, quiet: SQLite looking at PRAGMA
// data_version every 10 ms 2.86-3.36% (3 runs); watching the WAL file instead (a look on each change, and every
// 250 ms) 1.08-1.27% (5 runs); PostgreSQL 1.14%.
import 'reflect-metadata';
const { ZapJobsModule, Job } = await import('../dist/index.js');
const { Module } = await import('@nestjs/common');
const { NestFactory } = await import('@nestjs/core');
class NoopJob { handle() { return null; } }
Job({ id: 'noop' })(NoopJob);
class M {}
Module({ imports: [ZapJobsModule.forRoot({ database: `/tmp/idle-${process.pid}.db`, ...(process.argv[2] === 'pg' ? { storage: 'postgres', url: process.env.ZAPJOBS_TEST_PG_URL, schema: `idle_${process.pid}` } : {}) })], providers: [NoopJob] })(M);
const app = await NestFactory.createApplicationContext(M, { logger: ['error'] });
await app.init();
await new Promise((r) => setTimeout(r, 2000));
const c0 = process.cpuUsage(); const t0 = performance.now();
await new Promise((r) => setTimeout(r, 20000));
const c1 = process.cpuUsage(c0); const ms = performance.now() - t0;
console.log(JSON.stringify({ backend: process.argv[2] ?? 'sqlite', wallMs: Math.round(ms), cpuMs: Math.round((c1.user + c1.system) / 1000), percentOfOneCore: (((c1.user + c1.system) / 1000 / ms) * 100).toFixed(2) }));
await app.close();
