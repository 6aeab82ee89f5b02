// SQL on ZapJobs' runs table that both the ZapJobs contender and the raw baseline need, kept
// free of Nest imports so that a raw-baseline child process never loads the framework.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';

/**
 * W4: finished runs as ZapJobs leaves them (status completed, from the last day, so that the
 * retention cleanup finds nothing to delete), inserted with raw SQL in one transaction.
 */
export function insertFinishedRuns(file, n) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // 1 GB of page cache: random UUID keys make the primary-key index build cache-bound.
  db.pragma('cache_size = -1000000');
  const insert = db.prepare(
    `INSERT INTO zj_runs (id, job_type_id, status, trigger_type, queue, priority, input_json, scheduled_at, created_at,
       started_at, completed_at, duration_ms, worker_id, attempt_number, pass_parent_output)
     VALUES (?, 'noop', 'completed', 'manual', 'default', 0, ?, ?, ?, ?, ?, 1, 'history', 1, 0)`,
  );
  const start = Date.now() - 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const at = start + Math.floor((i * 80_000_000) / n);
      insert.run(randomUUID(), `{"i":${i}}`, at, at, at, at + 1);
    }
  })();
  db.close();
}

/** Folds the WAL into the main file, so that copying the main file alone copies everything. */
export function checkpoint(file) {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * Counts the runs not finished yet. It runs every 10 ms beside the measured worker, so it must stay
 * cheap at any history size: one equality count per status, each read from a partial index (a
 * single `status IN (...)` makes SQLite scan the whole table: 0.1 s at 1,000,000 runs).
 */
export function openRunsMonitor(file) {
  const db = new Database(file, { fileMustExist: true });
  const count = db
    .prepare(`SELECT (SELECT COUNT(*) FROM zj_runs WHERE status = 'pending') + (SELECT COUNT(*) FROM zj_runs WHERE status = 'running')`)
    .pluck();
  const waits = db
    .prepare(`SELECT started_at - created_at FROM zj_runs WHERE status = 'completed' AND json_extract(input_json, '$.live') = 1`)
    .pluck();
  return {
    unfinished: () => count.get(),
    /** W6 cross-check: started_at - created_at of the runs enqueued live, as the table records them (whole ms). */
    tableWaitsMs: () => waits.all(),
    close: () => db.close(),
  };
}
