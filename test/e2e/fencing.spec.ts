import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Job, JobRunStatus, JobScheduler, JobStorage, ZapJobsEvents, ZapJobsModule, type JobContext, type JobHandler, type ZapJobsModuleOptions,
} from '../../lib/index.js';
import { MaintenanceService } from '../../lib/maintenance/maintenance.service.js';
import { Clock } from '../../lib/util/clock.js';
import { WorkerPool } from '../../lib/worker/worker-pool.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { runIn } from '../helpers/boot.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 8 item 4: a worker that falls silent past staleAfter (its event loop blocked, say) has its
 * run recovered and claimed again, by another worker or by itself, while the old attempt still
 * runs. The old attempt must commit nothing, and the new one must be tracked like any other.
 * Time is moved with a shared clock (the storages read "now" from it) rather than by blocking the
 * process: the heartbeat interval is long enough that no heartbeat is written during a test, so
 * the jump makes the workers look exactly as a blocked one does, and recoverStale() is called
 * directly.
 */
class MovableClock extends Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

const STALE_AFTER = 60_000;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const probe = {
  started: [] as number[],
  aborted: [] as Array<{ attempt: number; reason: string }>,
  returned: [] as number[],
  lateProgress: [] as string[],
  gates: new Map<number | string, ReturnType<typeof deferred>>(),
  gate(key: number | string) {
    if (!this.gates.has(key)) this.gates.set(key, deferred());
    return this.gates.get(key)!;
  },
  reset() {
    this.started = [];
    this.aborted = [];
    this.returned = [];
    this.lateProgress = [];
    this.gates = new Map();
  },
  releaseAll() {
    for (const gate of this.gates.values()) gate.resolve();
  },
};

/** Waits for its attempt's gate, ignoring its signal, then reports progress and returns its attempt. */
@Job({ id: 'fenced', maxRetries: 3 })
class FencedJob implements JobHandler<unknown, { attempt: number }> {
  async handle(ctx: JobContext<unknown>) {
    probe.started.push(ctx.attempt);
    ctx.signal.addEventListener('abort', () => probe.aborted.push({ attempt: ctx.attempt, reason: (ctx.signal.reason as Error).name }));
    await probe.gate(ctx.attempt).promise;
    await ctx.progress({ attempt: ctx.attempt });
    probe.returned.push(ctx.attempt);
    return { attempt: ctx.attempt };
  }
}

/** Blocks until released: occupies a slot. */
@Job({ id: 'occupies' })
class OccupiesJob implements JobHandler {
  async handle() {
    await probe.gate(100).promise;
    return 'occupied';
  }
}

@Job({ id: 'quick' })
class QuickJob implements JobHandler {
  handle() {
    return 'quick';
  }
}

/** Reports progress, waits (ignoring its signal) until released, then reports again: after it lost its lease. */
async function reportsLate(ctx: JobContext<unknown>): Promise<string> {
  await ctx.progress({ step: 'early' });
  await probe.gate(ctx.runId).promise;
  await ctx.progress({ step: 'late' });
  probe.lateProgress.push(ctx.runId);
  return 'too late';
}

@Job({ id: 'late-after-timeout', timeout: 300, maxRetries: 0 })
class LateAfterTimeoutJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    return reportsLate(ctx);
  }
}

@Job({ id: 'late-after-cancel', maxRetries: 0 })
class LateAfterCancelJob implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    return reportsLate(ctx);
  }
}

interface Booted {
  app: INestApplication;
  jobs: JobScheduler;
  storage: JobStorage;
  pool: WorkerPool;
  maintenance: MaintenanceService;
}

async function boot(options: ZapJobsModuleOptions, clock: Clock): Promise<Booted> {
  @Module({
    imports: [
      ZapJobsModule.forRoot({ pollInterval: 50, heartbeatInterval: STALE_AFTER / 2, staleAfter: STALE_AFTER, shutdownTimeout: 5_000, ...options }),
    ],
    providers: [FencedJob, OccupiesJob, QuickJob, LateAfterTimeoutJob, LateAfterCancelJob],
  })
  class FencingAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [FencingAppModule] }).overrideProvider(Clock).useValue(clock).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  return { app, jobs: app.get(JobScheduler), storage: app.get(JobStorage), pool: app.get(WorkerPool), maintenance: app.get(MaintenanceService) };
}

