import 'reflect-metadata';
import { Job, JobRunStatus, type JobHandler } from '../../lib/index.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { waitFor } from '../helpers/wait-for.js';

/** The producer's view of the job the worker processes run (same id, no work here). */
@Job({ id: 'scale.job', maxRetries: 5 })
class ScaleJob implements JobHandler {
  handle() {}
}

const JOBS = 5000;

interface Line {
  event: string;
  pid: number;
  runId?: string;
  errors?: number;
  busy?: number;
}

const parsed = (child: Child): Line[] => child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

describeEachBackend('three worker processes share 5,000 jobs', (backend) => {
  let db: TestDatabase;
  let producer: BootedApp;
  let children: Child[] = [];

  beforeEach(async () => {
    db = backend.create();
    producer = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [ScaleJob]);
    for (let i = 0; i < JOBS; i += 1000) {
      await producer.jobs.enqueueMany(Array.from({ length: 1000 }, (_, k) => ({ job: 'scale.job', input: { n: i + k } })));
    }
    children = [1, 2, 3].map(() => startChild('worker-process.ts', [JSON.stringify(db.options), 'scale']));
    await Promise.all(children.map((c) => c.waitForLine((l) => l.includes('"ready"'))));
  });

  afterEach(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await producer.close();
    await db.drop();
  });

  const completed = async () => (await producer.storage.countRuns({ jobTypeId: 'scale.job' }))[JobRunStatus.Completed];

  /** Stops the live children with SIGTERM and returns their error summaries. */
  async function stopAll(): Promise<Line[]> {
    const live = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
    for (const child of live) child.process.kill('SIGTERM');
    return Promise.all(live.map((c) => c.waitForLine((l) => l.includes('"summary"')).then((l) => JSON.parse(l) as Line)));
  }

  it('runs every job exactly once when nobody crashes', async () => {
    await waitFor(async () => (await completed()) === JOBS, { timeoutMs: 120_000, intervalMs: 100, what: 'all jobs completed' });
    const summaries = await stopAll();
    const ran = children.map((c) => parsed(c).filter((l) => l.event === 'ran').map((l) => l.runId!));
    const all = ran.flat();
    console.log(
      `[${backend.name}] no crash: ${all.length} executions of ${JOBS} jobs, ${new Set(all).size} distinct; ` +
        `per process ${ran.map((r) => r.length).join(' / ')}; errors logged ${summaries.map((s) => s.errors).join(' / ')}, ` +
        `SQLITE_BUSY ${summaries.map((s) => s.busy).join(' / ')}`,
    );
    expect(new Set(all).size).toBe(JOBS);
    expect(all).toHaveLength(JOBS);
    for (const r of ran) expect(r.length).toBeGreaterThan(0); // the work was shared
    expect(summaries.map((s) => s.busy)).toEqual([0, 0, 0]);
    const counts = await producer.storage.countRuns({ jobTypeId: 'scale.job' });
    expect(counts[JobRunStatus.Running] + counts[JobRunStatus.Pending] + counts[JobRunStatus.Failed]).toBe(0);
  });

  it('completes every job when one process is killed with SIGKILL mid-run', async () => {
    await waitFor(async () => (await completed()) >= JOBS / 3, { timeoutMs: 60_000, intervalMs: 20, what: 'a third completed' });
    const victim = children[0];
    victim.process.kill('SIGKILL');
    await victim.exited;
    const victimRan = parsed(victim).filter((l) => l.event === 'ran').map((l) => l.runId!);
    await waitFor(async () => (await completed()) === JOBS, { timeoutMs: 120_000, intervalMs: 100, what: 'all jobs completed' });
    const summaries = await stopAll();
    const survivorsRan = children.slice(1).flatMap((c) => parsed(c).filter((l) => l.event === 'ran').map((l) => l.runId!));
    const all = [...victimRan, ...survivorsRan];
    const runs = await producer.storage.listRuns({ jobTypeId: 'scale.job', limit: JOBS });
    const recovered = runs.filter((r) => r.errorMessage?.includes('stopped sending heartbeats') || r.attemptNumber > 1);
    const duplicates = all.length - new Set(all).size;
    console.log(
      `[${backend.name}] SIGKILL: victim ran ${victimRan.length}, survivors ${survivorsRan.length}; ` +
        `${new Set(all).size} distinct of ${JOBS}; ${duplicates} run again after the crash; ${recovered.length} recovered from the dead worker; ` +
        `SQLITE_BUSY ${summaries.map((s) => s.busy).join(' / ')}`,
    );
    expect(new Set(all).size).toBe(JOBS);
    expect(runs.every((r) => r.status === JobRunStatus.Completed)).toBe(true);
    // Only what the dead process held (at most its concurrency, 8) ran twice.
    expect(duplicates).toBeLessThanOrEqual(8);
    expect(recovered.length).toBeGreaterThanOrEqual(duplicates);
    expect(summaries.map((s) => s.busy)).toEqual([0, 0]);
  });
});
