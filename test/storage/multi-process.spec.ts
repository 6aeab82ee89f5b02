import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { JobRunStatus } from '../../lib/index.js';
import { startChild, type Child } from '../helpers/child-process.js';
import { openStorage } from '../helpers/open-storage.js';
import { tempDir } from '../helpers/temp-db.js';

// Children are compiled fixtures: run `npm run build:test` before this spec when running it alone.
Logger.overrideLogger(false);

const RUNS = 2000;
const BATCH = 10;

describe('two OS processes claiming from one SQLite file', () => {
  const dir = tempDir();
  const children: Child[] = [];

  afterEach(() => {
    // A failed assertion must not leave a child claiming in the background.
    for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill();
  });

  afterAll(() => dir.remove());

  it(`hands each of ${RUNS} runs to exactly one process`, async () => {
    const database = dir.file();
    const { storage, close } = await openStorage({ database });
    try {
      await storage.upsertDefinition({ jobTypeId: 'job' });
      const seeded = await storage.enqueueMany(Array.from({ length: RUNS }, (_, i) => ({ jobTypeId: 'job', input: { i } })));

      children.push(startChild('dequeue-worker.ts', [database, 'proc-a', String(BATCH)]));
      children.push(startChild('dequeue-worker.ts', [database, 'proc-b', String(BATCH)]));
      // Two barriers (see the fixture): both connected before either claims, and both holding a
      // first batch before either goes on, so they compete even when the OS favours one.
      for (const step of ['ready', 'claiming']) {
        await Promise.all(children.map((child) => child.waitForLine((line) => line === step)));
        for (const child of children) child.process.kill('SIGUSR2');
      }
      const results = await Promise.all(
        children.map(async (child) => JSON.parse(await child.waitForLine((line) => line.startsWith('{'))) as { workerId: string; ids: string[] }),
      );
      const exits = await Promise.all(children.map((child) => child.exited));

      const [a, b] = results;
      console.log(`claimed in batches of ${BATCH}: ${a.workerId} got ${a.ids.length}, ${b.workerId} got ${b.ids.length} of ${RUNS}`);
      expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
      // Both took part (the barriers see to it), or the test would prove nothing about two processes.
      expect(a.ids.length).toBeGreaterThan(0);
      expect(b.ids.length).toBeGreaterThan(0);
      const inB = new Set(b.ids);
      expect(a.ids.filter((id) => inB.has(id))).toEqual([]);
      expect(new Set(a.ids).size).toBe(a.ids.length);
      expect(inB.size).toBe(b.ids.length);
      expect([...a.ids, ...b.ids].sort()).toEqual([...seeded].sort());
      // The database agrees: every run is running, held by the process that reported it.
      expect(await storage.countRuns()).toMatchObject({ [JobRunStatus.Running]: RUNS, [JobRunStatus.Pending]: 0 });
      // Each claimed once: attempt 1.
      const leases = (workerId: string, ids: string[]) => ids.map((runId) => ({ runId, workerId, attempt: 1 }));
      expect((await storage.stillHeld(leases('proc-a', a.ids))).length).toBe(a.ids.length);
      expect((await storage.stillHeld(leases('proc-b', b.ids))).length).toBe(b.ids.length);
    } finally {
      await close();
    }
  });
});
