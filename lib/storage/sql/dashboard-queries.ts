import { InvalidPayloadError } from '../../errors/errors.js';
import { FINISHED_STATUSES } from '../../model/run-rules.js';
import type { JobDefinition, JobLog, WorkerHeartbeat } from '../../model/job-run.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { Clock } from '../../util/clock.js';
import type {
  AttemptLogs, DashboardQueries, QueueBacklog, QueueStatusCount, RunDetail, RunPage, RunSearch, SeriesPoint,
} from '../dashboard-queries.js';
import { rowToDefinition, rowToHeartbeat, rowToLog, rowToRun, selectLists } from '../rows.js';
import type { Dialect } from './dialect.js';
import { rows as txRows, sql as txSql, type Row, type SqlExecutor } from './executor.js';
import type { Tables } from './transitions.js';

/** A page cursor: the creation time and id of the last run of the previous page (keyset, never OFFSET). */
interface Cursor {
  createdAt: number;
  id: string;
}

const encodeCursor = (c: Cursor): string => Buffer.from(`${c.createdAt}_${c.id}`, 'utf8').toString('base64url');

function decodeCursor(text: string): Cursor {
  const [ms, id] = Buffer.from(text, 'base64url').toString('utf8').split('_');
  const createdAt = Number(ms);
  if (!id || !Number.isSafeInteger(createdAt)) throw new InvalidPayloadError(`cursor: expected a cursor returned as 'next' by a previous page, got '${text}'`);
  return { createdAt, id };
}

const timeOf = (value: unknown): number => (value instanceof Date ? value.getTime() : Number(value));
/** LIKE's own characters taken literally: a search for '100%' finds '100%', not '100' and more. */
const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The dashboard's SQL, once for both dialects. Lists are keyset-paginated on (created_at, id), so
 * a page deep in a million runs costs what the first one does; the free-text search is a LIKE over
 * the JSON text and the error columns, which the dashboard bounds with the other filters and a LIMIT.
 */
export class SqlDashboardQueries implements DashboardQueries {
  private readonly cols: ReturnType<typeof selectLists>;

  constructor(
    private readonly exec: SqlExecutor,
    private readonly d: Dialect,
    private readonly t: Tables,
    private readonly clock: Clock,
  ) {
    this.cols = selectLists(d);
  }

  private where(search: RunSearch, params: unknown[], statuses?: readonly JobRunStatus[]): string[] {
    const where: string[] = [];
    const add = (condition: string, ...values: unknown[]) => (where.push(condition), params.push(...values));
    const status = statuses ? (search.status ? search.status.filter((s) => statuses.includes(s)) : statuses) : search.status;
    if (status !== undefined) {
      const list = this.d.inList('status', status, 'text');
      add(list.sql, list.param);
    }
    if (search.jobTypeId !== undefined) add('job_type_id = ?', search.jobTypeId);
    if (search.queue !== undefined) add('queue = ?', search.queue);
    if (search.correlationId !== undefined) add('correlation_id = ?', search.correlationId);
    if (search.from !== undefined) add('created_at >= ?', this.d.time(search.from.getTime()));
    if (search.to !== undefined) add('created_at < ?', this.d.time(search.to.getTime()));
    if (search.text !== undefined && search.text !== '') {
      const pattern = likePattern(search.text);
      const like = (column: string) => `LOWER(CAST(${column} AS TEXT)) LIKE ? ESCAPE '\\'`;
      add(`(${['input_json', 'output_json', 'error_message', 'error_details'].map(like).join(' OR ')})`, pattern, pattern, pattern, pattern);
    }
    return where;
  }

  private keyset(cursor: string | null | undefined, where: string[], params: unknown[]): void {
    if (!cursor) return;
    const c = decodeCursor(cursor);
    if (!this.d.isRunId(c.id)) throw new InvalidPayloadError(`cursor: expected a cursor returned as 'next' by a previous page, got '${cursor}'`);
    const at = this.d.time(c.createdAt);
    where.push(`(created_at < ? OR (created_at = ? AND id < ${this.d.param('uuid')}))`);
    params.push(at, at, c.id);
  }

