// The raw better-sqlite3 baseline: the least work any SQLite job queue in Node has to do per job,
// to show how close ZapJobs comes to the ceiling. It works on the very table and indexes ZapJobs
// creates (its database files are copies of one that ZapJobs migrated), with prepared statements
// and the same pragmas, and no framework: claim (pending -> running), await the handler,
// complete (running -> completed). Two variants:
//   batch 1:   every claim and every completion is its own transaction (autocommit);
//   batch 100: one statement claims up to 100 runs, one transaction completes them.
// Concurrency C: C async lanes await handlers at the same time (handlers are async, as real ones are).
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { installedVersion } from '../support/machine.mjs';
import { openRunsMonitor } from './zapjobs-table.mjs';
import { removeDatabase } from './sqlite-files.mjs';

/** Idle, a worker looks for new runs this often (or at once after a local enqueue), as ZapJobs does. */
const POLL_INTERVAL_MS = 1000;

function open(file) {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

function insertStatement(db) {
  const insert = db.prepare(
    `INSERT INTO zj_runs (id, job_type_id, status, trigger_type, queue, priority, input_json, scheduled_at, created_at, pass_parent_output)
     VALUES (?, 'noop', 'pending', 'manual', 'default', 0, ?, ?, ?, 0)`,
  );
  return (data) => {
    const now = Date.now();
    insert.run(randomUUID(), JSON.stringify(data), now, now);
  };
}

export function rawSqlite(batch) {
  return {
    key: `raw-${batch}`,
    label: batch === 1 ? 'raw SQLite, 1 job/txn' : `raw SQLite, ${batch} jobs/txn`,
    batch,
    description:
      batch === 1
        ? 'plain SQL on better-sqlite3 with prepared statements, on the same zj_runs table and indexes as ZapJobs: each claim (UPDATE ... RETURNING) and each completion its own transaction; C async lanes.'
        : `the same, claiming up to ${batch} jobs per statement and completing them in one transaction; handlers run in C async lanes.`,
    versions: () => ({ 'better-sqlite3': installedVersion('better-sqlite3') }),

    async createTarget(ctx, options) {
      // The file ZapJobs would start from; ZapJobs (and Nest) is loaded here, in the orchestrator only.
      const zapjobs = await import('./zapjobs.mjs');
      return zapjobs.createTarget(ctx, options);
    },
    destroyTarget: (target) => removeDatabase(target.file),
    openMonitor: (target) => openRunsMonitor(target.file),

    async openProducer(target) {
      const db = open(target.file);
      const insert = insertStatement(db);
      const insertMany = db.transaction((list) => list.forEach(insert));
      return {
        enqueue: async (data) => insert(data),
        // One transaction per call (the bench passes chunks of 1,000, as to every bulk API). The
        // batch-1 variant has no bulk path: for it W1b would be W1 again.
        enqueueMany: batch === 1 ? undefined : async (list) => insertMany(list),
        close: async () => db.close(),
      };
    },

    async startWorker(target, { concurrency, handler }) {
      const db = open(target.file);
      const worker = `raw:${process.pid}`;
      const claim = db.prepare(
        `UPDATE zj_runs SET status = 'running', worker_id = @worker, started_at = @now, attempt_number = attempt_number + 1
          WHERE id IN (SELECT id FROM zj_runs WHERE status = 'pending' AND queue = 'default' AND scheduled_at <= @now
                        ORDER BY priority DESC, scheduled_at, created_at LIMIT @limit)
          RETURNING id, input_json`,
      );
      const complete = db.prepare(
        `UPDATE zj_runs SET status = 'completed', completed_at = ?, duration_ms = ?, output_json = NULL
          WHERE id = ? AND status = 'running' AND worker_id = ?`,
      );
      const completeMany = db.transaction((done) => {
        const now = Date.now();
        for (const [id, ms] of done) complete.run(now, ms, id, worker);
      });
      const insert = insertStatement(db);

      let stopping = false;
      // Lanes waiting for work: a local enqueue wakes one, stop() wakes them all.
      const sleepers = new Set();
      const idle = () => new Promise((resolve) => {
        const done = () => (clearTimeout(timer), sleepers.delete(done), resolve());
        const timer = setTimeout(done, POLL_INTERVAL_MS);
        sleepers.add(done);
      });
      const run = async (row) => {
        const started = Date.now();
        await handler(JSON.parse(row.input_json));
        return Date.now() - started;
      };

      // Batch 1: each lane claims one run, awaits it, completes it: two transactions per job.
      const lane = async () => {
        while (!stopping) {
          const [row] = claim.all({ worker, now: Date.now(), limit: 1 });
          if (!row) {
            await idle();
            continue;
          }
          const ms = await run(row);
          complete.run(Date.now(), ms, row.id, worker);
        }
      };
      // Batch N: claim up to N runs, run them in `concurrency` lanes, complete them in one transaction.
      const batched = async () => {
        while (!stopping) {
          const rows = claim.all({ worker, now: Date.now(), limit: batch });
          if (rows.length === 0) {
            await idle();
            continue;
          }
          const done = [];
          let next = 0;
          const take = async () => {
            while (next < rows.length) {
              const row = rows[next++];
              done.push([row.id, await run(row)]);
            }
          };
          await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, take));
          completeMany(done);
        }
      };
      const loops = batch === 1 ? Array.from({ length: concurrency }, lane) : [batched()];
      return {
        enqueue: async (data) => {
          insert(data);
          sleepers.values().next().value?.();
        },
        async stop() {
          stopping = true;
          for (const wake of [...sleepers]) wake();
          await Promise.all(loops);
          db.close();
        },
      };
    },
  };
}
