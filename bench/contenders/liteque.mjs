// liteque 0.8.0 (npm): a SQLite queue on drizzle-orm over better-sqlite3. A Runner claims one task
// per transaction and runs up to `concurrency` at once; an idle Runner looks again after
// pollIntervalMs. A completed task is deleted, so its table keeps no history (W4 does not apply).
import { existsSync, copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { buildDBClient, Runner, SqliteQueue } from 'liteque';
import { installedVersion } from '../support/machine.mjs';
import { removeDatabase } from './sqlite-files.mjs';
import { checkpoint } from './zapjobs-table.mjs';

export const key = 'liteque';
export const label = 'liteque';
export const versions = () => ({ liteque: installedVersion('liteque'), 'drizzle-orm': installedVersion('drizzle-orm') });
/** The value its README shows (it has no default). */
const POLL_INTERVAL_MS = 1000;
export const description =
  '`SqliteQueue` + `Runner` (`concurrency` C, `pollIntervalMs` 1000, `timeoutSecs` 60, no retries) on `buildDBClient`. ' +
  'liteque 0.8.0 cannot dequeue on better-sqlite3 12 as published (its dequeue passes an async function to `transaction()`, which better-sqlite3 rejects since 11.10.0); ' +
  'the bench gives its connection the `transaction()` of better-sqlite3 up to 11.9, where it works (see bench/contenders/liteque.mjs).';

/**
 * liteque 0.8.0 dequeues inside `db.transaction(async (txn) => ...)`. better-sqlite3 refuses a
 * transaction function that returns a promise since 11.10.0 (WiseLibs/better-sqlite3#1364: "Transaction
 * function cannot return a promise"), so on the better-sqlite3 12 that ZapJobs requires, and that the
 * bench must share, every dequeue throws. This gives liteque's own connection the transaction() of
 * better-sqlite3 up to 11.9, which liteque runs on where it works: BEGIN, call the function, COMMIT,
 * return what it returned. The promise's statements then run after the COMMIT, in autocommit, as
 * they always did there (the UPDATE's allocationId check is what keeps two claims apart).
 */
function allowAsyncTransactions(sqlite) {
  const native = sqlite.transaction;
  sqlite.transaction = function transaction(fn) {
    let pending;
    const tx = native.call(this, function (...args) {
      const result = fn.apply(this, args);
      if (result && typeof result.then === 'function') {
        pending = result;
        return undefined;
      }
      return result;
    });
    const variant = (run) =>
      function (...args) {
        pending = undefined;
        const result = run.apply(this, args);
        return pending ?? result;
      };
    const wrapped = variant(tx);
    for (const name of ['default', 'deferred', 'immediate', 'exclusive']) wrapped[name] = variant(tx[name]);
    return wrapped;
  };
}

function openQueue(file, runMigrations = false) {
  // buildDBClient sets WAL and synchronous=NORMAL; better-sqlite3's default busy timeout is 5 s.
  const db = buildDBClient(file, { runMigrations });
  allowAsyncTransactions(db.session.client);
  const queue = new SqliteQueue('noop', db, { defaultJobArgs: { numRetries: 0 }, keepFailedJobs: false });
  return { queue, close: () => db.session.client.close() };
}

export async function createTarget(ctx) {
  const template = `${ctx.tmpDir}/liteque-template.db`;
  if (!existsSync(template)) {
    openQueue(template, true).close();
    checkpoint(template);
  }
  const file = ctx.newFile('liteque');
  copyFileSync(template, file);
  return { file };
}

export const destroyTarget = (target) => removeDatabase(target.file);

export function openMonitor(target) {
  const db = new Database(target.file, { fileMustExist: true });
  const count = db.prepare(`SELECT COUNT(*) FROM tasks WHERE status IN ('pending', 'pending_retry', 'running')`).pluck();
  return { unfinished: () => count.get(), close: () => db.close() };
}

export async function openProducer(target) {
  const { queue, close } = openQueue(target.file);
  return {
    enqueue: (data) => queue.enqueue(data),
    enqueueMany: undefined, // liteque has no bulk enqueue
    close: async () => close(),
  };
}

export async function startWorker(target, { concurrency, handler }) {
  const { queue, close } = openQueue(target.file);
  const runner = new Runner(queue, { run: (job) => handler(job.data) }, { concurrency, pollIntervalMs: POLL_INTERVAL_MS, timeoutSecs: 60 });
  const loop = runner.run();
  return {
    enqueue: (data) => queue.enqueue(data),
    async stop() {
      runner.stop();
      await loop;
      close();
    },
  };
}
