import Database from 'better-sqlite3';
import { SqliteCommitWatcher } from '../../lib/storage/sqlite/sqlite-commit-watcher.js';
import { tempDir } from '../helpers/temp-db.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The commit watcher behind SQLite's wake-ups across processes: another connection's commit is seen
 * through the WAL file's change events, with no look in between (the safety look is set out of the
 * test's reach); where there is no WAL file to watch, through the 10 ms looks.
 */
describe('SqliteCommitWatcher', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const open = (file: string, journal: 'wal' | 'delete') => {
    const db = new Database(file);
    db.pragma(`journal_mode = ${journal}`);
    return db;
  };

  it.each(['wal', 'delete'] as const)('sees every commit of another connection (journal_mode %s), and none of its own', async (journal) => {
    const file = tmp.file(`watch-${journal}.db`);
    const own = open(file, journal);
    own.exec('CREATE TABLE t (n INTEGER)');
    const other = open(file, journal);
    const watcher = new SqliteCommitWatcher(own, 600_000);
    let seen = 0;
    const unsubscribe = watcher.subscribe(() => void seen++);
    // WAL: the file's events alone (no look in reach); a rollback journal: the 10 ms looks.
    expect(watcher.watchingWal).toBe(journal === 'wal');
    try {
      for (let n = 1; n <= 3; n++) {
        other.prepare('INSERT INTO t VALUES (?)').run(n);
        await waitFor(() => seen === n, { what: `commit ${n} seen` });
      }
      own.prepare('INSERT INTO t VALUES (?)').run(99);
      other.prepare('INSERT INTO t VALUES (?)').run(4);
      await waitFor(() => seen === 4, { what: 'the other connection\'s fourth commit seen' });
      // Its own commit moved nothing: only the other connection's four were counted.
      expect(seen).toBe(4);
    } finally {
      unsubscribe();
      other.close();
      own.close();
    }
  });
});
