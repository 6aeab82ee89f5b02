import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import {
  InvalidDurationError, InvalidJobHandlerError, InvalidPayloadError, Job, JobRunStatus, type EnqueueResult, type JobContext, type JobHandler,
} from '../../lib/index.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-db.js';

interface Order {
  orderId: number;
  note?: string;
}

@Job({ id: 'unique.order' })
class OrderJob implements JobHandler {
  handle(ctx: JobContext<Order>) {
    return ctx.input.orderId;
  }
}

/** Deduplicated by default: one run per distinct input. */
@Job({ id: 'unique.sync', unique: true })
class SyncJob implements JobHandler {
  handle(ctx: JobContext<{ account: string }>) {
    return ctx.input.account;
  }
}

/** A default with a key and a window. */
@Job({ id: 'unique.digest', unique: { key: 'daily', for: '1d' } })
class DigestJob implements JobHandler {
  handle() {
    return null;
  }
}

const HOUR = 3_600_000;

describeEachBackend('unique jobs', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp;

  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await booted?.close();
    await db.drop();
  });

  const boot = async (workers = false) => {
    booted = await bootApp({ ...db.options, enableWorkers: workers, enableScheduler: false }, [OrderJob, SyncJob, DigestJob]);
    return booted;
  };
  const total = async (jobTypeId: string) => Object.values(await booted.storage.countRuns({ jobTypeId })).reduce((a, b) => a + b, 0);

  it("'skip' returns the existing run's id and stores nothing; 'enqueued' fires only for the created run", async () => {
    const { jobs, events } = await boot();
    const enqueued: string[] = [];
    events.on('enqueued', ({ runId }) => void enqueued.push(runId));

    const first = await jobs.enqueueDetailed(OrderJob, { orderId: 1 }, { unique: { key: 'order-1' } });
    const again = await jobs.enqueueDetailed(OrderJob, { orderId: 1, note: 'double submit' }, { unique: { key: 'order-1' } });
    const plainId = await jobs.enqueue(OrderJob, { orderId: 1 }, { unique: { key: 'order-1' } });

    expect(first).toEqual<EnqueueResult>({ runId: expect.any(String) as string, created: true, replaced: false });
    expect(again).toEqual({ runId: first.runId, created: false, replaced: false });
    expect(plainId).toBe(first.runId);
    expect(enqueued).toEqual([first.runId]);
    expect(await total('unique.order')).toBe(1);
    expect((await jobs.getRun(first.runId, OrderJob))!.input).toEqual({ orderId: 1 });
  });

  it('@Job({ unique }) is the default; the enqueue\'s own fields win, and unique: false turns it off', async () => {
    const { jobs } = await boot();
    const a = await jobs.enqueue(SyncJob, { account: 'acme' });
    const b = await jobs.enqueue(SyncJob, { account: 'acme' });
    const c = await jobs.enqueue(SyncJob, { account: 'other' });
    const d = await jobs.enqueue(SyncJob, { account: 'acme' }, { unique: false });
    const e = await jobs.trigger(SyncJob, { unique: { key: 'manual' } });
    const f = await jobs.trigger(SyncJob, { unique: { key: 'manual' } });

    expect(b).toBe(a);
    expect(new Set([a, c, d, e]).size).toBe(4);
    expect(f).toBe(e);
    expect(await total('unique.sync')).toBe(4);
  });

  it("'replace' gives a pending duplicate the new input and schedule", async () => {
    const { jobs, storage } = await boot();
    const unique = { key: 'order-7', onConflict: 'replace' } as const;
    const first = await jobs.enqueue(OrderJob, { orderId: 7 }, { delay: '1h', unique });
    const before = Date.now();
    const replaced = await jobs.enqueueDetailed(OrderJob, { orderId: 7, note: 'latest' }, { delay: '2h', unique });

    expect(replaced).toEqual({ runId: first, created: false, replaced: true });
    const run = await storage.getRun(first);
    expect(run!.input).toEqual({ orderId: 7, note: 'latest' });
    expect(run!.scheduledAt.getTime()).toBeGreaterThanOrEqual(before + 2 * HOUR);
    expect(await total('unique.order')).toBe(1);
  });

  it('a key is free again once its run completed', async () => {
    const { jobs, storage } = await boot(true);
    const first = await jobs.enqueue(OrderJob, { orderId: 3 }, { unique: { key: 'order-3' } });
    await runIn(storage, first, [JobRunStatus.Completed]);

    const second = await jobs.enqueueDetailed(OrderJob, { orderId: 3 }, { unique: { key: 'order-3' } });
    expect(second.created).toBe(true);
    expect(second.runId).not.toBe(first);
    await runIn(storage, second.runId, [JobRunStatus.Completed]);
  });

  it('a window counts the key within one fixed bucket of its length', async () => {
    const { jobs } = await boot();
    const day = 24 * HOUR;
    const start = Math.floor(Date.now() / day) * day + day;
    const at = async (ms: number) => {
      const spy = jest.spyOn(Date, 'now').mockReturnValue(ms);
      try {
        return await jobs.enqueueDetailed(DigestJob);
      } finally {
        spy.mockRestore();
      }
    };

    const a = await at(start + 1000);
    const b = await at(start + day - 1);
    const c = await at(start + day);

    expect(a.created).toBe(true);
    expect(b).toEqual({ runId: a.runId, created: false, replaced: false });
    expect(c.created).toBe(true);
    expect(await total('unique.digest')).toBe(2);
  });

  it('enqueueMany: duplicates inside the batch and of stored runs get the first run\'s id', async () => {
    const { jobs } = await boot();
    const stored = await jobs.enqueue(SyncJob, { account: 'stored' });

    const ids = await jobs.enqueueMany([
      { job: SyncJob, input: { account: 'x' } },
      { job: OrderJob, input: { orderId: 1 } },
      { job: SyncJob, input: { account: 'x' } },
      { job: SyncJob, input: { account: 'stored' } },
      { job: OrderJob, input: { orderId: 1 } },
    ]);
    const detailed = await jobs.enqueueManyDetailed([{ job: SyncJob, input: { account: 'x' } }, { job: SyncJob, input: { account: 'y' } }]);

    expect(ids[2]).toBe(ids[0]);
    expect(ids[3]).toBe(stored);
    expect(ids[4]).not.toBe(ids[1]);
    expect(detailed).toEqual([
      { runId: ids[0], created: false, replaced: false },
      { runId: expect.any(String), created: true, replaced: false },
    ]);
    expect(await total('unique.sync')).toBe(3);
    expect(await total('unique.order')).toBe(2);
  });

  it.each([
    ['an unknown key', { key: 'k', ttl: '1h' }, InvalidPayloadError, "unique: unknown key 'ttl'"],
    ['a non-string key', { key: 7 }, InvalidPayloadError, 'unique.key: expected a non-empty string; got 7'],
    ['an empty key', { key: '' }, InvalidPayloadError, 'unique.key'],
    ['a bad window', { for: 'tomorrow' }, InvalidDurationError, 'unique.for'],
    ['an unknown state', { states: ['queued'] }, InvalidPayloadError, 'unique.states'],
    ['states without pending', { states: ['running', 'completed'] }, InvalidPayloadError, "unique.states: must include 'pending' and 'running'"],
    ['a bad onConflict', { onConflict: 'update' }, InvalidPayloadError, 'unique.onConflict'],
  ])('enqueue with %s fails naming the field and stores nothing', async (_what, unique, type, message) => {
    const { jobs } = await boot();
    const error = await jobs.enqueue(OrderJob, { orderId: 1 }, { unique: unique as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toContain(message);
    const many = await jobs.enqueueMany([{ job: OrderJob, input: { orderId: 2 } }, { job: OrderJob, input: { orderId: 3 }, options: { unique: unique as never } }]).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(type);
    expect(await total('unique.order')).toBe(0);
  });

  it('a bad @Job({ unique }) fails start-up naming the job and the field', async () => {
    @Job({ id: 'unique.bad', unique: { key: 'k', onConflict: 'merge' as never } })
    class BadJob implements JobHandler {
      handle() {}
    }
    const error = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [BadJob]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobHandlerError);
    expect((error as Error).message).toContain("@Job({ id: 'unique.bad' }) on BadJob: unique.onConflict: expected 'skip' or 'replace'");
  });
});

