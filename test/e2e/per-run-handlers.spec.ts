import 'reflect-metadata';
import { Inject, Injectable, Scope } from '@nestjs/common';
import { Job, JOB_CONTEXT, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { bootApp, runIn, type BootedApp } from '../helpers/boot.js';
import { describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { compiledFixture, startChild } from '../helpers/child-process.js';

/** What each handler instance saw: itself, the context it was built with, the one handle() got. */
interface Seen {
  instance: object;
  injected: JobContext<unknown>;
  handled: JobContext<unknown>;
}
const seen = new Map<string, Seen[]>();
const record = (job: string, entry: Seen) => seen.set(job, [...(seen.get(job) ?? []), entry]);

/** Opens when both of two runs are inside handle(): they overlap, so they cannot share one built instance by chance. */
let inside = 0;
let release: () => void = () => undefined;
let bothInside = new Promise<void>((resolve) => (release = resolve));

@Injectable({ scope: Scope.REQUEST })
@Job({ id: 'per-run.request' })
class RequestScopedHandler implements JobHandler {
  constructor(@Inject(JOB_CONTEXT) private readonly ctx: JobContext<unknown>) {}

  async handle(ctx: JobContext<unknown>) {
    record('per-run.request', { instance: this, injected: this.ctx, handled: ctx });
    if (++inside === 2) release();
    await bothInside;
    return { runId: this.ctx.runId };
  }
}

/** A request-scoped dependency: whatever injects it is built per run too. */
@Injectable({ scope: Scope.REQUEST })
class RunAudit {
  constructor(@Inject(JOB_CONTEXT) readonly ctx: JobContext<unknown>) {}
}

/** Declared with the default scope; its dependency makes it per-run (Nest's scope bubbling). */
@Job({ id: 'per-run.bubbled' })
class BubbledHandler implements JobHandler {
  constructor(private readonly audit: RunAudit) {}

  handle(ctx: JobContext<unknown>) {
    record('per-run.bubbled', { instance: this, injected: this.audit.ctx, handled: ctx });
  }
}

@Injectable({ scope: Scope.TRANSIENT })
@Job({ id: 'per-run.transient' })
class TransientHandler implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    record('per-run.transient', { instance: this, injected: ctx, handled: ctx });
  }
}

/** A transient dependency: Nest would give a singleton consumer one for good. */
@Injectable({ scope: Scope.TRANSIENT })
class Scratchpad {
  readonly lines: string[] = [];
}

/** Declared with the default scope; its transient dependency makes it per-run, so runs never share a Scratchpad. */
@Job({ id: 'per-run.transient-dependency' })
class TransientDependencyHandler implements JobHandler {
  constructor(readonly pad: Scratchpad) {}

  handle(ctx: JobContext<unknown>) {
    this.pad.lines.push(ctx.runId);
    record('per-run.transient-dependency', { instance: this, injected: ctx, handled: ctx });
    return { lines: this.pad.lines.length };
  }
}

@Job({ id: 'per-run.singleton' })
class SingletonHandler implements JobHandler {
  handle(ctx: JobContext<unknown>) {
    record('per-run.singleton', { instance: this, injected: ctx, handled: ctx });
  }
}

/** A request-scoped handler whose constructor throws: the run fails, the worker goes on. */
@Injectable({ scope: Scope.REQUEST })
@Job({ id: 'per-run.broken', maxRetries: 0 })
class BrokenConstructorHandler implements JobHandler {
  constructor() {
    throw new Error('cannot build this handler');
  }

  handle() {
    return undefined;
  }
}

const HANDLERS = [
  RequestScopedHandler, RunAudit, BubbledHandler, TransientHandler, Scratchpad, TransientDependencyHandler, SingletonHandler, BrokenConstructorHandler,
];

