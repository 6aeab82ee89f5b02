import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from '../exit-codes.js';

/** A private copy of a SQLite file, in a temp dir of its own; `remove()` deletes both (idempotent). */
export interface SqliteSnapshot {
  path: string;
  takenAt: Date;
  remove(): void;
}

/** The files that make up a SQLite database at rest: what a crashed or running writer leaves beside it counts. */
const COMPANIONS = ['', '-wal', '-journal'] as const;
/** Copies attempted while a writer keeps changing the file, before giving up. */
const ATTEMPTS = 5;

const fingerprint = (file: string): string =>
  COMPANIONS.map((suffix) => {
    if (!existsSync(file + suffix)) return '-';
    const s = statSync(file + suffix);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  }).join('|');

/**
 * Copies `file` (and its -wal or hot -journal) byte for byte into a temp dir, and opens the copy to
 * fold those in. The original is only read: opening it with SQLite, even `readonly`, creates -shm and
 * -wal files beside a WAL database and leaves them there. A writer still at work would make the
 * copies disagree, so the copy is taken again while the files change under it.
 */
export async function takeSqliteSnapshot(file: string, tablePrefix: string): Promise<SqliteSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'zapjobs-inspect-'));
  const path = join(dir, 'snapshot.db');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    let takenAt = new Date();
    for (let attempt = 1; ; attempt++) {
      const before = fingerprint(file);
      takenAt = new Date();
      for (const suffix of COMPANIONS) {
        rmSync(path + suffix, { force: true });
        if (existsSync(file + suffix)) copyFileSync(file + suffix, path + suffix);
      }
      if (fingerprint(file) === before) break;
      if (attempt === ATTEMPTS) {
        throw new CliError(ExitCode.CannotConnect, `'${file}' kept changing while it was copied: stop the app writing to it, or inspect a copy of it`);
      }
    }
    await checkSnapshot(file, path, tablePrefix);
    return { path, takenAt, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Not a SQLite file: exit 3; SQLite but no ZapJobs tables: exit 1. Leaves the copy a single file. */
async function checkSnapshot(file: string, path: string, tablePrefix: string): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  let db;
  try {
    db = new Database(path, { fileMustExist: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (!tables.includes(`${tablePrefix}runs`)) {
      throw new CliError(
        ExitCode.Failed,
        `no ZapJobs tables in '${file}' (looked for '${tablePrefix}runs'): is it the database of a ZapJobs app? (--table-prefix if it uses another prefix)`,
      );
    }
    // The copy's WAL into its main file: the app's DataSource opens one file, whatever its journal mode.
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(ExitCode.CannotConnect, `could not open '${file}' as a SQLite database: ${(error as Error).message}`, { cause: error });
  } finally {
    db?.close();
  }
}
