import type { Command } from 'commander';
import { duration, integer } from '../arguments.js';
import { withBackend } from '../with-backend.js';
import { formatSpan, Output } from '../output.js';

/** The module's defaults (options/resolve-options.ts): the CLI cannot know what an application configured. */
const DEFAULT_RETENTION_MS = 7 * 86_400_000;
/** failedRetention's default: 30 days, or the retention when that is longer. */
const DEFAULT_FAILED_RETENTION_MS = 30 * 86_400_000;

/** `zapjobs cleanup`: what the module's cleanup loop does, once, now, with a progress bar on a terminal. */
export function registerCleanupCommand(program: Command): void {
  program
    .command('cleanup')
    .description('delete finished runs (with their logs) and log lines older than the retention')
    .option('--retention <duration>', 'finished runs older than this are deleted', duration, DEFAULT_RETENTION_MS)
    .option('--failed-retention <duration>', 'failed runs older than this are deleted (default: 30d, or --retention if longer)', duration)
    .option('--log-retention <duration>', 'log lines older than this are deleted (default: --retention)', duration)
    .option('--batch-size <n>', 'rows deleted per statement, so that no write holds the lock for long', integer(1, 100_000), 500)
    .option('--dry-run', 'count what would be deleted, and delete nothing')
    .option('--json', 'print JSON')
    .action(async (flags: { retention: number; failedRetention?: number; logRetention?: number; batchSize: number; dryRun?: boolean; json?: boolean }, command: Command) => {
      const out = new Output(flags.json === true);
      const logRetention = flags.logRetention ?? flags.retention;
      const failedRetention = flags.failedRetention ?? Math.max(DEFAULT_FAILED_RETENTION_MS, flags.retention);
      await withBackend(command, async ({ storage }) => {
        const due = await storage.countCleanable(flags.retention, logRetention, failedRetention);
        if (flags.dryRun) {
          if (out.json) return out.data({ dryRun: true, runs: due.runs, logs: due.logs });
          return out.line(
            `Would delete ${due.runs} finished run(s) older than ${formatSpan(flags.retention)} and ${due.logs} log line(s) older than ${formatSpan(logRetention)}.`,
          );
        }
        const runBar = out.progress('runs', due.runs);
        const runs = await storage.cleanupOldRuns(flags.retention, flags.batchSize, failedRetention, (removed) => runBar.update(removed));
        runBar.finish();
        // Runs take their own logs with them: what is left to count is the lines of runs still kept.
        const logsDue = (await storage.countCleanable(flags.retention, logRetention, failedRetention)).logs;
        const logBar = out.progress('logs', logsDue);
        const logs = await storage.cleanupOldLogs(logRetention, flags.batchSize, (removed) => logBar.update(removed));
        logBar.finish();
        if (out.json) return out.data({ runs, logs });
        out.line(
          `Deleted ${runs} finished run(s) older than ${formatSpan(flags.retention)} and ${logs} log line(s) older than ${formatSpan(logRetention)}.`,
        );
      });
    });
}
