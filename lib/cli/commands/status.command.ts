import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobRunStatus } from '../../model/statuses.js';
import type { EngineStorage } from '../../storage/engine-storage.js';
import { duration } from '../arguments.js';
import { withBackend } from '../with-backend.js';
import { formatSpan, formatTime, Output, type Cell } from '../output.js';
import { statusStyle } from './run-cells.js';

/** Status columns in the order a run lives them. */
const STATUS_ORDER = [
  JobRunStatus.Pending, JobRunStatus.Running, JobRunStatus.Awaiting, JobRunStatus.Completed, JobRunStatus.Failed, JobRunStatus.Cancelled,
];

export interface StatusSnapshot {
  at: string;
  queues: Array<{ queue: string; counts: Record<JobRunStatus, number>; oldestPendingAt: string | null; oldestPendingAgeMs: number | null }>;
  workers: Array<{
    workerId: string; hostname: string | null; pid: number | null; queues: string[]; concurrency: number | null; running: number;
    startedAt: string; lastHeartbeat: string; heartbeatAgeMs: number; alive: boolean;
  }>;
}

/** What `status` shows: one read of the queues, one of the heartbeats. */
async function snapshot(storage: EngineStorage, staleAfterMs: number): Promise<StatusSnapshot> {
  const queues = await storage.queueOverview();
  // Every heartbeat row, dead ones too: a worker that stopped beating is what an operator looks for.
  const now = Date.now();
  const workers = await storage.getActiveWorkers(now);
  return {
    at: new Date(now).toISOString(),
    queues: queues.map((q) => ({
      queue: q.queue,
      counts: q.counts,
      oldestPendingAt: q.oldestDueAt?.toISOString() ?? null,
      oldestPendingAgeMs: q.oldestDueAt ? Math.max(0, now - q.oldestDueAt.getTime()) : null,
    })),
    workers: workers.map((w) => {
      const age = Math.max(0, now - w.lastHeartbeat.getTime());
      return {
        workerId: w.workerId, hostname: w.hostname, pid: w.pid, queues: w.queues, concurrency: w.concurrency, running: w.runningRunIds.length,
        startedAt: w.startedAt.toISOString(), lastHeartbeat: w.lastHeartbeat.toISOString(), heartbeatAgeMs: age, alive: age <= staleAfterMs,
      };
    }),
  };
}

function print(out: Output, s: StatusSnapshot): void {
  out.heading(`Queues (at ${formatTime(new Date(s.at))})`);
  if (s.queues.length === 0) out.line('  no runs');
  else {
    const total = (status: JobRunStatus) => s.queues.reduce((sum, q) => sum + q.counts[status], 0);
    const count = (n: number, status: JobRunStatus): Cell => (n > 0 ? { text: String(n), style: statusStyle(status) } : '0');
    out.table(
      [{ header: 'QUEUE' }, ...STATUS_ORDER.map((status) => ({ header: status.toUpperCase(), align: 'right' as const })), { header: 'OLDEST PENDING' }],
      [
        ...s.queues.map((q) => [q.queue, ...STATUS_ORDER.map((status) => count(q.counts[status], status)), formatSpan(q.oldestPendingAgeMs)]),
        ...(s.queues.length > 1 ? [[{ text: 'total', style: 'dim' as const }, ...STATUS_ORDER.map((status) => String(total(status))), '']] : []),
      ],
    );
  }
  out.line();
  out.heading('Workers');
  if (s.workers.length === 0) return out.line('  no heartbeat recorded');
  out.table(
    [{ header: 'WORKER', flex: true }, { header: 'HOST' }, { header: 'PID', align: 'right' }, { header: 'QUEUES', flex: true },
      { header: 'BUSY', align: 'right' }, { header: 'LAST HEARTBEAT' }, { header: 'STATE' }],
    s.workers.map((w) => [
      w.workerId, w.hostname ?? '', w.pid === null ? '' : String(w.pid), w.queues.join(','),
      `${w.running}/${w.concurrency ?? '?'}`, `${formatSpan(w.heartbeatAgeMs)} ago`,
      w.alive ? { text: 'alive', style: 'green' } : { text: 'silent', style: 'red' },
    ]),
  );
}

/** `zapjobs status [--watch]`: runs per queue and status, the oldest due pending run of each queue, the workers. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('runs per queue and status, oldest pending run per queue, workers and their last heartbeat')
    .option('--watch', 'refresh until interrupted (Ctrl-C)')
    .option('--interval <duration>', 'refresh period of --watch', duration, 2000)
    .option('--stale-after <duration>', "a worker silent for longer is shown as silent (the module's staleAfter)", duration, 60_000)
    .option('--json', 'print JSON (with --watch: one object per line)')
    .action(async (flags: { watch?: boolean; interval: number; staleAfter: number; json?: boolean }, command: Command) => {
      const out = new Output(flags.json === true);
      await withBackend(command, async ({ storage }) => {
        if (!flags.watch) {
          const s = await snapshot(storage, flags.staleAfter);
          return out.json ? out.data(s) : print(out, s);
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          while (!stop.signal.aborted) {
            const s = await snapshot(storage, flags.staleAfter);
            if (out.json) out.data(s, true);
            else {
              // Redraw in place on a terminal; elsewhere (a log file) one snapshot after the other.
              out.clearScreen();
              print(out, s);
              if (!out.interactive) out.line();
            }
            await sleep(Math.max(100, flags.interval), undefined, { signal: stop.signal }).catch(() => undefined);
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });
}
