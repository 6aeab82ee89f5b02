import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { integer } from '../arguments.js';
import { usageError } from '../exit-codes.js';
import { formatTime, Output } from '../output.js';

/**
 * `zapjobs inspect <file.db>` (issue 13): the dashboard on a SQLite file, read-only, on localhost,
 * with no application running. It serves a private copy, so the file itself is never written (not
 * even the -shm and -wal files SQLite would create beside it) and may be a production file's copy.
 */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect <file>')
    .description('open the dashboard, read-only, on a snapshot of a SQLite file (served on 127.0.0.1 until Ctrl-C)')
    .option('--port <port>', 'port on 127.0.0.1 (0: a free one)', integer(0, 65535), 0)
    .option('--json', 'print { url, snapshotAt } as JSON')
    .action(async (file: string, flags: { port: number; json?: boolean }, command: Command) => {
      if (!existsSync(file)) throw usageError(`inspect: no file at '${file}': give the path of a SQLite database file`);
      if (!statSync(file).isFile()) throw usageError(`inspect: '${file}' is not a file: give the path of a SQLite database file`);
      const out = new Output(flags.json === true);
      const tablePrefix = command.optsWithGlobals<{ tablePrefix?: string }>().tablePrefix;
      // Loaded once the arguments are known right: Nest, TypeORM and the dashboard take a second to load.
      const { takeSqliteSnapshot } = await import('../inspect/sqlite-snapshot.js');
      const { serveDashboard } = await import('../inspect/inspect-server.js');
      const snapshot = await takeSqliteSnapshot(file, tablePrefix ?? 'zj_');
      // Whatever ends the process, the copy goes with it (a production file's data must not linger in /tmp).
      process.once('exit', snapshot.remove);
      try {
        const stopped = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
        const server = await serveDashboard(snapshot.path, tablePrefix, flags.port);
        try {
          if (out.json) out.data({ url: server.url, snapshotAt: snapshot.takenAt.toISOString() }, true);
          else {
            out.line(`ZapJobs dashboard (read-only): ${server.url}`);
            out.line(`A snapshot of ${file} taken at ${formatTime(snapshot.takenAt)}: no live updates. ${file} was not modified.`);
            out.line('No sign-in: served on 127.0.0.1 only, to this machine. Ctrl-C to stop.');
          }
          await stopped;
        } finally {
          await server.close();
        }
      } finally {
        snapshot.remove();
        process.off('exit', snapshot.remove);
      }
    });
}
