import 'reflect-metadata';
import { hostname } from 'node:os';
import { InvalidOptionsError } from '../../lib/errors/errors.js';
import type { ZapJobsModuleOptions } from '../../lib/options/zapjobs-options.interface.js';
import { resolveOptions } from '../../lib/options/resolve-options.js';

/** The InvalidOptionsError thrown by resolveOptions(options). */
function rejectionOf(options: Record<string, unknown>): InvalidOptionsError {
  try {
    resolveOptions(options as ZapJobsModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
  throw new Error(`resolveOptions(${JSON.stringify(options)}) did not throw`);
}

describe('resolveOptions defaults', () => {
  it('fills every option when none is given', () => {
    const { workerId, ...rest } = resolveOptions();
    expect(rest).toEqual({
      storage: 'sqlite',
      database: 'zapjobs.db',
      url: undefined,
      host: 'localhost',
      port: 5432,
      username: undefined,
      password: undefined,
      schema: 'public',
      poolSize: 10,
      tablePrefix: 'zj_',
      autoMigrate: true,
      journalMode: 'WAL',
      busyTimeout: 5_000,
      logging: false,
      queues: ['critical', 'default', 'low'],
      concurrency: 10,
      prefetch: 0,
      pollInterval: 1_000,
      heartbeatInterval: 10_000,
      staleAfter: 60_000,
      shutdownTimeout: 30_000,
      enableScheduler: true,
      enableWorkers: true,
      schedule: { adopt: false },
      defaultTimeout: 3_600_000,
      defaultMaxRetries: 3,
      retryPolicy: { initialDelay: 5_000, multiplier: 2, maxDelay: 3_600_000, jitter: 0.2 },
      retention: 7 * 86_400_000,
      failedRetention: 30 * 86_400_000,
      logRetention: 7 * 86_400_000,
      cleanupInterval: 600_000,
      cleanupBatchSize: 500,
      maxPayloadBytes: 1_048_576,
      events: { crossProcess: false },
      webhooks: [],
    });
    expect(workerId).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${process.pid}:[0-9a-f]{6}$`));
  });

  it('gives each start a different worker id', () => {
    expect(resolveOptions().workerId).not.toBe(resolveOptions().workerId);
  });

  it('treats undefined (forRoot() with no argument) as no options', () => {
    expect(resolveOptions(undefined).database).toBe('zapjobs.db');
  });

  it.each([null, 'jobs.db', 5, ['x']])('refuses %j instead of an options object, with InvalidOptionsError', (value) => {
    const error = rejectionOf(value as unknown as Record<string, unknown>);
    expect(error.message).toMatch(/ZapJobsModule options: expected an options object such as \{ database: 'data\/jobs.db' \} \(\{\} for the defaults\); got /);
  });

  it('keeps given values and converts durations to milliseconds', () => {
    const options = resolveOptions({
      database: ':memory:',
      tablePrefix: 'jobs_',
      queues: ['emails'],
      concurrency: 3,
      pollInterval: '250ms',
      heartbeatInterval: '2s',
      staleAfter: '1h30m',
      defaultTimeout: 1500,
      retryPolicy: { initialDelay: '1s', jitter: 0 },
      retention: '2d',
      workerId: 'worker-a',
    });
    expect(options).toMatchObject({
      database: ':memory:',
      tablePrefix: 'jobs_',
      queues: ['emails'],
      concurrency: 3,
      pollInterval: 250,
      heartbeatInterval: 2_000,
      staleAfter: 5_400_000,
      defaultTimeout: 1_500,
      retryPolicy: { initialDelay: 1_000, multiplier: 2, maxDelay: 3_600_000, jitter: 0 },
      retention: 2 * 86_400_000,
      workerId: 'worker-a',
    });
  });

  it('keeps failed runs 30 days unless set, or as long as retention when that is longer', () => {
    expect(resolveOptions({ retention: '2d' }).failedRetention).toBe(30 * 86_400_000);
    expect(resolveOptions({ retention: '60d' }).failedRetention).toBe(60 * 86_400_000);
    expect(resolveOptions({ failedRetention: '90d' }).failedRetention).toBe(90 * 86_400_000);
    expect(() => resolveOptions({ failedRetention: 'forever' })).toThrow(/failedRetention/);
  });

  it('lets logRetention follow retention unless set', () => {
    expect(resolveOptions({ retention: '2d' }).logRetention).toBe(2 * 86_400_000);
    expect(resolveOptions({ retention: '2d', logRetention: '1d' }).logRetention).toBe(86_400_000);
  });

  it('returns a frozen object, queues and retry policy included', () => {
    const options = resolveOptions({ queues: ['a', 'b'] });
    expect(Object.isFrozen(options)).toBe(true);
    expect(Object.isFrozen(options.queues)).toBe(true);
    expect(Object.isFrozen(options.retryPolicy)).toBe(true);
    expect(() => {
      (options as { concurrency: number }).concurrency = 99;
    }).toThrow(TypeError);
  });

  it('copies the queues, so that changing the given array changes nothing', () => {
    const queues = ['a', 'b'];
    const options = resolveOptions({ queues });
    queues.push('c');
    expect(options.queues).toEqual(['a', 'b']);
  });

  it('accepts isGlobal, the extra option of forRoot', () => {
    expect(() => resolveOptions({ isGlobal: false } as ZapJobsModuleOptions)).not.toThrow();
  });
});

describe('resolveOptions validation', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['tablePrefix', { tablePrefix: 'ZJ-' }, /tablePrefix: .*only \[a-z0-9_\].*got "ZJ-"/],
    ['storage', { storage: 'mysql' }, /storage: .*must be 'sqlite'.*got "mysql"/],
    ['concurrency', { concurrency: 0 }, /concurrency: .*not be less than 1.*got 0\)/],
    ['concurrency above 1000', { concurrency: 5000 }, /concurrency: .*not be greater than 1000.*got 5000\)/],
    ['concurrency not an integer', { concurrency: 2.5 }, /concurrency: .*integer.*got 2.5\)/],
    ['pollInterval', { pollInterval: 'soon' }, /pollInterval: .*milliseconds .* or a duration string such as .*'30s'.*got "soon"/],
    ['pollInterval negative', { pollInterval: -1 }, /pollInterval: .*a number >= 0.*got -1\)/],
    ['queues', { queues: [] }, /queues: .*should not be empty.*got \[\]/],
    ['queues with an empty name', { queues: ['default', ''] }, /queues\[1\]: expected a non-empty queue name \(got ""\)/],
    ['retryPolicy.jitter', { retryPolicy: { jitter: 2 } }, /retryPolicy\.jitter: .*not be greater than 1.*got 2\)/],
    ['retryPolicy.multiplier', { retryPolicy: { multiplier: 0.5 } }, /retryPolicy\.multiplier: .*not be less than 1.*got 0.5\)/],
    ['journalMode', { journalMode: 'wal' }, /journalMode: .*one of the following values: WAL, DELETE.*got "wal"/],
    ['autoMigrate', { autoMigrate: 'yes' }, /autoMigrate: .*boolean.*got "yes"/],
    ['database', { database: '' }, /database: .*longer than or equal to 1.*got ""/],
  ])('rejects a bad %s, naming the option, the value and what is allowed', (_, options, message) => {
    const error = rejectionOf(options);
    expect(error.message).toMatch(/^Invalid ZapJobsModule options:/);
    expect(error.message).toMatch(message);
    expect(error.problems).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['pollInterval: 0', { pollInterval: 0 }, /pollInterval: pollInterval must be at least 10 ms \(an idle worker queries the database every pollInterval.*\(got 0\)/],
    ['pollInterval: 9', { pollInterval: 9 }, /pollInterval: .*at least 10 ms.*\(got 9\)/],
    ['heartbeatInterval', { heartbeatInterval: '50ms' }, /heartbeatInterval: .*at least 100 ms \(every heartbeat is a database write\).*got "50ms"/],
    ['staleAfter', { heartbeatInterval: 100, staleAfter: 999 }, /staleAfter: .*at least 1000 ms \(a shorter silence is a busy event loop.*got 999\)/],
    ['cleanupInterval', { cleanupInterval: '500ms' }, /cleanupInterval: .*at least 1000 ms \(every cleanup scans.*got "500ms"/],
    ['busyTimeout', { busyTimeout: '25d' }, /busyTimeout: .*at most 2147483647 ms \(SQLite's busy_timeout is a 32-bit.*got "25d"/],
    ['retention over 100 years', { retention: '36501d' }, /retention: .*at most 100 years \(3153600000000 ms\).*got "36501d"/],
  ])('rejects %s, below (or above) its bound, naming the option, the bound and why', (_, options, message) => {
    const error = rejectionOf(options);
    expect(error.message).toMatch(message);
    expect(error.problems).toHaveLength(1);
  });

  it('accepts each interval at its minimum, and the timings the test suites use', () => {
    expect(resolveOptions({ pollInterval: 10, heartbeatInterval: 100, staleAfter: 1000, cleanupInterval: 1000 })).toMatchObject(
      { pollInterval: 10, heartbeatInterval: 100, staleAfter: 1000, cleanupInterval: 1000 },
    );
    expect(resolveOptions({ pollInterval: 50, heartbeatInterval: 100, staleAfter: 1000, shutdownTimeout: 0, busyTimeout: 0 }))
      .toMatchObject({ shutdownTimeout: 0, busyTimeout: 0 });
  });

  it("accepts durations of 2^31 ms and more where they have a meaning ('25d')", () => {
    const day = 86_400_000;
    expect(resolveOptions({
      pollInterval: '25d', heartbeatInterval: '25d', staleAfter: '26d', cleanupInterval: '25d', shutdownTimeout: '25d', defaultTimeout: '25d',
    })).toMatchObject({ pollInterval: 25 * day, heartbeatInterval: 25 * day, staleAfter: 26 * day, shutdownTimeout: 25 * day, defaultTimeout: 25 * day });
  });

  it('shows NaN as NaN, not as the null that JSON.stringify makes of it', () => {
    const error = rejectionOf({ concurrency: NaN });
    expect(error.message).toMatch(/concurrency: .*integer.*got NaN\)/);
    expect(error.message).not.toContain('null');
  });

  it('rejects an unknown key, naming it, its value and the option it may stand for', () => {
    const error = rejectionOf({ databse: 'jobs.db' });
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(/databse: unknown option.*got "jobs.db"/);
    // What is allowed: the known options, among them the one that was misspelled.
    expect(error.message).toMatch(/known options: .*\bdatabase\b/);
  });

  it("refuses PostgreSQL's connection options without storage: 'postgres' (it would start on a SQLite file), never showing a password", () => {
    const error = rejectionOf({ url: 'postgres://app:secret@db.example/app', schema: 'jobs', password: 'secret' });
    expect(error.problems.sort()).toEqual([
      "password: a PostgreSQL option, but storage is 'sqlite' (the default): add storage: 'postgres'",
      "schema: a PostgreSQL option, but storage is 'sqlite' (the default): add storage: 'postgres'",
      "url: a PostgreSQL option, but storage is 'sqlite' (the default): add storage: 'postgres'",
    ]);
    expect(error.message).not.toContain('secret');
    expect(rejectionOf({ storage: 'sqlite', poolSize: 4 }).problems).toEqual(["poolSize: a PostgreSQL option, but storage is 'sqlite': add storage: 'postgres'"]);
    expect(rejectionOf({ isGlobal: 'no' }).problems).toEqual(['isGlobal: expected a boolean, got "no"']);
  });

  it('ignores an unknown key whose value is undefined (as spreading an optional setting gives)', () => {
    expect(() => resolveOptions({ databse: undefined } as ZapJobsModuleOptions)).not.toThrow();
  });

  it('reports every problem at once', () => {
    const error = rejectionOf({ storage: 'mysql', concurrency: 0, retryPolicy: { jitter: 2 }, databse: 'x' });
    expect(error.problems).toHaveLength(4);
    expect(error.problems.map((problem) => problem.split(':')[0]).sort()).toEqual(
      ['concurrency', 'databse', 'retryPolicy.jitter', 'storage'],
    );
    for (const option of ['storage', 'concurrency', 'retryPolicy.jitter', 'databse']) {
      expect(error.message).toContain(`\n  - ${option}: `);
    }
  });

  it('rejects staleAfter equal to heartbeatInterval', () => {
    const error = rejectionOf({ heartbeatInterval: '10s', staleAfter: '10s' });
    expect(error.message).toMatch(/staleAfter: must be longer than heartbeatInterval \(10000 ms\).*got "10s"/);
  });

  it('rejects staleAfter shorter than the default heartbeatInterval', () => {
    const error = rejectionOf({ staleAfter: 5_000 });
    expect(error.message).toMatch(/staleAfter: must be longer than heartbeatInterval \(10000 ms\).*got 5000\)/);
  });

  it('rejects a heartbeatInterval longer than the default staleAfter', () => {
    const error = rejectionOf({ heartbeatInterval: '2m' });
    expect(error.message).toMatch(/staleAfter: must be longer than heartbeatInterval \(120000 ms\).*got "1m"/);
  });

  it('accepts staleAfter just longer than heartbeatInterval', () => {
    expect(resolveOptions({ heartbeatInterval: 1_000, staleAfter: 1_001 }).staleAfter).toBe(1_001);
  });
});

describe('resolveOptions: events and webhooks (issue 11)', () => {
  it('resolves events.crossProcess and the webhooks, frozen', () => {
    const o = resolveOptions({ events: { crossProcess: true }, webhooks: [{ url: 'https://h.example/x', secret: 'k', events: ['failed'] }] });
    expect(o.events).toEqual({ crossProcess: true });
    expect(o.webhooks).toEqual([{ url: 'https://h.example/x', secret: 'k', events: ['failed'] }]);
    expect(Object.isFrozen(o.webhooks[0])).toBe(true);
  });

  it('names the field of each bad events or webhooks value, never showing a secret', () => {
    const problems = (options: unknown) => {
      try {
        resolveOptions(options as ZapJobsModuleOptions);
      } catch (error) {
        return (error as InvalidOptionsError).problems;
      }
      return [];
    };
    expect(problems({ events: { crossProcess: 'yes' } })).toEqual([expect.stringMatching(/^events\.crossProcess: .*boolean/)]);
    expect(problems({ events: { cross: true } })).toEqual(['events.cross: unknown option; known: crossProcess']);
    expect(problems({ webhooks: [{ url: 'https://h.example', secret: 'k', events: ['done'], extra: 1 }, 'x'] })).toEqual([
      'webhooks[0].extra: unknown option; known: url, events, secret',
      'webhooks[0].events: expected a list of enqueued, started, progress, completed, failed, retrying, cancelled (got ["done"])',
      'webhooks[1]: expected { url, secret, events? } (got "x")',
    ]);
    expect(problems({ webhooks: [{ url: 'https://h.example', secret: 42 }] })).toEqual(['webhooks[0].secret: expected a non-empty string (got (hidden))']);
    // Deliveries find their secret by URL: two entries of one URL would sign with the first one's.
    expect(problems({ webhooks: [{ url: 'https://h.example/a', secret: 'k1' }, { url: 'https://h.example/b', secret: 'k2' }, { url: 'https://h.example/a', secret: 'k3', events: ['failed'] }] })).toEqual([
      'webhooks[2].url: the same URL as webhooks[0]; give one entry, with the events of both',
    ]);
  });
});
