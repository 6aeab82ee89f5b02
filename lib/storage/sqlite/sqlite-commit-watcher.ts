import type BetterSqlite3 from 'better-sqlite3';

/** How often an idle process looks for commits of other connections: cheap enough to do often. */
export const COMMIT_CHECK_MS = 10;

/**
 * Tells its subscribers, within COMMIT_CHECK_MS, that another connection committed to the file: SQLite
 * has no NOTIFY, but `PRAGMA data_version` changes whenever a commit of another connection (another
 * process, or the application's own DataSource) is visible to this one, and never for its own. In WAL
 * mode reading it touches no page (shared memory only): about a microsecond. So a run enqueued by an
 * API process wakes a worker process in milliseconds instead of a pollInterval, which stays the fallback.
 * One timer per connection, whatever the number of subscribers; none without subscribers or in memory
 * (no other connection can reach an in-memory database).
 */
export class SqliteCommitWatcher {
  private readonly version: BetterSqlite3.Statement<[], number> | undefined;
  private readonly subscribers = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private seen = 0;

  constructor(db: BetterSqlite3.Database) {
    if (!db.memory) this.version = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Calls `onCommit` after commits of other connections (at most once per check); returns the unsubscribe. */
  subscribe(onCommit: () => void): () => void {
    if (!this.version) return () => undefined;
    this.subscribers.add(onCommit);
    if (!this.timer) {
      this.seen = this.version.get() as number;
      this.timer = setInterval(() => this.check(), COMMIT_CHECK_MS);
      // A watcher alone does not keep the process alive: the app's close() or exit ends it.
      this.timer.unref();
    }
    return () => {
      this.subscribers.delete(onCommit);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    let now: number;
    try {
      now = this.version!.get() as number;
    } catch {
      // Closed under us (shutdown): nothing more to watch.
      return this.stop();
    }
    if (now === this.seen) return;
    this.seen = now;
    for (const onCommit of this.subscribers) onCommit();
  }
}
