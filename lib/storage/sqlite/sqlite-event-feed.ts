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
/** Rows a reader takes per query; it reads again at once when it got a full page. */
const PAGE = 1000;

/**
 * SQLite's change feed of events across processes: a publish is one INSERT of the whole batch
 * (json_each), a subscriber reads the rows after the last id it saw, every pollInterval.
 */
export class SqliteEventFeed {
  private lastPrune = 0;
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

  async publish(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) return;
    const now = this.clock.now();
    const prune = now - this.lastPrune >= PRUNE_EVERY_MS;
    if (prune) this.lastPrune = now;
    if (!this.sqlite.appLaneClear()) await this.sqlite.waitForApp();
    this.sqlite.writeSync(() => {
      this.sqlite.runSync(this.insertText, [now, JSON.stringify(payloads)]);
      if (prune) this.sqlite.runSync(this.pruneText, [now - FEED_KEEP_MS]);
    });
  }

  async subscribe(onEvent: (payload: string) => void, pollIntervalMs: number): Promise<() => Promise<void>> {
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
    }, new Logger('ZapJobs'));
    loop.start();
    return () => loop.stop();
  }
}
