import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder for one test's SQLite files; remove() deletes it. */
export function tempDir(prefix = 'zapjobs-test-'): { dir: string; file: (name?: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name = 'jobs.db') => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