describeEachBackend('unique jobs across processes', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp;
  let children: Child[] = [];
  const tmp = tempDir();

  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await booted?.close();
    await db.drop();
  });
  afterAll(() => tmp.remove());

  it('50 concurrent enqueues of one key from each of 3 processes store exactly one run, and every call returns its id', async () => {
    // The parent migrates the database first, so that the children race on enqueue, not on migrations.
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, []);
    const go = tmp.file(`${backend.name}.go`);
    children = [1, 2, 3].map(() => startChild('unique-enqueuer.ts', [JSON.stringify(db.options), go, '50']));
    await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"ready"'))));
    writeFileSync(go, 'go');

    const lines = await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"results"') || l.includes('"error"'))));
    const parsed = lines.map((l) => JSON.parse(l) as { event: string; message?: string; results?: EnqueueResult[] });
    expect(parsed.map((p) => p.message ?? p.event)).toEqual(['results', 'results', 'results']);
    const results = parsed.flatMap((p) => p.results!);
    const runs = await booted.storage.listRuns({ jobTypeId: 'unique.race' });

    console.log(`[${backend.name}] ${results.length} enqueues from 3 processes: ${runs.length} run stored, ${results.filter((r) => r.created).length} created`);
    expect(results).toHaveLength(150);
    expect(runs).toHaveLength(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.runId))).toEqual(new Set([runs[0].id]));
  });

  it("20 enqueues of one key in application transactions from each of 3 processes, half rolled back: one run, every committed call's", async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, []);
    const go = tmp.file(`${backend.name}.tx.go`);
    children = [1, 2, 3].map(() => startChild('unique-enqueuer.ts', [JSON.stringify(db.options), go, '20', 'tx']));
    await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"ready"'))));
    writeFileSync(go, 'go');

    const lines = await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"results"') || l.includes('"error"'))));
    const parsed = lines.map((l) => JSON.parse(l) as { event: string; message?: string; results?: Array<EnqueueResult & { committed: boolean }> });
    expect(parsed.map((p) => p.message ?? p.event)).toEqual(['results', 'results', 'results']);
    const results = parsed.flatMap((p) => p.results!);
    const committed = results.filter((r) => r.committed);
    const rolledBack = results.filter((r) => !r.committed);
    const runs = await booted.storage.listRuns({ jobTypeId: 'unique.race' });

    console.log(
      `[${backend.name}] ${results.length} enqueues in transactions from 3 processes: ${runs.length} run stored, ` +
        `${committed.filter((r) => r.created).length} created and committed, ${rolledBack.filter((r) => r.created).length} created and rolled back`,
    );
    expect(results).toHaveLength(60);
    expect(runs).toHaveLength(1);
    // The one holder is the first committed call that took the key; every committed call after it got it.
    expect(committed.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(committed.map((r) => r.runId))).toEqual(new Set([runs[0].id]));
    // A rolled-back call either met the holder or took the key and gave it back: its run never existed.
    for (const r of rolledBack) if (r.created) expect(r.runId).not.toBe(runs[0].id);
  });
});
