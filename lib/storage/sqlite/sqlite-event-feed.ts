import { Logger } from '@nestjs/common';
import type { Clock } from '../../util/clock.js';
import { Loop } from '../../util/loop.js';
import type { Row } from '../sql/executor.js';
import type { SqliteExecutor } from './sqlite-executor.js';

/**
 * How long a feed row is kept. A reader polls every pollInterval (1 s by default), so it reads a row
 * within a second or so; 30 s leaves room for a busy event loop while keeping the table small (a few
 * thousand rows at a few hundred state changes a second). A reader slower than this misses events,
 * as the delivery guarantee (at-most-once) allows: the stored run stays the truth.
 */
export const FEED_KEEP_MS = 30_000;
/** Pruning rides along with a publish at most this often, so a burst of events pays for one DELETE. */
const PRUNE_EVERY_MS = 5_000;
/**
 * How long published events wait for a write transaction to ride on before they take one of their
 * own. Busy, the next claim or completion comes within a turn or two, so the feed costs one INSERT
 * in a transaction that commits anyway (measured: a second transaction per flush halved the drain
 * rate); idle, events are 10 ms later, well inside the readers' pollInterval.
 */
const RIDE_WAIT_MS = 10;
/** Rows a reader takes per query; it reads again at once when it got a full page. */
const PAGE = 1000;

/**
 * SQLite's change feed of events across processes: published events are written as one INSERT of
 * the whole batch (json_each) at the end of the next write transaction; a subscriber reads the rows
 * after the last id it saw, after every commit of another connection (PRAGMA data_version) and every pollInterval.
 */
export class SqliteEventFeed {
  private readonly logger = new Logger('ZapJobs');
  private lastPrune = 0;
  private pending: string[] = [];
  private written: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly insertText: string;
  private readonly pruneText: string;
  private readonly readText: string;
  private readonly lastText: string;

  constructor(private readonly sqlite: SqliteExecutor, table: string, private readonly clock: Clock) {
    this.insertText = `INSERT INTO ${table} (created_at, payload) SELECT ?, value FROM json_each(?)`;
    this.pruneText = `DELETE FROM ${table} WHERE created_at < ?`;
    this.readText = `SELECT id, payload FROM ${table} WHERE id > ? ORDER BY id LIMIT ${PAGE}`;
    this.lastText = `SELECT COALESCE(MAX(id), 0) AS id FROM ${table}`;
  }

  /** Queues the events for the next write transaction; resolves once they were written (or dropped). */
  publish(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) return Promise.resolve();
    this.pending.push(...payloads);
    if (this.pending.length === payloads.length) this.sqlite.setRider(() => this.ride());
    this.timer ??= setTimeout(() => void this.writeOwn(), RIDE_WAIT_MS);
    return new Promise((resolve) => this.written.push(resolve));
  }

  /** No write came along in time: a transaction of their own. */
  private async writeOwn(): Promise<void> {
    this.timer = undefined;
    if (this.pending.length === 0) return;
    try {
      if (!this.sqlite.appLaneClear()) await this.sqlite.waitForApp();
      this.sqlite.writeSync(() => undefined);
    } catch (error) {
      this.drop(error);
    }
  }

  /** Inside a write transaction, after its own statements. Never throws: a failed INSERT loses these events, not that write. */
  private ride(): void {
    const batch = this.pending;
    const written = this.written;
    this.pending = [];
    this.written = [];
    this.sqlite.setRider(undefined);
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      const now = this.clock.now();
      this.sqlite.runSync(this.insertText, [now, JSON.stringify(batch)]);
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        this.sqlite.runSync(this.pruneText, [now - FEED_KEEP_MS]);
      }
    } catch (error) {
      this.logger.warn(`Writing ${batch.length} event(s) to the feed failed: ${(error as Error)?.message ?? String(error)}`);
    }
    for (const resolve of written) resolve();
  }

  private drop(error: unknown): void {
    const lost = this.pending.length;
    this.pending = [];
    this.sqlite.setRider(undefined);
    for (const resolve of this.written.splice(0)) resolve();
    this.logger.warn(`Writing ${lost} event(s) to the feed failed: ${(error as Error)?.message ?? String(error)}`);
  }

  /**
   * Reads new rows every pollIntervalMs, and at once whenever `watch` reports a commit of another
   * connection (the commit watcher): events of other processes then arrive within milliseconds.
   */
  async subscribe(
    onEvent: (payload: string) => void,
    pollIntervalMs: number,
    watch?: (onCommit: () => void) => () => void,
  ): Promise<() => Promise<void>> {
    // From now on: what was published before the subscription is not replayed.
    let last = Number(((await this.sqlite.read(this.lastText)) as Row[])[0].id);
    const loop = new Loop('Reading the event feed', () => pollIntervalMs, async () => {
      for (;;) {
        const rows = await this.sqlite.read(this.readText, [last]);
        for (const row of rows) {
          last = Number(row.id);
          onEvent(String(row.payload));
        }
        if (rows.length < PAGE) return;
      }
    }, this.logger);
    loop.start();
    // A commit seen while a read is in flight may have landed after that read's snapshot: read again.
    let reading: Promise<void> | undefined;
    let again = false;
    const readNow = (): void => {
      if (reading) {
        again = true;
        return;
      }
      reading = loop.runNow().finally(() => {
        reading = undefined;
        if (again) {
          again = false;
          readNow();
        }
      });
    };
    const unwatch = watch?.(readNow);
    return async () => {
      unwatch?.();
      await loop.stop();
    };
  }
}
