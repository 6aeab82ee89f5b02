import { rmSync } from 'node:fs';

/** Deletes a SQLite database with its WAL and shared-memory files. */
export function removeDatabase(file) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}
