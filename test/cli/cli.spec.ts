import 'reflect-metadata';
import { writeFileSync, existsSync } from 'node:fs';
import type { JobRun } from '../../lib/index.js';
import { JobLogLevel, JobRunStatus } from '../../lib/index.js';
import type { EngineStorage } from '../../lib/storage/engine-storage.js';
import { describeEachBackend, postgresBackend, PG_URL, type TestDatabase } from '../helpers/backends.js';
import { openStorage, type OpenedStorage } from '../helpers/open-storage.js';
import { connectionArgs, runBin, startBin } from '../helpers/run-bin.js';
import { tempDir } from '../helpers/temp-db.js';

const DAY = 86_400_000;
/** A run id (a UUID, so PostgreSQL's uuid column takes it) that no test stores. */
const UNKNOWN_RUN = '01a23750-bf25-7664-8acc-a4479e2efb28';

/** A run of `jobTypeId` put in `status` through the storage, as a worker would have left it. */
async function seedRun(storage: EngineStorage, jobTypeId: string, status: JobRunStatus, extra: { completedAt?: Date; input?: unknown } = {}): Promise<string> {
  const id = await storage.enqueue({ jobTypeId, input: extra.input });
  if (status !== JobRunStatus.Pending) {
    const finished = [JobRunStatus.Completed, JobRunStatus.Failed, JobRunStatus.Cancelled].includes(status);
    await storage.updateRun(id, {
      status,
      attemptNumber: 1,
      startedAt: new Date(),
      ...(finished ? { completedAt: extra.completedAt ?? new Date(), durationMs: 12 } : {}),
      ...(status === JobRunStatus.Failed ? { errorMessage: 'SMTP refused' } : {}),
    });
  }
  return id;
}

