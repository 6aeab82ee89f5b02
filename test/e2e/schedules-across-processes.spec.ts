import 'reflect-metadata';
import { JobTriggerType } from '../../lib/index.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { waitFor } from '../helpers/wait-for.js';
import { ReportJob, TickJob } from '../fixtures/flows-jobs.fixture.js';

const SCHEDULES = 100;

describeEachBackend('named schedules across processes', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;
  let children: Child[] = [];

  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    children = [];
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  it(`${SCHEDULES} schedules every second, three scheduler processes for ~5 s: each (schedule, tick) fires once`, async () => {
    booted = await bootApp({ ...db.options, enableWorkers: false, enableScheduler: false }, [ReportJob, TickJob]);
    for (let i = 0; i < SCHEDULES; i++) await booted.jobs.schedule(TickJob, { key: `s${i}`, cron: '* * * * * *', input: { key: `s${i}` } });

    children = [0, 1, 2].map(() => startChild('flows-process.ts', [JSON.stringify(db.options), 'scheduler']));
    await Promise.all(children.map((child) => child.waitForLine((line) => line.includes('"ready"'), 60_000)));
    const started = Date.now();
    // Four ticks of each schedule or so (a tick late past the misfire grace collapses into the next one).
    const fired = async () => (await booted!.storage.countRuns({ jobTypeId: 'flows.tick' })).pending;
    await waitFor(async () => (await fired()) >= SCHEDULES * 4, { timeoutMs: 30_000, intervalMs: 200, what: `${SCHEDULES * 4} scheduled runs` });
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.all(children.map((child) => child.exited));
    children = [];

    const runs = (await booted.storage.listRuns({ jobTypeId: 'flows.tick', limit: 100_000 })).filter((run) => run.triggerType === JobTriggerType.Scheduled);
    const perTick = new Map<string, number>();
    const perSchedule = new Map<string, number>();
    for (const run of runs) {
      const key = (run.input as { key: string }).key;
      const tick = `${key}@${run.scheduledAt.toISOString()}`;
      perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
      perSchedule.set(key, (perSchedule.get(key) ?? 0) + 1);
    }
    const twice = [...perTick].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    expect(perSchedule.size).toBe(SCHEDULES);
    expect(Math.min(...perSchedule.values())).toBeGreaterThanOrEqual(3);
    // Ticks are whole seconds: a run per distinct second, none in between.
    expect(runs.every((run) => run.scheduledAt.getMilliseconds() === 0)).toBe(true);
    console.log(`${backend.name}: ${runs.length} runs from ${SCHEDULES} schedules in ${Date.now() - started} ms, no tick twice`);
  }, 90_000);
});
