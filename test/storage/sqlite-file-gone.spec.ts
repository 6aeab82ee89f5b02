import 'reflect-metadata';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { DatabaseFileGoneError } from '../../lib/index.js';
import { FILE_CHECK_MS } from '../../lib/storage/sqlite/sqlite-executor.js';
import { openStorage, type OpenedStorage } from '../helpers/open-storage.js';
import { waitFor } from '../helpers/wait-for.js';
import { tempDir } from '../helpers/temp-db.js';

Logger.overrideLogger(false);

/** Writes look at the file at most every FILE_CHECK_MS: let that pass, as a deletion's first write would. */
async function checkWindowPassed(): Promise<void> {
  const from = performance.now();
  await waitFor(() => performance.now() - from > FILE_CHECK_MS, { intervalMs: 1, what: 'the file-check window' });
}

/** Issue 8, item 9: enqueues into a database file deleted under the process were acknowledged, then lost. */
describe('a SQLite file deleted or replaced under an open storage', () => {
  let opened: OpenedStorage | undefined;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    dir = tempDir();
    opened = await openStorage({ database: dir.file() });
    await opened.storage.upsertDefinition({ jobTypeId: 'job' });
    await opened.storage.enqueue({ jobTypeId: 'job', input: 1 });
  });

  afterEach(async () => {
    await opened?.close();
    dir.remove();
  });

  it('refuses enqueues with DatabaseFileGoneError once the file is deleted', async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(dir.file() + suffix, { force: true });
    await checkWindowPassed();

    await expect(opened!.storage.enqueue({ jobTypeId: 'job', input: 2 })).rejects.toBeInstanceOf(DatabaseFileGoneError);
    await expect(opened!.storage.enqueueMany([{ jobTypeId: 'job' }])).rejects.toThrow(/was deleted or replaced/);
    // The claim and completion hot path does not look; a worker notices at its next heartbeat.
    await expect(opened!.storage.updateHeartbeat('w')).rejects.toBeInstanceOf(DatabaseFileGoneError);
  });

  it('refuses writes when another file was renamed over it (the atomic-replace pattern)', async () => {
    writeFileSync(dir.file('other.db'), '');
    renameSync(dir.file('other.db'), dir.file());
    await checkWindowPassed();

    await expect(opened!.storage.enqueue({ jobTypeId: 'job', input: 2 })).rejects.toBeInstanceOf(DatabaseFileGoneError);
  });

  it('refuses writes when the file was moved away', async () => {
    renameSync(dir.file(), dir.file('moved.db'));
    await checkWindowPassed();

    await expect(opened!.storage.enqueue({ jobTypeId: 'job', input: 2 })).rejects.toBeInstanceOf(DatabaseFileGoneError);
  });

  it('keeps writing while the file is in place', async () => {
    const id = await opened!.storage.enqueue({ jobTypeId: 'job', input: 3 });

    expect((await opened!.storage.getRun(id))?.input).toBe(3);
  });
});
