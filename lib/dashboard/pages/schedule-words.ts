import type { JobDefinition } from '../../model/job-run.js';
import { ScheduleType } from '../../model/statuses.js';
import { CronSchedule } from '../../scheduler/cron-schedule.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: string) => n.padStart(2, '0');
const isNum = (s: string) => /^\d+$/.test(s);

function durationWords(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second'], [1, 'millisecond']];
  for (const [size, name] of units) {
    if (ms % size === 0) {
      const n = ms / size;
      return n === 1 ? `every ${name}` : `every ${n} ${name}s`;
    }
  }
  return `every ${ms} ms`;
}

/** The common cron shapes in words; anything else as the expression itself. */
export function cronWords(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `cron ${expression}`;
  const [min, hour, dom, mon, dow] = fields;
  const daily = dom === '*' && mon === '*';
  if (expression.trim() === '* * * * *') return 'every minute';
  if (/^\*\/\d+$/.test(min) && hour === '*' && daily && dow === '*') return `every ${min.slice(2)} minutes`;
  if (isNum(min) && hour === '*' && daily && dow === '*') return `every hour at minute ${min}`;
  if (isNum(min) && /^\*\/\d+$/.test(hour) && daily && dow === '*') return `every ${hour.slice(2)} hours at minute ${min}`;
  if (isNum(min) && isNum(hour) && daily && dow === '*') return `every day at ${pad(hour)}:${pad(min)}`;
  if (isNum(min) && isNum(hour) && daily && dow === '1-5') return `every weekday at ${pad(hour)}:${pad(min)}`;
  if (isNum(min) && isNum(hour) && daily && isNum(dow) && Number(dow) < 7) return `every ${DAYS[Number(dow)]} at ${pad(hour)}:${pad(min)}`;
  if (isNum(min) && isNum(hour) && isNum(dom) && mon === '*' && dow === '*') return `on day ${dom} of every month at ${pad(hour)}:${pad(min)}`;
  return `cron ${expression}`;
}

/** A definition's schedule in words, with its time zone: "every day at 03:00 (Europe/Paris)". */
export function scheduleWords(d: JobDefinition): string {
  if (d.scheduleType === ScheduleType.Interval && d.intervalMs) return durationWords(d.intervalMs);
  if (d.scheduleType === ScheduleType.Cron && d.cronExpression) return `${cronWords(d.cronExpression)} (${d.timezone ?? 'UTC'})`;
  return 'on demand';
}

/** The next `count` ticks of a definition's schedule, from its stored next tick on. */
export function upcomingTicks(d: JobDefinition, count: number, now = new Date()): Date[] {
  if (!d.isEnabled) return [];
  if (d.scheduleType === ScheduleType.Interval && d.intervalMs) {
    const first = d.nextRunAt ?? new Date(now.getTime() + d.intervalMs);
    return Array.from({ length: count }, (_, i) => new Date(first.getTime() + i * (d.intervalMs as number)));
  }
  if (d.scheduleType !== ScheduleType.Cron || !d.cronExpression) return [];
  try {
    const cron = new CronSchedule(d.cronExpression, d.timezone ?? 'UTC');
    const ticks: Date[] = [];
    let at = d.nextRunAt && d.nextRunAt > now ? new Date(d.nextRunAt.getTime() - 1) : now;
    for (let i = 0; i < count; i++) ticks.push((at = cron.nextAfter(at)));
    return ticks;
  } catch {
    // A stored expression this version cannot parse: shown without ticks rather than breaking the page.
    return [];
  }
}

/** A time in the job's zone, as people read it: "Mon 2 Mar 2026, 03:00 CET". */
export function zonedTime(at: Date, timeZone: string | null): string {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: timeZone ?? 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
    }).format(at);
  } catch {
    return at.toISOString();
  }
}
