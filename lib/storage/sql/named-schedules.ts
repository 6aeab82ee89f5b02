import { InvalidScheduleError, UnknownJobError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import type { JobScheduleInput } from '../job-storage.types.js';
import { rows, type Row, type TxBody } from './executor.js';
import type { SqlContext } from './transitions.js';

/** The columns a named schedule is read with (`input_json` as text: see Dialect.jsonText). */
export const scheduleColumns = (c: SqlContext): string =>
  `key, job_type_id, schedule_type, cron_expression, interval_ms, timezone, ${c.d.jsonText('input_json')}, misfire_policy, is_enabled,
   next_run_at, last_run_at, created_at, updated_at`;

/**
 * Inserts a named schedule, or replaces the one with its key when that belongs to the same job.
 * The next tick stored is kept when the timing (type, cron, interval, zone) did not change, so that
 * declaring the same schedules at every start-up neither delays nor repeats a tick. A key held by
 * another job is refused (InvalidScheduleError), as is an unknown job (UnknownJobError): nothing stored.
 */
export function* upsertSchedule(c: SqlContext, s: JobScheduleInput, now: number): TxBody<Row> {
  const { t, d } = c;
  const [job] = yield* rows(`SELECT 1 AS found FROM ${t.definitions} WHERE job_type_id = ?`, [s.jobTypeId]);
  if (!job) throw new UnknownJobError(s.jobTypeId);
  const same = ['schedule_type', 'cron_expression', 'interval_ms', 'timezone']
    .map((column) => `s.${column} IS NOT DISTINCT FROM excluded.${column}`)
    .join(' AND ');
  const [row] = yield* rows(
    `INSERT INTO ${t.schedules} AS s (key, job_type_id, schedule_type, cron_expression, interval_ms, timezone, input_json, misfire_policy,
       is_enabled, next_run_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ${d.param('json')}, ?, ?, ${d.param('time')}, ${d.param('time')}, ${d.param('time')})
     ON CONFLICT (key) DO UPDATE SET schedule_type = excluded.schedule_type, cron_expression = excluded.cron_expression,
       interval_ms = excluded.interval_ms, timezone = excluded.timezone, input_json = excluded.input_json,
       misfire_policy = excluded.misfire_policy, is_enabled = excluded.is_enabled, updated_at = excluded.updated_at,
       next_run_at = CASE WHEN ${same} AND s.next_run_at IS NOT NULL THEN s.next_run_at ELSE excluded.next_run_at END
     WHERE s.job_type_id = excluded.job_type_id
     RETURNING ${scheduleColumns(c)}`,
    [
      s.key, s.jobTypeId, s.scheduleType, s.cronExpression, s.intervalMs, s.timezone, s.inputJson, s.misfirePolicy, d.bool(s.isEnabled),
      d.time(s.nextRunAt.getTime()), d.time(now), d.time(now),
    ],
  );
  if (row) return row;
  const [holder] = yield* rows(`SELECT job_type_id FROM ${t.schedules} WHERE key = ?`, [s.key]);
  throw new InvalidScheduleError(messages.scheduleKeyTaken(s.key, s.jobTypeId, String(holder?.job_type_id)));
}
