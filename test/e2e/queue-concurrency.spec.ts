import { InvalidOptionsError, Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { bootApp, type BootedApp } from '../helpers/boot.js';
import { waitFor } from '../helpers/wait-for.js';

/** Issue 10: `queues: [{ name, concurrency }]` caps the slots of this process a queue's runs hold. */
const running = new Map<string, number>();
const peak = new Map<string, number>();
let gate: Promise<void> = Promise.resolve();
let open: () => void = () => undefined;

async function hold(queue: string): Promise<void> {
  running.set(queue, (running.get(queue) ?? 0) + 1);
  peak.set(queue, Math.max(peak.get(queue) ?? 0, running.get(queue)!));
  await gate;
  running.set(queue, running.get(queue)! - 1);
}

@Job({ id: 'qc.email', queue: 'email' })
class EmailJob implements JobHandler {
  async handle(_ctx: JobContext<unknown>) {
    await hold('email');
  }
}

@Job({ id: 'qc.other', queue: 'default' })
class OtherJob implements JobHandler {
  async handle(_ctx: JobContext<unknown>) {
    await hold('default');
  }
}

describeEachBackend('per-queue concurrency in one process', (backend) => {
  let db: TestDatabase;
  let app: BootedApp;

  beforeEach(async () => {
    running.clear();
    peak.clear();
    gate = new Promise((resolve) => (open = resolve));
    db = backend.create();
    app = await bootApp({ ...db.options, concurrency: 6, queues: [{ name: 'email', concurrency: 2 }, 'default'] }, [EmailJob, OtherJob]);
  });

  afterEach(async () => {
    open();
    await app.close();
    await db.drop();
  });

  it('holds at most the queue cap of slots while other queues use the rest', async () => {
    await app.jobs.enqueueMany(Array.from({ length: 10 }, () => ({ job: 'qc.email', input: null })));
    await app.jobs.enqueueMany(Array.from({ length: 4 }, () => ({ job: 'qc.other', input: null })));
    await waitFor(() => running.get('email') === 2 && running.get('default') === 4, { what: '2 email + 4 default running' });
    const counts = await app.storage.countRuns({ jobTypeId: 'qc.email' });
    expect(counts[JobRunStatus.Running]).toBe(2);
    open();
    await waitFor(async () => (await app.storage.countRuns({ jobTypeId: 'qc.email' }))[JobRunStatus.Completed] === 10, { what: 'all email done' });
    expect(peak.get('email')).toBe(2);
    expect(peak.get('default')).toBe(4);
  });
});

describe('queues option validation', () => {
  it('names the entry and field at fault', () => {
    const bad = (queues: unknown) => () => resolveOptions({ concurrency: 4, queues: queues as never });
    expect(bad([{ name: 'a', concurrency: 0 }])).toThrow(/queues\[0\]\.concurrency: expected an integer from 1 to the global concurrency \(4\)/);
    expect(bad([{ name: 'a', concurrency: 5 }])).toThrow(InvalidOptionsError);
    expect(bad(['a', { name: '' }])).toThrow(/queues\[1\]\.name: expected a non-empty queue name/);
    expect(bad([{ name: 'a', limit: 2 }])).toThrow(/queues\[0\]\.limit: unknown option/);
    expect(bad(['a', 'a'])).toThrow(/queues\[1\]: queue 'a' is listed twice/);
    expect(bad([3])).toThrow(/queues\[0\]: expected a non-empty queue name \(got 3\)/);
    const ok = resolveOptions({ concurrency: 4, queues: [{ name: 'email', concurrency: 2 }, 'default'] });
    expect(ok.queues).toEqual(['email', 'default']);
    expect(ok.queueConcurrency).toEqual([2, null]);
    expect(resolveOptions({}).queueConcurrency).toBeUndefined();
  });
});
