// plainjob 0.0.14 (npm): a SQLite queue over a better-sqlite3 connection. A worker
// (defineWorker) runs one job at a time, so concurrency C is C workers on one connection in one
// process. There is no wake-up on enqueue: an idle worker looks again after `pollIntervall`.
import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker } from 'plainjob';
import { installedVersion } from '../support/machine.mjs';
import { removeDatabase } from './sqlite-files.mjs';
import { checkpoint } from './zapjobs-table.mjs';

export const key = 'plainjob';
export const label = 'plainjob';
export const versions = () => ({ plainjob: installedVersion('plainjob') });
/** Its default, stated explicitly (the option really is spelled pollIntervall). */
const POLL_INTERVAL_MS = 1000;
export const description =
  '`defineQueue` on a better-sqlite3 connection, concurrency C as C `defineWorker` loops (each runs one job at a time), `pollIntervall` 1000 ms (its default), ' +
  'debug and info logging off.';
const DONE = 2; // JobStatus.Done: plainjob keeps finished jobs (for 7 days by default)

// plainjob logs every job at debug level through console by default; only problems are kept.
const logger = { error: console.error, warn: console.warn, info() {}, debug() {} };

function openQueue(file) {
  // defineQueue sets WAL, synchronous=NORMAL and busy_timeout itself, and creates its tables.
  return defineQueue({ connection: better(new Database(file)), logger });
}

export async function createTarget(ctx, { history = 0 } = {}) {
  const template = `${ctx.tmpDir}/plainjob-template-${history}.db`;
  if (!existsSync(template)) {
    openQueue(template).close();
    if (history > 0) insertDoneJobs(template, history);
    checkpoint(template);
  }
  const file = ctx.newFile('plainjob');
  copyFileSync(template, file);
  return { file };
}

/** W4: done jobs as plainjob leaves them, from the last day (its cleanup removes them after 7 days). */
function insertDoneJobs(file, n) {
  const db = new Database(file);
  db.pragma('cache_size = -1000000');
  const insert = db.prepare(`INSERT INTO plainjob_jobs (type, data, status, created_at, next_run_at) VALUES ('noop', ?, ${DONE}, ?, ?)`);
  const start = Date.now() - 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const at = start + Math.floor((i * 80_000_000) / n);
      insert.run(`{"i":${i}}`, at, at);
    }
  })();
  db.close();
}

export const destroyTarget = (target) => removeDatabase(target.file);

export function openMonitor(target) {
  const db = new Database(target.file, { fileMustExist: true });
  const count = db.prepare('SELECT COUNT(*) FROM plainjob_jobs WHERE status IN (0, 1)').pluck(); // pending, processing
  return { unfinished: () => count.get(), close: () => db.close() };
}

export async function openProducer(target) {
  const queue = openQueue(target.file);
  return {
    enqueue: async (data) => queue.add('noop', data),
    enqueueMany: async (list) => queue.addMany('noop', list),
    close: async () => queue.close(),
  };
}

export async function startWorker(target, { concurrency, handler }) {
  const queue = openQueue(target.file);
  const workers = Array.from({ length: concurrency }, () =>
    defineWorker('noop', (job) => handler(JSON.parse(job.data)), { queue, logger, pollIntervall: POLL_INTERVAL_MS }),
  );
  const loops = workers.map((worker) => worker.start());
  return {
    enqueue: async (data) => queue.add('noop', data),
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await Promise.all(loops);
      queue.close();
    },
  };
}
