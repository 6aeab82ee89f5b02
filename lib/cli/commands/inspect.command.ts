import type { Command } from 'commander';

/**
 * The place of `zapjobs inspect <file.db>` (issue 13): the dashboard on a SQLite file, read-only,
 * on localhost, with no application running. It comes with the dashboard, and until then this
 * registers nothing: `zapjobs inspect` is an unknown command (exit 2), never a half-working one.
 *
 * To add it here: `program.command('inspect <file>')`, open the file read-only (connect() in
 * ../connection.ts opens it for writing today: SQLite's journal_mode pragma writes), serve the
 * dashboard on 127.0.0.1, and close the storage on SIGINT/SIGTERM as `status --watch` does.
 */
export function registerInspectCommand(program: Command): void {
  void program;
}
