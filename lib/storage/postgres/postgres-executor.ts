import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { runBody, runEffects, type Row, type SqlExecutor, type StatementResult, type TxBody } from '../sql/executor.js';

/** `?` placeholders to `$1, $2, ...`, outside quoted text. */
export function numberPlaceholders(text: string): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

interface Prepared {
  name: string;
  text: string;
}

/**
 * Statements on the DataSource's pg pool, each a named (prepared) statement: planning the hot
 * path's statement took as long as running it, and each pooled connection plans a name once.
 */
const DEADLOCK_DETECTED = '40P01';

export class PostgresExecutor implements SqlExecutor {
  private readonly prepared = new Map<string, Prepared>();

  constructor(readonly pool: Pool) {}

  private statement(text: string): Prepared {
    let found = this.prepared.get(text);
    if (!found) {
      const numbered = numberPlaceholders(text);
      found = { name: `zapjobs_${createHash('sha1').update(numbered).digest('hex').slice(0, 16)}`, text: numbered };
      this.prepared.set(text, found);
    }
    return found;
  }

  async query(text: string, params: readonly unknown[], db: Pool | PoolClient = this.pool): Promise<StatementResult> {
    const { name, text: numbered } = this.statement(text);
    const result = await db.query({ name, text: numbered, values: params as unknown[] });
    return { rows: result.rows as Row[], changes: result.rowCount ?? 0 };
  }

  async read(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.query(text, params)).rows;
  }

  /** A read: a server that is gone or stopped fails it. */
  probe(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.read(text, params);
  }

  write(text: string, params: readonly unknown[] = []): Promise<StatementResult> {
    return this.query(text, params);
  }

  async transaction<T>(body: () => TxBody<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(body);
      } catch (error) {
        // PostgreSQL broke a cycle of row locks by aborting this transaction, which then changed
        // nothing: the body is run again from its start (a TxBody is a plan of statements, re-runnable).
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 3) throw error;
      }
    }
  }

  private async transactionOnce<T>(body: () => TxBody<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection that dies while checked out emits 'error' on the client, not the pool: without a
    // listener that would crash the process. The failing query rejects too, which is what we act on.
    const ignore = () => undefined;
    client.on('error', ignore);
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const effects: Array<() => void> = [];
      const result = await runBody(body(), (s) => this.query(s.sql, s.params, client), effects);
      await client.query('COMMIT');
      runEffects(effects);
      return result;
    } catch (error) {
      failed = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', ignore);
      // After an error the connection may be dead: destroy it rather than hand it out again.
      client.release(failed);
    }
  }
}
