import type { Command } from 'commander';
import { RunNotFoundError } from '../../errors/errors.js';
import { ZapJobsError } from '../../errors/zapjobs.error.js';
import type { JobRun } from '../../model/job-run.js';
import { CANCELLABLE_STATUSES } from '../../model/run-rules.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { EngineStorage } from '../../storage/engine-storage.js';
import type { RunListFilter } from '../../storage/job-storage.types.js';
import { cancellableStatuses, integer, pointInTime, statuses, text } from '../arguments.js';
import { withBackend } from '../with-backend.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { formatSpan, formatTime, Output } from '../output.js';
import { RUN_COLUMNS, runCells, statusStyle } from './run-cells.js';

interface SelectionFlags {
  job?: string;
  queue?: string;
  correlationId?: string;
  since?: Date;
  until?: Date;
}

/** The filter flags of `runs list`, and of retry/cancel of many. */
function addSelectionFlags(command: Command): Command {
  return command
    .option('--job <id>', 'runs of this job')
    .option('--queue <name>', 'runs of this queue', text())
    .option('--correlation-id <id>', 'runs with this correlation id', text())
    .option('--since <time>', 'created at or after: an ISO date, or a duration back from now (2h)', pointInTime())
    .option('--until <time>', 'created before: an ISO date, or a duration back from now', pointInTime());
}

const filterOf = (flags: SelectionFlags): RunListFilter => ({
  jobTypeId: flags.job, queue: flags.queue, correlationId: flags.correlationId, since: flags.since, until: flags.until,
});

/** Runs acted on by a bulk retry or cancel, and those that could not be, with why. */
interface BulkResult {
  done: string[];
  skipped: Array<{ id: string; reason: string }>;
}

/**
 * Applies `act` to every run of the selection, `batchSize` runs read at a time, at most `max`.
 * Only runs created before the command started are taken (the selection cannot grow under it, so
 * the walk ends). A run acted on leaves the selection (its status changes), so each batch reads
 * from the start again, past the runs skipped that are still in it.
 */
async function forEachSelected(
  storage: EngineStorage,
  filter: RunListFilter & { status: JobRunStatus[] },
  max: number,
  batchSize: number,
  act: (run: JobRun) => Promise<string | null>,
): Promise<BulkResult> {
  const result: BulkResult = { done: [], skipped: [] };
  const until = new Date(Math.min(filter.until?.getTime() ?? Infinity, Date.now() + 1));
  let stillSelected = 0;
  while (result.done.length + result.skipped.length < max) {
    const limit = Math.min(batchSize, max - result.done.length - result.skipped.length);
    const batch = await storage.listRuns({ ...filter, until, limit, offset: stillSelected });
    if (batch.length === 0) break;
    for (const run of batch) {
      const skipped = await act(run).catch((error: unknown) => (error instanceof ZapJobsError ? error.message : Promise.reject(error)));
      if (skipped === null) {
        result.done.push(run.id);
        continue;
      }
      result.skipped.push({ id: run.id, reason: skipped });
      const now = await storage.getRun(run.id);
      if (now && filter.status.includes(now.status)) stillSelected++;
    }
  }
  return result;
}

function printBulk(out: Output, verb: string, result: BulkResult): void {
  if (out.json) return out.data({ [verb.toLowerCase()]: result.done, skipped: result.skipped });
  out.line(`${verb} ${result.done.length} run(s).`);
  if (result.skipped.length > 0) {
    out.line(`${result.skipped.length} skipped:`);
    for (const { id, reason } of result.skipped) out.line(`  ${id}: ${reason}`);
  }
}

