import { JobRunStatus, type JobStorage } from '../../lib/index.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { ManualClock, openStorage, type OpenedStorage } from '../helpers/open-storage.js';

const MINUTE = 60_000;

async function finish(storage: JobStorage, id: string, status: JobRunStatus, at: number, extra: { error?: string; output?: unknown } = {}) {
  await storage.updateRun(id, {
    status, startedAt: new Date(at - 10), completedAt: new Date(at), durationMs: 10,
    errorMessage: extra.error ?? null, outputJson: extra.output === undefined ? null : JSON.stringify(extra.output),
  });
}

describeEachBackend('dashboard queries', (backend) => {
  let db: TestDatabase;
  let opened: OpenedStorage;
  let storage: EngineStorage;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 30));

  beforeEach(async () => {
    db = backend.create();
    opened = await openStorage(db.options, { clock });
    storage = opened.storage;
    await storage.upsertDefinition({ jobTypeId: 'email', displayName: 'Email', queue: 'mail' });
    await storage.upsertDefinition({ jobTypeId: 'report', displayName: 'Report', queue: 'default' });
  });
  afterEach(async () => {
    await opened.close();
    await db.drop();
  });

  it('searches by status, job, queue, correlation id, time range and free text, in keyset pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.set(Date.UTC(2026, 0, 1, 11, i));
      ids.push(await storage.enqueue({ jobTypeId: i % 2 ? 'email' : 'report', input: { to: `user${i}@x.org`, note: i === 3 ? '100% off_' : '' }, correlationId: i < 3 ? 'order-1' : null }));
    }
    clock.set(Date.UTC(2026, 0, 1, 12, 0, 30));
    await finish(storage, ids[1], JobRunStatus.Failed, clock.now(), { error: 'SMTP Timeout' });
    await finish(storage, ids[2], JobRunStatus.Completed, clock.now(), { output: { sent: 'ok' } });
    const q = storage.dashboard();
    const idsOf = async (search: Parameters<typeof q.searchRuns>[0]) => (await q.searchRuns(search, 100)).runs.map((r) => r.id);

    expect(await idsOf({})).toEqual([...ids].reverse());
    expect(await idsOf({ status: [JobRunStatus.Failed] })).toEqual([ids[1]]);
    expect(await idsOf({ jobTypeId: 'email' })).toEqual([ids[5], ids[3], ids[1]]);
    expect(await idsOf({ queue: 'default' })).toEqual([ids[6], ids[4], ids[2], ids[0]]);
    expect(await idsOf({ correlationId: 'order-1' })).toEqual([ids[2], ids[1], ids[0]]);
    expect(await idsOf({ from: new Date(Date.UTC(2026, 0, 1, 11, 2)), to: new Date(Date.UTC(2026, 0, 1, 11, 4)) })).toEqual([ids[3], ids[2]]);
    expect(await idsOf({ text: 'smtp timeout' })).toEqual([ids[1]]);
    expect(await idsOf({ text: 'USER4@' })).toEqual([ids[4]]);
    expect(await idsOf({ text: '"sent"' })).toEqual([ids[2]]);
    // LIKE's wildcards are taken literally.
    expect(await idsOf({ text: '100% off_' })).toEqual([ids[3]]);
    expect(await idsOf({ text: 'user_' })).toEqual([]);
    expect(await q.countRuns({ queue: 'default' })).toBe(4);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await q.searchRuns({}, 3, cursor);
      expect(page.runs.length).toBeLessThanOrEqual(3);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await expect(q.searchRuns({}, 3, 'garbage')).rejects.toThrow(/cursor/);
  });

  it('counts per queue and status, finished series per minute, backlogs, workers', async () => {
    const base = Date.UTC(2026, 0, 1, 12, 0, 30);
    clock.set(base - 10 * MINUTE);
    const a = await storage.enqueue({ jobTypeId: 'email' });
    const b = await storage.enqueue({ jobTypeId: 'email' });
    const c = await storage.enqueue({ jobTypeId: 'report' });
    await storage.enqueue({ jobTypeId: 'report' });
    clock.set(base);
    await finish(storage, a, JobRunStatus.Completed, base - 2 * MINUTE);
    await finish(storage, b, JobRunStatus.Failed, base - 2 * MINUTE);
    await finish(storage, c, JobRunStatus.Completed, base - 30_000);
    const q = storage.dashboard();

    expect(await q.countsByQueue()).toEqual([
      { queue: 'default', status: 'completed', count: 1 },
      { queue: 'default', status: 'pending', count: 1 },
      { queue: 'mail', status: 'completed', count: 1 },
      { queue: 'mail', status: 'failed', count: 1 },
    ]);
    const series = await q.finishedSeries(60 * MINUTE, MINUTE);
    expect(series).toHaveLength(60);
    expect(series[series.length - 1].at.getTime()).toBe(Date.UTC(2026, 0, 1, 12, 0));
    const at = (ms: number) => series.find((p) => p.at.getTime() === ms);
    expect(at(Date.UTC(2026, 0, 1, 11, 58))).toMatchObject({ completed: 1, failed: 1 });
    expect(at(Date.UTC(2026, 0, 1, 12, 0))).toMatchObject({ completed: 1, failed: 0 });
    expect(series.reduce((n, p) => n + p.completed + p.failed, 0)).toBe(3);

    expect(await q.backlogs()).toEqual([{ queue: 'default', pending: 1, oldestScheduledAt: new Date(base - 10 * MINUTE) }]);
    await storage.updateHeartbeat('w1', { queues: ['mail'], concurrency: 2 });
    expect((await q.workers()).map((w) => [w.workerId, w.queues])).toEqual([['w1', ['mail']]]);
  });

  it('lists several statuses at once newest first across keyset pages (one query per status), and counts them', async () => {
    const statuses = [JobRunStatus.Failed, JobRunStatus.Completed, JobRunStatus.Cancelled, JobRunStatus.Pending];
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Two runs per minute, so that pages also break between runs created at the same time.
      clock.set(Date.UTC(2026, 0, 1, 11, Math.floor(i / 2)));
      ids.push(await storage.enqueue({ jobTypeId: i % 3 ? 'email' : 'report' }));
    }
    clock.set(Date.UTC(2026, 0, 1, 12, 0, 30));
    for (const [i, id] of ids.entries()) {
      const status = statuses[i % 4];
      if (status === JobRunStatus.Cancelled) await storage.updateRun(id, { status, completedAt: new Date(clock.now()) });
      else if (status !== JobRunStatus.Pending) await finish(storage, id, status, clock.now());
    }
    const q = storage.dashboard();
    const wanted = [JobRunStatus.Failed, JobRunStatus.Cancelled, JobRunStatus.Pending];
    const expected = (await q.searchRuns({}, 100)).runs.filter((r) => wanted.includes(r.status)).map((r) => r.id);
    expect(expected).toHaveLength(9);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await q.searchRuns({ status: wanted }, 2, cursor);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(await q.countRuns({ status: wanted })).toBe(9);
    expect(await q.countRuns({ status: wanted, jobTypeId: 'report' })).toBe(await q.countRuns({ jobTypeId: 'report', status: [JobRunStatus.Failed] })
      + await q.countRuns({ jobTypeId: 'report', status: [JobRunStatus.Cancelled] }) + await q.countRuns({ jobTypeId: 'report', status: [JobRunStatus.Pending] }));
    expect(await q.countRuns({ status: [] })).toBe(0);
    expect((await q.searchRuns({ status: [] }, 10)).runs).toEqual([]);
    // Counts of some statuses only (the overview counts the finished ones less often than the live ones).
    expect(await q.countsByQueue([JobRunStatus.Pending, JobRunStatus.Cancelled])).toEqual([
      { queue: 'default', status: 'cancelled', count: 1 },
      { queue: 'default', status: 'pending', count: 1 },
      { queue: 'mail', status: 'cancelled', count: 2 },
      { queue: 'mail', status: 'pending', count: 2 },
    ]);
    // Running and pending runs are read through the claim's own partial indexes (forced on SQLite).
    await storage.updateRun(ids[3], { status: JobRunStatus.Running, startedAt: new Date(clock.now()), workerId: 'w1' });
    expect((await q.searchRuns({ status: [JobRunStatus.Running] }, 10)).runs.map((r) => r.id)).toEqual([ids[3]]);
    expect((await q.searchRuns({ status: [JobRunStatus.Running], jobTypeId: 'report' }, 10)).runs.map((r) => r.id)).toEqual([ids[3]]);
    expect((await q.searchRuns({ status: [JobRunStatus.Running], jobTypeId: 'email' }, 10)).runs).toEqual([]);
    expect((await q.searchRuns({ status: [JobRunStatus.Pending], queue: 'mail' }, 10)).runs.map((r) => r.id)).toEqual([ids[11], ids[7]]);
  });

  it('bounds a text search: textWindow gives the creation time of the n-th newest run in the time range, or null', async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 11, minute));
    for (let i = 0; i < 6; i++) {
      clock.set(at(i).getTime());
      await storage.enqueue({ jobTypeId: 'email', input: { n: i } });
    }
    const q = storage.dashboard();
    expect(await q.textWindow({}, 3)).toBeNull();
    expect(await q.textWindow({ text: '' }, 3)).toBeNull();
    expect(await q.textWindow({ text: 'x' }, 3)).toEqual(at(3));
    expect(await q.textWindow({ text: 'x' }, 6)).toEqual(at(0));
    // Fewer runs than the bound: the search reads them all, nothing to bound.
    expect(await q.textWindow({ text: 'x' }, 7)).toBeNull();
    // The newest before `to`, and no older than `from`; the other filters play no part.
    expect(await q.textWindow({ text: 'x', to: at(4) }, 2)).toEqual(at(2));
    expect(await q.textWindow({ text: 'x', from: at(3), jobTypeId: 'nothing' }, 3)).toEqual(at(3));
    expect(await q.textWindow({ text: 'x', from: at(3) }, 4)).toBeNull();
    // What the dashboard then runs: the text filter from there on.
    expect((await q.searchRuns({ text: '"n":', from: (await q.textWindow({ text: 'x' }, 2))! }, 10)).runs.map((r) => r.input)).toEqual([{ n: 5 }, { n: 4 }]);
  });

  it('pages the ids a bulk action may touch, and deletes only finished runs with their logs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.set(Date.UTC(2026, 0, 1, 11, i));
      ids.push(await storage.enqueue({ jobTypeId: 'email' }));
    }
    for (const id of ids.slice(0, 3)) await finish(storage, id, JobRunStatus.Failed, clock.now());
    await storage.addLog({ runId: ids[0], level: 'info' as never, message: 'hello', attemptNumber: 1 });
    const q = storage.dashboard();
    const first = await q.idsPage({}, [JobRunStatus.Failed], 2);
    expect(first.ids).toEqual([ids[2], ids[1]]);
    const second = await q.idsPage({}, [JobRunStatus.Failed], 2, first.next);
    expect(second).toEqual({ ids: [ids[0]], next: null });
    // The filter's own status narrows the action's statuses, never widens them.
    expect((await q.idsPage({ status: [JobRunStatus.Pending] }, [JobRunStatus.Failed], 10)).ids).toEqual([]);

    expect(await q.deleteFinished([ids[0], ids[3]])).toBe(1);
    expect(await storage.getRun(ids[0])).toBeNull();
    expect(await storage.getLogs(ids[0])).toEqual([]);
    expect(await storage.getRun(ids[3])).not.toBeNull();
  });

  it('gives a run with its children and its log lines grouped by attempt', async () => {
    const parent = await storage.enqueue({ jobTypeId: 'email' });
    const child = await storage.enqueue({ jobTypeId: 'report', parentRunId: parent, status: JobRunStatus.Awaiting, continueOn: 'success' });
    await storage.addLogs([
      { runId: parent, level: 'info' as never, message: 'try 1', attemptNumber: 1 },
      { runId: parent, level: 'error' as never, message: 'boom', attemptNumber: 1 },
      { runId: parent, level: 'info' as never, message: 'try 2', attemptNumber: 2 },
    ]);
    const detail = await storage.dashboard().runDetail(parent);
    expect(detail?.run.id).toBe(parent);
    expect(detail?.children.map((r) => r.id)).toEqual([child]);
    expect(detail?.logs.map((g) => [g.attempt, g.lines.map((l) => l.message)])).toEqual([[1, ['try 1', 'boom']], [2, ['try 2']]]);
    expect(await storage.dashboard().runDetail('00000000-0000-7000-8000-000000000000')).toBeNull();
    expect(await storage.dashboard().runDetail('not-a-uuid')).toBeNull();
  });
});
