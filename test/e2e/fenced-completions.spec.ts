import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Job, JobRunStatus, type JobHandler } from '../../lib/index.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { tempDir } from '../helpers/temp-db.js';

/** The observer's view of the job the two worker processes run (same id, no work here). */
@Job({ id: 'zombie.job', maxRetries: 3 })
class ZombieJob implements JobHandler {
  handle() {}
}

interface Line {
  event: string;
  runId?: string;
  attempt?: number;
  message?: string;
}

const parsed = (child: Child): Line[] => child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

/**
 * Issue 10, fenced completions: a handler that blocks its process's event loop (a synchronous
 * loop, so its heartbeat cannot fire) longer than staleAfter has its run rescued and run again
 * by another process; when the blocked attempt finally returns, its completion changes nothing.
 * Two real processes: A blocks until the test creates a flag file (no timing guess), B rescues.
 */
describeEachBackend('fenced completions: a zombie attempt finishing after its run was rescued', (backend) => {
  let db: TestDatabase;
  let observer: BootedApp;
  let children: Child[] = [];
  const tmp = tempDir('zapjobs-zombie-');
  const flag = tmp.file('release.flag');

  beforeEach(async () => {
    db = backend.create();
    observer = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [ZombieJob]);
  });

  afterEach(async () => {
    writeFileSync(flag, '');
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    children = [];
    await observer.close();
    await db.drop();
  });

  afterAll(() => tmp.remove());

  function start(workerId: string, staleAfter: number): Child {
    const child = startChild('zombie-worker.ts', [JSON.stringify({ ...db.options, workerId, staleAfter, concurrency: 1 }), flag]);
    children.push(child);
    return child;
  }

  it('the stored outcome is the newer attempt\'s; the zombie\'s completion is dropped with a warning; its late log line is refused', async () => {
    // A never rescues anything itself (staleAfter 1 min); B rescues silent workers after 1 s.
    const a = start('zombie-a', 60_000);
    await a.waitForLine((l) => l.includes('"ready"'));
    const runId = await observer.jobs.enqueue('zombie.job', { n: 1 });
    await a.waitForLine((l) => l.includes('"handler"') && l.includes(runId));
    // A's event loop is blocked from here on: B starts only now, so attempt 1 can only be A's.
    const b = start('zombie-b', 1000);
    await b.waitForLine((l) => l.includes('"ready"'));

    // B finds A silent past staleAfter, puts the run back (attempt 1 counted) and runs attempt 2.
    const rescued = await runIn(observer.storage, runId, [JobRunStatus.Completed], 20_000);
    expect([rescued.workerId, rescued.attemptNumber, rescued.output]).toEqual(['zombie-b', 2, { attempt: 2, workerId: 'zombie-b' }]);
    expect(parsed(a).some((l) => l.event === 'returned')).toBe(false);

    // Now the zombie finishes: its completion is fenced off and A says so, once, naming run and attempt.
    writeFileSync(flag, '');
    await a.waitForLine((l) => l.includes('"returned"') && l.includes(runId));
    const warning = await a.waitForLine((l) => l.includes('"warn"') && l.includes(runId) && l.includes('completion dropped'));
    expect(JSON.parse(warning).message).toContain(`Run ${runId} attempt 1: completion dropped`);
    expect(parsed(a).filter((l) => l.event === 'warn' && l.message!.includes('completion dropped'))).toHaveLength(1);
    expect(parsed(a).filter((l) => l.event === 'completed')).toEqual([]);
    expect(parsed(b).filter((l) => l.event === 'completed')).toEqual([expect.objectContaining({ runId, attempt: 2 })]);

    // The row is attempt 2's, unchanged by the zombie's completion.
    const run = (await observer.storage.getRun(runId))!;
    expect([run.status, run.workerId, run.attemptNumber, run.output, run.completedAt]).toEqual([
      JobRunStatus.Completed, 'zombie-b', 2, { attempt: 2, workerId: 'zombie-b' }, rescued.completedAt,
    ]);
    expect(run.errorMessage).toBeNull();

    // Each attempt's lines carry its own attempt number; the zombie's late line ('attempt 1 ends',
    // flushed in A's group commit before its completion, so written by now) was refused: attempt 1
    // no longer held the lease.
    const logs = (await observer.storage.getLogs(runId)).filter((log) => log.category === 'zombie.job');
    expect(logs.map((log) => [log.attemptNumber, log.message]).sort()).toEqual([
      [1, 'attempt 1 begins on zombie-a'],
      [2, 'attempt 2 begins on zombie-b'],
    ]);
  }, 60_000);
});