/** Exactly one of a run id and a selection; the flags named when both or neither. */
function oneOrMany(id: string | undefined, selecting: boolean, selectionFlags: string, flags: SelectionFlags, command: Command): void {
  const filters = Object.entries(flags).filter(([key, value]) => ['job', 'queue', 'correlationId', 'since', 'until'].includes(key) && value !== undefined);
  if (id !== undefined && (selecting || filters.length > 0)) throw usageError(`give a run id or a selection (${selectionFlags} with filters), not both`);
  // They have defaults: only where they came from tells whether they were given, and with an id they would do nothing.
  const bulkOnly = [['limit', '--limit'], ['batchSize', '--batch-size']].filter(([key]) => command.getOptionValueSource(key) === 'cli').map(([, flag]) => flag);
  if (id !== undefined && bulkOnly.length > 0) throw usageError(`${bulkOnly.join(', ')}: for a selection (${selectionFlags}), not for one run id`);
  if (id === undefined && !selecting) {
    throw usageError(
      filters.length > 0 ? `filters select runs only with ${selectionFlags}` : `give a run id, or ${selectionFlags} (with --job, --queue...) for many`,
    );
  }
}

async function requireRun(storage: EngineStorage, id: string): Promise<JobRun> {
  const run = await storage.getRun(id);
  if (!run) throw new CliError(ExitCode.Failed, new RunNotFoundError(id).message);
  return run;
}

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('list, show, retry and cancel runs');

  addSelectionFlags(runs.command('list').description('runs, newest first'))
    .option('--status <statuses>', 'only these statuses, comma-separated (failed,cancelled)', statuses())
    .option('--limit <n>', 'at most this many runs', integer(1, 10_000), 50)
    .option('--offset <n>', 'skip this many runs first (the next page: --offset 50)', integer(0, Number.MAX_SAFE_INTEGER), 0)
    .option('--json', 'print JSON')
    .action(async (flags: SelectionFlags & { status?: JobRunStatus[]; limit: number; offset: number; json?: boolean }, command: Command) => {
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        const found = await storage.listRuns({ ...filterOf(flags), status: flags.status, limit: flags.limit, offset: flags.offset });
        if (out.json) return out.data(found);
        if (found.length === 0) return out.line(flags.offset > 0 ? 'No more runs.' : 'No runs match.');
        out.table(RUN_COLUMNS, found.map(runCells));
        if (found.length === flags.limit) out.note(`(${found.length} shown; the next ones with --offset ${flags.offset + flags.limit})`);
      });
    });

  runs
    .command('show <id>')
    .description('one run, with its logs')
    .option('--logs <n>', 'at most this many log lines', integer(0, 100_000), 1000)
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { logs: number; json?: boolean }, command: Command) => {
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        const run = await requireRun(storage, id);
        const logs = flags.logs > 0 ? await storage.getLogs(id, flags.logs) : [];
        if (out.json) return out.data({ run, logs });
        const fields: Array<[string, string]> = [
          ['id', run.id], ['job', run.jobTypeId], ['queue', run.queue], ['status', out.paint(statusStyle(run.status), run.status)],
          ['trigger', run.triggerType], ['priority', String(run.priority)],
          ['attempt', `${run.attemptNumber}${run.maxRetries === null ? '' : ` of ${run.maxRetries + 1}`}`],
          ['created', formatTime(run.createdAt)], ['scheduled', formatTime(run.scheduledAt)], ['started', formatTime(run.startedAt)],
          ['completed', formatTime(run.completedAt)], ['duration', formatSpan(run.durationMs)], ['next retry', formatTime(run.nextRetryAt)],
          ['worker', run.workerId ?? ''], ['correlation id', run.correlationId ?? ''], ['parent run', run.parentRunId ?? ''],
          ['input', run.input === null ? '' : JSON.stringify(run.input)], ['output', run.output === null ? '' : JSON.stringify(run.output)],
          ['progress', run.progress === null ? '' : JSON.stringify(run.progress)], ['error', run.errorMessage ?? ''],
        ];
        const width = Math.max(...fields.map(([name]) => name.length));
        for (const [name, value] of fields) if (value !== '') out.line(`${out.paint('bold', name.padEnd(width))}  ${value}`);
        if (run.errorDetails) out.line(`\n${out.paint('bold', 'error details')}\n${run.errorDetails}`);
        out.line();
        out.heading(`Logs (${logs.length}${logs.length === flags.logs ? `, the first ${flags.logs}` : ''})`);
        const levelStyle = { error: 'red', warn: 'yellow', debug: 'dim' } as const;
        out.table(
          [{ header: 'TIME' }, { header: 'LEVEL' }, { header: 'ATTEMPT', align: 'right' }, { header: 'MESSAGE', flex: true }],
          logs.map((log) => [
            formatTime(log.timestamp), { text: log.level, style: levelStyle[log.level as keyof typeof levelStyle] },
            log.attemptNumber === null ? '' : String(log.attemptNumber), log.exception ? `${log.message} (${log.exception.split('\n')[0]})` : log.message,
          ]),
        );
      });
    });

  addSelectionFlags(runs.command('retry [id]').description('put a failed or cancelled run back in the queue; with --failed, many'))
    .option('--failed', 'retry the failed runs the filters select')
    .option('--cancelled', 'retry the cancelled runs the filters select')
    .option('--limit <n>', 'at most this many runs', integer(1, Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)
    .option('--batch-size <n>', 'runs read and retried per batch', integer(1, 10_000), 100)
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, flags: SelectionFlags & { failed?: boolean; cancelled?: boolean; limit: number; batchSize: number; json?: boolean }, command: Command) => {
      const selecting = flags.failed === true || flags.cancelled === true;
      oneOrMany(id, selecting, '--failed or --cancelled', flags, command);
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        if (id !== undefined) {
          await requireRun(storage, id);
          try {
            await storage.requeueRun(id);
          } catch (error) {
            if (error instanceof ZapJobsError) throw new CliError(ExitCode.Failed, error.message);
            throw error;
          }
          return out.json ? out.data({ retried: [id], skipped: [] }) : out.line(`Run ${id} is pending again.`);
        }
        const status = [...(flags.failed ? [JobRunStatus.Failed] : []), ...(flags.cancelled ? [JobRunStatus.Cancelled] : [])];
        const result = await forEachSelected(storage, { ...filterOf(flags), status }, flags.limit, flags.batchSize, async (run) => {
          await storage.requeueRun(run.id);
          return null;
        });
        printBulk(out, 'Retried', result);
        if (result.skipped.length > 0) throw new CliError(ExitCode.Failed, `${result.skipped.length} run(s) could not be retried`);
      });
    });

  addSelectionFlags(runs.command('cancel [id]').description('cancel a pending, awaiting or running run; with --status, many'))
    .option('--status <statuses>', `cancel the runs in these statuses the filters select (${CANCELLABLE_STATUSES.join(', ')})`, cancellableStatuses)
    .option('--reason <text>', 'stored as the run\'s error message', 'cancelled from the command line')
    .option('--limit <n>', 'at most this many runs', integer(1, Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)
    .option('--batch-size <n>', 'runs read and cancelled per batch', integer(1, 10_000), 100)
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, flags: SelectionFlags & { status?: JobRunStatus[]; reason: string; limit: number; batchSize: number; json?: boolean }, command: Command) => {
      oneOrMany(id, flags.status !== undefined, '--status', flags, command);
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        if (id !== undefined) {
          await requireRun(storage, id);
          const previous = await storage.cancelRun(id, flags.reason);
          if (previous === null) {
            const run = await requireRun(storage, id);
            throw new CliError(ExitCode.Failed, `Run '${id}' has already finished (${run.status}): nothing to cancel.`);
          }
          if (out.json) return out.data({ cancelled: [id], skipped: [], previousStatus: previous });
          out.line(`Run ${id} is cancelled (it was ${previous}).`);
          // Another process's worker learns of it from its own row at its next heartbeat.
          if (previous === JobRunStatus.Running) out.note('The worker running it aborts it at its next heartbeat.');
          return;
        }
        const result = await forEachSelected(storage, { ...filterOf(flags), status: flags.status! }, flags.limit, flags.batchSize, async (run) => {
          const previous = await storage.cancelRun(run.id, flags.reason);
          return previous === null ? 'had already finished' : null;
        });
        printBulk(out, 'Cancelled', result);
      });
    });
}
