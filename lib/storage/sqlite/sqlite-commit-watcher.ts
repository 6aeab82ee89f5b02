import { watch, type FSWatcher } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';

/** How often an idle process looks for commits of other connections when it cannot watch the WAL file. */
export const COMMIT_CHECK_MS = 10;
/** With the WAL file watched: the look that catches what a lost file event would miss. */
export const SAFETY_CHECK_MS = 250;
/** Looks after a change of the WAL file, about a millisecond apart, until one sees the commit. */
const FOLLOW_UP_LOOKS = 20;

/**
 * Tells its subscribers, within COMMIT_CHECK_MS, that another connection committed to the file: SQLite
 * has no NOTIFY, but `PRAGMA data_version` changes whenever a commit of another connection (another
 * process, or the application's own DataSource) is visible to this one, and never for its own. In WAL
 * mode reading it touches no page (shared memory only): about a microsecond. So a run enqueued by an
 * API process wakes a worker process in milliseconds instead of a pollInterval, which stays the fallback.
 * One timer per connection, whatever the number of subscribers; none without subscribers or in memory
 * (no other connection can reach an in-memory database).
 *
 * Looking every 10 ms costs an idle process ~2% of a core (measured: 2.9-3.4% with it, 1.1% on
 * PostgreSQL, which has none). So the WAL file is watched instead (inotify on Linux): another
 * connection's commit writes to it, the event triggers the same look at once, and an idle process
 * does nothing in between. A look every SAFETY_CHECK_MS covers an event the kernel did not deliver;
 * where the file cannot be watched (not there, not WAL, no watcher), the 10 ms looks stay.
 */
export class SqliteCommitWatcher {
  private readonly version: BetterSqlite3.Statement<[], number> | undefined;
  private readonly walFile: string | undefined;
  private readonly subscribers = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private seen = 0;

  /** `safetyCheckMs`: the look between WAL events (a test sets it out of reach, to see the events alone at work). */
  constructor(db: BetterSqlite3.Database, private readonly safetyCheckMs = SAFETY_CHECK_MS) {
    if (db.memory) return;
    this.version = db.prepare<[], number>('PRAGMA data_version').pluck();
    const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    if (wal) this.walFile = `${db.name}-wal`;
  }

  /** Calls `onCommit` after commits of other connections (at most once per check); returns the unsubscribe. */
  subscribe(onCommit: () => void): () => void {
    if (!this.version) return () => undefined;
    this.subscribers.add(onCommit);
    if (!this.timer) {
      this.seen = this.version.get() as number;
      this.watcher = this.watchWal();
      this.timer = setInterval(() => this.check(), this.watcher ? this.safetyCheckMs : COMMIT_CHECK_MS);
      // A watcher alone does not keep the process alive: the app's close() or exit ends it.
      this.timer.unref();
    }
    return () => {
      this.subscribers.delete(onCommit);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** Whether commits are noticed through the WAL file's events (else by looking every 10 ms). */
  get watchingWal(): boolean {
    return this.watcher !== undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.followUp);
    this.followUp = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** A watcher of the WAL file that looks at each change, or undefined where the file cannot be watched. */
  private watchWal(): FSWatcher | undefined {
    if (!this.walFile) return undefined;
    try {
      const watcher = watch(this.walFile, { persistent: false }, () => this.onWalChange());
      // Gone or unwatchable later (the file replaced, say): back to looking every 10 ms.
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher !== watcher || !this.timer) return;
        this.watcher = undefined;
        clearInterval(this.timer);
        this.timer = setInterval(() => this.check(), COMMIT_CHECK_MS);
        this.timer.unref();
      });
      return watcher;
    } catch {
      return undefined;
    }
  }

  /**
   * The first write of a commit to the WAL file fires the event, before its last (the commit frame)
   * is in: the look then sees nothing yet, and the rest of the writes may come as one event. So an
   * event starts a short run of looks, every millisecond or so for up to FOLLOW_UP_LOOKS of them,
   * ended by the first that sees the commit.
   */
  private onWalChange(): void {
    if (this.check() || this.followUp) return;
    let left = FOLLOW_UP_LOOKS;
    const look = () => {
      this.followUp = undefined;
      if (this.check() || --left <= 0 || !this.timer) return;
      this.followUp = setTimeout(look, 1);
      this.followUp.unref();
    };
    this.followUp = setTimeout(look, 1);
    this.followUp.unref();
  }

  private followUp: NodeJS.Timeout | undefined;

  /** Looks at data_version; true when another connection committed since the last look. */
  private check(): boolean {
    let now: number;
    try {
      now = this.version!.get() as number;
    } catch {
      // Closed under us (shutdown): nothing more to watch.
      this.stop();
      return false;
    }
    if (now === this.seen) return false;
    this.seen = now;
    for (const onCommit of this.subscribers) onCommit();
    return true;
  }
}
