import type { Command } from 'commander';
import { withBackend } from '../with-backend.js';
import { Output } from '../output.js';

/** `zapjobs migrate [--dry-run]`: applies pending migrations, or prints the SQL they would run. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply the pending migrations (a new SQLite file is created)')
    .option('--dry-run', 'print the SQL the pending migrations would run, and run none of it')
    .option('--json', 'print JSON')
    .action(async (flags: { dryRun?: boolean; json?: boolean }, command: Command) => {
      const out = new Output(flags.json === true);
      // A dry run must change nothing, not even create the SQLite file it was pointed at.
      await withBackend(
        command,
        async ({ migrations }) => {
          if (flags.dryRun) {
            const planned = await migrations.plan();
            if (out.json) return out.data({ pending: planned });
            if (planned.length === 0) return out.line('-- The schema is up to date: nothing to run.');
            for (const { name, statements } of planned) {
              out.line(`-- ${name}`);
              for (const statement of statements) out.line(`${statement};`);
              out.line();
            }
            out.line(`-- ${planned.length} pending migration(s); nothing was run (each is recorded in the migrations table when applied).`);
            return;
          }
          const applied = await migrations.migrate();
          if (out.json) return out.data({ applied });
          out.line(applied.length === 0 ? 'The schema is up to date.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
        },
        { create: !flags.dryRun, requireMigrated: false, emptyWhenMissing: flags.dryRun === true },
      );
    });
}