describeEachBackend('handlers with per-run dependencies', (backend) => {
  let db: TestDatabase;
  let booted: BootedApp | undefined;

  beforeEach(() => {
    seen.clear();
    inside = 0;
    bothInside = new Promise<void>((resolve) => (release = resolve));
    db = backend.create();
  });
  afterEach(async () => {
    release();
    await booted?.close();
    booted = undefined;
    await db.drop();
  });

  it('builds a request-scoped handler per run: two concurrent runs get two instances, each injected with its own context', async () => {
    booted = await bootApp({ ...db.options, concurrency: 4 }, HANDLERS);
    const ids = await Promise.all([booted.jobs.enqueue('per-run.request'), booted.jobs.enqueue('per-run.request')]);
    const runs = await Promise.all(ids.map((id) => runIn(booted!.storage, id, [JobRunStatus.Completed])));
    const entries = seen.get('per-run.request')!;
    expect(entries).toHaveLength(2);
    expect(entries[0].instance).not.toBe(entries[1].instance);
    for (const entry of entries) expect(entry.injected).toBe(entry.handled);
    expect(new Set(entries.map((entry) => entry.injected.runId))).toEqual(new Set(ids));
    expect(runs.map((run) => (run.output as { runId: string }).runId).sort()).toEqual([...ids].sort());
  });

  it('builds per run a default-scoped handler that depends on a request-scoped provider', async () => {
    booted = await bootApp(db.options, HANDLERS);
    const ids = [await booted.jobs.enqueue('per-run.bubbled'), await booted.jobs.enqueue('per-run.bubbled')];
    for (const id of ids) await runIn(booted.storage, id, [JobRunStatus.Completed]);
    const entries = seen.get('per-run.bubbled')!;
    expect(entries[0].instance).not.toBe(entries[1].instance);
    expect(entries.map((entry) => entry.injected.runId)).toEqual(ids);
  });

  it('builds a transient handler per run, and keeps a singleton one instance for every run', async () => {
    booted = await bootApp(db.options, HANDLERS);
    for (const job of ['per-run.transient', 'per-run.transient', 'per-run.singleton', 'per-run.singleton']) {
      await runIn(booted.storage, await booted.jobs.enqueue(job), [JobRunStatus.Completed]);
    }
    const [t1, t2] = seen.get('per-run.transient')!;
    expect(t1.instance).not.toBe(t2.instance);
    const [s1, s2] = seen.get('per-run.singleton')!;
    expect(s1.instance).toBe(s2.instance);
    expect(s1.instance).toBe(booted.app.get(SingletonHandler));
  });

  it('builds per run a default-scoped handler with a transient dependency: each run gets its own', async () => {
    booted = await bootApp(db.options, HANDLERS);
    const runs = [];
    for (let i = 0; i < 2; i++) runs.push(await runIn(booted.storage, await booted.jobs.enqueue('per-run.transient-dependency'), [JobRunStatus.Completed]));
    // A shared Scratchpad would hold 2 lines by the second run.
    expect(runs.map((run) => run.output)).toEqual([{ lines: 1 }, { lines: 1 }]);
    const [first, second] = seen.get('per-run.transient-dependency')!;
    expect(first.instance).not.toBe(second.instance);
    expect((first.instance as TransientDependencyHandler).pad).not.toBe((second.instance as TransientDependencyHandler).pad);
  });

  it('fails the run, not the worker, when the per-run handler cannot be built', async () => {
    booted = await bootApp(db.options, HANDLERS);
    const failed = await runIn(booted.storage, await booted.jobs.enqueue('per-run.broken'), [JobRunStatus.Failed]);
    expect(failed.errorMessage).toMatch(/cannot build this handler/);
    await runIn(booted.storage, await booted.jobs.enqueue('per-run.singleton'), [JobRunStatus.Completed]);
  });
});

// In a child process run with --expose-gc (the jest script does not expose it), so that the count of
// live handler instances after a full collection is a fact, not a guess.
describe('per-run handlers release what they built', () => {
  it('keeps no handler, dependency or context alive after 10,000 runs (both per-run paths)', async () => {
    compiledFixture('per-run-leak.ts');
    const child = startChild('per-run-leak.ts', ['10000']);
    const line = await child.waitForLine((l) => l.startsWith('{"event":"done"'), 90_000);
    const result = JSON.parse(line) as { runs: number; built: number; live: number; liveContexts: number; heapGrowthMb: number };
    await child.exited;
    expect(result.runs).toBe(10_000);
    expect(result.built).toBe(10_000);
    // Every instance and context is collectable once its run ended: nothing is held per run.
    expect(result.live).toBe(0);
    expect(result.liveContexts).toBe(0);
    expect(result.heapGrowthMb).toBeLessThan(20);
  }, 120_000);
});
