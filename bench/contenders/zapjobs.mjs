// ZapJobs, the library under test: the compiled package (dist/, built by `npm run build`)
// booted the way an application boots it, in a Nest application context with a @Job handler.
import 'reflect-metadata';
import { copyFileSync, existsSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { installedVersion, machineInfo } from '../support/machine.mjs';
import { checkpoint, insertFinishedRuns, openRunsMonitor } from './zapjobs-table.mjs';
import { removeDatabase } from './sqlite-files.mjs';
import { epochNow } from '../support/timing.mjs';

// The compiled library: dist/, or the copy of it that bench/run.mjs took when it started
// (ZAPJOBS_BENCH_DIST), so that a rebuild of dist/ during a long run changes nothing measured.
// `?dist=URL` on this module's own URL overrides both: the baseline contenders (--baseline) load
// a second instance of this module on another build (contenders/index.mjs).
const DIST = new URL(import.meta.url).searchParams.get('dist') ?? process.env.ZAPJOBS_BENCH_DIST ?? new URL('../../dist/index.js', import.meta.url).href;
const { Job, JobScheduler, ZapJobsModule } = await import(DIST);

export const key = 'zapjobs';
export const label = 'ZapJobs (SQLite)';
export const versions = () => ({
  '@zapjobs/nestjs': `${machineInfo().zapjobs} (this checkout, dist/)`,
  typeorm: installedVersion('typeorm'),
  '@nestjs/core': installedVersion('@nestjs/core'),
  'better-sqlite3': installedVersion('better-sqlite3'),
});
/** Idle workers look for runs from other processes every pollInterval: 1 s, the default, stated explicitly. */
export const POLL_INTERVAL_MS = 1000;
export const description =
  'this checkout, built to dist/, booted with `NestFactory.createApplicationContext` and `ZapJobsModule.forRoot({ database, concurrency, pollInterval: 1000 })` ' +
  '(other options at their defaults: queues critical/default/low, scheduler on), one no-op `@Job` handler; producers boot the same module with `enableWorkers: false`.';

// The bench files are plain JavaScript, so decorators are applied by calling them.
// The handler forwards to whatever the child process installed (a no-op that records times).
let currentHandler = async () => undefined;
class NoopJob {
  handle(ctx) {
    return currentHandler(ctx.input);
  }
}
Job({ id: 'noop', maxRetries: 0 })(NoopJob);

async function boot(options) {
  class BenchModule {}
  Module({ imports: [ZapJobsModule.forRoot(options)], providers: [NoopJob] })(BenchModule);
  // Nest's own bootstrap lines would flood the output; errors and warnings still show.
  return NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'], abortOnError: false });
}

/**
 * A database file migrated by ZapJobs itself, holding `history` finished runs, copied from a
 * template built once per run of the bench (building 1,000,000 rows takes a while; copying is fast).
 * The raw better-sqlite3 baseline uses the same files, so both work on the same table and indexes.
 */
export async function createTarget(ctx, { history = 0 } = {}) {
  const file = ctx.newFile('zapjobs');
  copyFileSync(await template(ctx, history), file);
  return { file };
}

async function template(ctx, history) {
  const file = `${ctx.tmpDir}/zapjobs-template-${history}.db`;
  if (existsSync(file)) return file;
  if (history === 0) {
    const app = await boot({ database: file, enableWorkers: false, enableScheduler: false });
    await app.close();
  } else {
    copyFileSync(await template(ctx, 0), file);
    insertFinishedRuns(file, history);
  }
  checkpoint(file);
  return file;
}

export const destroyTarget = (target) => removeDatabase(target.file);

export const openMonitor = (target) => openRunsMonitor(target.file);

export const openProducer = (target) => openProducerWith({ database: target.file });
export const startWorker = (target, options) => startWorkerWith({ database: target.file }, options);

/** A producer on any storage (`storage` holds the storage options of forRoot): workers off. */
export async function openProducerWith(storage) {
  const app = await boot({ ...storage, enableWorkers: false, enableScheduler: false });
  const jobs = app.get(JobScheduler);
  return {
    enqueue: (data) => jobs.enqueue('noop', data),
    enqueueMany: (list) => jobs.enqueueMany(list.map((input) => ({ job: 'noop', input }))),
    close: () => app.close(),
  };
}

/** A worker on any storage, the rest of the options at their defaults but for concurrency and pollInterval. */
export async function startWorkerWith(storage, { concurrency, handler }) {
  currentHandler = handler;
  // W7 times the first job from here too: the boot, without the imports of the process's start.
  const bootAt = epochNow();
  const app = await boot({ ...storage, concurrency, pollInterval: POLL_INTERVAL_MS });
  const jobs = app.get(JobScheduler);
  return {
    bootAt,
    /** Same-process enqueue: ZapJobs wakes its own idle worker at once. */
    enqueue: (data) => jobs.enqueue('noop', data),
    stop: () => app.close(),
  };
}

/** This contender with `prefetch: n` (off by default), in the drain workloads, where fetching ahead is what it changes. */
export function prefetching(n) {
  return {
    key: 'zapjobs-prefetch', label: `ZapJobs (SQLite), prefetch ${n}`,
    description: `ZapJobs (SQLite) as above, with \`prefetch: ${n}\`: each worker holds up to ${n} runs claimed ahead of its free slots, so each transaction completes and claims more.`,
    versions: () => ({}),
    workloads: ['W2', 'W5'],
    createTarget, destroyTarget, openMonitor, openProducer,
    startWorker: (target, options) => startWorkerWith({ database: target.file, prefetch: n }, options),
  };
}
