import type { Command } from 'commander';
import { JobTriggerType, ScheduleType } from '../../model/statuses.js';
import type { JobDefinition } from '../../model/job-run.js';
import { duration, integer, json, text } from '../arguments.js';
import { withBackend } from '../with-backend.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatSpan, formatTime, Output } from '../output.js';
import { statusStyle } from './run-cells.js';

const scheduleOf = (d: JobDefinition): string =>
  d.scheduleType === ScheduleType.Cron
    ? `cron ${d.cronExpression}${d.timezone ? ` (${d.timezone})` : ''}`
    : d.scheduleType === ScheduleType.Interval
      ? `every ${formatSpan(d.intervalMs)}`
      : '';

/** `zapjobs jobs list` and `zapjobs trigger <job>`: the definitions the applications stored, and a run of one now. */
export function registerJobsCommands(program: Command): void {
  const jobs = program.command('jobs').description('the jobs the applications declared (their stored definitions)');
  jobs
    .command('list')
    .description('every job, its queue, schedule and last run')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        const definitions = await storage.getAllDefinitions();
        if (out.json) return out.data(definitions);
        if (definitions.length === 0) return out.line('No jobs: an application stores its @Job definitions when it starts.');
        out.table(
          [{ header: 'JOB' }, { header: 'QUEUE' }, { header: 'PRIORITY', align: 'right' }, { header: 'SCHEDULE', flex: true },
            { header: 'ENABLED' }, { header: 'NEXT RUN' }, { header: 'LAST RUN' }, { header: 'LAST STATUS' }],
          definitions.map((d) => [
            d.jobTypeId, d.queue, String(d.priority), scheduleOf(d), d.isEnabled ? 'yes' : { text: 'no', style: 'yellow' },
            formatTime(d.nextRunAt), formatTime(d.lastRunAt), { text: d.lastRunStatus ?? '', style: statusStyle(d.lastRunStatus) },
          ]),
        );
      });
    });

  program
    .command('trigger <job>')
    .description("enqueue a run of a job now, with --input or the job's default input")
    .option('--input <json>', 'the run\'s input, as JSON', json)
    .option('--queue <name>', "another queue than the job's", text())
    .option('--priority <n>', "another priority than the job's", integer(-1_000_000, 1_000_000))
    .option('--delay <duration>', 'not before this long from now (30s, 10m)', duration)
    .option('--correlation-id <id>', 'stored with the run, to find it again', text())
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      "\nThe application's code does not run here: an input class is not validated, and a limit keyed by a function of the\n" +
        "input counts the run under the key ''. A worker of the application runs it as any other run.",
    )
    .action(async (jobTypeId: string, flags: {
      input?: { text: string }; queue?: string; priority?: number; delay?: number; correlationId?: string; json?: boolean;
    }, command: Command) => {
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        const definition = await storage.getJobDefinition(jobTypeId);
        if (!definition) {
          throw new CliError(ExitCode.Failed, `Unknown job '${jobTypeId}': no definition with that id is stored (zapjobs jobs list shows them).`);
        }
        const runId = await storage.enqueue({
          jobTypeId,
          inputJson: flags.input?.text ?? (definition.defaultInput == null ? null : JSON.stringify(definition.defaultInput)),
          queue: flags.queue,
          priority: flags.priority,
          scheduledAt: flags.delay === undefined ? undefined : new Date(Date.now() + flags.delay),
          correlationId: flags.correlationId ?? null,
          triggerType: JobTriggerType.Manual,
        });
        if (!definition.isEnabled) out.note(`Job '${jobTypeId}' is disabled: its runs wait until it is enabled again.`);
        if (out.json) return out.data({ runId, jobTypeId, queue: flags.queue ?? definition.queue });
        out.line(runId);
        out.note(`Enqueued run ${runId} of '${jobTypeId}' on queue '${flags.queue ?? definition.queue}'.`);
      });
    });
}
