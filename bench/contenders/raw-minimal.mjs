// The ceiling of a SQLite job queue in Node: the raw better-sqlite3 loop of raw-sqlite.mjs, on a
// minimal table instead of ZapJobs' own (integer primary key, one claim index on queue, status, run
// time, id; no UUIDs, no attempt bookkeeping, no other index). ZapJobs' ratio to this one says what the
// library and its schema cost together; its ratio to raw-sqlite.mjs's rows, what the library alone costs.
import Database from 'better-sqlite3';
import { installedVersion } from '../support/machine.mjs';
import { removeDatabase } from './sqlite-files.mjs';

const POLL_INTERVAL_MS = 1000;
const PENDING = 0;
const RUNNING = 1;
const DONE = 2;

function open(file, create = false) {
  const db = new Database(file, { fileMustExist: !create });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

export function rawMinimal(batch) {
  return {
    key: `raw-min-${batch}`,
    label: `raw SQLite, minimal table, ${batch} jobs/txn`,
    batch,
    description:
      `plain SQL on better-sqlite3 on a minimal table (id INTEGER PRIMARY KEY, queue, status, run_at, data; one index on queue, status, run_at, id): ` +
      `claiming up to ${batch} jobs per statement, completing them in one transaction; handlers in C async lanes.`,
    versions: () => ({ 'better-sqlite3': installedVersion('better-sqlite3') }),

    async createTarget(ctx) {
      const file = ctx.newFile('raw-minimal');
      const db = open(file, true);
      db.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, status INTEGER NOT NULL, run_at INTEGER NOT NULL, data TEXT NOT NULL);
               CREATE INDEX jobs_claim ON jobs (queue, status, run_at, id);`);
      db.close();
      return { file };
    },
    destroyTarget: (target) => removeDatabase(target.file),
    openMonitor(target) {
      const db = new Database(target.file, { fileMustExist: true });
      const count = db.prepare(`SELECT COUNT(*) FROM jobs WHERE status < ${DONE}`).pluck();
      return { unfinished: () => count.get(), close: () => db.close() };
    },

    async openProducer(target) {
      const db = open(target.file);
      const insert = db.prepare(`INSERT INTO jobs (queue, status, run_at, data) VALUES ('default', ${PENDING}, ?, ?)`);
      const one = (data) => insert.run(Date.now(), JSON.stringify(data));
      const many = db.transaction((list) => list.forEach(one));
      return { enqueue: async (data) => one(data), enqueueMany: async (list) => many(list), close: async () => db.close() };
    },

    async startWorker(target, { concurrency, handler }) {
      const db = open(target.file);
      const claim = db.prepare(
        `UPDATE jobs SET status = ${RUNNING} WHERE id IN (SELECT id FROM jobs WHERE queue = 'default' AND status = ${PENDING} AND run_at <= ?
           ORDER BY run_at, id LIMIT ?) RETURNING id, data`,
      );
      const complete = db.prepare(`UPDATE jobs SET status = ${DONE} WHERE id = ?`);
      const completeMany = db.transaction((ids) => ids.forEach((id) => complete.run(id)));
      const insert = db.prepare(`INSERT INTO jobs (queue, status, run_at, data) VALUES ('default', ${PENDING}, ?, ?)`);
      let stopping = false;
      const sleepers = new Set();
      const idle = () => new Promise((resolve) => {
        const done = () => (clearTimeout(timer), sleepers.delete(done), resolve());
        const timer = setTimeout(done, POLL_INTERVAL_MS);
        sleepers.add(done);
      });
      const loop = async () => {
        while (!stopping) {
          const rows = claim.all(Date.now(), batch);
          if (rows.length === 0) {
            await idle();
            continue;
          }
          const done = [];
          let next = 0;
          const take = async () => {
            while (next < rows.length) {
              const row = rows[next++];
              await handler(JSON.parse(row.data));
              done.push(row.id);
            }
          };
          await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, take));
          completeMany(done);
        }
      };
      const running = loop();
      return {
        enqueue: async (data) => {
          insert.run(Date.now(), JSON.stringify(data));
          sleepers.values().next().value?.();
        },
        async stop() {
          stopping = true;
          for (const wake of [...sleepers]) wake();
          await running;
          db.close();
        },
      };
    },
  };
}
