import 'reflect-metadata';
import { Job, JobRunStatus, type JobContext, type JobHandler } from '../../lib/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { appPerTest } from '../helpers/app-per-test.js';
import { bootApp, runIn } from '../helpers/boot.js';
import { errorWith, hostileProxy } from '../fixtures/hostile-values.js';


/** What each handler throws, and the errorMessage its run must end with. */
const HOSTILE: Record<string, { make: () => unknown; message: string }> = {
  'message-getter-throws': {
    make: () => errorWith('message', { get: () => { throw new Error('no message for you'); } }, 'hostile'),
    message: "(reading the error's message threw: no message for you)",
  },
  'stack-getter-throws': { make: () => errorWith('stack', { get: () => { throw new Error('no stack'); } }, 'hostile'), message: 'hostile' },
  'symbol-message': { make: () => errorWith('message', { value: Symbol('sym') }, 'hostile'), message: 'Symbol(sym)' },
  'object-message': { make: () => errorWith('message', { value: { code: 7 } }, 'hostile'), message: '{"code":7}' },
  'object-stack': { make: () => errorWith('stack', { value: { frames: [] } }, 'hostile'), message: 'hostile' },
  proxy: { make: hostileProxy, message: 'handler threw a non-Error value: [an object that cannot be read]' },
  'null-prototype-tojson-throws': {
    make: () => Object.assign(Object.create(null), { toJSON: () => { throw new Error('no JSON'); } }),
    message: 'handler threw a non-Error value: [object Object]',
  },
  undefined: { make: () => undefined, message: 'handler threw a non-Error value: undefined' },
  null: { make: () => null, message: 'handler threw a non-Error value: null' },
};

@Job({ id: 'hostile', maxRetries: 0 })
class HostileJob implements JobHandler<{ kind: string }> {
  handle(ctx: JobContext<{ kind: string }>) {
    // Hostile values reach the job logger too: the line is stored, the attempt goes on to its throw.
    ctx.logger.warn('about to throw', hostileProxy(), Symbol('arg'));
    throw HOSTILE[ctx.input.kind].make();
  }
}

/** Returns, rather than throws, a value that cannot be stored: a trapping Proxy or an object whose toJSON throws. */
@Job({ id: 'hostile-output', maxRetries: 0 })
class HostileOutputJob implements JobHandler<{ kind: string }> {
  handle(ctx: JobContext<{ kind: string }>) {
    if (ctx.input.kind === 'proxy') return hostileProxy();
    return Object.assign(Object.create(null), { toJSON: () => { throw new Error('no JSON for this output'); } });
  }
}

@Job({ id: 'plain' })
class PlainJob implements JobHandler<unknown, string> {
  handle() {
    return 'fine';
  }
}

describeEachBackend('hostile handlers: whatever is thrown, the run fails readably and the slot is freed', (backend) => {
  const t = appPerTest(backend);

  it('fails every hostile throw with its message, one slot serving them all, then runs a normal job', async () => {
    // One slot: each run can only start once the one before freed it.
    t.booted = await bootApp({ ...t.db.options, concurrency: 1 }, [HostileJob, HostileOutputJob, PlainJob]);
    const ids = new Map<string, string>();
    for (const kind of Object.keys(HOSTILE)) ids.set(kind, await t.booted.jobs.enqueue('hostile', { kind }));
    for (const [kind, id] of ids) {
      const run = await runIn(t.booted.storage, id, [JobRunStatus.Failed]);
      expect({ kind, message: run.errorMessage }).toEqual({ kind, message: HOSTILE[kind].message });
      expect(run.attemptNumber).toBe(1);
      expect(typeof run.errorDetails).toBe('string');
      const logs = await t.booted.storage.getLogs(id);
      expect(logs.map((l) => l.message)).toEqual([
        'about to throw [an object that cannot be read] Symbol(arg)',
        `attempt 1 of 1 failed: ${HOSTILE[kind].message}; no attempts left`,
      ]);
    }
    const plain = await t.booted.jobs.enqueue(PlainJob);
    expect((await runIn(t.booted.storage, plain, [JobRunStatus.Completed])).output).toBe('fine');
  });

  it('fails a handler whose returned value cannot be read or stored, and frees the slot', async () => {
    t.booted = await bootApp({ ...t.db.options, concurrency: 1 }, [HostileJob, HostileOutputJob, PlainJob]);
    const proxy = await t.booted.jobs.enqueue('hostile-output', { kind: 'proxy' });
    const toJson = await t.booted.jobs.enqueue('hostile-output', { kind: 'to-json' });
    // Resolving a handler's promise with a Proxy asks it for `then`: that trap's error is the attempt's.
    expect((await runIn(t.booted.storage, proxy, [JobRunStatus.Failed])).errorMessage).toBe('trap');
    expect((await runIn(t.booted.storage, toJson, [JobRunStatus.Failed])).errorMessage).toContain('no JSON for this output');
    const plain = await t.booted.jobs.enqueue(PlainJob);
    expect((await runIn(t.booted.storage, plain, [JobRunStatus.Completed])).output).toBe('fine');
  });
});
