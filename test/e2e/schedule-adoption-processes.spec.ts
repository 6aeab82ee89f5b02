import 'reflect-metadata';
import { JobRunStatus } from '../../lib/index.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { openStorage } from '../helpers/open-storage.js';
import { waitFor } from '../helpers/wait-for.js';

interface Fire {
  event: 'fire';
  kind: 'adopted' | 'local';
  pid: number;
  at: number;
  runId?: string | null;
}

const firesOf = (children: Child[]): Fire[] =>
  children.flatMap((child) => child.lines.filter((line) => line.includes('"event":"fire"')).map((line) => JSON.parse(line) as Fire));

describeEachBackend('@nestjs/schedule adoption across 3 processes', (backend) => {
  let db: TestDatabase;
  let children: Child[] = [];

  beforeEach(() => (db = backend.create()));
  afterEach(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    children = [];
    await db.drop();
  });

  it("fires an adopted @Cron('* * * * * *') once per second across all processes, and an unadopted one in each", async () => {
    // All three at once: they migrate the one schema concurrently, as replicas of a deploy do.
    children = [0, 1, 2].map(() => startChild('schedule-adoption-process.ts', [JSON.stringify(db.options)]));
    await Promise.all(children.map((child) => child.waitForLine((line) => line.includes('"event":"ready"'))));

    // Four whole seconds, from the next second boundary once all three run.
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const to = from + 4000;
    await waitFor(() => Date.now() > to, { timeoutMs: 10_000, intervalMs: 100, what: 'the end of the window' });
    const inWindow = (run: { scheduledAt: Date }) => run.scheduledAt.getTime() >= from && run.scheduledAt.getTime() < to;
    const opened = await openStorage(db.options, { migrate: false });
    let runs;
    try {
      // Until the window's last tick has run (a loaded machine may take a moment), then a last read.
      await waitFor(async () => (await opened.storage.listRuns({ jobTypeId: 'cluster-tick', status: JobRunStatus.Completed, limit: 1000 })).filter(inWindow).length >= 4, {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: 'the four ticks of the window completed',
      });
      runs = (await opened.storage.listRuns({ jobTypeId: 'cluster-tick', limit: 1000 })).filter(inWindow);
    } finally {
      await opened.close();
    }
    // One stored run per tick: ticks at from, from+1s, from+2s, from+3s, each once.
    expect(runs.map((run) => run.scheduledAt.getTime()).sort()).toEqual([from, from + 1000, from + 2000, from + 3000]);
    expect(runs.every((run) => run.status === JobRunStatus.Completed)).toBe(true);
    // Each run's fire was printed before it completed; give the pipes a moment to deliver it.
    await waitFor(() => runs.every((run) => firesOf(children).some((fire) => fire.runId === run.id)), { timeoutMs: 5000, what: 'the fires printed' });
    for (const child of children) child.process.kill('SIGKILL');

    const fires = firesOf(children);
    // Every fire of the adopted method came from a ZapJobs run: none from a @nestjs/schedule timer.
    expect(fires.filter((fire) => fire.kind === 'adopted' && !fire.runId)).toEqual([]);
    const adopted = fires.filter((fire) => fire.kind === 'adopted' && runs.some((run) => run.id === fire.runId));
    // Each run executed once, in one of the processes: no second fire of a tick anywhere.
    expect(adopted.map((fire) => fire.runId).sort()).toEqual(runs.map((run) => run.id).sort());

    // The unadopted method is @nestjs/schedule's: every process fires it every second.
    for (const child of children) {
      const local = fires.filter((fire) => fire.kind === 'local' && fire.pid === child.process.pid && fire.at >= from && fire.at < to);
      expect(local.length).toBeGreaterThanOrEqual(3);
      expect(local.length).toBeLessThanOrEqual(5);
    }
  }, 60_000);
});
