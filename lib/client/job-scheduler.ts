import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { jobIdOf } from '../discovery/job-metadata.accessor.js';
import { JobRegistry } from '../discovery/job-registry.js';
import { limitKeys } from '../discovery/job-limits.js';
import { resolveNamedSchedule, resolveRuntimeSchedule } from '../discovery/schedule-spec.js';
import { InvalidPayloadError, JobCancelledError, JobInputValidationError, RunNotFoundError, UnknownJobError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { ZapJobsEvents } from '../events/zapjobs-events.js';
import type { RunInstrumentation } from '../instrumentation/run-instrumentation.js';
import type {
  BatchOptions, BatchResult, ContinuationOptions, EnqueueOptions, EnqueueResult, NamedScheduleOptions, ScheduleOptions, TransactionOptions,
} from '../interfaces/enqueue-options.interface.js';
import type {
  ContinueArgs, EnqueueArgs, EnqueueItem, JobInput, JobRef, JobRunOf,
} from '../interfaces/job-types.interface.js';
import type { JobBatch, JobSchedule } from '../model/job-run.js';
import { JobRunStatus, JobTriggerType, ScheduleType } from '../model/statuses.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { EngineStorage } from '../storage/engine-storage.js';
import type { BulkOptions, CancelledRun, NewJobRun, RunBulkFilter } from '../storage/job-storage.types.js';
import { mergeUnique } from '../storage/unique.js';
import { nextTick } from '../scheduler/next-tick.js';
import { RecurringScheduler } from '../scheduler/recurring-scheduler.js';
import { Clock } from '../util/clock.js';
import { checkInput } from '../util/input-class.js';
import { parseDuration } from '../util/duration.js';
import { toJson } from '../util/json.js';
import { errorMessage } from '../worker/to-error.js';
import { WorkerPool } from '../worker/worker-pool.js';
import { ZAPJOBS_INSTRUMENTATION, ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import type { Duration } from '../util/duration.js';
import { AfterCommit } from './after-commit.js';
import { waitForRun } from './wait-for-run.js';
import { BATCH_OPTION_KEYS, checkOptionKeys, CONTINUATION_OPTION_KEYS, CONTINUE_CONDITIONS, ENQUEUE_OPTION_KEYS } from './option-keys.js';

/**
 * What an application calls: enqueue, trigger, cancel, retry, chain and schedule jobs.
 *
 * Given the `@Job()` class, the input is typed by the class's handle(ctx: JobContext<I>): a wrong
 * shape fails to compile. Given a job id (a string), the input is `unknown`.
 *
 * @example
 * constructor(private readonly jobs: JobScheduler) {}
 * await this.jobs.enqueue(SendEmailJob, { to: 'a@b.c', subject: 'Hi' }, { delay: '10m' });
 */
@Injectable()
export class JobScheduler implements OnApplicationShutdown {
  private readonly logger = new Logger('ZapJobs');
  /** What enqueue({ manager }) does once the application's transaction commits. */
  private readonly afterCommit = new AfterCommit((error) => this.logger.error(`After a transaction's commit: ${errorMessage(error)}`));

  constructor(
    // EngineStorage, not JobStorage: continueWith() resolves a continuation whose parent already ended.
    private readonly storage: EngineStorage,
    private readonly registry: JobRegistry,
    private readonly events: ZapJobsEvents,
    private readonly workers: WorkerPool,
    private readonly scheduler: RecurringScheduler,
    private readonly clock: Clock,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
    /** Told of every run stored (tracing); undefined unless an integration provides one. */
    @Optional() @Inject(ZAPJOBS_INSTRUMENTATION) private readonly instrumentation?: RunInstrumentation,
  ) {}

  /**
   * Enqueues one run; returns its id. Invalid input is rejected and nothing is stored. With
   * `{ manager }` (TransactionOptions) the run is inserted through the application's open
   * transaction, and exists only if it commits. A unique run whose key is held returns the
   * holder's id (see enqueueDetailed to tell the two apart).
   */
  async enqueue<J extends JobRef>(job: J, ...[input, given]: EnqueueArgs<JobInput<J>>): Promise<string> {
    const options = checkOptionKeys(given, ENQUEUE_OPTION_KEYS, 'enqueue: options');
    const run = await this.prepare(job, input, options);
    if (options.manager !== undefined || run.unique !== undefined) return (await this.storeDetailed([run], options.manager))[0].runId;
    if (this.instrumentation === undefined) return this.storeOne(run);
    return this.instrumented([run], () => this.storeOne(run));
  }

  /** The plain path: one run without a key, in ZapJobs' own transaction. */
  private async storeOne(run: NewJobRun): Promise<string> {
    const id = await this.storage.enqueue(run);
    this.enqueued(id, run);
    return id;
  }

  /**
   * enqueue(), telling what happened: `{ runId, created, replaced }`. `created` is false when a
   * unique run's key was held: `runId` is then the holder's, and `replaced` says whether
   * onConflict 'replace' gave it this input and time. The 'enqueued' event fires only when created.
   */
  async enqueueDetailed<J extends JobRef>(job: J, ...[input, given]: EnqueueArgs<JobInput<J>>): Promise<EnqueueResult> {
    const options = checkOptionKeys(given, ENQUEUE_OPTION_KEYS, 'enqueueDetailed: options');
    const run = await this.prepare(job, input, options);
    return (await this.storeDetailed([run], options.manager))[0];
  }

  /**
   * Enqueues many runs in one transaction: all of them, or none if one is invalid. Each item's
   * input is typed by its job class, as in enqueue(). With `{ manager }`, the transaction is the
   * application's (see TransactionOptions): one manager for the whole batch. Items are taken in
   * order: a unique item whose key an earlier item (or a stored run) holds gets that run's id.
   */
  async enqueueMany<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    given?: TransactionOptions,
  ): Promise<string[]> {
    const options = checkOptionKeys(given, [], 'enqueueMany: options');
    const runs = await this.prepareItems(items as readonly EnqueueItem[], 'enqueueMany');
    if (options.manager !== undefined || runs.some((run) => run.unique !== undefined)) {
      return (await this.storeDetailed(runs, options.manager)).map((result) => result.runId);
    }
    if (this.instrumentation === undefined) return this.storeMany(runs);
    return this.instrumented(runs, () => this.storeMany(runs));
  }

  private async storeMany(runs: NewJobRun[]): Promise<string[]> {
    const ids = await this.storage.enqueueMany(runs);
    ids.forEach((id, i) => this.enqueued(id, runs[i], false));
    this.workers.notify();
    return ids;
  }

  /** enqueueMany(), with an EnqueueResult per item (see enqueueDetailed). */
  async enqueueManyDetailed<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    given?: TransactionOptions,
  ): Promise<EnqueueResult[]> {
    const options = checkOptionKeys(given, [], 'enqueueManyDetailed: options');
    return this.storeDetailed(await this.prepareItems(items as readonly EnqueueItem[], 'enqueueManyDetailed'), options.manager);
  }

  /**
   * Stores runs of which some may be unique, in ZapJobs' transaction or, with `manager`, the
   * application's, telling the instrumentation whether each was created. The 'enqueued' events
   * and the wake-up follow the runs created (or replaced) at once, or at the application's commit.
   */
  private storeDetailed(runs: NewJobRun[], manager: TransactionOptions['manager']): Promise<EnqueueResult[]> {
    const store = manager === undefined ? () => this.storeNow(runs) : () => this.enqueueInTransaction(runs, manager);
    return this.instrumentation === undefined ? store() : this.instrumented(runs, store);
  }

  private async storeNow(runs: NewJobRun[]): Promise<EnqueueResult[]> {
    const results = await this.storage.enqueueManyDetailed(runs);
    this.announce(runs, results);
    return results;
  }

  private announce(runs: readonly NewJobRun[], results: readonly EnqueueResult[]): void {
    results.forEach((result, i) => {
      if (result.created) this.enqueued(result.runId, runs[i], false);
    });
    if (results.some((result) => result.created || result.replaced)) this.workers.notify();
  }

  /** Runs a job now, with its default input; with `{ manager }`, in the application's transaction as enqueue() does. */
  async trigger(job: JobRef, options: EnqueueOptions & TransactionOptions = {}): Promise<string> {
    const id = this.idOf(job);
    const definition = await this.storage.getJobDefinition(id);
    if (!definition) throw new UnknownJobError(id);
    return this.enqueue(id, definition.defaultInput ?? undefined, options);
  }

  /**
   * Cancels a pending run, or aborts a running one (its signal fires). Returns false when the run
   * had already finished.
   */
  async cancel(runId: string): Promise<boolean> {
    const previous = await this.storage.cancelRun(runId, 'cancelled by request');
    if (previous === null) return false;
    const run = await this.storage.getRun(runId);
    // A run executing here is aborted now; one held by another process is aborted at that
    // worker's next heartbeat, when it sees the row is no longer its own.
    const abortedHere = previous === JobRunStatus.Running && this.workers.abort(runId, new JobCancelledError());
    if (!abortedHere && run) this.events.emit('cancelled', { runId, jobTypeId: run.jobTypeId, queue: run.queue });
    return true;
  }

  /** Puts a failed (dead) or cancelled run back in the queue for a new round of attempts. */
  async retry(runId: string): Promise<void> {
    await this.storage.requeueRun(runId);
    this.workers.notify();
  }

  /**
   * Enqueues the items as the children of a new batch, and its callbacks, which fire once, when
   * every child has finished (onSuccess: all completed; onFailure: one failed or was cancelled;
   * onComplete: always), with the batch's summary as input. All or nothing: an empty batch, an
   * invalid item or a callback naming an unknown job stores nothing.
   */
  async batch<const Jobs extends readonly JobRef[]>(
    items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> },
    given?: BatchOptions,
  ): Promise<BatchResult> {
    // Not in the application's transaction: a batch is created in ZapJobs' own, so a manager would be ignored.
    noManagerIn(given, 'batch: options');
    const options = checkOptionKeys(given, BATCH_OPTION_KEYS, 'batch: options');
    const list = items as readonly EnqueueItem[];
    if (!Array.isArray(list) || list.length === 0) throw new InvalidPayloadError(messages.emptyBatch());
    const children = await this.prepareItems(list, 'batch');
    const callbacks: NewJobRun[] = [];
    for (const [field, continueOn] of [['onSuccess', 'success'], ['onFailure', 'failure'], ['onComplete', 'always']] as const) {
      const job = options[field];
      if (job === undefined) continue;
      const jobTypeId = this.idOf(job as JobRef);
      // Checked here as well as by the storage: the error names the option.
      if (!(await this.storage.getJobDefinition(jobTypeId))) throw new UnknownJobError(jobTypeId, `batch: ${field}`);
      callbacks.push({ jobTypeId, status: JobRunStatus.Awaiting, continueOn, triggerType: JobTriggerType.Continuation });
    }
    const created = await this.storage.createBatch({
      children, callbacks, description: options.description ?? null, includeOutputs: options.includeOutputs ?? false,
    });
    created.runIds.forEach((id, i) => this.enqueued(id, children[i], false));
    this.workers.notify();
    return created;
  }

  /** Adds children to an open batch (one whose children have not all finished); returns their ids. */
  async addToBatch<const Jobs extends readonly JobRef[]>(batchId: string, items: { [K in keyof Jobs]: EnqueueItem<Jobs[K]> }): Promise<string[]> {
    const list = items as readonly EnqueueItem[];
    if (!Array.isArray(list) || list.length === 0) throw new InvalidPayloadError(messages.emptyBatch());
    const children = await this.prepareItems(list, 'addToBatch');
    const ids = await this.storage.addToBatch(batchId, children);
    ids.forEach((id, i) => this.enqueued(id, children[i], false));
    this.workers.notify();
    return ids;
  }

  /** Cancels an open batch: its pending children and its callbacks; returns how many runs it cancelled. */
  async cancelBatch(batchId: string): Promise<number> {
    const cancelled = await this.storage.cancelBatch(batchId);
    this.cancelledMany(cancelled);
    return cancelled.length;
  }

  /** 'cancelled' for each run a bulk cancel ended; the ones running here are aborted (their worker reports them). */
  private cancelledMany(runs: CancelledRun[]): void {
    for (const run of runs) {
      if (run.wasRunning && this.workers.abort(run.runId, new JobCancelledError())) continue;
      if (this.events.listening('cancelled')) this.events.emit('cancelled', { runId: run.runId, jobTypeId: run.jobTypeId, queue: run.queue });
    }
  }

  /** A batch's state and counts, or null. */
  getBatch(batchId: string): Promise<JobBatch | null> {
    return this.storage.getBatch(batchId);
  }

  private async prepareItems(list: readonly EnqueueItem[], where: string): Promise<NewJobRun[]> {
    if (!Array.isArray(list)) throw new InvalidPayloadError(`${where}: items: expected an array, got ${list === null ? 'null' : typeof list}`);
    return Promise.all(
      list.map((item, i) => {
        if (item === null || typeof item !== 'object') throw new InvalidPayloadError(`${where}: items[${i}]: expected { job, input, options? }`);
        noManagerIn(item.options, `${where}: items[${i}].options`);
        return this.prepare(item.job, item.input, checkOptionKeys(item.options, ENQUEUE_OPTION_KEYS, `${where}: items[${i}].options`));
      }),
    );
  }

  /**
   * Puts every run matching the filter back in the queue (by default the failed ones: the dead
   * letter), in batches of `batchSize`; returns how many. `retryMany({ jobTypeId: 'send-email' })`.
   */
  async retryMany(filter: RunBulkFilter = {}, options?: BulkOptions): Promise<number> {
    const count = await this.storage.retryMany(filter, options);
    if (count > 0) this.workers.notify();
    return count;
  }

  /**
   * Cancels every run matching the filter (by default every unfinished one), in batches; returns
   * how many. Each emits 'cancelled'. Running ones are aborted at once when this process runs
   * them, else by their worker at its next heartbeat.
   */
  async cancelMany(filter: RunBulkFilter = {}, options?: BulkOptions & { reason?: string }): Promise<number> {
    return this.storage.cancelMany(filter, { reason: 'cancelled by request', ...options, onCancelled: (runs) => this.cancelledMany(runs) });
  }

  /**
   * Enqueues `job` to run after `parentRunId` finishes, if `options.condition` holds then. With
   * `passParentOutput: true` the input may be left undefined: the parent's output takes its place.
   * Given several parent ids (fan-in), it runs once, when all of them have finished: 'success'
   * when all completed, 'failure' when one failed or was cancelled, 'always' either way; with
   * passParentOutput its input is the array of their outputs, in the order of the ids.
   */
  async continueWith<J extends JobRef>(
    parentRunId: string | readonly string[],
    job: J,
    ...[input, options = {}]: ContinueArgs<JobInput<J>>
  ): Promise<string> {
    noManagerIn(options, 'continueWith: options');
    const continuation = checkContinuation(options);
    if (typeof parentRunId !== 'string') return this.continueWithAll(parentRunId, job, input, continuation);
    const parent = await this.storage.getRun(parentRunId);
    if (!parent) throw new RunNotFoundError(parentRunId);
    const run = await this.prepare(job, input, continuation);
    // A continuation is bound to its parent: deduplicating it against other runs has no meaning.
    delete run.unique;
    run.parentRunId = parentRunId;
    run.status = JobRunStatus.Awaiting;
    run.triggerType = JobTriggerType.Continuation;
    run.continueOn = continuation.condition ?? 'success';
    run.passParentOutput = continuation.passParentOutput ?? false;
    const id = await (this.instrumentation === undefined ? this.storage.enqueue(run) : this.instrumented([run], () => this.storage.enqueue(run)));
    // The parent may have finished before the row above existed: resolve it now (idempotent).
    await this.storage.resolveContinuations(parentRunId);
    this.enqueued(id, run);
    return id;
  }

  /** continueWith() of several parents: a fan-in, which the storage creates in one transaction. */
  private async continueWithAll(parentRunIds: readonly string[], job: JobRef, input: unknown, options: ContinuationOptions): Promise<string> {
    if (!Array.isArray(parentRunIds)) throw new InvalidPayloadError(`continueWith: parentRunId: expected a run id or an array of them, got ${typeof parentRunIds}`);
    const run = await this.prepare(job, input, options);
    delete run.unique;
    run.status = JobRunStatus.Awaiting;
    run.triggerType = JobTriggerType.Continuation;
    run.continueOn = options.condition ?? 'success';
    run.passParentOutput = options.passParentOutput ?? false;
    const create = () => this.storage.createFanIn(parentRunIds, run);
    const id = await (this.instrumentation === undefined ? create() : this.instrumented([run], create));
    this.enqueued(id, run);
    // Released at once when every parent had already ended.
    this.workers.notify();
    return id;
  }

  /**
   * Sets (or replaces) the schedule of a job at run time. With a `key`, a named schedule instead:
   * one of many for the job, with its own input, misfire policy and enabled flag, beside the
   * job's default schedule. Returns the next tick.
   */
  async schedule<J extends JobRef>(job: J, schedule: ScheduleOptions | NamedScheduleOptions<JobInput<J>>): Promise<Date> {
    if (schedule !== null && typeof schedule === 'object' && 'key' in schedule) return this.scheduleNamed(job, schedule);
    const id = this.idOf(job);
    // The same rules as @Job({ cron | interval }) at discovery, checked before anything is stored.
    const spec = resolveRuntimeSchedule(schedule, `schedule('${id}')`);
    const next = nextTick(spec, this.clock.date()) as Date;
    await this.storage.updateSchedule(id, {
      scheduleType: spec.type,
      cronExpression: spec.cron ?? null,
      intervalMs: spec.intervalMs ?? null,
      timezone: spec.timezone ?? null,
      nextRunAt: next,
    });
    this.scheduler.poke();
    return next;
  }

  private async scheduleNamed(job: JobRef, options: NamedScheduleOptions): Promise<Date> {
    const id = this.idOf(job);
    const spec = resolveNamedSchedule(options as unknown as Record<string, unknown>, id);
    // Checked as an enqueue's input is (the job's input class, JSON, size), before anything is stored.
    const input = options.input !== undefined ? options.input : this.registry.get(id)?.options.defaultInput;
    const { inputJson } = await this.prepare(id, input, {});
    const next = nextTick(spec, this.clock.date()) as Date;
    const stored = await this.storage.upsertSchedule({
      key: spec.key,
      jobTypeId: id,
      scheduleType: spec.type,
      cronExpression: spec.cron ?? null,
      intervalMs: spec.intervalMs ?? null,
      timezone: spec.timezone ?? null,
      inputJson: inputJson ?? null,
      misfirePolicy: spec.misfire,
      isEnabled: spec.enabled,
      nextRunAt: next,
    });
    this.scheduler.poke();
    return stored.nextRunAt as Date;
  }

  /**
   * Removes the schedule of a job; runs already enqueued stay. With a `key`, removes that named
   * schedule instead, and tells whether there was one.
   */
  async unschedule(job: JobRef): Promise<void>;
  async unschedule(job: JobRef, key: string): Promise<boolean>;
  async unschedule(job: JobRef, key?: string): Promise<void | boolean> {
    if (key !== undefined) return this.storage.removeSchedule(this.idOf(job), key);
    await this.storage.updateSchedule(this.idOf(job), { scheduleType: ScheduleType.None, nextRunAt: null });
  }

  /** The named schedules (of one job, or of all), ordered by key. */
  async listSchedules<J extends JobRef = string>(job?: J): Promise<Array<JobSchedule<JobInput<J>>>> {
    return (await this.storage.listSchedules(job === undefined ? undefined : this.idOf(job))) as Array<JobSchedule<JobInput<J>>>;
  }

  /** Enables or disables a job: a disabled job is neither fired nor claimed. */
  async setEnabled(job: JobRef, enabled: boolean): Promise<void> {
    if (typeof enabled !== 'boolean') throw new InvalidPayloadError(`setEnabled: enabled: expected true or false, got ${JSON.stringify(enabled) ?? typeof enabled}`);
    await this.storage.setDefinitionEnabled(this.idOf(job), enabled);
    if (enabled) this.workers.notify();
  }

  /**
   * The run with this id, or null. Given the job (class or id), only a run of that job is
   * returned (null for another job's run), and with a class its `input` and `output` are typed
   * as that job's: `(await jobs.getRun(id, SendEmailJob))?.output?.messageId`.
   */
  async getRun<J extends JobRef = string>(runId: string, job?: J): Promise<JobRunOf<J> | null> {
    const run = await this.storage.getRun(runId);
    if (!run || (job !== undefined && run.jobTypeId !== this.idOf(job))) return null;
    // The stored values are what enqueue() and handle() of this job produced, as JSON gives them back.
    return run as JobRunOf<J>;
  }

  /**
   * Waits for a run to finish, in any process: resolves with the stored run once it is completed,
   * failed (its retries spent) or cancelled, at once if it already is; rejects with a
   * WaitForTimeoutError after `timeout` (the run goes on), with a RunNotFoundError for an unknown
   * id. Events make it answer early; the stored run is read every pollInterval too, so a missed
   * event never hangs it. `waitFor<typeof ReportJob>(id)` types the run's output as that job's.
   *
   * @example const run = await jobs.waitFor(await jobs.enqueue(ReportJob, input), { timeout: '30s' });
   */
  async waitFor<J extends JobRef = string>(runId: string, options: { timeout?: Duration } = {}): Promise<JobRunOf<J>> {
    if (options === null || typeof options !== 'object') throw new InvalidPayloadError(`waitFor: options: expected { timeout? }, got ${String(options)}`);
    checkOptionKeys(options, ['timeout'], 'waitFor: options');
    const timeoutMs = parseDuration(options.timeout ?? '1m', 'waitFor: timeout');
    if (typeof runId !== 'string' || runId === '') throw new InvalidPayloadError(`waitFor: runId: expected a run id (a string), got ${String(runId)}`);
    const run = await waitForRun(this.storage, this.events, runId, { timeoutMs, pollMs: this.options.pollInterval });
    return run as JobRunOf<J>;
  }

  /** Removes the commit hooks from the application's DataSources. */
  onApplicationShutdown(): void {
    this.afterCommit.detach();
  }

  /**
   * The runs go in through the application's transaction. Until it commits no other connection
   * sees them, so the 'enqueued' events and the wake-up of this process's workers wait for the
   * commit (PostgreSQL also delivers the insert's NOTIFY only then); after a rollback, nothing.
   */
  private async enqueueInTransaction(runs: NewJobRun[], manager: NonNullable<TransactionOptions['manager']>): Promise<EnqueueResult[]> {
    const results = await this.storage.enqueueInTransaction(runs, manager);
    // Registered before the caller's await resumes, so before it can commit.
    this.afterCommit.add(manager.queryRunner!, () => this.announce(runs, results));
    return results;
  }

  /**
   * Stores `runs` through `store`, telling the instrumentation of each: before (in the caller's
   * async context, so a trace context taken then is the caller's) and after (the id it got, or the
   * error). `store` gives one id or result per run, in order.
   */
  private async instrumented<T extends string | string[] | EnqueueResult[]>(runs: NewJobRun[], store: () => Promise<T>): Promise<T> {
    const instrumentation = this.instrumentation as RunInstrumentation;
    const scopes = runs.map((run) => instrumentation.enqueuing(run, run.queue ?? this.registry.get(run.jobTypeId)?.queue));
    let stored: T;
    try {
      stored = await store();
    } catch (error) {
      for (const scope of scopes) scope.failed(error);
      throw error;
    }
    const results: Array<string | EnqueueResult> = typeof stored === 'string' ? [stored] : stored;
    results.forEach((result, i) => {
      if (typeof result === 'string') scopes[i].stored(result, true);
      else scopes[i].stored(result.runId, result.created);
    });
    return stored;
  }

  private idOf(job: JobRef): string {
    if (typeof job === 'string') return job;
    const id = typeof job === 'function' ? jobIdOf(job) : undefined;
    if (!id) throw new UnknownJobError(String((job as Function)?.name ?? job));
    return id;
  }

  private async prepare(job: JobRef, input: unknown, options: EnqueueOptions): Promise<NewJobRun> {
    const jobTypeId = this.idOf(job);
    const registered = this.registry.get(jobTypeId);
    const inputClass = registered?.options.input;
    if (inputClass) {
      if (input === null || typeof input !== 'object') {
        throw new JobInputValidationError(jobTypeId, [`input must be an object matching ${inputClass.name}, got ${input === null ? 'null' : typeof input}`]);
      }
      const { reasons } = await checkInput(inputClass, input);
      if (reasons.length > 0) throw new JobInputValidationError(jobTypeId, reasons);
    }
    const inputJson = toJson(input, `input of job '${jobTypeId}'`, this.options.maxPayloadBytes);
    let scheduledAt: Date | undefined;
    if (options.runAt !== undefined && options.delay !== undefined) throw new InvalidPayloadError('runAt, delay: give one of them, not both');
    if (options.runAt !== undefined) {
      if (!(options.runAt instanceof Date) || Number.isNaN(options.runAt.getTime())) {
        throw new InvalidPayloadError(`runAt: expected a valid Date, got ${String(options.runAt)}`);
      }
      scheduledAt = options.runAt;
    } else if (options.delay !== undefined) {
      scheduledAt = new Date(this.clock.now() + parseDuration(options.delay, 'delay'));
    }
    if (options.maxRetries !== undefined && (!Number.isInteger(options.maxRetries) || options.maxRetries < 0)) {
      throw new InvalidPayloadError(`maxRetries: expected an integer >= 0, got ${options.maxRetries}`);
    }
    return {
      jobTypeId,
      inputJson,
      ...limitKeys(jobTypeId, registered?.limits, input),
      queue: options.queue,
      priority: options.priority,
      scheduledAt,
      correlationId: options.correlationId ?? null,
      maxRetries: options.maxRetries ?? null,
      triggerType: JobTriggerType.Manual,
      // Checked (and keyed) by the storage, before anything is written.
      ...withUnique(mergeUnique(registered?.unique, options.unique)),
    };
  }

  private enqueued(id: string, run: NewJobRun, wake = true): void {
    // The queue the run went to: the one asked for, else its job's (what the storage stored).
    const queue = run.queue ?? this.registry.get(run.jobTypeId)?.queue;
    this.events.emit('enqueued', { runId: id, jobTypeId: run.jobTypeId, queue });
    if (wake) this.workers.notify();
  }
}

/** `manager` is an option of enqueue() and of enqueueMany()'s second argument only: elsewhere it would be ignored, silently outside the transaction. */
function noManagerIn(options: unknown, where: string): void {
  if (options !== null && typeof options === 'object' && 'manager' in options) {
    throw new InvalidPayloadError(`${where}: 'manager' is not an option here; give it as enqueue(job, input, { manager }) or enqueueMany(items, { manager })`);
  }
}
/** ContinuationOptions checked: known fields only, and a condition that is one. */
function checkContinuation(options: ContinuationOptions | undefined): ContinuationOptions {
  const checked = checkOptionKeys(options, CONTINUATION_OPTION_KEYS, 'continueWith: options');
  if (checked.condition !== undefined && !(CONTINUE_CONDITIONS as readonly string[]).includes(checked.condition)) {
    throw new InvalidPayloadError(`continueWith: condition: expected ${CONTINUE_CONDITIONS.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(checked.condition)}`);
  }
  return checked;
}

/** `{ unique }` when there is one, `{}` otherwise, so that runs without it carry no such field. */
const withUnique = (unique: unknown): Pick<NewJobRun, 'unique'> => (unique === undefined ? {} : { unique: unique as NewJobRun['unique'] });