describeEachBackend('fencing: an attempt whose run was recovered commits nothing', (backend) => {
  let db: TestDatabase;
  let clock: MovableClock;
  const apps: INestApplication[] = [];

  beforeEach(() => {
    probe.reset();
    db = backend.create();
    clock = new MovableClock();
  });
  afterEach(async () => {
    probe.releaseAll();
    for (const app of apps.splice(0)) await app.close();
    await db.drop();
  });

  async function start(options: ZapJobsModuleOptions): Promise<Booted> {
    const booted = await boot({ ...db.options, ...options }, clock);
    apps.push(booted.app);
    return booted;
  }

  /** Closes an app the test is done with, so afterEach does not close it again. */
  async function close(booted: Booted, closing: Promise<void>): Promise<void> {
    await closing;
    apps.splice(apps.indexOf(booted.app), 1);
  }

  it('the same worker claims the run again: the old attempt is aborted, the new one counted, drained and the only one recorded', async () => {
    const a = await start({ workerId: 'fencing-a', concurrency: 2 });
    const id = await a.jobs.enqueue(FencedJob);
    await waitFor(() => probe.started.length === 1, { what: 'attempt 1 started' });

    // The worker fell silent past staleAfter; the rescuer puts the run back and this worker,
    // with a free slot, claims it again while attempt 1 is still running.
    clock.offset += STALE_AFTER + 1_000;
    await a.maintenance.recoverStale();
    await waitFor(() => probe.started.length === 2, { what: 'attempt 2 started' });
    expect(probe.started).toEqual([1, 2]);
    await waitFor(() => probe.aborted.length === 1, { what: 'attempt 1 aborted' });
    expect(probe.aborted).toEqual([{ attempt: 1, reason: 'LeaseLostError' }]);
    expect(a.pool.heldLeases()).toEqual([{ runId: id, workerId: 'fencing-a', attempt: 2 }]);

    // Attempt 1 ignores its signal and finishes: its progress and its output change nothing.
    probe.gate(1).resolve();
    await waitFor(() => probe.returned.includes(1), { what: 'attempt 1 returned' });
    const during = (await a.storage.getRun(id))!;
    expect([during.status, during.attemptNumber, during.progress, during.output]).toEqual([JobRunStatus.Running, 2, null, null]);

    // Attempt 2 holds one of the two slots: one more run starts, the next one waits.
    const occupying = await a.jobs.enqueue(OccupiesJob);
    await runIn(a.storage, occupying, [JobRunStatus.Running]);
    const waiting = await a.jobs.enqueue(QuickJob);
    expect(new Set(a.pool.heldRunIds())).toEqual(new Set([id, occupying]));
    expect((await a.storage.getRun(waiting))!.status).toBe(JobRunStatus.Pending);

    // Shutdown drains attempt 2 like any other attempt.
    const closing = a.app.close();
    await waitFor(() => !a.pool.isRunning, { what: 'the pool stopping' });
    probe.gate(2).resolve();
    probe.gate(100).resolve();
    await close(a, closing);

    const reader = await start({ enableWorkers: false, enableScheduler: false });
    const run = (await reader.storage.getRun(id))!;
    expect([run.status, run.attemptNumber, run.output, run.progress]).toEqual([
      JobRunStatus.Completed, 2, { attempt: 2 }, { attempt: 2 },
    ]);
    expect((await reader.storage.getRun(occupying))!.status).toBe(JobRunStatus.Completed);
    expect((await reader.storage.getRun(waiting))!.status).toBe(JobRunStatus.Pending);
  });

  it('another worker claims the run: the silent worker finishes later and commits nothing over it', async () => {
    const a = await start({ workerId: 'fencing-a', concurrency: 1 });
    const id = await a.jobs.enqueue(FencedJob);
    await waitFor(() => probe.started.length === 1, { what: 'attempt 1 started on a' });
    const b = await start({ workerId: 'fencing-b', concurrency: 1 });

    // a falls silent past staleAfter (b too, but b holds nothing); b's rescuer recovers a's run
    // and b claims it: a's only slot is still taken by attempt 1.
    clock.offset += STALE_AFTER + 1_000;
    // (b's own rescue loop makes its first pass as b starts, and may be the one that recovers it.)
    await b.maintenance.recoverStale();
    await waitFor(() => probe.started.length === 2, { what: 'attempt 2 started on b' });
    expect(b.pool.heldLeases()).toEqual([{ runId: id, workerId: 'fencing-b', attempt: 2 }]);
    probe.gate(2).resolve();
    const completed = await runIn(a.storage, id, [JobRunStatus.Completed]);
    expect([completed.workerId, completed.attemptNumber, completed.progress]).toEqual(['fencing-b', 2, { attempt: 2 }]);
    // b leaves, so that the run enqueued below can only go to a.
    await close(b, b.app.close());

    // a's attempt 1 ends now: its progress and completion are fenced off, and its slot is freed.
    const completedOnA: string[] = [];
    a.app.get(ZapJobsEvents).on('completed', ({ runId }) => completedOnA.push(runId));
    probe.gate(1).resolve();
    await waitFor(() => probe.returned.includes(1), { what: 'attempt 1 returned on a' });
    await waitFor(() => a.pool.heldRunIds().length === 0, { what: "a's slot freed" });
    const quick = await a.jobs.enqueue(QuickJob);
    await runIn(a.storage, quick, [JobRunStatus.Completed]);
    const run = (await a.storage.getRun(id))!;
    expect([run.status, run.workerId, run.attemptNumber, run.output, run.progress]).toEqual([
      JobRunStatus.Completed, 'fencing-b', 2, { attempt: 2 }, { attempt: 2 },
    ]);
    // a's 'completed' events: the quick run's only, never the fenced attempt's.
    await waitFor(() => completedOnA.includes(quick), { what: "a's completed event for the quick run" });
    expect(completedOnA).toEqual([quick]);
  });

  it('progress reported by an attempt after it timed out or was cancelled changes nothing', async () => {
    const a = await start({ workerId: 'fencing-a', concurrency: 2 });
    const timedOut = await a.jobs.enqueue(LateAfterTimeoutJob);
    const cancelled = await a.jobs.enqueue(LateAfterCancelJob);
    await waitFor(async () => (await a.storage.getRun(cancelled))?.progress, { what: 'early progress stored' });
    expect(await a.jobs.cancel(cancelled)).toBe(true);
    await runIn(a.storage, timedOut, [JobRunStatus.Failed]);
    await runIn(a.storage, cancelled, [JobRunStatus.Cancelled]);
    probe.gate(timedOut).resolve();
    probe.gate(cancelled).resolve();
    await waitFor(() => probe.lateProgress.length === 2, { what: 'both late progress reports made' });
    for (const id of [timedOut, cancelled]) expect((await a.storage.getRun(id))!.progress).toEqual({ step: 'early' });
  });
});
