import { InvalidPayloadError, InvalidRunStateError } from '../../errors/errors.js';
import { messages } from '../../errors/messages.js';
import type { EnqueueResult } from '../../interfaces/enqueue-options.interface.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { NewJobRun } from '../job-storage.types.js';
import { RUN_INSERT_COLUMNS } from '../run-row.js';
import { checkUnique, UNIQUE_HELD, uniqueColumns, type UniqueColumns } from '../unique.js';
import { rows, type TxBody } from './executor.js';
import type { SqlContext } from './transitions.js';

const at = (column: (typeof RUN_INSERT_COLUMNS)[number]) => RUN_INSERT_COLUMNS.indexOf(column);
const ID = at('id');
const JOB = at('job_type_id');
const STATUS = at('status');
const QUEUE = at('queue');
const INPUT = at('input_json');
const SCHEDULED = at('scheduled_at');
const CONCURRENCY_KEY = at('concurrency_key');
const RATE_KEY = at('rate_key');

/**
 * The unique columns of each run (undefined for a run without `unique`), from its prepared row
 * (see runRow): checked before anything is written, so bad options store nothing.
 */
export function uniqueOf(runs: readonly NewJobRun[], prepared: unknown[][], now: number): Array<UniqueColumns | undefined> {
  return runs.map((run, i) => {
    const checked = checkUnique(run.unique);
    if (!checked) return undefined;
    // Awaiting becomes pending when the parent finishes, in a worker's transaction: it must never meet a holder there.
    if (run.status === JobRunStatus.Awaiting) throw new InvalidPayloadError(messages.uniqueContinuation('unique'));
    return uniqueColumns(checked, prepared[i][JOB] as string, prepared[i][INPUT] as string | null, now);
  });
}

/** A key's holder can leave the counted states between our insert and our read (PostgreSQL): try again, this often. */
const TRIES = 5;

/**
 * Inserts a batch of prepared rows (see runRow) of which some are unique (`unique[i]` set), in the
 * caller's transaction: the rows without a key as the backend always inserts them, then the
 * unique ones in order, so a later duplicate within the batch meets the earlier one as it would a
 * stored run. Returns, per row, the run it stands for.
 */
export function* insertWithUnique(c: SqlContext, prepared: unknown[][], unique: ReadonlyArray<UniqueColumns | undefined>): TxBody<EnqueueResult[]> {
  const plain = prepared.filter((_, i) => unique[i] === undefined);
  if (plain.length > 0) yield* c.insertRuns(plain);
  const results: EnqueueResult[] = [];
  for (let i = 0; i < prepared.length; i++) {
    const u = unique[i];
    results.push(u === undefined ? { runId: prepared[i][ID] as string, created: true, replaced: false } : yield* insertUnique(c, prepared[i], u));
  }
  return results;
}

/**
 * One unique row: INSERT ... ON CONFLICT DO NOTHING on the partial unique index, so that of any
 * number of concurrent inserts of a key (any process, any host) exactly one stores a row; on
 * PostgreSQL a second insert waits for the first one's transaction and then does nothing. A
 * duplicate then reads the holder's id (a statement of its own: under READ COMMITTED it sees the
 * holder the insert waited for), after 'replace' has given a pending holder the new input and time.
 */
function* insertUnique(c: SqlContext, row: unknown[], u: UniqueColumns): TxBody<EnqueueResult> {
  const { t, d } = c;
  const insert = c.text('unique:insert', () =>
    `INSERT INTO ${t.runs} (${RUN_INSERT_COLUMNS.join(', ')}, unique_key, unique_states)
     VALUES (${RUN_INSERT_COLUMNS.map(() => '?').join(', ')}, ?, ?)
     ON CONFLICT (unique_key) WHERE ${UNIQUE_HELD} DO NOTHING
     RETURNING id`);
  const replace = c.text('unique:replace', () =>
    `UPDATE ${t.runs} SET input_json = ${d.param('json')}, scheduled_at = ?,
       next_retry_at = CASE WHEN next_retry_at IS NULL THEN NULL ELSE ${d.param('time')} END,
       concurrency_key = ?, rate_key = ?
     WHERE unique_key = ? AND status = 'pending' AND ${UNIQUE_HELD}
     RETURNING id, queue`);
  const find = c.text('unique:find', () => `SELECT id FROM ${t.runs} WHERE unique_key = ? AND ${UNIQUE_HELD}`);
  const queue = row[QUEUE] as string;
  for (let tries = 1; ; tries++) {
    const inserted = yield* rows(insert, [...row, u.key, u.states]);
    if (inserted.length > 0) {
      if (row[STATUS] === JobRunStatus.Pending) yield* c.notify([queue]);
      return { runId: String(inserted[0].id), created: true, replaced: false };
    }
    if (u.onConflict === 'replace') {
      // The limit keys are computed from the input: they follow it, or the run would be counted under the old one's.
      const [replaced] = yield* rows(replace, [row[INPUT], row[SCHEDULED], row[SCHEDULED], row[CONCURRENCY_KEY], row[RATE_KEY], u.key]);
      if (replaced) {
        yield* c.notify([replaced.queue as string]);
        return { runId: String(replaced.id), created: false, replaced: true };
      }
    }
    const [holder] = yield* rows(find, [u.key]);
    if (holder) return { runId: String(holder.id), created: false, replaced: false };
    if (tries >= TRIES) throw new InvalidRunStateError(messages.uniqueHolderVanished(tries));
  }
}
