import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { JobRunStatus } from '../../lib/index.js';
import type { ZapJobsModuleOptions } from '../../lib/options/zapjobs-options.interface.js';
import { openStorage, rawSqlite } from '../helpers/open-storage.js';
import { tempDir } from '../helpers/temp-db.js';
import { describeStorageContract, type StorageHarness } from './contract/index.js';

// The migration service logs what it applied; a fresh database per test would fill the output.
Logger.overrideLogger(false);

/** A migrated SQLite database and a storage on it, as the module builds them. */
async function openSqlite(options: ZapJobsModuleOptions, onClose: () => void = () => {}): Promise<StorageHarness> {
  const opened = await openStorage(options);
  return {
    storage: opened.storage,
    dataSource: opened.dataSource,
    close: async () => {
      await opened.close();
      onClose();
    },
  };
}

/** Same, on a file in a fresh temp folder that close() removes. */
function openSqliteFile(options: ZapJobsModuleOptions = {}): Promise<StorageHarness> {
  const dir = tempDir();
  return openSqlite({ database: dir.file(), ...options }, dir.remove);
}

// The storage reads "now" from the system clock, Date.now(): the contract's frozen-clock tests apply.
describeStorageContract('SQLite :memory:', ({ maxPayloadBytes }) => openSqlite({ database: ':memory:', maxPayloadBytes }), { clock: 'process' });
describeStorageContract('SQLite file', ({ maxPayloadBytes }) => openSqliteFile({ maxPayloadBytes }), { clock: 'process' });

describe('SQLite specifics', () => {
  let harness: StorageHarness | undefined;
  const extra: StorageHarness[] = [];

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    for (const h of extra.splice(0)) await h.close();
  });

  it('a file database reads back the pragmas ZapJobs relies on', async () => {
    harness = await openSqliteFile({ busyTimeout: 2345 });
    const db = rawSqlite(harness.dataSource);

    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(2345);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
  });

  it('an in-memory database has the same pragmas, without WAL (SQLite keeps its journal in memory)', async () => {
    harness = await openSqlite({ database: ':memory:', busyTimeout: '3s' });
    const db = rawSqlite(harness.dataSource);

    expect(db.pragma('journal_mode', { simple: true })).toBe('memory');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(3000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('temp_store', { simple: true })).toBe(2);
  });

  it('opening a new file while another connection holds the write lock waits for it instead of failing', async () => {
    // SQLite refuses the switch of a rollback-journal file to WAL at once (SQLITE_BUSY, no busy
    // handler) while another connection writes: what a second process meets when two start on a new file.
    const dir = tempDir();
    const other = new Database(dir.file());
    other.exec('BEGIN IMMEDIATE; CREATE TABLE first_comer (x INTEGER)');
    // The other writer holds its lock for 100 ms, well within busyTimeout, then commits.
    const release = setTimeout(() => other.exec('COMMIT'), 100);
    try {
      harness = await openSqlite({ database: dir.file(), busyTimeout: '5s' }, dir.remove);

      expect(other.inTransaction).toBe(false);
      expect(rawSqlite(harness.dataSource).pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      clearTimeout(release);
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('stores times as integer epoch milliseconds', async () => {
    harness = await openSqliteFile();
    const { storage, dataSource } = harness;
    await storage.upsertDefinition({ jobTypeId: 'job' });
    const id = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(-1) });
    await storage.claim({ queues: ['default'], workerId: 'w', limit: 1 });

    const row = rawSqlite(dataSource)
      .prepare(`SELECT scheduled_at, typeof(scheduled_at) AS t1, typeof(created_at) AS t2, typeof(started_at) AS t3 FROM zj_runs WHERE id = ?`)
      .get(id) as Record<string, unknown>;

    expect(row).toEqual({ scheduled_at: -1, t1: 'integer', t2: 'integer', t3: 'integer' });
  });

  it('enqueue finds a definition another connection wrote after this storage started', async () => {
    const dir = tempDir();
    harness = await openSqlite({ database: dir.file() }, dir.remove);
    const other = await openSqlite({ database: dir.file() });
    extra.push(other);

    await other.storage.upsertDefinition({ jobTypeId: 'late', queue: 'critical', priority: 4 });
    const id = await harness.storage.enqueue({ jobTypeId: 'late' });

    expect(await other.storage.getRun(id)).toMatchObject({ queue: 'critical', priority: 4, status: JobRunStatus.Pending });
  });

  it('two connections on one file claiming in turn never get the same run', async () => {
    const dir = tempDir();
    harness = await openSqlite({ database: dir.file() }, dir.remove);
    const other = await openSqlite({ database: dir.file() });
    extra.push(other);
    await harness.storage.upsertDefinition({ jobTypeId: 'job' });
    const seeded = await harness.storage.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ jobTypeId: 'job', input: i })));

    const got: Record<string, string[]> = { a: [], b: [] };
    for (;;) {
      const a = await harness.storage.claim({ queues: ['default'], workerId: 'a', limit: 7 });
      const b = await other.storage.claim({ queues: ['default'], workerId: 'b', limit: 5 });
      got.a.push(...a.map((r) => r.id));
      got.b.push(...b.map((r) => r.id));
      if (a.length + b.length === 0) break;
    }

    expect(got.a.filter((id) => got.b.includes(id))).toEqual([]);
    expect([...got.a, ...got.b].sort()).toEqual([...seeded].sort());
  });
});
