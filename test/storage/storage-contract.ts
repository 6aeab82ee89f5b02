import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import {
  InvalidPayloadError, InvalidRunStateError, JobLogLevel, JobRunStatus, JobStorage, JobTriggerType, RunNotFoundError,
  ScheduleType, UnknownJobError, type JobDefinitionInput, type NewJobRun, type RunCompletion,
} from '../../lib/index.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The JobStorage contract: one suite that every backend runs (SQLite on a file and in memory;
 * PostgreSQL, with `clock: 'database'`), so the runtime services can rely on the abstract class alone.
 * Model: riverqueue/river `riverdriver/riverdrivertest/riverdrivertest.go`.
 *
 * Every test gets a fresh, migrated, empty database from the factory and closes it afterwards.
 * The suite only goes through the JobStorage API, never SQL, so it holds for any backend.
 *
 * Backend-neutral on purpose: ids are UUIDs (the type a run id is documented as), JSON columns are
 * compared as values (PostgreSQL's jsonb re-spaces the text), and times are compared as instants.
 *
 * Time: most tests work on the real clock. A few need an exact "now" (the claim boundary, a worker
 * that went silent ten minutes ago): they replace Date.now() for the duration of the calls
 * (`atTime`), which only steers a backend that reads "now" from the process. A backend that reads
 * the database server's clock declares `clock: 'database'`, and those tests are reported as skipped.
 */
export interface StorageHarness {
  storage: JobStorage;
  /** The backend's DataSource, for backend-specific tests; the contract does not use it. */
  dataSource: DataSource;
  /** Releases the database (and removes its files). */
  close(): Promise<void>;
}

export interface StorageFactoryOptions {
  /** The storage must refuse inputs larger than this many bytes of JSON. */
  maxPayloadBytes: number;
}

export type StorageFactory = (options: StorageFactoryOptions) => Promise<StorageHarness>;

export interface StorageTraits {
  /** Where the backend reads "now": Date.now() in the process, or the database server's clock. */
  clock: 'process' | 'database';
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PAYLOAD_LIMIT = 1024;

/** Runs `fn` with Date.now() returning `ms`, whatever awaits happen inside. */
async function atTime<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(ms);
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

/** Waits until Date.now() has moved past `ms`: a later creation time on a real clock. */
async function clockPast(ms: number): Promise<void> {
  await waitFor(() => Date.now() > ms, { intervalMs: 1, what: `clock past ${ms}` });
}

/** A JSON column as a value: backends may store the text re-spaced (jsonb). */
const json = (text: string | null | undefined): unknown => (text == null ? text : JSON.parse(text));

/** An id no run has. */
const NO_SUCH_RUN = randomUUID();

const idsOf = (runs: ReadonlyArray<{ id: string }>) => runs.map((run) => run.id);
const sorted = (ids: readonly string[]) => [...ids].sort();

export function describeStorageContract(name: string, factory: StorageFactory, traits: StorageTraits): void {
  /** A test that freezes Date.now(): it can only steer a backend on the process clock. */
  const itOnProcessClock = traits.clock === 'process' ? it : it.skip;

  describe(`JobStorage contract: ${name}`, () => {
    let harness: StorageHarness;
    let storage: JobStorage;

    beforeEach(async () => {
      harness = await factory({ maxPayloadBytes: PAYLOAD_LIMIT });
      storage = harness.storage;
    });

    afterEach(async () => {
      jest.restoreAllMocks();
      await harness.close();
    });

    const define = (jobTypeId: string, extra: Partial<JobDefinitionInput> = {}) =>
      storage.upsertDefinition({ jobTypeId, displayName: jobTypeId, queue: 'default', priority: 0, ...extra });

    const totalRuns = async () => Object.values(await storage.countRuns()).reduce((sum, n) => sum + n, 0);

    const statusOf = async (runId: string) => (await storage.getRun(runId))?.status;

    /** Enqueues `count` runs of `jobTypeId` in one call. */
    const seed = (jobTypeId: string, count: number, extra: Partial<NewJobRun> = {}) =>
      storage.enqueueMany(Array.from({ length: count }, (_, i) => ({ jobTypeId, input: { i }, ...extra })));

    const completion = (runId: string, workerId: string, completedAt = new Date(), outputJson: string | null = null): RunCompletion =>
      ({ runId, workerId, outputJson, completedAt, durationMs: 5 });

    // ----- definitions -----

    describe('definitions', () => {
      it('getAllDefinitions returns every definition ordered by display name', async () => {
        await define('a', { displayName: 'Zeta' });
        await define('b', { displayName: 'Alpha' });
        await define('c', { displayName: 'Mid' });

        const all = await storage.getAllDefinitions();

        expect(all.map((d) => d.displayName)).toEqual(['Alpha', 'Mid', 'Zeta']);
        expect(all.map((d) => d.jobTypeId)).toEqual(['b', 'c', 'a']);
      });

      it('getJobDefinition returns the stored definition, or null for an unknown id', async () => {
        await define('known', { queue: 'critical', priority: 2 });

        expect(await storage.getJobDefinition('known')).toMatchObject({ jobTypeId: 'known', queue: 'critical', priority: 2 });
        expect(await storage.getJobDefinition('unknown')).toBeNull();
      });

      it('upsertDefinition inserts every given field, with defaults for the rest', async () => {
        await storage.upsertDefinition({
          jobTypeId: 'report',
          displayName: 'Monthly report',
          description: 'Builds the report',
          queue: 'low',
          priority: 4,
          timeoutMs: 30 * SECOND,
          maxRetries: 2,
          retryDelayMs: 1500,
          misfirePolicy: 'skip',
          preventOverlap: true,
          defaultInputJson: '{"month":1}',
          tags: ['billing', 'monthly'],
        });
        await storage.upsertDefinition({ jobTypeId: 'bare' });

        const report = await storage.getJobDefinition('report');
        expect(json(report!.defaultInputJson)).toEqual({ month: 1 });
        expect(report).toMatchObject({
          displayName: 'Monthly report',
          description: 'Builds the report',
          queue: 'low',
          priority: 4,
          timeoutMs: 30 * SECOND,
          maxRetries: 2,
          retryDelayMs: 1500,
          misfirePolicy: 'skip',
          preventOverlap: true,
          isEnabled: true,
          tags: ['billing', 'monthly'],
          scheduleType: ScheduleType.None,
          nextRunAt: null,
          lastRunAt: null,
        });
        expect(await storage.getJobDefinition('bare')).toMatchObject({
          displayName: 'bare',
          queue: 'default',
          priority: 0,
          isEnabled: true,
          preventOverlap: false,
          tags: [],
          scheduleType: ScheduleType.None,
        });
      });

      it('upsertDefinition update changes the given fields and keeps those left undefined', async () => {
        await storage.upsertDefinition({
          jobTypeId: 'report', displayName: 'Report', description: 'Monthly', queue: 'low', priority: 4, tags: ['billing'],
          maxRetries: 2,
        });

        await storage.upsertDefinition({ jobTypeId: 'report', priority: 9 });
        expect(await storage.getJobDefinition('report')).toMatchObject({
          displayName: 'Report', description: 'Monthly', queue: 'low', priority: 9, tags: ['billing'], maxRetries: 2,
        });

        // null is a value: it clears the field.
        await storage.upsertDefinition({ jobTypeId: 'report', description: null, maxRetries: null });
        expect(await storage.getJobDefinition('report')).toMatchObject({ description: null, maxRetries: null, priority: 9 });
      });

      it('upsertDefinition without isEnabled keeps a definition an operator disabled', async () => {
        await define('nightly');
        await storage.setDefinitionEnabled('nightly', false);

        await define('nightly', { description: 'synced again at start-up' });

        expect(await storage.getJobDefinition('nightly')).toMatchObject({ isEnabled: false, description: 'synced again at start-up' });
      });

      it('upsertDefinition keeps next_run_at when the schedule is unchanged and replaces it when it changes', async () => {
        const t = Date.UTC(2030, 0, 1);
        const interval = { scheduleType: ScheduleType.Interval, intervalMs: MINUTE, cronExpression: null, timezone: null };
        const nextRunAt = async () => (await storage.getJobDefinition('tick'))!.nextRunAt?.getTime();

        await define('tick', { ...interval, nextRunAt: new Date(t) });
        expect(await nextRunAt()).toBe(t);

        // A restart computes a new first tick from the same schedule: the stored tick stands.
        await define('tick', { ...interval, nextRunAt: new Date(t + 5 * SECOND) });
        expect(await nextRunAt()).toBe(t);

        await define('tick', { ...interval, intervalMs: 30 * SECOND, nextRunAt: new Date(t + 30 * SECOND) });
        expect(await nextRunAt()).toBe(t + 30 * SECOND);
        expect((await storage.getJobDefinition('tick'))!.intervalMs).toBe(30 * SECOND);

        const cron = { scheduleType: ScheduleType.Cron, cronExpression: '0 * * * *', intervalMs: null, timezone: null };
        await define('tick', { ...cron, nextRunAt: new Date(t + HOUR) });
        expect(await nextRunAt()).toBe(t + HOUR);

        await define('tick', { ...cron, timezone: 'Europe/Paris', nextRunAt: new Date(t + 2 * HOUR) });
        expect(await nextRunAt()).toBe(t + 2 * HOUR);

        await define('tick', { ...cron, timezone: 'Europe/Paris', nextRunAt: new Date(t + 3 * HOUR) });
        expect(await nextRunAt()).toBe(t + 2 * HOUR);
      });

      it('upsertDefinition that leaves the schedule fields undefined keeps the stored tick', async () => {
        const t = Date.UTC(2030, 0, 1);
        await define('tick', {
          scheduleType: ScheduleType.Cron, cronExpression: '0 * * * *', timezone: 'Europe/Paris', nextRunAt: new Date(t),
        });

        // Fields left undefined keep their stored value, so the schedule did not change.
        await storage.upsertDefinition({ jobTypeId: 'tick', nextRunAt: new Date(t + HOUR) });

        expect(await storage.getJobDefinition('tick')).toMatchObject({
          scheduleType: ScheduleType.Cron, cronExpression: '0 * * * *', timezone: 'Europe/Paris', nextRunAt: new Date(t),
        });
      });

      it('setDefinitionEnabled switches a definition off and on; an unknown id is an UnknownJobError', async () => {
        await define('toggle');

        await storage.setDefinitionEnabled('toggle', false);
        expect((await storage.getJobDefinition('toggle'))!.isEnabled).toBe(false);
        await storage.setDefinitionEnabled('toggle', true);
        expect((await storage.getJobDefinition('toggle'))!.isEnabled).toBe(true);

        await expect(storage.setDefinitionEnabled('missing', false)).rejects.toThrow(UnknownJobError);
      });

      it('updateSchedule replaces the schedule, a None schedule removes it, other fields stay', async () => {
        await define('sched', { queue: 'low', priority: 3 });
        const next = new Date(Date.UTC(2031, 5, 1, 9));

        await storage.updateSchedule('sched', {
          scheduleType: ScheduleType.Cron, cronExpression: '0 9 * * *', timezone: 'America/New_York', nextRunAt: next,
        });
        expect(await storage.getJobDefinition('sched')).toMatchObject({
          scheduleType: ScheduleType.Cron, cronExpression: '0 9 * * *', intervalMs: null, timezone: 'America/New_York',
          nextRunAt: next, queue: 'low', priority: 3,
        });

        await storage.updateSchedule('sched', { scheduleType: ScheduleType.None, nextRunAt: null });
        expect(await storage.getJobDefinition('sched')).toMatchObject({
          scheduleType: ScheduleType.None, cronExpression: null, intervalMs: null, timezone: null, nextRunAt: null,
          queue: 'low', priority: 3,
        });

        await expect(storage.updateSchedule('missing', { scheduleType: ScheduleType.None })).rejects.toThrow(UnknownJobError);
      });
    });

    // ----- enqueue -----

    describe('enqueue', () => {
      it('enqueue stores a pending run with queue and priority from the definition, scheduled now', async () => {
        await define('mail', { queue: 'critical', priority: 3 });

        const before = Date.now();
        const id = await storage.enqueue({ jobTypeId: 'mail', input: { to: 'a@example.com' } });
        const after = Date.now();

        const run = await storage.getRun(id);
        expect(run).toMatchObject({
          id,
          jobTypeId: 'mail',
          status: JobRunStatus.Pending,
          triggerType: JobTriggerType.Manual,
          queue: 'critical',
          priority: 3,
          attemptNumber: 0,
          workerId: null,
          startedAt: null,
          completedAt: null,
          parentRunId: null,
        });
        expect(json(run!.inputJson)).toEqual({ to: 'a@example.com' });
        expect(run!.scheduledAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(run!.scheduledAt.getTime()).toBeLessThanOrEqual(after);
        expect(run!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(run!.createdAt.getTime()).toBeLessThanOrEqual(after);
      });

      it('enqueue takes the given id, queue, priority, time and metadata over the defaults', async () => {
        await define('mail', { queue: 'critical', priority: 3 });
        const at = new Date(Date.UTC(2031, 0, 1));
        const givenId = randomUUID();

        const id = await storage.enqueue({
          id: givenId, jobTypeId: 'mail', queue: 'low', priority: -2, scheduledAt: at, inputJson: '[1,2]',
          input: { ignored: true }, triggerType: JobTriggerType.Scheduled, correlationId: 'corr-1', maxRetries: 7,
        });

        expect(id).toBe(givenId);
        const run = await storage.getRun(id);
        expect(run).toMatchObject({
          queue: 'low', priority: -2, scheduledAt: at, triggerType: JobTriggerType.Scheduled, correlationId: 'corr-1', maxRetries: 7,
        });
        expect(json(run!.inputJson)).toEqual([1, 2]);
      });

      it('enqueue without input stores null input, and generates distinct ids', async () => {
        await define('noop');

        const [a, b] = [await storage.enqueue({ jobTypeId: 'noop' }), await storage.enqueue({ jobTypeId: 'noop' })];

        expect(a).not.toBe(b);
        expect((await storage.getRun(a))!.inputJson).toBeNull();
      });

      it('enqueueMany stores every run and returns their ids in order', async () => {
        await define('bulk');

        const ids = await storage.enqueueMany([
          { jobTypeId: 'bulk', input: 1 }, { jobTypeId: 'bulk', input: 2 }, { jobTypeId: 'bulk', input: 3 },
        ]);

        expect(ids).toHaveLength(3);
        expect(new Set(ids).size).toBe(3);
        const inputs = await Promise.all(ids.map(async (id) => json((await storage.getRun(id))!.inputJson)));
        expect(inputs).toEqual([1, 2, 3]);
      });

      it('enqueueMany stores nothing when one item is invalid', async () => {
        await define('bulk');
        const [taken, fresh1, fresh2] = [randomUUID(), randomUUID(), randomUUID()];
        await storage.enqueue({ id: taken, jobTypeId: 'bulk' });

        await expect(
          storage.enqueueMany([{ jobTypeId: 'bulk' }, { jobTypeId: 'bulk' }, { jobTypeId: 'no-such-job' }]),
        ).rejects.toThrow(UnknownJobError);
        await expect(storage.enqueueMany([{ jobTypeId: 'bulk' }, { jobTypeId: 'bulk', input: { n: 1n } }])).rejects.toThrow(
          InvalidPayloadError,
        );
        // Valid items up to a conflict at insert time: the earlier inserts are rolled back.
        await expect(
          storage.enqueueMany([{ id: fresh1, jobTypeId: 'bulk' }, { id: fresh2, jobTypeId: 'bulk' }, { id: taken, jobTypeId: 'bulk' }]),
        ).rejects.toThrow(InvalidRunStateError);
        await expect(storage.enqueue({ id: taken, jobTypeId: 'bulk' })).rejects.toThrow(`A run with id '${taken}' exists already`);

        expect(await totalRuns()).toBe(1);
        expect(await storage.getRun(fresh1)).toBeNull();
      });
    });

    // ----- bad input -----

    describe('bad input stores nothing', () => {
      beforeEach(() => define('job'));

      it('enqueue of an unknown job type throws UnknownJobError naming it', async () => {
        const error = await storage.enqueue({ jobTypeId: 'send-invoice' }).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(UnknownJobError);
        expect((error as UnknownJobError).jobTypeId).toBe('send-invoice');
        expect((error as Error).message).toContain("'send-invoice'");
        expect(await totalRuns()).toBe(0);
      });

      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      it.each([
        ['a BigInt', { amount: 10n }],
        ['a circular object', circular],
        ['a function', () => 'not data'],
        ['a symbol', Symbol('nope')],
        ['a nested function', { name: 'x', callback: () => 1 }],
        ['a nested symbol', { tags: [Symbol('nope')] }],
      ])('enqueue of input holding %s throws InvalidPayloadError', async (_what, input) => {
        await storage.enqueue({ jobTypeId: 'job', input: 'fine' });

        const error = await storage.enqueue({ jobTypeId: 'job', input }).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(InvalidPayloadError);
        expect((error as Error).message).toContain("input of job 'job'");
        expect(await totalRuns()).toBe(1);
      });

      it('enqueue of input over maxPayloadBytes throws InvalidPayloadError; input exactly at the limit is stored', async () => {
        // A JSON string is its characters plus two quotes.
        const over = 'x'.repeat(PAYLOAD_LIMIT - 1);
        const atLimit = 'x'.repeat(PAYLOAD_LIMIT - 2);

        const error = await storage.enqueue({ jobTypeId: 'job', input: over }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidPayloadError);
        expect((error as Error).message).toContain(`${PAYLOAD_LIMIT + 1} bytes`);
        expect((error as Error).message).toContain('maxPayloadBytes');
        expect(await totalRuns()).toBe(0);

        const id = await storage.enqueue({ jobTypeId: 'job', input: atLimit });
        expect(json((await storage.getRun(id))!.inputJson)).toBe(atLimit);
        expect(await totalRuns()).toBe(1);
      });

      it('claimScheduleTick with an unknown job type throws and moves nothing', async () => {
        const due = new Date(Date.UTC(2030, 0, 1));
        await define('tick', { scheduleType: ScheduleType.Interval, intervalMs: MINUTE, nextRunAt: due });

        await expect(
          storage.claimScheduleTick({
            jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: new Date(due.getTime() + MINUTE), firedAt: due,
            run: { jobTypeId: 'not-defined' },
          }),
        ).rejects.toThrow(UnknownJobError);

        expect((await storage.getJobDefinition('tick'))!.nextRunAt).toEqual(due);
        expect(await totalRuns()).toBe(0);
      });
    });

    // ----- claiming -----

    describe('dequeue and claim', () => {
      it('dequeue sets the run running with the worker id, start time and attempt 1', async () => {
        await define('job');
        const id = await storage.enqueue({ jobTypeId: 'job' });

        const before = Date.now();
        const run = await storage.dequeue('default', 'worker-1');
        const after = Date.now();

        expect(run).toMatchObject({ id, status: JobRunStatus.Running, workerId: 'worker-1', attemptNumber: 1 });
        expect(run!.startedAt!.getTime()).toBeGreaterThanOrEqual(before);
        expect(run!.startedAt!.getTime()).toBeLessThanOrEqual(after);
        expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'worker-1', attemptNumber: 1 });
      });

      it('dequeue returns null when the queue has nothing due', async () => {
        await define('job');
        await storage.enqueue({ jobTypeId: 'job', queue: 'other' });

        expect(await storage.dequeue('default', 'worker-1')).toBeNull();
        expect(await storage.dequeue('other', 'worker-1')).not.toBeNull();
        expect(await storage.dequeue('other', 'worker-1')).toBeNull();
      });

      it('claim hands out runs by priority, then scheduled time, then creation', async () => {
        await define('job');
        const base = Date.now() - HOUR;
        const at = (offset: number) => new Date(base + offset);
        const ids = {
          low: await storage.enqueue({ jobTypeId: 'job', priority: 0, scheduledAt: at(0) }),
          highLate: await storage.enqueue({ jobTypeId: 'job', priority: 5, scheduledAt: at(2 * MINUTE) }),
          highEarly: await storage.enqueue({ jobTypeId: 'job', priority: 5, scheduledAt: at(MINUTE) }),
        };
        // Same priority and time: the one created first goes first.
        const createdFirst = await storage.enqueue({ jobTypeId: 'job', priority: 2, scheduledAt: at(3 * MINUTE) });
        await clockPast(Date.now());
        const createdSecond = await storage.enqueue({ jobTypeId: 'job', priority: 2, scheduledAt: at(3 * MINUTE) });
        const expected = [ids.highEarly, ids.highLate, createdFirst, createdSecond, ids.low];

        expect(idsOf(await storage.getPendingRuns('default'))).toEqual(expected);
        // One at a time: the selection follows the order, not just the returned list.
        const oneByOne: string[] = [];
        for (let i = 0; i < 3; i++) oneByOne.push(...idsOf(await storage.claim(['default'], 'worker-1', 1)));
        expect(oneByOne).toEqual(expected.slice(0, 3));
        expect(idsOf(await storage.claim(['default'], 'worker-1', 10))).toEqual(expected.slice(3));
      });

      it('claim returns what a worker needs to run the attempt', async () => {
        await define('job', { queue: 'critical', priority: 1 });
        const id = await storage.enqueue({ jobTypeId: 'job', input: { a: 1 }, correlationId: 'c-1', maxRetries: 4 });

        const [claimed] = await storage.claim(['critical'], 'worker-1', 1);

        expect(claimed).toMatchObject({
          id, jobTypeId: 'job', queue: 'critical', priority: 1, attemptNumber: 1, maxRetries: 4,
          correlationId: 'c-1', parentRunId: null, triggerType: JobTriggerType.Manual,
        });
        expect(json(claimed.inputJson)).toEqual({ a: 1 });
        expect(claimed.startedAt).toBeInstanceOf(Date);
        expect(claimed.scheduledAt).toBeInstanceOf(Date);
        expect(claimed.createdAt).toBeInstanceOf(Date);
      });

      it('claim takes queues in the order given, before priority', async () => {
        await define('job');
        const critical1 = await storage.enqueue({ jobTypeId: 'job', queue: 'critical', priority: 0 });
        const default1 = await storage.enqueue({ jobTypeId: 'job', queue: 'default', priority: 10 });

        expect(idsOf(await storage.claim(['critical', 'default'], 'w', 1))).toEqual([critical1]);
        const critical2 = await storage.enqueue({ jobTypeId: 'job', queue: 'critical', priority: 0 });
        expect(idsOf(await storage.claim(['default', 'critical'], 'w', 1))).toEqual([default1]);
        expect(idsOf(await storage.claim(['default', 'critical'], 'w', 5))).toEqual([critical2]);
      });

      it('claim fills its limit from the next queue when the first runs out', async () => {
        await define('job');
        const critical = await seed('job', 2, { queue: 'critical' });
        const low = await storage.enqueue({ jobTypeId: 'job', queue: 'low', priority: 9 });
        await seed('job', 3, { queue: 'default' });

        const claimed = await storage.claim(['critical', 'low', 'default'], 'w', 4);

        expect(claimed.map((r) => r.queue)).toEqual(['critical', 'critical', 'low', 'default']);
        expect(sorted(idsOf(claimed.slice(0, 2)))).toEqual(sorted(critical));
        expect(claimed[2].id).toBe(low);
        expect(await storage.claim([], 'w', 4)).toEqual([]);
        expect(await storage.claim(['default'], 'w', 0)).toEqual([]);
      });

      it('claim skips runs of disabled definitions until they are enabled again', async () => {
        await define('on');
        await define('off');
        const onRun = await storage.enqueue({ jobTypeId: 'on' });
        const offRun = await storage.enqueue({ jobTypeId: 'off', priority: 10 });
        await storage.setDefinitionEnabled('off', false);

        expect(idsOf(await storage.claim(['default'], 'w', 10))).toEqual([onRun]);
        expect(await storage.dequeue('default', 'w')).toBeNull();
        expect(await statusOf(offRun)).toBe(JobRunStatus.Pending);

        await storage.setDefinitionEnabled('off', true);
        expect((await storage.dequeue('default', 'w'))?.id).toBe(offRun);
      });

      it('claim with jobTypeIds takes only runs of those job types', async () => {
        await define('mine');
        await define('theirs');
        const theirs = await storage.enqueue({ jobTypeId: 'theirs', priority: 5 });
        const mine = await storage.enqueue({ jobTypeId: 'mine' });

        expect(await storage.claim(['default'], 'w', 10, [])).toEqual([]);
        expect(idsOf(await storage.claim(['default'], 'w', 10, ['mine']))).toEqual([mine]);
        expect(await statusOf(theirs)).toBe(JobRunStatus.Pending);
      });

      itOnProcessClock('claim hands out a run scheduled exactly now, and not one scheduled 1 ms later', async () => {
        await define('job');
        const now = Date.now();

        await atTime(now, async () => {
          const due = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(now) });
          const oneMsLater = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(now + 1) });

          expect(idsOf(await storage.getPendingRuns('default'))).toEqual([due]);
          expect(idsOf(await storage.claim(['default'], 'w', 10))).toEqual([due]);
          expect(await storage.dequeue('default', 'w')).toBeNull();
          expect(await statusOf(oneMsLater)).toBe(JobRunStatus.Pending);
        });
        await atTime(now + 1, async () => {
          expect((await storage.dequeue('default', 'w'))?.scheduledAt.getTime()).toBe(now + 1);
        });
      });

      it('claim does not hand out a run scheduled a minute ahead', async () => {
        await define('job');
        await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(Date.now() + MINUTE) });

        expect(await storage.claim(['default'], 'w', 10)).toEqual([]);
        expect(await storage.getPendingRuns('default')).toEqual([]);
      });

      it('getPendingRuns lists due pending runs of a queue in claim order without claiming them', async () => {
        await define('job');
        const low = await storage.enqueue({ jobTypeId: 'job', priority: 0 });
        const high = await storage.enqueue({ jobTypeId: 'job', priority: 5 });
        await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(Date.now() + HOUR) });
        await storage.enqueue({ jobTypeId: 'job', queue: 'other' });
        const [running] = await storage.claim(['default'], 'w', 1);
        expect(running.id).toBe(high);
        const high2 = await storage.enqueue({ jobTypeId: 'job', priority: 5 });

        const pending = await storage.getPendingRuns('default');

        expect(idsOf(pending)).toEqual([high2, low]);
        expect(pending.every((r) => r.status === JobRunStatus.Pending)).toBe(true);
        expect(idsOf(await storage.getPendingRuns('default', 1))).toEqual([high2]);
        expect(await statusOf(low)).toBe(JobRunStatus.Pending);
      });
    });

    // ----- reading and updating runs -----

    describe('runs', () => {
      it('updateRun changes the given fields only; an unknown id is a RunNotFoundError', async () => {
        await define('job');
        const id = await storage.enqueue({ jobTypeId: 'job', input: { keep: true }, correlationId: 'c' });
        const started = new Date(Date.UTC(2030, 1, 2, 3, 4, 5, 6));

        await storage.updateRun(id, { progressJson: '{"pct":50}', startedAt: started, workerId: 'w-9', attemptNumber: 2 });

        const updated = await storage.getRun(id);
        expect(updated).toMatchObject({
          startedAt: started, workerId: 'w-9', attemptNumber: 2, status: JobRunStatus.Pending, correlationId: 'c',
        });
        expect([json(updated!.progressJson), json(updated!.inputJson)]).toEqual([{ pct: 50 }, { keep: true }]);
        await storage.updateRun(id, { workerId: null, startedAt: null });
        const cleared = await storage.getRun(id);
        expect(cleared).toMatchObject({ workerId: null, startedAt: null });
        expect(json(cleared!.progressJson)).toEqual({ pct: 50 });

        await expect(storage.updateRun(NO_SUCH_RUN, { progressJson: '{}' })).rejects.toThrow(RunNotFoundError);
        await expect(storage.updateRun(NO_SUCH_RUN, {})).rejects.toThrow(RunNotFoundError);
      });

      it('getRun returns null for an unknown id', async () => {
        expect(await storage.getRun(NO_SUCH_RUN)).toBeNull();
      });

      describe('listing and counting', () => {
        let runs: { a1: string; a2: string; b1: string; child: string };

        beforeEach(async () => {
          await define('alpha', { queue: 'default' });
          await define('beta', { queue: 'critical' });
          // Distinct creation times, so the newest-first order is defined.
          const next = async <T>(fn: () => Promise<T>) => {
            await clockPast(Date.now());
            return fn();
          };
          const a1 = await storage.enqueue({ jobTypeId: 'alpha', correlationId: 'x' });
          runs = {
            a1,
            a2: await next(() => storage.enqueue({ jobTypeId: 'alpha' })),
            b1: await next(() => storage.enqueue({ jobTypeId: 'beta', correlationId: 'x' })),
            child: await next(() =>
              storage.enqueue({ jobTypeId: 'beta', parentRunId: a1, status: JobRunStatus.Awaiting, continueOn: 'success' })),
          };
          await storage.cancelRun(runs.a2);
        });

        it('listRuns filters by job type, status, queue, correlation and parent, newest first, with limit and offset', async () => {
          const { a1, a2, b1, child } = runs;

          expect(idsOf(await storage.listRuns())).toEqual([child, b1, a2, a1]);
          expect(idsOf(await storage.listRuns({ jobTypeId: 'alpha' }))).toEqual([a2, a1]);
          expect(idsOf(await storage.listRuns({ status: JobRunStatus.Cancelled }))).toEqual([a2]);
          expect(idsOf(await storage.listRuns({ status: [JobRunStatus.Pending, JobRunStatus.Awaiting] }))).toEqual([child, b1, a1]);
          expect(idsOf(await storage.listRuns({ queue: 'critical' }))).toEqual([child, b1]);
          expect(idsOf(await storage.listRuns({ correlationId: 'x' }))).toEqual([b1, a1]);
          expect(idsOf(await storage.listRuns({ parentRunId: a1 }))).toEqual([child]);
          expect(idsOf(await storage.listRuns({ jobTypeId: 'beta', status: JobRunStatus.Pending }))).toEqual([b1]);
          expect(idsOf(await storage.listRuns({ limit: 2, offset: 1 }))).toEqual([b1, a2]);
          expect(await storage.listRuns({ jobTypeId: 'nothing' })).toEqual([]);
        });

        it('countRuns counts runs per status, every status present, filtered by job type or queue', async () => {
          const zero = Object.fromEntries(Object.values(JobRunStatus).map((s) => [s, 0]));

          expect(await storage.countRuns()).toEqual({ ...zero, pending: 2, awaiting: 1, cancelled: 1 });
          expect(await storage.countRuns({ jobTypeId: 'alpha' })).toEqual({ ...zero, pending: 1, cancelled: 1 });
          expect(await storage.countRuns({ queue: 'critical' })).toEqual({ ...zero, pending: 1, awaiting: 1 });
          expect(await storage.countRuns({ jobTypeId: 'alpha', queue: 'critical' })).toEqual(zero);
        });
      });
    });

    // ----- outcomes -----

    describe('outcomes', () => {
      beforeEach(() => define('job'));

      it('completeRuns completes only runs still held by that worker and returns their ids', async () => {
        const [held, cancelled] = await seed('job', 2);
        expect(sorted(idsOf(await storage.claim(['default'], 'w1', 2)))).toEqual(sorted([held, cancelled]));
        const otherWorkers = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w2', 1);
        const neverClaimed = await storage.enqueue({ jobTypeId: 'job' });
        await storage.cancelRun(cancelled);
        const completedAt = new Date(Date.UTC(2030, 0, 1, 12));

        const done = await storage.completeRuns([
          { runId: held, workerId: 'w1', outputJson: '{"ok":true}', completedAt, durationMs: 42 },
          completion(cancelled, 'w1'),
          completion(otherWorkers, 'w1'),
          completion(neverClaimed, 'w1'),
          completion(NO_SUCH_RUN, 'w1'),
        ]);

        expect(done).toEqual([held]);
        const completed = await storage.getRun(held);
        expect(completed).toMatchObject({ status: JobRunStatus.Completed, completedAt, durationMs: 42, workerId: 'w1' });
        expect(json(completed!.outputJson)).toEqual({ ok: true });
        expect(await statusOf(cancelled)).toBe(JobRunStatus.Cancelled);
        expect(await storage.getRun(otherWorkers)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w2' });
        expect(await statusOf(neverClaimed)).toBe(JobRunStatus.Pending);
        expect(await storage.completeRuns([])).toEqual([]);
      });

      it('completeAndClaim commits the completions still held and claims the next runs for the freed slots', async () => {
        const held = await storage.enqueue({ jobTypeId: 'job', priority: 9 });
        const heldElsewhere = await storage.enqueue({ jobTypeId: 'job', priority: 8 });
        await storage.claim(['default'], 'w1', 1);
        await storage.claim(['default'], 'w2', 1);
        const next = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
        const after = await storage.enqueue({ jobTypeId: 'job', priority: 0 });

        const result = await storage.completeAndClaim(
          [completion(held, 'w1', new Date(), '"done"'), completion(heldElsewhere, 'w1')],
          { queues: ['default'], workerId: 'w1', limit: 1 },
        );

        expect(result.completed).toEqual([held]);
        expect(idsOf(result.claimed)).toEqual([next]);
        expect(result.claimed[0]).toMatchObject({ attemptNumber: 1, jobTypeId: 'job' });
        expect(await statusOf(held)).toBe(JobRunStatus.Completed);
        expect(json((await storage.getRun(held))!.outputJson)).toBe('done');
        expect(await storage.getRun(heldElsewhere)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w2' });
        expect(await storage.getRun(next)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1' });
        expect(await statusOf(after)).toBe(JobRunStatus.Pending);
      });

      const retry = (runId: string, retryAt: Date) => storage.failRun({
        runId, workerId: 'w1', errorMessage: 'boom', errorDetails: 'stack', completedAt: new Date(), durationMs: 7, retryAt,
      });

      it('failRun with retryAt puts the run back to pending at that time', async () => {
        const [later, due] = await seed('job', 2);
        await storage.claim(['default'], 'w1', 2);
        const retryAt = new Date(Date.now() + MINUTE);

        expect(await retry(later, retryAt)).toBe(true);
        expect(await retry(due, new Date(Date.now() - SECOND))).toBe(true);

        expect(await storage.getRun(later)).toMatchObject({
          status: JobRunStatus.Pending, scheduledAt: retryAt, nextRetryAt: retryAt, errorMessage: 'boom', errorDetails: 'stack',
          attemptNumber: 1,
        });
        // Only the run whose retry time has come goes out again, as its next attempt.
        const claimed = await storage.claim(['default'], 'w2', 10);
        expect(claimed.map((run) => [run.id, run.attemptNumber])).toEqual([[due, 2]]);
      });

      itOnProcessClock('failRun with retryAt: the run is not claimed 1 ms before that time, and is at it', async () => {
        const id = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w1', 1);
        const retryAt = Date.now() + MINUTE;
        await retry(id, new Date(retryAt));

        expect(await atTime(retryAt - 1, () => storage.claim(['default'], 'w1', 1))).toEqual([]);
        const [again] = await atTime(retryAt, () => storage.claim(['default'], 'w1', 1));
        expect(again).toMatchObject({ id, attemptNumber: 2 });
      });

      it('failRun without retryAt ends the run failed', async () => {
        const id = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w1', 1);
        const completedAt = new Date(Date.UTC(2030, 0, 1));

        const held = await storage.failRun({
          runId: id, workerId: 'w1', errorMessage: 'dead', errorDetails: null, completedAt, durationMs: 3, retryAt: null,
        });

        expect(held).toBe(true);
        expect(await storage.getRun(id)).toMatchObject({
          status: JobRunStatus.Failed, completedAt, errorMessage: 'dead', durationMs: 3,
        });
        expect(await storage.claim(['default'], 'w1', 1)).toEqual([]);
      });

      it('failRun returns false and changes nothing when the worker no longer holds the run', async () => {
        const id = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w1', 1);
        const failure = {
          runId: id, errorMessage: 'late', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null,
        };

        expect(await storage.failRun({ ...failure, workerId: 'w2' })).toBe(false);
        expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1', errorMessage: null });
        await storage.cancelRun(id);
        expect(await storage.failRun({ ...failure, workerId: 'w1', retryAt: new Date() })).toBe(false);
        expect(await statusOf(id)).toBe(JobRunStatus.Cancelled);
      });

      it('cancelRun cancels pending, running and awaiting runs and returns their former status', async () => {
        const pending = await storage.enqueue({ jobTypeId: 'job' });
        const running = await storage.enqueue({ jobTypeId: 'job', priority: 5 });
        expect(idsOf(await storage.claim(['default'], 'w1', 1))).toEqual([running]);
        const awaiting = await storage.enqueue({ jobTypeId: 'job', parentRunId: running, status: JobRunStatus.Awaiting, continueOn: 'success' });

        expect(await storage.cancelRun(pending, 'not needed')).toBe(JobRunStatus.Pending);
        expect(await storage.cancelRun(awaiting)).toBe(JobRunStatus.Awaiting);
        expect(await storage.cancelRun(running)).toBe(JobRunStatus.Running);

        const cancelled = await storage.getRun(pending);
        expect(cancelled).toMatchObject({ status: JobRunStatus.Cancelled, errorMessage: 'not needed' });
        expect(cancelled!.completedAt).toBeInstanceOf(Date);
        expect(await statusOf(awaiting)).toBe(JobRunStatus.Cancelled);
        expect(await statusOf(running)).toBe(JobRunStatus.Cancelled);
      });

      it('cancelRun of a finished run returns null and changes nothing; an unknown id is a RunNotFoundError', async () => {
        const id = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w1', 1);
        await storage.completeRuns([completion(id, 'w1')]);

        expect(await storage.cancelRun(id)).toBeNull();
        expect(await statusOf(id)).toBe(JobRunStatus.Completed);
        await expect(storage.cancelRun(NO_SUCH_RUN)).rejects.toThrow(RunNotFoundError);
      });

      it('requeueRun puts a failed or cancelled run back in the queue with a fresh attempt count', async () => {
        const failed = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w1', 1);
        await storage.failRun({
          runId: failed, workerId: 'w1', errorMessage: 'x', errorDetails: null, completedAt: new Date(), durationMs: 1, retryAt: null,
        });
        const cancelled = await storage.enqueue({ jobTypeId: 'job' });
        await storage.cancelRun(cancelled);
        const later = new Date(Date.now() + HOUR);

        await storage.requeueRun(failed, later);
        await storage.requeueRun(cancelled);

        expect(await storage.getRun(failed)).toMatchObject({
          status: JobRunStatus.Pending, scheduledAt: later, attemptNumber: 0, workerId: null, completedAt: null,
        });
        expect(await storage.getRun(cancelled)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 0 });
        expect(idsOf(await storage.claim(['default'], 'w2', 10))).toEqual([cancelled]);
        expect((await storage.getRun(cancelled))!.attemptNumber).toBe(1);
      });

      it('requeueRun of a pending, running or completed run throws InvalidRunStateError and changes nothing', async () => {
        const [running, completed, pending] = await seed('job', 3);
        const claimed = await storage.claim(['default'], 'w1', 3);
        await storage.releaseRuns('w1', [pending]);
        await storage.completeRuns([completion(completed, 'w1')]);
        expect(claimed).toHaveLength(3);

        for (const [id, status] of [
          [pending, JobRunStatus.Pending], [running, JobRunStatus.Running], [completed, JobRunStatus.Completed],
        ] as const) {
          const error = await storage.requeueRun(id).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidRunStateError);
          expect((error as Error).message).toContain(status);
          expect(await statusOf(id)).toBe(status);
        }
        await expect(storage.requeueRun(NO_SUCH_RUN)).rejects.toThrow(RunNotFoundError);
      });

      it('releaseRuns returns only the runs that worker holds to the queue; the interrupted attempt does not count', async () => {
        const [a, b] = await seed('job', 2);
        await storage.claim(['default'], 'w1', 2);
        const c = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w2', 1);

        expect(await storage.releaseRuns('w1', [a, c, NO_SUCH_RUN])).toBe(1);

        expect(await storage.getRun(a)).toMatchObject({ status: JobRunStatus.Pending, workerId: null, attemptNumber: 0 });
        expect(await storage.getRun(b)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w1', attemptNumber: 1 });
        expect(await storage.getRun(c)).toMatchObject({ status: JobRunStatus.Running, workerId: 'w2' });
        const [again] = await storage.claim(['default'], 'w3', 10);
        expect(again).toMatchObject({ id: a, attemptNumber: 1 });
        expect(await storage.releaseRuns('w1', [])).toBe(0);
      });

      it('stillHeld returns the given runs that are running and held by that worker', async () => {
        const [a, b] = await seed('job', 2);
        await storage.claim(['default'], 'w1', 2);
        const c = await storage.enqueue({ jobTypeId: 'job' });
        await storage.cancelRun(b);

        expect(await storage.stillHeld('w1', [a, b, c, NO_SUCH_RUN])).toEqual([a]);
        expect(await storage.stillHeld('w2', [a])).toEqual([]);
        expect(await storage.stillHeld('w1', [])).toEqual([]);
      });
    });

    // ----- stale workers -----

    describe('recoverStaleRuns', () => {
      itOnProcessClock('returns runs of silent workers to the queue, fails those with no attempt left, leaves live workers alone', async () => {
        await define('job');
        await define('no-retries', { maxRetries: 0 });
        const now = Date.now();
        const tenMinutesAgo = now - 10 * MINUTE;
        const runs = await atTime(tenMinutesAgo, async () => {
          await storage.updateHeartbeat('dead');
          await storage.updateHeartbeat('live');
          const retryable = await storage.enqueue({ jobTypeId: 'job', maxRetries: 3 });
          const lastAttempt = await storage.enqueue({ jobTypeId: 'job', maxRetries: 0, priority: -1 });
          const byDefinition = await storage.enqueue({ jobTypeId: 'no-retries', priority: -2 });
          expect(idsOf(await storage.claim(['default'], 'dead', 3))).toEqual([retryable, lastAttempt, byDefinition]);
          const livesOn = await storage.enqueue({ jobTypeId: 'job' });
          await storage.claim(['default'], 'live', 1);
          const noHeartbeatEver = await storage.enqueue({ jobTypeId: 'job' });
          await storage.claim(['default'], 'ghost', 1);
          return { retryable, lastAttempt, byDefinition, livesOn, noHeartbeatEver };
        });
        await storage.updateHeartbeat('live');

        expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(4);

        expect(await storage.getRun(runs.retryable)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 1 });
        expect((await storage.getRun(runs.retryable))!.errorMessage).toContain('dead');
        expect(await storage.getRun(runs.noHeartbeatEver)).toMatchObject({ status: JobRunStatus.Pending });
        for (const id of [runs.lastAttempt, runs.byDefinition]) {
          const run = await storage.getRun(id);
          expect(run).toMatchObject({ status: JobRunStatus.Failed });
          expect(run!.completedAt).toBeInstanceOf(Date);
        }
        expect(await storage.getRun(runs.livesOn)).toMatchObject({ status: JobRunStatus.Running, workerId: 'live' });
        expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(0);

        const [again] = await storage.claim(['default'], 'new', 10);
        expect(again).toMatchObject({ id: runs.retryable, attemptNumber: 2 });
      });

      itOnProcessClock('uses defaultMaxRetries when neither the run nor its definition sets one', async () => {
        await define('job');
        const now = Date.now();
        const id = await atTime(now - 10 * MINUTE, async () => {
          const runId = await storage.enqueue({ jobTypeId: 'job' });
          await storage.claim(['default'], 'dead', 1);
          return runId;
        });

        expect(await storage.recoverStaleRuns(MINUTE, 0)).toBe(1);
        expect(await statusOf(id)).toBe(JobRunStatus.Failed);
      });

      it('on the real clock: a worker silent for longer than staleAfter loses its run, a live one keeps its own', async () => {
        // Short enough to wait for, long enough that the live worker's beat below stays within it.
        const staleAfter = 250;
        await define('job');
        await storage.updateHeartbeat('dead');
        await storage.updateHeartbeat('live');
        const deadRun = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
        await storage.claim(['default'], 'dead', 1);
        const liveRun = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'live', 1);
        await clockPast(Date.now() + staleAfter);
        await storage.updateHeartbeat('live');

        expect(await storage.recoverStaleRuns(staleAfter, 3)).toBe(1);

        expect(await storage.getRun(deadRun)).toMatchObject({ status: JobRunStatus.Pending, attemptNumber: 1 });
        expect(await storage.getRun(liveRun)).toMatchObject({ status: JobRunStatus.Running, workerId: 'live' });
      });

      it('leaves a run a worker claimed just now, before its first heartbeat', async () => {
        await define('job');
        const id = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'starting', 1);

        expect(await storage.recoverStaleRuns(MINUTE, 3)).toBe(0);
        expect(await storage.getRun(id)).toMatchObject({ status: JobRunStatus.Running, workerId: 'starting' });
      });
    });

    // ----- continuations -----

    describe('continuations', () => {
      let parent: string;
      const child = (continueOn: 'success' | 'failure' | 'always', extra: Partial<NewJobRun> = {}) =>
        storage.enqueue({
          jobTypeId: 'child', parentRunId: parent, status: JobRunStatus.Awaiting, continueOn,
          triggerType: JobTriggerType.Continuation, input: { own: continueOn }, ...extra,
        });

      beforeEach(async () => {
        await define('parent');
        await define('child');
        parent = await storage.enqueue({ jobTypeId: 'parent' });
      });

      it('a completed parent releases its on-success and always children, passing its output when asked, and cancels the rest', async () => {
        const onSuccess = await child('success', { passParentOutput: true });
        const onFailure = await child('failure');
        const always = await child('always');

        expect(idsOf(await storage.claim(['default'], 'w', 10))).toEqual([parent]);
        await storage.completeRuns([completion(parent, 'w', new Date(), '{"total":3}')]);

        const [released, alsoReleased, cancelled] = await Promise.all([onSuccess, always, onFailure].map((id) => storage.getRun(id)));
        expect([released!.status, json(released!.inputJson)]).toEqual([JobRunStatus.Pending, { total: 3 }]);
        expect([alsoReleased!.status, json(alsoReleased!.inputJson)]).toEqual([JobRunStatus.Pending, { own: 'always' }]);
        expect([cancelled!.status, json(cancelled!.inputJson)]).toEqual([JobRunStatus.Cancelled, { own: 'failure' }]);
        expect(cancelled!.completedAt).toBeInstanceOf(Date);
        expect(sorted(idsOf(await storage.claim(['default'], 'w', 10)))).toEqual(sorted([onSuccess, always]));
      });

      it('a failed parent releases its on-failure children and cancels its on-success ones', async () => {
        const onSuccess = await child('success');
        const onFailure = await child('failure', { passParentOutput: true });
        await storage.claim(['default'], 'w', 1);

        // A retry is not an outcome: the children keep waiting.
        await storage.failRun({
          runId: parent, workerId: 'w', errorMessage: 'try again', errorDetails: null, completedAt: new Date(), durationMs: 1,
          retryAt: new Date(),
        });
        expect(await statusOf(onSuccess)).toBe(JobRunStatus.Awaiting);
        expect(await statusOf(onFailure)).toBe(JobRunStatus.Awaiting);

        await storage.claim(['default'], 'w', 1);
        await storage.failRun({
          runId: parent, workerId: 'w', errorMessage: 'gave up', errorDetails: null, completedAt: new Date(), durationMs: 1,
          retryAt: null,
        });

        expect(await statusOf(onSuccess)).toBe(JobRunStatus.Cancelled);
        // The parent failed without output: nothing to pass on.
        expect(await storage.getRun(onFailure)).toMatchObject({ status: JobRunStatus.Pending, inputJson: null });
      });

      it('resolveContinuations resolves the children of a finished parent once, and none of an unfinished one', async () => {
        const onSuccess = await child('success');
        const onFailure = await child('failure');

        expect(await storage.resolveContinuations(parent)).toBe(0);
        expect(await statusOf(onSuccess)).toBe(JobRunStatus.Awaiting);

        await storage.updateRun(parent, { status: JobRunStatus.Failed, completedAt: new Date() });
        expect(await storage.resolveContinuations(parent)).toBe(2);
        expect(await statusOf(onSuccess)).toBe(JobRunStatus.Cancelled);
        expect(await statusOf(onFailure)).toBe(JobRunStatus.Pending);
        expect(await storage.resolveContinuations(parent)).toBe(0);

        await expect(storage.resolveContinuations(NO_SUCH_RUN)).rejects.toThrow(RunNotFoundError);
      });
    });

    // ----- logs -----

    describe('logs', () => {
      let runId: string;
      beforeEach(async () => {
        await define('job');
        runId = await storage.enqueue({ jobTypeId: 'job' });
      });

      it('addLog stores a line with all its fields', async () => {
        const timestamp = new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 321));

        await storage.addLog({
          runId, level: JobLogLevel.Warn, message: 'disk almost full', timestamp, category: 'io', exception: 'Error: x',
          attemptNumber: 2,
        });
        const before = Date.now();
        await storage.addLog({ runId, level: JobLogLevel.Info, message: 'no timestamp given' });

        const [first, second] = await storage.getLogs(runId);
        expect(first).toMatchObject({
          runId, level: JobLogLevel.Warn, message: 'disk almost full', timestamp, category: 'io', exception: 'Error: x',
          attemptNumber: 2,
        });
        expect(second).toMatchObject({ level: JobLogLevel.Info, category: null, exception: null, attemptNumber: null });
        expect(second.timestamp.getTime()).toBeGreaterThanOrEqual(before);
      });

      it('addLog for an unknown run throws RunNotFoundError and stores nothing', async () => {
        await expect(storage.addLog({ runId: NO_SUCH_RUN, level: JobLogLevel.Info, message: 'x' })).rejects.toThrow(
          RunNotFoundError,
        );
        expect(await storage.getLogs(NO_SUCH_RUN)).toEqual([]);
      });

      it('addLogs stores many lines; getLogs returns the first `limit` of a run, oldest first', async () => {
        const other = await storage.enqueue({ jobTypeId: 'job' });
        const at = new Date();
        // Lines written within one millisecond keep the order they were written in.
        await storage.addLogs([
          ...['one', 'two', 'three', 'four', 'five'].map((message) => ({ runId, level: JobLogLevel.Info, message, timestamp: at })),
          { runId: other, level: JobLogLevel.Error, message: 'elsewhere', timestamp: at },
        ]);
        await storage.addLog({ runId, level: JobLogLevel.Debug, message: 'six' });

        expect((await storage.getLogs(runId)).map((l) => l.message)).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
        expect((await storage.getLogs(runId, 3)).map((l) => l.message)).toEqual(['one', 'two', 'three']);
        expect((await storage.getLogs(other)).map((l) => l.message)).toEqual(['elsewhere']);
        await storage.addLogs([]);
      });
    });

    // ----- heartbeats -----

    describe('heartbeats', () => {
      it('updateHeartbeat records a worker; a second beat moves last_heartbeat and keeps started_at', async () => {
        await storage.updateHeartbeat('w1', { hostname: 'box', pid: 1234, queues: ['critical', 'default'], concurrency: 4 });
        const [first] = await storage.getActiveWorkers(MINUTE);
        expect(first.startedAt.getTime()).toBe(first.lastHeartbeat.getTime());
        await clockPast(first.lastHeartbeat.getTime());
        await storage.updateHeartbeat('w1', { runningRunIds: ['r1', 'r2'] });

        const [worker] = await storage.getActiveWorkers(MINUTE);
        expect(worker).toMatchObject({
          workerId: 'w1', hostname: 'box', pid: 1234, queues: ['critical', 'default'], concurrency: 4,
          runningRunIds: ['r1', 'r2'], startedAt: first.startedAt,
        });
        expect(worker.lastHeartbeat.getTime()).toBeGreaterThan(first.lastHeartbeat.getTime());
      });

      itOnProcessClock('getActiveWorkers leaves out workers silent for longer than the timeout', async () => {
        await atTime(Date.now() - 2 * MINUTE, () => storage.updateHeartbeat('quiet'));
        await storage.updateHeartbeat('busy');
        await storage.updateHeartbeat('another');

        expect((await storage.getActiveWorkers(MINUTE)).map((w) => w.workerId)).toEqual(['another', 'busy']);
        expect((await storage.getActiveWorkers(5 * MINUTE)).map((w) => w.workerId)).toEqual(['another', 'busy', 'quiet']);
      });

      it('removeHeartbeat forgets a worker; getActiveWorkers lists the rest by worker id', async () => {
        for (const worker of ['busy', 'another', 'third']) await storage.updateHeartbeat(worker);

        await storage.removeHeartbeat('busy');
        await storage.removeHeartbeat('never-seen');

        expect((await storage.getActiveWorkers(MINUTE)).map((w) => w.workerId)).toEqual(['another', 'third']);
      });
    });

    // ----- schedules -----

    describe('schedules', () => {
      const interval = { scheduleType: ScheduleType.Interval, intervalMs: MINUTE };

      it('getDueSchedules returns enabled scheduled definitions whose tick is due, earliest first', async () => {
        const now = new Date(Date.UTC(2030, 0, 1, 12));
        const at = (offset: number) => new Date(now.getTime() + offset);
        await define('due-late', { ...interval, nextRunAt: at(-MINUTE) });
        await define('due-exactly', { ...interval, nextRunAt: at(0) });
        await define('future', { ...interval, nextRunAt: at(1) });
        await define('disabled', { ...interval, nextRunAt: at(-HOUR), isEnabled: false });
        await define('unscheduled', { nextRunAt: at(-HOUR) });
        await define('no-tick', { ...interval, nextRunAt: null });

        expect((await storage.getDueSchedules(now)).map((d) => d.jobTypeId)).toEqual(['due-late', 'due-exactly']);
      });

      it('claimScheduleTick: the first claim wins and enqueues the run, a second with the same expected tick loses', async () => {
        const due = new Date(Date.UTC(2030, 0, 1, 12));
        const next = new Date(due.getTime() + MINUTE);
        await define('tick', { ...interval, nextRunAt: due });
        const claim = {
          jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: next, firedAt: due,
          run: { jobTypeId: 'tick', triggerType: JobTriggerType.Scheduled, scheduledAt: due },
        };

        expect(await storage.claimScheduleTick(claim)).toBe(true);
        expect(await storage.claimScheduleTick(claim)).toBe(false);

        const runs = await storage.listRuns({ jobTypeId: 'tick' });
        expect(runs).toHaveLength(1);
        expect(runs[0]).toMatchObject({ triggerType: JobTriggerType.Scheduled, scheduledAt: due, status: JobRunStatus.Pending });
        expect(await storage.getJobDefinition('tick')).toMatchObject({ nextRunAt: next, lastRunAt: due });
      });

      it('claimScheduleTick: of many concurrent claims of one tick exactly one wins', async () => {
        const due = new Date(Date.UTC(2030, 0, 1, 12));
        await define('tick', { ...interval, nextRunAt: due });

        const results = await Promise.all(
          Array.from({ length: 10 }, () =>
            storage.claimScheduleTick({
              jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: new Date(due.getTime() + MINUTE), firedAt: due,
              run: { jobTypeId: 'tick', triggerType: JobTriggerType.Scheduled },
            })),
        );

        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await totalRuns()).toBe(1);
      });

      it('claimScheduleTick without a run moves the schedule on and enqueues nothing; a null tick is compared too', async () => {
        const due = new Date(Date.UTC(2030, 0, 1, 12));
        await define('tick', { ...interval, nextRunAt: due });
        await define('unticked', { ...interval, nextRunAt: null });

        expect(await storage.claimScheduleTick({
          jobTypeId: 'tick', expectedNextRunAt: due, nextRunAt: new Date(due.getTime() + MINUTE), firedAt: due, run: null,
        })).toBe(true);
        expect(await storage.claimScheduleTick({
          jobTypeId: 'unticked', expectedNextRunAt: null, nextRunAt: due, firedAt: due, run: null,
        })).toBe(true);
        expect(await storage.claimScheduleTick({
          jobTypeId: 'unticked', expectedNextRunAt: null, nextRunAt: due, firedAt: due, run: null,
        })).toBe(false);

        expect(await totalRuns()).toBe(0);
        expect((await storage.getJobDefinition('tick'))!.nextRunAt).toEqual(new Date(due.getTime() + MINUTE));
        expect((await storage.getJobDefinition('tick'))!.lastRunAt).toBeNull();
        expect((await storage.getJobDefinition('unticked'))!.nextRunAt).toEqual(due);
      });

      it('hasActiveRun is true while a run of the job is pending or running', async () => {
        await define('job');
        await define('other');
        await storage.enqueue({ jobTypeId: 'other' });
        expect(await storage.hasActiveRun('job')).toBe(false);

        const id = await storage.enqueue({ jobTypeId: 'job', priority: 1 });
        expect(await storage.hasActiveRun('job')).toBe(true);
        await storage.claim(['default'], 'w', 1);
        expect(await storage.hasActiveRun('job')).toBe(true);
        await storage.completeRuns([completion(id, 'w')]);
        expect(await storage.hasActiveRun('job')).toBe(false);
      });
    });

    // ----- cleanup -----

    describe('cleanup', () => {
      beforeEach(() => define('job'));

      /** Enqueues `count` runs and completes them at `completedAt`, 100 at a time as a worker would; returns their ids. */
      async function finished(count: number, completedAt: Date): Promise<string[]> {
        const ids = await seed('job', count);
        for (;;) {
          const claimed = await storage.claim(['default'], 'cleaner', 100);
          if (claimed.length === 0) break;
          await storage.completeRuns(claimed.map((run) => completion(run.id, 'cleaner', completedAt)));
        }
        expect((await storage.countRuns()).completed).toBeGreaterThanOrEqual(count);
        return ids;
      }

      it('cleanupOldRuns deletes finished runs older than the retention, with their logs, and nothing else', async () => {
        const now = Date.now();
        const old = new Date(now - 10 * DAY);
        const [oldCompleted] = await finished(1, old);
        const [recentCompleted] = await finished(1, new Date(now - HOUR));
        const oldFailed = await storage.enqueue({ jobTypeId: 'job' });
        await storage.claim(['default'], 'w', 1);
        await storage.failRun({ runId: oldFailed, workerId: 'w', errorMessage: 'x', errorDetails: null, completedAt: old, durationMs: 1, retryAt: null });
        const oldCancelled = await storage.enqueue({ jobTypeId: 'job' });
        await storage.updateRun(oldCancelled, { status: JobRunStatus.Cancelled, completedAt: old });
        const oldRunning = await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(old.getTime() - 1) });
        expect(idsOf(await storage.claim(['default'], 'w', 1))).toEqual([oldRunning]);
        const oldPending = await storage.enqueue({ jobTypeId: 'job', scheduledAt: old });
        await storage.addLogs([oldCompleted, recentCompleted, oldPending].map((id) => ({ runId: id, level: JobLogLevel.Info, message: id })));

        expect(await storage.cleanupOldRuns(7 * DAY)).toBe(3);

        for (const id of [oldCompleted, oldFailed, oldCancelled]) expect(await storage.getRun(id)).toBeNull();
        expect(await storage.getLogs(oldCompleted)).toEqual([]);
        expect(await statusOf(recentCompleted)).toBe(JobRunStatus.Completed);
        expect(await statusOf(oldPending)).toBe(JobRunStatus.Pending);
        expect(await statusOf(oldRunning)).toBe(JobRunStatus.Running);
        expect((await storage.getLogs(recentCompleted)).map((l) => l.message)).toEqual([recentCompleted]);
        expect((await storage.getLogs(oldPending)).map((l) => l.message)).toEqual([oldPending]);
        expect(await storage.cleanupOldRuns(7 * DAY)).toBe(0);
      });

      it('cleanupOldRuns works in batches: 1,234 old runs with batchSize 100 all go and the count is exact', async () => {
        const old = await finished(1234, new Date(Date.now() - 10 * DAY));
        const recent = await finished(5, new Date());
        await storage.addLogs(old.slice(0, 300).map((runId) => ({ runId, level: JobLogLevel.Info, message: 'old' })));

        expect(await storage.cleanupOldRuns(7 * DAY, 100)).toBe(1234);

        expect(await totalRuns()).toBe(5);
        expect(sorted(idsOf(await storage.listRuns({ limit: 10 })))).toEqual(sorted(recent));
        expect(await storage.getLogs(old[0])).toEqual([]);
        expect(await storage.getLogs(old[299])).toEqual([]);
      });

      it('cleanupOldRuns counts exactly when the total is a multiple of the batch size', async () => {
        await finished(6, new Date(Date.now() - 10 * DAY));

        expect(await storage.cleanupOldRuns(DAY, 3)).toBe(6);
        expect(await totalRuns()).toBe(0);
      });

      it('cleanupOldLogs deletes lines older than the retention, in batches, and keeps the runs', async () => {
        const runId = await storage.enqueue({ jobTypeId: 'job' });
        const now = Date.now();
        await storage.addLogs([
          ...Array.from({ length: 250 }, (_, i) => ({ runId, level: JobLogLevel.Info, message: `old ${i}`, timestamp: new Date(now - 10 * DAY + i) })),
          ...Array.from({ length: 5 }, (_, i) => ({ runId, level: JobLogLevel.Info, message: `new ${i}`, timestamp: new Date(now - MINUTE + i) })),
        ]);

        expect(await storage.cleanupOldLogs(DAY, 100)).toBe(250);

        expect((await storage.getLogs(runId)).map((l) => l.message)).toEqual(['new 0', 'new 1', 'new 2', 'new 3', 'new 4']);
        expect(await statusOf(runId)).toBe(JobRunStatus.Pending);
        expect(await storage.cleanupOldLogs(DAY, 100)).toBe(0);
      });
    });

    // ----- time -----

    describe('time', () => {
      const instants = [
        ['the Moon landing (before 1970)', Date.UTC(1969, 6, 20, 20, 17, 40, 123)],
        ['the last millisecond before 1970', -1],
        ['the epoch', 0],
        ['after 2038', Date.UTC(2038, 0, 19, 3, 14, 8, 1)],
        ['the year 2200', Date.UTC(2200, 0, 1, 0, 0, 0, 999)],
      ] as const;

      it.each(instants)('Dates round-trip to the millisecond: %s', async (_what, ms) => {
        const at = new Date(ms);
        await define('job', { scheduleType: ScheduleType.Interval, intervalMs: MINUTE, nextRunAt: at });
        const id = await storage.enqueue({ jobTypeId: 'job', scheduledAt: at });
        await storage.updateRun(id, { startedAt: at, completedAt: at, nextRetryAt: at });
        await storage.addLog({ runId: id, level: JobLogLevel.Info, message: 'x', timestamp: at });

        const run = await storage.getRun(id);
        expect([run!.scheduledAt, run!.startedAt, run!.completedAt, run!.nextRetryAt].map((d) => d!.getTime())).toEqual([ms, ms, ms, ms]);
        expect((await storage.listRuns())[0].scheduledAt.getTime()).toBe(ms);
        expect((await storage.getJobDefinition('job'))!.nextRunAt!.getTime()).toBe(ms);
        expect((await storage.getLogs(id))[0].timestamp.getTime()).toBe(ms);
      });

      it('orders by scheduled time numerically, across 1970 and digit counts', async () => {
        await define('job');
        // As text these would sort '-5' < '-86400000' < '1000000000000' < '10000' < '999'.
        const times = [10_000, -86_400_000, 999, 1_000_000_000_000, -5];
        const ids = new Map<number, string>();
        for (const ms of times) ids.set(ms, await storage.enqueue({ jobTypeId: 'job', scheduledAt: new Date(ms) }));
        const expected = [...times].sort((a, b) => a - b).map((ms) => ids.get(ms));

        expect(idsOf(await storage.getPendingRuns('default'))).toEqual(expected);
        expect(idsOf(await storage.claim(['default'], 'w', 10))).toEqual(expected);
      });
    });

    // ----- concurrency in one process -----

    describe('concurrency', () => {
      beforeEach(() => define('job'));

      it('50 concurrent consumers over 1,000 pending runs: every run handed out exactly once', async () => {
        const seeded = await seed('job', 1000);
        const got = new Map<string, string[]>();

        await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const worker = `w${i}`;
            const mine: string[] = [];
            got.set(worker, mine);
            for (;;) {
              // Half claim in batches, half dequeue one at a time.
              const batch = i % 2 === 0 ? idsOf(await storage.claim(['default'], worker, 7)) : [(await storage.dequeue('default', worker))?.id];
              const ids = batch.filter((id): id is string => id !== undefined);
              if (ids.length === 0) return;
              mine.push(...ids);
            }
          }),
        );

        const all = [...got.values()].flat();
        expect(all).toHaveLength(1000);
        expect(sorted(all)).toEqual(sorted(seeded));
        const counts = await storage.countRuns();
        expect(counts.running).toBe(1000);
        expect(counts.pending).toBe(0);
        // Each run is recorded as held by the worker that got it.
        for (const [worker, ids] of [...got].slice(0, 5)) expect(sorted(await storage.stillHeld(worker, ids))).toEqual(sorted(ids));
      });

      it('200 concurrent enqueues, dequeues and updates: no error, no lost or doubled row', async () => {
        const seeded = await seed('job', 100);
        const enqueued: string[] = [];
        const dequeued: string[] = [];
        const updated: string[] = [];

        await Promise.all(
          Array.from({ length: 200 }, async (_, i) => {
            if (i % 3 === 0) {
              enqueued.push(await storage.enqueue({ jobTypeId: 'job', input: { i } }));
            } else if (i % 3 === 1) {
              const run = await storage.dequeue('default', `w${i}`);
              if (run) dequeued.push(run.id);
            } else {
              const id = seeded[i % seeded.length];
              await storage.updateRun(id, { progressJson: JSON.stringify({ i }) });
              updated.push(id);
            }
          }),
        );

        expect(enqueued).toHaveLength(67);
        expect(new Set(enqueued).size).toBe(67);
        expect(dequeued).toHaveLength(67);
        expect(new Set(dequeued).size).toBe(67);
        expect(await totalRuns()).toBe(100 + 67);
        const counts = await storage.countRuns();
        expect(counts.running).toBe(67);
        expect(counts.pending).toBe(100);
        for (const id of enqueued) expect(await storage.getRun(id)).not.toBeNull();
        for (const id of updated) expect((await storage.getRun(id))!.progressJson).not.toBeNull();
      });
    });
  });
}

