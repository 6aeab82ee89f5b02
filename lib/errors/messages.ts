/** A value as an error message shows it: numbers (NaN too) as they are, anything else as JSON. */
export function shownValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** ' (did you mean 'timezone'?)' when `key` differs from a known key only in case (timeZone, @nestjs/schedule's spelling). */
function suggestion(key: string, known: readonly string[]): string {
  const match = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  return match ? ` (did you mean '${match}'?)` : '';
}

/** The wording of every error, in one place so that it stays consistent. */
export const messages = {
  durationExpected: `must be milliseconds (a number >= 0) or a duration string such as '500ms', '30s', '10m', '2h', '1d'`,
  durationOverMax: (max: number) => `must be at most 100 years (${max} ms)`,
  durationTooShort: (min: number, why: string) => `must be at least ${min} ms (${why})`,
  durationTooLong: (max: number, why: string) => `must be at most ${max} ms (${why})`,
  invalidDuration: (field: string, expectation: string, value: unknown) => `${field}: ${expectation}; got ${shownValue(value)}`,
  scheduleBoth: (where: string) => `${where}: cron and interval are exclusive: give one.`,
  scheduleNeither: (where: string) => `${where}: give exactly one of cron and interval.`,
  timezoneWithoutCron: (where: string) => `${where}: timezone applies to a cron schedule only; give cron, or leave timezone out.`,
  scheduleNotString: (where: string, key: string, value: unknown) => `${where}: ${key} must be a string; got ${shownValue(value)}`,
  scheduleNotObject: (where: string, value: unknown) =>
    `${where}: expected an object such as { cron: '0 * * * *' } or { interval: '15m' }; got ${shownValue(value)}`,
  unknownKeys: (where: string, keys: string[], known: readonly string[]) =>
    `${where}: unknown ${keys.length === 1 ? 'key' : 'keys'} ${keys.map((key) => `'${key}'${suggestion(key, known)}`).join(', ')}; known keys: ${known.join(', ')}`,
  badScheduleKey: (jobTypeId: string, key: unknown, max: number) =>
    `schedule('${jobTypeId}', { key }): key: expected a non-empty string of at most ${max} characters (no NUL), got ${shownValue(key)}. Nothing was stored.`,
  emptyFanIn: () => `continueWith: expected at least one parent run id. Nothing was stored.`,
  emptyBatch: () => `batch: expected at least one item ({ job, input }); an empty batch would never finish. Nothing was stored.`,
  uniqueInBatch: () => `batch: unique runs cannot be children of a batch (a duplicate would never finish in it). Nothing was stored.`,
  scheduleKeyTaken: (key: string, jobTypeId: string, holder: string) =>
    `schedule('${jobTypeId}', { key: '${key}' }): the key '${key}' is the schedule of job '${holder}'; keys are unique across jobs. ` +
    `Choose another key, or unschedule it from '${holder}' first. Nothing was stored.`,
  invalidCron: (what: string, reason: string) => `Invalid ${what}: ${reason}`,
  cronNeverFires: (expression: string, timezone: string) =>
    `Invalid cron expression '${expression}': it never fires (no date matches it in the next 8 years, time zone ${timezone}); check the day of month against the month.`,
  optionsNotObject: (what: string, value: unknown) =>
    `${what}: expected an options object such as { database: 'data/jobs.db' } ({} for the defaults); got ${value === undefined ? 'undefined' : shownValue(value)}`,
  invalidOptions: (problems: string[], of = 'ZapJobsModule') =>
    `Invalid ${of} options:\n  - ${problems.join('\n  - ')}`,
  schemaNotMigrated: (pending: string[]) =>
    `The ZapJobs schema is not up to date (pending migrations: ${pending.join(', ')}) and autoMigrate is false. ` +
    `Run the migrations once: start with autoMigrate: true, or call app.get(ZapJobsMigrations).migrate() ` +
    `from a deployment script, then start again.`,
  unknownJob: (id: string) =>
    `Unknown job '${id}': no @Job({ id: '${id}' }) handler is registered and no definition with that id is stored.`,
  runNotFound: (id: string) => `Run '${id}' does not exist.`,
  duplicateRunId: (ids: string[]) =>
    ids.length === 1
      ? `A run with id '${ids[0]}' exists already; nothing was stored.`
      : `One of the ${ids.length} run ids given exists already; nothing was stored.`,
  invalidInput: (id: string, errors: string[]) =>
    `Invalid input for job '${id}':\n  - ${errors.join('\n  - ')}`,
  timeout: (ms: number) => `the attempt timed out after ${ms} ms`,
  duplicateJobId: (id: string, a: string, b: string) =>
    `Two job handlers use the id '${id}': ${a} and ${b}. Job ids must be unique.`,
  missingHandle: (name: string, provider?: string) =>
    provider === undefined || provider === `the provider ${name}`
      ? `@Job class ${name} has no handle(ctx) method.`
      : `@Job class ${name}, as ${provider}, gives no object with a handle(ctx) method.`,
  adoptedCronNotString: (where: string, value: unknown) =>
    `${where}: cronTime must be a cron expression string to run through ZapJobs; got ${shownValue(value)}. ` +
    `A Date or DateTime fires once per process: leave that method to @nestjs/schedule (no @AdoptSchedule(), schedule.adopt off).`,
  adoptedUtcOffset: (where: string) =>
    `${where}: utcOffset is not supported by ZapJobs schedules; give timeZone (an IANA zone such as 'Europe/Paris') instead.`,
  adoptionMarkerWithoutSchedule: (where: string) =>
    `${where}: @AdoptSchedule() marks a @Cron() or @Interval() method of @nestjs/schedule; this method has neither.`,
  adoptedBlankId: (where: string, value: unknown) => `${where}: id must be a non-empty string; got ${shownValue(value)}`,
  adoptedRequestScoped: (where: string) =>
    `${where}: the provider is request-scoped (or depends on a request-scoped provider), so it has no instance to ` +
    `call on a schedule (@nestjs/schedule skips it too): make it a singleton, or move the work into a @Job class.`,
  adoptionModuleOrder: () =>
    `schedule: ZapJobs must take @Cron()/@Interval() methods before @nestjs/schedule's explorer registers them, and Nest runs ` +
    `the modules' hooks in import order: list ZapJobsModule.forRoot() before ScheduleModule.forRoot() in your imports ` +
    `(and keep ZapJobsModule global, the default).`,
  scheduleNotInstalled: (reason: string) =>
    `schedule: adopting @nestjs/schedule methods needs the @nestjs/schedule package, which could not be loaded (${reason}).`,
  blankJobId: (name: string) => `@Job() on ${name} needs a non-empty string id.`,
  twoJobClassesInOneProvider: (provider: string, a: string, b: string) =>
    `${provider} is both @Job class ${a} and @Job class ${b}: provide each job class under its own token.`,
  badMaxRetries: (field: string, value: unknown) => `${field} must be an integer >= 0, got ${shownValue(value)}.`,
  badQueue: (field: string, value: unknown) => `${field} must be a non-empty string without NUL characters, got ${shownValue(value)}.`,
  badPriority: (field: string, value: unknown) => `${field} must be an integer from -2147483648 to 2147483647, got ${shownValue(value)}.`,
  badCheckpointKey: (key: unknown) => `checkpoint key: expected a non-empty string, got ${shownValue(key)}.`,
  notJson: (what: string, reason: string) => `${what} cannot be stored as JSON: ${reason}`,
  tooLarge: (what: string, bytes: number, max: number) =>
    `${what} is ${bytes} bytes as JSON, over maxPayloadBytes (${max}).`,
  databaseFileGone: (file: string) =>
    `The SQLite database file '${file}' was deleted or replaced while open: nothing more is written to it, ` +
    `since other processes could not see it and it would be lost at exit. Restore the file or restart the process.`,
  managerNotManager: (value: unknown) =>
    `manager: expected the EntityManager of an open TypeORM transaction (the one dataSource.transaction(async (manager) => ...) ` +
    `passes, or queryRunner.manager after queryRunner.startTransaction()); got ${value === null ? 'null' : typeof value}. Nothing was stored.`,
  managerNotInTransaction: () =>
    `manager: it is not in an open transaction (manager.queryRunner?.isTransactionActive is not true), so the run could not ` +
    `commit or roll back with your writes. Pass the manager that dataSource.transaction(async (manager) => ...) gives its ` +
    `callback, inside that callback. Nothing was stored.`,
  managerOtherDriver: (driver: unknown, storage: string, expected: string) =>
    `manager: its DataSource uses the '${String(driver)}' driver, but ZapJobs stores runs in ${storage}: a run can only be ` +
    `inserted through a transaction on ZapJobs' own database (a '${expected}' DataSource on it). Nothing was stored.`,
  managerInMemory: (whose: string) =>
    `manager: ${whose} SQLite database is in memory (':memory:'), which no other connection can share: give ZapJobs and your ` +
    `DataSource the same database file. Nothing was stored.`,
  managerOtherFile: (app: string, zapjobs: string) =>
    `manager: its DataSource is on the file '${app}', ZapJobs on '${zapjobs}': a run can be inserted through your ` +
    `transaction only when both use the same SQLite file. Nothing was stored.`,
  managerIsZapJobs: () =>
    `manager: it belongs to ZapJobs' own DataSource (ZAPJOBS_DATA_SOURCE), whose one SQLite connection ZapJobs' workers ` +
    `write on: open the transaction on your application's DataSource for the same file. Nothing was stored.`,
  managerOtherDatabase: (app: string, zapjobs: string) =>
    `manager: its DataSource is connected to ${app}, ZapJobs to ${zapjobs}: a run can be inserted through your ` +
    `transaction only when both use the same PostgreSQL database. Nothing was stored.`,
  managerTablesUnreachable: (table: string, why: string) =>
    `manager: ZapJobs' table ${table} is ${why} from your DataSource's connection, so the run cannot be inserted through ` +
    `its transaction. Nothing was stored.`,
  appTransactionHoldsLock: (ms: number) =>
    `database is locked: a transaction of your application on this SQLite file has been open in this process for over ` +
    `busyTimeout (${ms} ms). Inside such a transaction, enqueue with { manager }; keep those transactions short.`,
  uniqueNotObject: (field: string, value: unknown) =>
    `${field}: expected an object such as { key: 'order-42', for: '1h' } (or true, or false); got ${shownValue(value)}`,
  uniqueBadKey: (field: string, value: unknown) => `${field}: expected a non-empty string; got ${shownValue(value)}`,
  uniqueBadStates: (field: string, value: unknown, culprit?: unknown) =>
    `${field}: expected a non-empty array of run statuses (pending, awaiting, running, completed, failed, cancelled); got ${shownValue(value)}` +
    (culprit === undefined ? '' : `, where ${shownValue(culprit)} is not a status`),
  uniqueStatesMissing: (field: string, value: unknown) =>
    `${field}: must include 'pending' and 'running' (a run moves between them by itself, on claims and retries), ` +
    `and may add 'awaiting', 'completed', 'failed', 'cancelled'; got ${shownValue(value)}`,
  uniqueContinuation: (field: string) => `${field}: a continuation (status 'awaiting') cannot be unique`,
  uniqueKeyHeldOnRetry: (runId: string) =>
    `Run '${runId}' cannot be retried now: another run holds its unique key (in one of the statuses it counts). ` +
    `Retry it once that run has finished, or enqueue a new one.`,
  uniqueBadOnConflict: (field: string, value: unknown) => `${field}: expected 'skip' or 'replace'; got ${shownValue(value)}`,
  uniqueHolderVanished: (tries: number) =>
    `A unique run's key stayed taken, yet no run holding it was found, ${tries} times in a row; nothing was stored. Try again.`,
  leaseLost: (runId: string, attempt: number) =>
    `the worker lost its hold on attempt ${attempt} of run ${runId} (the run was recovered); this attempt's outcome is not recorded`,
  badLimit: (field: string, value: unknown, max: number) => `${field} must be an integer from 1 to ${max}, got ${shownValue(value)}.`,
  badLimitKey: (field: string, value: unknown) =>
    `${field} must be a function of the run's input returning a string, e.g. (input) => input.tenantId; got ${shownValue(value)}.`,
  badConcurrency: (field: string, value: unknown) =>
    `${field} must be a number (e.g. 2) or { limit, key? } (e.g. { limit: 1, key: (input) => input.tenantId }); got ${shownValue(value)}.`,
  badRateLimit: (field: string, value: unknown) => `${field} must be { limit, per, key? } (e.g. { limit: 100, per: '1m' }); got ${shownValue(value)}.`,
  rateLimitWithoutPer: (field: string) => `${field} is required: the span the limit counts starts in, e.g. '1s' or '1m'.`,
  limitKeyThrew: (id: string, field: string, reason: string) => `The ${field} function of job '${id}' threw at enqueue: ${reason}; nothing was stored.`,
  limitKeyNotString: (id: string, field: string, value: unknown) =>
    `The ${field} function of job '${id}' must return a non-empty string, got ${shownValue(value)}; nothing was stored.`,
  testingClosed: (method: string) =>
    `ZapJobsTesting ${method}: its application was closed (app.close()). A testing handle belongs to one app: ` +
    `create the testing module again (in beforeEach) and take the handle from the new app.`,
  clockSetNotDate: (value: unknown) =>
    `clock.set(date): expected a valid Date, e.g. new Date('2026-01-01T00:00:00Z'); got ${value instanceof Date ? 'an invalid Date' : shownValue(value)}`,
  drainLimit: (attempts: number) =>
    `drain(): still finding due runs after ${attempts} attempts (maxAttempts); a job probably enqueues (or retries) runs ` +
    `due at once without end. Drain one job at a time with drain({ job }), give the retries a delay, or raise maxAttempts.`,
  drainBadMaxAttempts: (value: unknown) => `drain({ maxAttempts }): expected an integer >= 1; got ${shownValue(value)}`,
  drainBadQueue: (value: unknown) => `drain({ queue }): expected a queue name (a non-empty string); got ${shownValue(value)}`,
  runNowNotPending: (runId: string, status: string) =>
    `runNow('${runId}'): the run is ${status}; only a pending run (due or scheduled for later) can be run now.`,
  notEnqueued: (what: string, enqueued: string[], more: number) =>
    `Expected ${what} to be enqueued, but ${enqueued.length === 0 ? 'no run is enqueued.' : `the enqueued runs are:\n  - ${enqueued.join('\n  - ')}`}` +
    (more > 0 ? `\n  (and ${more} more)` : ''),
  tracingOption: (field: string, expected: string, value: unknown) => `ZapJobsTracingModule.forRoot: ${field} must be ${expected}; got ${shownValue(value)}`,
  tracingUnknownOption: (key: string) => `ZapJobsTracingModule.forRoot: unknown option '${key}' (known: tracerName, tracerProvider)`,
  unknownEventName: (where: string, value: unknown, known: readonly string[]) =>
    `${where}: expected one of the events ${known.join(', ')}; got ${shownValue(value)}`,
  notAJob: (field: string, value: unknown) => `${field}: expected a @Job class or a job id; got ${shownValue(value)}`,
  waitForTimeout: (runId: string, timeoutMs: number, status: string) =>
    `waitFor: run ${runId} did not finish within ${timeoutMs} ms (it is ${status}); the run goes on, only the wait ended`,
};
