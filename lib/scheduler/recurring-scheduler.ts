import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import type { JobDefinition, JobSchedule } from '../model/job-run.js';
import { JobTriggerType, ScheduleType } from '../model/statuses.js';
import { EngineStorage } from '../storage/engine-storage.js';
import { ZapJobsEvents } from '../events/zapjobs-events.js';
import { Clock } from '../util/clock.js';
import { Loop } from '../util/loop.js';
import { uuidv7 } from '../util/uuidv7.js';
import { ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import { nextTick, type ScheduleSpec } from './next-tick.js';

/** The timing of a stored schedule, a definition's or a named one. */
function specOf(stored: Pick<JobSchedule, 'scheduleType' | 'cronExpression' | 'intervalMs' | 'timezone'>): ScheduleSpec {
  return { type: stored.scheduleType, cron: stored.cronExpression, intervalMs: stored.intervalMs, timezone: stored.timezone };
}

/**
 * Fires cron and interval schedules. The next tick lives in the definition row (next_run_at), and
 * a tick is claimed by compare-and-set on it in the same transaction that inserts its run: with
 * several processes running a scheduler, exactly one of them enqueues each tick.
 */
@Injectable()
export class RecurringScheduler {
  private readonly logger = new Logger('ZapJobs');
  private readonly loop: Loop;
  /** Earliest next tick seen, so the loop wakes for it rather than a full poll later. */
  private nextDue = Infinity;
  /** Called after a tick enqueued a run (wakes the local workers). */
  onEnqueued: () => void = () => undefined;

  constructor(
    private readonly storage: EngineStorage,
    private readonly clock: Clock,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: ResolvedZapJobsOptions,
    private readonly events: ZapJobsEvents,
  ) {
    this.loop = new Loop('Scheduler tick', () => this.delay(), () => this.tick(), this.logger);
  }

  start(): void {
    this.loop.start(true);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Fires whatever is due now; returns how many runs it enqueued. Tests call it directly. */
  async tick(now = this.clock.date()): Promise<number> {
    const due = await this.storage.getDueSchedules(now);
    let fired = 0;
    let failed = false;
    for (const definition of due) {
      try {
        if (await this.fire(definition, now)) fired++;
      } catch (error) {
        failed = true;
        this.logger.error(`Schedule of '${definition.jobTypeId}' failed to fire: ${(error as Error).message}`);
      }
    }
    for (const schedule of await this.storage.getDueNamedSchedules(now)) {
      try {
        if (await this.fireNamed(schedule, now)) fired++;
      } catch (error) {
        failed = true;
        this.logger.error(`Schedule '${schedule.key}' of '${schedule.jobTypeId}' failed to fire: ${(error as Error).message}`);
      }
    }
    this.nextDue = (await this.storage.earliestScheduleTick())?.getTime() ?? Infinity;
    // A tick that failed to fire stays due: tried again a poll later, not at once in a loop that
    // would log the same error thousands of times a second.
    if (failed) this.nextDue = Math.max(this.nextDue, now.getTime() + this.options.pollInterval);
    if (fired > 0) this.onEnqueued();
    return fired;
  }

  /** The tick after `due`; ticks missed while no scheduler ran collapse into one: the first in the future. */
  private following(spec: ScheduleSpec, due: Date, now: Date): Date {
    const next = nextTick(spec, due) as Date;
    if (next.getTime() > now.getTime()) return next;
    return spec.type === ScheduleType.Interval ? new Date(now.getTime() + (spec.intervalMs as number)) : (nextTick(spec, now) as Date);
  }

  /** Whether a tick due at `due` runs at `now`: not when it was missed (downtime) and the policy is 'skip'. */
  private runsLate(due: Date, now: Date, policy: 'once' | 'skip'): boolean {
    return !(now.getTime() - due.getTime() > this.misfireGrace() && policy === 'skip');
  }

  /** A named schedule's tick: claimed on its own row, its run with the schedule's input. */
  private async fireNamed(schedule: JobSchedule, now: Date): Promise<boolean> {
    const spec = specOf(schedule);
    const due = schedule.nextRunAt as Date;
    const run = this.runsLate(due, now, schedule.misfirePolicy);
    // The run's id is chosen here, so that the 'enqueued' event can name it.
    const id = uuidv7(now.getTime());
    const won = await this.storage.claimScheduleTick({
      jobTypeId: schedule.jobTypeId,
      key: schedule.key,
      expectedNextRunAt: due,
      nextRunAt: this.following(spec, due, now),
      firedAt: now,
      run: run
        ? { id, jobTypeId: schedule.jobTypeId, input: schedule.input ?? undefined, triggerType: JobTriggerType.Scheduled, scheduledAt: due }
        : null,
    });
    if (won && run && this.events.listening('enqueued')) {
      // The run took its job's queue, which the schedule does not hold: read back (only for a listener), as the default schedule's event names it.
      const queue = (await this.storage.getRun(id))?.queue;
      this.events.emit('enqueued', { runId: id, jobTypeId: schedule.jobTypeId, queue });
    }
    return won && run;
  }

  private async fire(definition: JobDefinition, now: Date): Promise<boolean> {
    const spec = specOf(definition);
    const due = definition.nextRunAt as Date;
    const next = this.following(spec, due, now);
    let run = this.runsLate(due, now, definition.misfirePolicy);
    if (run && definition.preventOverlap && (await this.storage.hasActiveRun(definition.jobTypeId))) run = false;
    const id = uuidv7(now.getTime());
    const won = await this.storage.claimScheduleTick({
      jobTypeId: definition.jobTypeId,
      expectedNextRunAt: due,
      nextRunAt: next,
      firedAt: now,
      run: run
        ? {
            id,
            jobTypeId: definition.jobTypeId,
            input: definition.defaultInput ?? undefined,
            triggerType: JobTriggerType.Scheduled,
            // The tick's own time: a run per tick, and which tick it was stays visible.
            scheduledAt: due,
          }
        : null,
    });
    if (won && run) this.events.emit('enqueued', { runId: id, jobTypeId: definition.jobTypeId, queue: definition.queue });
    return won && run;
  }

  /** A tick later than this was missed (downtime), not merely picked up by a slow loop. */
  private misfireGrace(): number {
    return Math.max(2 * this.options.pollInterval, 1000);
  }

  private delay(): number {
    return Math.max(0, Math.min(this.options.pollInterval, this.nextDue - this.clock.now()));
  }

  /** Re-reads the next tick soon (a schedule changed in this process). */
  poke(): void {
    this.nextDue = this.clock.now();
    void this.loop.runNow();
  }
}
