import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { JobRunStatus } from '../../lib/index.js';
import { openStorage, type OpenedStorage } from '../helpers/open-storage.js';
import { runBin, startBin } from '../helpers/run-bin.js';
import { tempDir } from '../helpers/temp-db.js';

const EVIL = '<script>alert(1)</script>';

const sha256 = (file: string): string | null => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null);
const companions = (file: string) => ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(file + suffix));

interface Inspecting {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `zapjobs inspect <file> --port 0` with its temp dir under `tmp`, and waits for the URL it prints. */
async function inspect(file: string, tmp: string): Promise<Inspecting> {
  const child = startBin(['inspect', file, '--port', '0'], { TMPDIR: tmp });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 30 s: ${out}${err}`)), 30_000);
    void exited.then((code) => reject(new Error(`inspect exited (${code}) before printing a URL: ${out}${err}`)));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /^ZapJobs dashboard \(read-only\): (http:\/\/127\.0\.0\.1:\d+\/zapjobs)$/m.exec(out);
      if (match && out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return { child, url, stdout: () => out, exited };
}

describe('zapjobs inspect', () => {
  let dir: ReturnType<typeof tempDir>;
  let tmp: ReturnType<typeof tempDir>;
  let opened: OpenedStorage | undefined;
  let running: Inspecting | undefined;

  beforeEach(() => {
    dir = tempDir();
    tmp = tempDir('zapjobs-inspect-tmp-');
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
    await opened?.close();
    opened = undefined;
    dir.remove();
    tmp.remove();
  });

  /** A migrated file with one failed run whose input would be a script if printed raw, and one pending run. */
  async function seed(file: string): Promise<string> {
    opened = await openStorage({ database: file });
    await opened.storage.upsertDefinition({ jobTypeId: 'inspect.email', queue: 'default' });
    const id = await opened.storage.enqueue({ jobTypeId: 'inspect.email', input: EVIL });
    await opened.storage.updateRun(id, { status: JobRunStatus.Failed, attemptNumber: 1, startedAt: new Date(), completedAt: new Date(), durationMs: 5, errorMessage: 'SMTP refused' });
    await opened.storage.enqueue({ jobTypeId: 'inspect.email', input: { to: 'ops@example.com' } });
    return id;
  }

  it('serves the dashboard read-only on a snapshot, leaves the file untouched, and removes the copy on SIGTERM', async () => {
    const file = dir.file();
    const runId = await seed(file);
    await opened!.close();
    opened = undefined;
    expect(companions(file)).toEqual([]);
    const before = sha256(file);

    running = await inspect(file, tmp.dir);
    expect(running.stdout()).toMatch(/A snapshot of .*jobs\.db taken at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z: no live updates\. .*jobs\.db was not modified\./);
    expect(readdirSync(tmp.dir)).toHaveLength(1);

    const overview = await fetch(running.url);
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain('status=pending&amp;queue=default">1</a>');
    expect(html).toContain('status=failed&amp;queue=default">1</a>');
    const counts = (await (await fetch(`${running.url}/api/runs`)).json()) as { runs: Array<{ id: string; status: string }> };
    expect(counts.runs.map((r) => r.status).sort()).toEqual(['failed', 'pending']);

    const page = await (await fetch(`${running.url}/runs/${runId}`)).text();
    expect(page).not.toContain(EVIL);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');

    const retry = await fetch(`${running.url}/api/runs/${runId}/retry`, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } });
    expect(retry.status).toBe(403);
    expect(await retry.text()).toContain('read-only');

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(readdirSync(tmp.dir)).toEqual([]);
    expect(sha256(file)).toBe(before);
    expect(companions(file)).toEqual([]);
  });

  it("includes what sits in the -wal of a file an app still has open, and writes neither the file nor its -wal", async () => {
    const file = dir.file();
    await seed(file);
    // The app is still open (the storage above): its last commits are in the -wal, not yet in the file.
    expect(companions(file)).toEqual(expect.arrayContaining(['-wal', '-shm']));
    const before = [sha256(file), sha256(`${file}-wal`)];

    running = await inspect(file, tmp.dir);
    const { runs } = (await (await fetch(`${running.url}/api/runs`)).json()) as { runs: unknown[] };
    expect(runs).toHaveLength(2);
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    expect([sha256(file), sha256(`${file}-wal`)]).toEqual(before);
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('--json prints the URL for scripts', async () => {
    const file = dir.file();
    await seed(file);
    const child = startBin(['inspect', file, '--json'], { TMPDIR: tmp.dir });
    running = { child, url: '', stdout: () => '', exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no JSON within 30 s: ${out}`)), 30_000);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0]);
        }
      });
    });
    const printed = JSON.parse(line) as { url: string; snapshotAt: string };
    expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/zapjobs$/);
    expect(Number.isNaN(Date.parse(printed.snapshotAt))).toBe(false);
    expect((await fetch(`${printed.url}/api/counts`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });

  it('refuses a missing file or a folder (exit 2), a file that is not SQLite (exit 3), SQLite without ZapJobs tables (exit 1)', async () => {
    const missing = await runBin(['inspect', dir.file('nope.db')], { TMPDIR: tmp.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no file at '.*nope\.db'/);
    expect((await runBin(['inspect', dir.dir], { TMPDIR: tmp.dir })).stderr).toMatch(/is not a file/);
    expect((await runBin(['inspect'], { TMPDIR: tmp.dir })).code).toBe(2);

    const text = dir.file('notes.txt');
    writeFileSync(text, 'not a database, just text\n'.repeat(100));
    const notSqlite = await runBin(['inspect', text], { TMPDIR: tmp.dir });
    expect(notSqlite.code).toBe(3);
    expect(notSqlite.stderr).toMatch(/could not open '.*notes\.txt' as a SQLite database: file is not a database/);

    const other = dir.file('other.db');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(other);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)');
    db.close();
    const plain = await runBin(['inspect', other], { TMPDIR: tmp.dir });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/no ZapJobs tables in '.*other\.db' \(looked for 'zj_runs'\)/);
    // Nothing left behind, nothing created beside the files.
    expect(readdirSync(tmp.dir)).toEqual([]);
    expect(companions(other)).toEqual([]);
    expect(companions(text)).toEqual([]);
  });
});