  private async page(
    columns: string,
    search: RunSearch,
    limit: number,
    cursor: string | null | undefined,
    statuses?: readonly JobRunStatus[],
  ): Promise<{ rows: Row[]; next: string | null }> {
    const params: unknown[] = [];
    const where = this.where(search, params, statuses);
    this.keyset(cursor, where, params);
    const found = await this.exec.read(
      `SELECT ${columns} FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, limit + 1],
    );
    const more = found.length > limit;
    const shown = more ? found.slice(0, limit) : found;
    const last = shown[shown.length - 1];
    return { rows: shown, next: more && last ? encodeCursor({ createdAt: timeOf(last.created_at), id: String(last.id) }) : null };
  }

  async searchRuns(search: RunSearch, limit: number, cursor?: string | null): Promise<RunPage> {
    const { rows, next } = await this.page(this.cols.run, search, limit, cursor);
    return { runs: rows.map(rowToRun), next };
  }

  async countRuns(search: RunSearch): Promise<number> {
    const params: unknown[] = [];
    const where = this.where(search, params);
    const [row] = await this.exec.read(
      `SELECT COUNT(*) AS n FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    return Number(row.n);
  }

  async idsPage(search: RunSearch, statuses: readonly JobRunStatus[], limit: number, cursor?: string | null) {
    const { rows, next } = await this.page('id, created_at', search, limit, cursor, statuses);
    return { ids: rows.map((row) => String(row.id)), next };
  }

  async countsByQueue(): Promise<QueueStatusCount[]> {
    const found = await this.exec.read(`SELECT queue, status, COUNT(*) AS n FROM ${this.t.runs} GROUP BY queue, status ORDER BY queue, status`);
    return found.map((row) => ({ queue: row.queue as string, status: row.status as JobRunStatus, count: Number(row.n) }));
  }

  async runDetail(runId: string, logLimit = 2000): Promise<RunDetail | null> {
    if (!this.d.isRunId(runId)) return null;
    const [row] = await this.exec.read(`SELECT ${this.cols.run} FROM ${this.t.runs} WHERE id = ?`, [runId]);
    if (!row) return null;
    const children = await this.exec.read(
      `SELECT ${this.cols.run} FROM ${this.t.runs} WHERE parent_run_id = ? ORDER BY created_at, id LIMIT 100`,
      [runId],
    );
    const lines = await this.exec.read(`SELECT ${this.cols.log} FROM ${this.t.logs} WHERE run_id = ? ORDER BY id LIMIT ?`, [runId, logLimit]);
    return { run: rowToRun(row), children: children.map(rowToRun), logs: byAttempt(lines.map(rowToLog)) };
  }

  async definitions(): Promise<JobDefinition[]> {
    const found = await this.exec.read(`SELECT ${this.cols.definition} FROM ${this.t.definitions} ORDER BY display_name, job_type_id`);
    return found.map(rowToDefinition);
  }

  async workers(): Promise<WorkerHeartbeat[]> {
    const found = await this.exec.read(`SELECT ${this.cols.heartbeat} FROM ${this.t.heartbeats} ORDER BY worker_id`);
    return found.map(rowToHeartbeat);
  }

  async finishedSeries(spanMs: number, bucketMs: number): Promise<SeriesPoint[]> {
    const now = this.clock.now();
    const first = Math.floor((now - spanMs) / bucketMs) + 1;
    const last = Math.floor(now / bucketMs);
    const found = await this.exec.read(
      `SELECT CAST(${this.d.epochMs('completed_at')} / ${this.d.param('bigint')} AS BIGINT) AS bucket, status, COUNT(*) AS n FROM ${this.t.runs}
        WHERE status IN ('completed', 'failed') AND completed_at >= ? GROUP BY bucket, status`,
      [bucketMs, this.d.time(first * bucketMs)],
    );
    const points = new Map<number, SeriesPoint>();
    for (let b = first; b <= last; b++) points.set(b, { at: new Date(b * bucketMs), completed: 0, failed: 0 });
    for (const row of found) {
      const point = points.get(Number(row.bucket));
      if (!point) continue;
      if (row.status === JobRunStatus.Completed) point.completed += Number(row.n);
      else point.failed += Number(row.n);
    }
    return [...points.values()];
  }

  async backlogs(): Promise<QueueBacklog[]> {
    const found = await this.exec.read(
      `SELECT queue, COUNT(*) AS n, MIN(scheduled_at) AS oldest FROM ${this.t.runs}
        WHERE status = 'pending' AND scheduled_at <= ? GROUP BY queue ORDER BY queue`,
      [this.d.time(this.clock.now())],
    );
    return found.map((row) => ({ queue: row.queue as string, pending: Number(row.n), oldestScheduledAt: new Date(timeOf(row.oldest)) }));
  }

  async deleteFinished(ids: readonly string[]): Promise<number> {
    const valid = ids.filter((id) => this.d.isRunId(id));
    if (valid.length === 0) return 0;
    const d = this.d;
    const t = this.t;
    return this.exec.transaction(function* () {
      const list = d.inList('id', valid, 'uuid');
      const finished = d.inList('status', FINISHED_STATUSES, 'text');
      const gone = yield* txRows(`SELECT id FROM ${t.runs} WHERE ${list.sql} AND ${finished.sql} ${d.forUpdate}`, [list.param, finished.param]);
      if (gone.length === 0) return 0;
      const goneList = d.inList('run_id', gone.map((row) => String(row.id)), 'uuid');
      yield* txSql(`DELETE FROM ${t.logs} WHERE ${goneList.sql}`, [goneList.param]);
      const runList = d.inList('id', gone.map((row) => String(row.id)), 'uuid');
      return (yield* txSql(`DELETE FROM ${t.runs} WHERE ${runList.sql}`, [runList.param])).changes;
    });
  }
}

/** Lines in the order written, grouped by attempt (first seen first). */
function byAttempt(lines: JobLog[]): AttemptLogs[] {
  const groups = new Map<number | null, JobLog[]>();
  for (const line of lines) {
    const group = groups.get(line.attemptNumber);
    if (group) group.push(line);
    else groups.set(line.attemptNumber, [line]);
  }
  return [...groups.entries()].map(([attempt, group]) => ({ attempt, lines: group }));
}
