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
const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const STATUSES = new Set<string>(Object.values(JobRunStatus));
/** Pending runs few enough to sort (see listed): sorting 10,000 takes some 30 ms. */
const SPARSE_PENDING = 10_000;
/** A status written into the SQL: only the enum's own values, so never anything a caller typed. */
function statusLiteral(status: string): string {
  if (!STATUSES.has(status)) throw new InvalidPayloadError(`status: expected one of ${[...STATUSES].join(', ')}, got '${status}'`);
  return `'${status}'`;
}
/** The lists' order: created_at, then id, both descending. */
function newestFirst(a: Row, b: Row): number {
  const byTime = timeOf(b.created_at) - timeOf(a.created_at);
  if (byTime !== 0) return byTime;
  const x = String(a.id);
  const y = String(b.id);
  return x < y ? 1 : x > y ? -1 : 0;
}

/**
 * The dashboard's SQL, once for both dialects. Lists are keyset-paginated on (created_at, id), so
 * a page deep in a million runs costs what the first one does; the free-text search is a LIKE over
 * the JSON text and the error columns, which no index serves: the dashboard bounds it to the newest
 * runs with textWindow. The indexes each query relies on are those of migration 1764760000000.
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

  /**
   * The conditions of `search` except its statuses, which each query names as a constant of its own
   * (see page): a partial index serves `status = 'failed'` only when the planner sees the value.
   */
  private where(search: RunSearch, params: unknown[]): string[] {
    const where: string[] = [];
    const add = (condition: string, ...values: unknown[]) => (where.push(condition), params.push(...values));
    if (search.jobTypeId !== undefined) add('job_type_id = ?', search.jobTypeId);
    if (search.queue !== undefined) add('queue = ?', search.queue);
    if (search.correlationId !== undefined) add('correlation_id = ?', search.correlationId);
    if (search.from !== undefined) add('created_at >= ?', this.d.time(search.from.getTime()));
    if (search.to !== undefined) add('created_at < ?', this.d.time(search.to.getTime()));
    if (search.text !== undefined && search.text !== '') {
      const pattern = likePattern(search.text);
      // SQLite's LIKE ignores ASCII case by itself (its LOWER folds no more than that): the same
      // matches without two function calls per column and row, 40 % of a text search's time.
      // PostgreSQL's ILIKE folds case by the database's locale.
      const like = this.d.name === 'sqlite'
        ? (column: string) => `${column} LIKE ? ESCAPE '\\'`
        : (column: string) => `CAST(${column} AS TEXT) ILIKE ? ESCAPE '\\'`;
      add(`(${['input_json', 'output_json', 'error_message', 'error_details'].map(like).join(' OR ')})`, pattern, pattern, pattern, pattern);
    }
    return where;
  }

  /** The statuses to query one by one (undefined: any status, one query without a status condition). */
  private statusesOf(search: RunSearch, allowed?: readonly JobRunStatus[]): readonly JobRunStatus[] | undefined {
    const statuses = allowed ? (search.status ? search.status.filter((s) => allowed.includes(s)) : allowed) : search.status;
    return statuses ? [...new Set(statuses)] : undefined;
  }

  private keyset(cursor: string | null | undefined, where: string[], params: unknown[]): void {
    if (!cursor) return;
    const c = decodeCursor(cursor);
    if (!this.d.isRunId(c.id)) throw new InvalidPayloadError(`cursor: expected a cursor returned as 'next' by a previous page, got '${cursor}'`);
    const at = this.d.time(c.createdAt);
    where.push(`(created_at < ? OR (created_at = ? AND id < ${this.d.param('uuid')}))`);
    params.push(at, at, c.id);
  }

  /**
   * How a list names a status, so that the planner walks what serves it, statistics or not:
   * - failed, cancelled, awaiting: `status = 'x'`, which runs_status_created serves in order;
   * - completed: `status IN ('completed')`, which no partial index matches, so runs_created is
   *   walked (completed runs are most runs). As `= 'completed'`, SQLite took runs_finished_queue
   *   and sorted every completed run: a second at a million;
   * - running on SQLite: INDEXED BY runs_running, sorted (running runs are few: held by live
   *   workers). Left to itself, without statistics, SQLite walked runs_created (0.8 s at a million
   *   to find none), or with a job filter runs_job_type;
   * - pending on SQLite: few (at most SPARSE_PENDING), INDEXED BY runs_claim and sorted; many,
   *   runs_created walked. Each is slow where the other is fast (100 pending among a million took
   *   0.4 s walking runs_created), and SQLite picks either without statistics.
   * PostgreSQL picks by its statistics, which it keeps.
   */
  private async listed(status: JobRunStatus): Promise<{ where: string; indexedBy: string }> {
    const as = (where: string, index?: string) => ({ where, indexedBy: index ? ` INDEXED BY ${this.runsIndex(index)}` : '' });
    if (status === JobRunStatus.Completed) return as(`status IN ('completed')`);
    if (this.d.name === 'sqlite' && status === JobRunStatus.Running) return as(`status = 'running'`, 'running');
    if (this.d.name === 'sqlite' && status === JobRunStatus.Pending) {
      const [row] = await this.exec.read(`SELECT COUNT(*) AS n FROM ${this.t.runs} WHERE status = 'pending'`);
      return Number(row.n) <= SPARSE_PENDING ? as(`status = 'pending'`, 'claim') : as(`status IN ('pending')`);
    }
    return as(`status = ${statusLiteral(status)}`);
  }

  /** An index of the runs table by its migration's name: the table's quoted name, suffixed ("claim": runs_claim). */
  private runsIndex(suffix: string): string {
    return `${this.t.runs.slice(0, -1)}_${suffix}"`;
  }

  /**
   * One page, newest first. With statuses, one query per status, merged: each is a walk of the index
   * that serves its status (runs_status_created for failed, cancelled and awaiting, runs_claim and
   * runs_running for pending and running, runs_created for completed) and stops at the page's size.
   */
  private async page(
    columns: string,
    search: RunSearch,
    limit: number,
    cursor: string | null | undefined,
    allowed?: readonly JobRunStatus[],
  ): Promise<{ rows: Row[]; next: string | null }> {
    const params: unknown[] = [];
    const where = this.where(search, params);
    this.keyset(cursor, where, params);
    const one = async (status?: JobRunStatus) => {
      const listed = status ? await this.listed(status) : { where: null, indexedBy: '' };
      const conditions = listed.where ? [listed.where, ...where] : where;
      return this.exec.read(
        `SELECT ${columns} FROM ${this.t.runs}${listed.indexedBy} ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id DESC LIMIT ?`,
        [...params, limit + 1],
      );
    };
    const statuses = this.statusesOf(search, allowed);
    const found = statuses === undefined ? await one()
      : statuses.length === 1 ? await one(statuses[0])
        : (await Promise.all(statuses.map(one))).flat().sort(newestFirst).slice(0, limit + 1);
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
    const one = async (status?: JobRunStatus) => {
      const conditions = status ? [`status = ${statusLiteral(status)}`, ...where] : where;
      const [row] = await this.exec.read(`SELECT COUNT(*) AS n FROM ${this.t.runs} ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}`, params);
      return Number(row.n);
    };
    const statuses = this.statusesOf(search);
    if (statuses === undefined) return one();
    return (await Promise.all(statuses.map(one))).reduce((a, b) => a + b, 0);
  }

  async textWindow(search: RunSearch, runs: number): Promise<Date | null> {
    if (search.text === undefined || search.text === '') return null;
    const params: unknown[] = [];
    const where: string[] = [];
    if (search.from !== undefined) where.push('created_at >= ?'), params.push(this.d.time(search.from.getTime()));
    if (search.to !== undefined) where.push('created_at < ?'), params.push(this.d.time(search.to.getTime()));
    // Ordered by created_at alone, so runs_created answers by itself, without reading the table.
    const [row] = await this.exec.read(
      `SELECT created_at FROM ${this.t.runs} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT 1 OFFSET ?`,
      [...params, runs - 1],
    );
    return row ? new Date(timeOf(row.created_at)) : null;
  }

  async idsPage(search: RunSearch, statuses: readonly JobRunStatus[], limit: number, cursor?: string | null) {
    const { rows, next } = await this.page('id, created_at', search, limit, cursor, statuses);
    return { ids: rows.map((row) => String(row.id)), next };
  }

  /**
   * Counted status by status, each from an index, never from the table: completed and failed per
   * queue by range counts over runs_finished_queue; pending from runs_claim; running, cancelled
   * and awaiting, rare, through their partial indexes. A GROUP BY over a million finished rows
   * instead sorts them all, about a second on SQLite, blocking its thread.
   */
  async countsByQueue(statuses: readonly JobRunStatus[] = Object.values(JobRunStatus)): Promise<QueueStatusCount[]> {
    const counts: QueueStatusCount[] = [];
    for (const status of statuses) {
      if (status === JobRunStatus.Completed || status === JobRunStatus.Failed) {
        for (const queue of await this.finishedQueues(status)) {
          const [row] = await this.exec.read(`SELECT COUNT(*) AS n FROM ${this.t.runs} WHERE status = ${statusLiteral(status)} AND queue = ?`, [queue]);
          counts.push({ queue, status, count: Number(row.n) });
        }
      } else {
        const found = await this.exec.read(`SELECT queue, COUNT(*) AS n FROM ${this.t.runs} WHERE status = ${statusLiteral(status)} GROUP BY queue`);
        for (const row of found) counts.push({ queue: row.queue as string, status, count: Number(row.n) });
      }
    }
    return counts.sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
  }

  /** The queues holding runs of a finished status, one index seek each (MIN over the next key: a loose index scan). */
  private async finishedQueues(status: JobRunStatus.Completed | JobRunStatus.Failed): Promise<string[]> {
    const queues: string[] = [];
    for (;;) {
      const after = queues[queues.length - 1];
      const [row] = await this.exec.read(
        `SELECT MIN(queue) AS queue FROM ${this.t.runs} WHERE status = ${statusLiteral(status)}${after === undefined ? '' : ' AND queue > ?'}`,
        after === undefined ? [] : [after],
      );
      if (row?.queue === null || row?.queue === undefined) return queues;
      queues.push(String(row.queue));
    }
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

  /**
   * One range count per bucket, status and queue over runs_finished_queue (queue is in its key
   * before completed_at), which reads index entries only; grouping by the bucket instead sorts
   * every finished run of the span.
   */
  async finishedSeries(spanMs: number, bucketMs: number): Promise<SeriesPoint[]> {
    const now = this.clock.now();
    const first = Math.floor((now - spanMs) / bucketMs) + 1;
    const last = Math.floor(now / bucketMs);
    const points: SeriesPoint[] = [];
    for (let b = first; b <= last; b++) points.push({ at: new Date(b * bucketMs), completed: 0, failed: 0 });
    for (const status of [JobRunStatus.Completed, JobRunStatus.Failed] as const) {
      const queues = await this.finishedQueues(status);
      if (queues.length === 0) continue;
      const key = status === JobRunStatus.Completed ? 'completed' : 'failed';
      const list = this.d.inList('queue', queues, 'text');
      const sql = `SELECT COUNT(*) AS n FROM ${this.t.runs}
        WHERE status = ${statusLiteral(status)} AND ${list.sql} AND completed_at >= ? AND completed_at < ?`;
      const counts = await Promise.all(points.map(({ at }) =>
        this.exec.read(sql, [list.param, this.d.time(at.getTime()), this.d.time(at.getTime() + bucketMs)])));
      counts.forEach(([row], i) => (points[i][key] = Number(row.n)));
    }
    return points;
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