describeEachBackend('zapjobs command line', (backend) => {
  let db: TestDatabase;
  let opened: OpenedStorage | undefined;
  let conn: string[];

  beforeEach(() => {
    db = backend.create();
    conn = connectionArgs(db);
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
    await db.drop();
  });

  /** The database, migrated, with two jobs defined. */
  async function seeded(): Promise<EngineStorage> {
    opened = await openStorage(db.options);
    await opened.storage.upsertDefinition({ jobTypeId: 'cli.email', queue: 'default', defaultInputJson: '{"to":"ops@example.com"}' });
    await opened.storage.upsertDefinition({ jobTypeId: 'cli.report', queue: 'low', scheduleType: 'cron' as never, cronExpression: '0 * * * *' });
    return opened.storage;
  }

  const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

  it('migrate --dry-run prints the SQL and changes nothing; migrate applies it once', async () => {
    const dry = await runBin(['migrate', '--dry-run', ...conn]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^-- ZapJobs(Pg)?InitialSchema1732838400000$/m);
    expect(dry.stdout).toMatch(/^CREATE TABLE ("zjt_\w+"\.)?"zj_runs" \($/m);
    expect(dry.stdout).toContain('nothing was run');

    if (backend.name === 'sqlite') expect(existsSync(db.options.database as string)).toBe(false);
    // Every released migration is still pending after the dry run; migrate applies exactly those.
    const probe = await openStorage(db.options, { migrate: false });
    let pending: string[];
    try {
      pending = await probe.migrations.pending();
      expect(pending.length).toBeGreaterThanOrEqual(3);
      expect(pending[0]).toMatch(/InitialSchema1732838400000$/);
    } finally {
      await probe.close();
    }

    const applied = await runBin(['migrate', '--json', ...conn]);
    expect(applied.code).toBe(0);
    expect(json<{ applied: string[] }>(applied.stdout).applied).toEqual(pending);
    const after = await openStorage(db.options, { migrate: false });
    try {
      expect(await after.migrations.pending()).toEqual([]);
    } finally {
      await after.close();
    }
  });

  it('status --json: counts per queue and status, oldest pending age, workers with their heartbeat', async () => {
    const storage = await seeded();
    await seedRun(storage, 'cli.email', JobRunStatus.Pending);
    await seedRun(storage, 'cli.email', JobRunStatus.Pending);
    await seedRun(storage, 'cli.email', JobRunStatus.Failed);
    await seedRun(storage, 'cli.report', JobRunStatus.Completed);
    await storage.updateHeartbeat('host-a:1:w', { queues: ['default', 'low'], concurrency: 4, startedAt: new Date() });

    const result = await runBin(['status', '--json', ...conn]);
    expect(result.code).toBe(0);
    const status = json<{
      queues: Array<{ queue: string; counts: Record<string, number>; oldestPendingAgeMs: number | null }>;
      workers: Array<{ workerId: string; queues: string[]; alive: boolean; heartbeatAgeMs: number }>;
    }>(result.stdout);
    const byQueue = Object.fromEntries(status.queues.map((q) => [q.queue, q]));
    expect(byQueue.default.counts).toMatchObject({ pending: 2, failed: 1, completed: 0 });
    expect(byQueue.low.counts).toMatchObject({ pending: 0, completed: 1 });
    expect(byQueue.default.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect(byQueue.low.oldestPendingAgeMs).toBeNull();
    expect(status.workers).toEqual([expect.objectContaining({ workerId: 'host-a:1:w', queues: ['default', 'low'], alive: true })]);

    // The text form is the same on both backends: looked at once.
    if (backend.name !== 'sqlite') return;
    const text = await runBin(['status', ...conn]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/QUEUE\s+PENDING\s+RUNNING/);
    expect(text.stdout).toMatch(/default\s+2\s+0\s+0\s+0\s+1\s+0/);
    expect(text.stdout).toContain('host-a:1:w');
    // Not a TTY: no colour codes.
    expect(text.stdout).not.toContain('\u001b[');
  });

  it('runs list --json filters by status, job, queue, correlation id and time, and pages with --limit/--offset', async () => {
    const storage = await seeded();
    await seedRun(storage, 'cli.email', JobRunStatus.Failed);
    for (let i = 0; i < 3; i++) await seedRun(storage, 'cli.email', JobRunStatus.Pending);
    await seedRun(storage, 'cli.report', JobRunStatus.Pending);
    const correlated = await storage.enqueue({ jobTypeId: 'cli.email', correlationId: 'order-42' });
    const ids = async (...args: string[]) => {
      const result = await runBin(['runs', 'list', '--json', ...args, ...conn]);
      expect(result.stderr).toBe('');
      return json<JobRun[]>(result.stdout).map((run) => run.id);
    };

    expect(await ids('--status', 'pending', '--job', 'cli.email', '--correlation-id', 'order-42', '--since', '1h')).toEqual([correlated]);
    // A page of the default queue's failed and pending runs created before a minute from now: the storage's own page.
    const until = new Date(Date.now() + 60_000);
    const page = await storage.listRuns({ status: [JobRunStatus.Failed, JobRunStatus.Pending], queue: 'default', until, limit: 2, offset: 1 });
    expect(page).toHaveLength(2);
    expect(await ids('--status', 'failed,pending', '--queue', 'default', '--until', until.toISOString(), '--limit', '2', '--offset', '1')).toEqual(
      page.map((run) => run.id),
    );
  });

  it('runs show prints a run with its logs; an unknown run exits 1', async () => {
    const storage = await seeded();
    const id = await seedRun(storage, 'cli.email', JobRunStatus.Failed, { input: { to: 'a@b.c' } });
    await storage.addLog({ runId: id, level: JobLogLevel.Error, message: 'connection refused by smtp.example.com', attemptNumber: 1 });

    const shown = await runBin(['runs', 'show', id, '--json', ...conn]);
    expect(shown.code).toBe(0);
    const { run, logs } = json<{ run: JobRun; logs: Array<{ message: string }> }>(shown.stdout);
    expect(run).toMatchObject({ id, status: 'failed', input: { to: 'a@b.c' }, errorMessage: 'SMTP refused' });
    expect(logs.map((log) => log.message)).toEqual(['connection refused by smtp.example.com']);

    if (backend.name !== 'sqlite') return;
    const unknown = await runBin(['runs', 'show', UNKNOWN_RUN, ...conn]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`Run '${UNKNOWN_RUN}' does not exist`);
    const text = await runBin(['runs', 'show', id, ...conn]);
    expect(text.stdout).toContain('connection refused by smtp.example.com');
    expect(text.stdout).toMatch(/status\s+failed/);
  });

  it('runs retry / cancel of one run, and exit 1 when its status forbids it', async () => {
    const storage = await seeded();
    const failed = await seedRun(storage, 'cli.email', JobRunStatus.Failed);
    const pending = await seedRun(storage, 'cli.email', JobRunStatus.Pending);
    const completed = await seedRun(storage, 'cli.email', JobRunStatus.Completed);

    expect((await runBin(['runs', 'retry', failed, ...conn])).code).toBe(0);
    expect((await storage.getRun(failed))?.status).toBe(JobRunStatus.Pending);
    expect((await runBin(['runs', 'cancel', pending, ...conn])).code).toBe(0);
    expect((await storage.getRun(pending))?.status).toBe(JobRunStatus.Cancelled);

    // The refusals are the storage's, the same on both backends.
    if (backend.name !== 'sqlite') return;

    const retryCompleted = await runBin(['runs', 'retry', completed, ...conn]);
    expect(retryCompleted.code).toBe(1);
    expect(retryCompleted.stderr).toMatch(/is completed: only failed or cancelled runs can be retried/);
    const cancelCompleted = await runBin(['runs', 'cancel', completed, ...conn]);
    expect(cancelCompleted.code).toBe(1);
    expect(cancelCompleted.stderr).toMatch(/already finished \(completed\)/);
    expect((await storage.getRun(completed))?.status).toBe(JobRunStatus.Completed);

    const unknown = await runBin(['runs', 'retry', UNKNOWN_RUN, ...conn]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`Run '${UNKNOWN_RUN}' does not exist`);
  });

  it('runs retry --failed --job and runs cancel --status pending --job act on every selected run, in batches, and on no other', async () => {
    const storage = await seeded();
    const failedEmails = [];
    for (let i = 0; i < 5; i++) failedEmails.push(await seedRun(storage, 'cli.email', JobRunStatus.Failed));
    const failedReport = await seedRun(storage, 'cli.report', JobRunStatus.Failed);
    const pendingReport = await seedRun(storage, 'cli.report', JobRunStatus.Pending);

    const retried = await runBin(['runs', 'retry', '--failed', '--job', 'cli.email', '--batch-size', '2', '--json', ...conn]);
    expect(retried.code).toBe(0);
    expect(json<{ retried: string[] }>(retried.stdout).retried.sort()).toEqual([...failedEmails].sort());
    for (const id of failedEmails) expect((await storage.getRun(id))?.status).toBe(JobRunStatus.Pending);
    expect((await storage.getRun(failedReport))?.status).toBe(JobRunStatus.Failed);

    const cancelled = await runBin(['runs', 'cancel', '--status', 'pending', '--job', 'cli.email', '--batch-size', '2', '--limit', '4', ...conn]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('Cancelled 4 run(s).');
    const statuses = await Promise.all(failedEmails.map(async (id) => (await storage.getRun(id))?.status));
    expect(statuses.filter((s) => s === JobRunStatus.Cancelled)).toHaveLength(4);
    expect(statuses.filter((s) => s === JobRunStatus.Pending)).toHaveLength(1);
    expect((await storage.getRun(pendingReport))?.status).toBe(JobRunStatus.Pending);
  });

  it('trigger enqueues a run with the given input (or the default one); jobs list shows the definitions', async () => {
    const storage = await seeded();
    const triggered = await runBin(['trigger', 'cli.email', '--input', '{"to":"x@y.z","n":3}', '--correlation-id', 'cli-1', '--json', ...conn]);
    expect(triggered.code).toBe(0);
    const { runId } = json<{ runId: string }>(triggered.stdout);
    expect(await storage.getRun(runId)).toMatchObject({ jobTypeId: 'cli.email', status: 'pending', input: { to: 'x@y.z', n: 3 }, correlationId: 'cli-1', queue: 'default' });

    const listed = await runBin(['jobs', 'list', '--json', ...conn]);
    expect(json<Array<{ jobTypeId: string; queue: string }>>(listed.stdout).map((d) => [d.jobTypeId, d.queue])).toEqual([
      ['cli.email', 'default'], ['cli.report', 'low'],
    ]);

    if (backend.name !== 'sqlite') return;
    const plain = await runBin(['trigger', 'cli.email', ...conn]);
    expect(plain.code).toBe(0);
    expect((await storage.getRun(plain.stdout.trim()))?.input).toEqual({ to: 'ops@example.com' });

    const unknown = await runBin(['trigger', 'cli.nope', ...conn]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown job 'cli.nope'/);
    const table = await runBin(['jobs', 'list', ...conn]);
    expect(table.stdout).toMatch(/cli\.report\s+low\s+0\s+cron 0 \* \* \* \*/);
  });

  it('cleanup deletes finished runs past the retention (with their logs), failed ones past --failed-retention, keeps the rest; --dry-run only counts', async () => {
    const storage = await seeded();
    const oldCompleted = await seedRun(storage, 'cli.email', JobRunStatus.Completed, { completedAt: new Date(Date.now() - 10 * DAY) });
    const oldFailed = await seedRun(storage, 'cli.email', JobRunStatus.Failed, { completedAt: new Date(Date.now() - 9 * DAY) });
    await storage.addLog({ runId: oldCompleted, level: JobLogLevel.Info, message: 'old line' });
    const recent = await seedRun(storage, 'cli.email', JobRunStatus.Completed);
    const pending = await seedRun(storage, 'cli.email', JobRunStatus.Pending);

    if (backend.name === 'sqlite') {
      // Failed runs are kept 30 days by default (the dead letter): only the completed one is due.
      const dry = await runBin(['cleanup', '--retention', '7d', '--dry-run', '--json', ...conn]);
      expect(json<{ runs: number }>(dry.stdout)).toMatchObject({ dryRun: true, runs: 1 });
      expect(await storage.getRun(oldCompleted)).not.toBeNull();
    }

    const done = await runBin(['cleanup', '--retention', '7d', '--batch-size', '1', ...conn]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/Deleted 1 finished run\(s\)/);
    // Not a TTY: no progress bar.
    expect(done.stderr).toBe('');
    expect(await storage.getRun(oldCompleted)).toBeNull();
    expect(await storage.getLogs(oldCompleted)).toEqual([]);
    expect(await storage.getRun(oldFailed)).not.toBeNull();

    const failed = await runBin(['cleanup', '--retention', '7d', '--failed-retention', '8d', ...conn]);
    expect(failed.stdout).toMatch(/Deleted 1 finished run\(s\)/);
    expect(await storage.getRun(oldFailed)).toBeNull();
    expect(await storage.getRun(recent)).not.toBeNull();
    expect(await storage.getRun(pending)).not.toBeNull();
  });
});

describe('zapjobs command line: usage and connection errors', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it.each([
    [['runs', 'list', '--bogus'], /unknown option '--bogus'/],
    [['runs', 'list', '--limit', 'many'], /option '--limit <n>' argument 'many' is invalid/],
    [['runs', 'list', '--status', 'done'], /option '--status <statuses>' argument 'done' is invalid/],
    [['runs', 'cancel', '--status', 'completed'], /option '--status <statuses>' argument 'completed' is invalid/],
    [['cleanup', '--retention', 'forever'], /option '--retention <duration>' argument 'forever' is invalid/],
    [['runs', 'retry'], /give a run id, or --failed or --cancelled/],
    [['runs', 'retry', 'some-id', '--failed'], /not both/],
    [['runs', 'cancel', 'some-id', '--limit', '5', '--batch-size', '3'], /--limit, --batch-size: for a selection \(--status\), not for one run id/],
    [['runs', 'list', '--since', '2026-02-30'], /option '--since <time>' argument '2026-02-30' is invalid/],
    [['trigger', 'cli.email', '--queue', ''], /option '--queue <name>' argument '' is invalid. Expected a non-empty value/],
    [['trigger', 'cli.email', '--input', '{to:'], /option '--input <json>' argument '\{to:' is invalid. Expected JSON/],
    [['nonsense'], /unknown command 'nonsense'/],
  ])('%j exits 2 naming what is wrong', async (args, message) => {
    const result = await runBin([...args, '--database', dir.file()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('no database, or two, exits 2', async () => {
    const none = await runBin(['status']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no database given: pass --database <file> \(SQLite\) or --url/);
    const both = await runBin(['status', '--database', dir.file(), '--url', 'postgres://u@127.0.0.1:1/db']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/both --database and --url given/);
    const bothEnv = await runBin(['status'], { ZAPJOBS_DATABASE: dir.file(), DATABASE_URL: 'postgres://u@127.0.0.1:1/db' });
    expect(bothEnv.code).toBe(2);
    expect(bothEnv.stderr).toMatch(/both ZAPJOBS_DATABASE and DATABASE_URL are set/);
  });

  it('takes the database from ZAPJOBS_DATABASE, and a flag over the environment', async () => {
    await (await openStorage({ database: dir.file() })).close();
    const status = await runBin(['status', '--json'], { ZAPJOBS_DATABASE: dir.file() });
    expect(status.code).toBe(0);
    // DATABASE_URL points nowhere: the flag wins.
    const flagWins = await runBin(['status', '--database', dir.file()], { DATABASE_URL: 'postgres://u@127.0.0.1:1/db' });
    expect(flagWins.code).toBe(0);
  });

  it('status --watch prints a snapshot per interval until interrupted, then exits 0', async () => {
    await (await openStorage({ database: dir.file() })).close();
    const child = startBin(['status', '--watch', '--interval', '200ms', '--json', '--database', dir.file()]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fewer than 2 snapshots in 20 s: ${out}`)), 20_000);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.split('\n').filter(Boolean).length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const line of out.split('\n').filter(Boolean)) expect(JSON.parse(line)).toHaveProperty('queues');
  });

  it('a database it cannot reach or open exits 3', async () => {
    const missing = await runBin(['status', '--database', dir.file('absent.db')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no SQLite database at/);
    expect(existsSync(dir.file('absent.db'))).toBe(false);

    writeFileSync(dir.file('text.db'), 'this is not a database, just text that is long enough to be read as a header '.repeat(20));
    const notDb = await runBin(['status', '--database', dir.file('text.db')]);
    expect(notDb.code).toBe(3);
    expect(notDb.stderr).toMatch(/could not open the SQLite database/);

    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    const refused = await runBin(['status', '--url', 'postgres://zapjobs:secret@127.0.0.1:1/zapjobs']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Could not connect to PostgreSQL at postgres:\/\/zapjobs:\*\*\*@127\.0\.0\.1:1/);
    expect(refused.stderr).not.toContain('secret');
  });

  it('a SQLite file without the ZapJobs tables exits 1, pointing at migrate', async () => {
    writeFileSync(dir.file(), '');
    const result = await runBin(['status', '--database', dir.file()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no ZapJobs schema in the SQLite database .* run zapjobs migrate first/);
  });

  (postgresBackend.available ? it : it.skip)('a PostgreSQL schema without the ZapJobs tables exits 1, pointing at migrate', async () => {
    const result = await runBin(['status', '--url', PG_URL as string, '--schema', 'zjt_cli_absent']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no ZapJobs schema in PostgreSQL .* run zapjobs migrate first/);
  });
});
