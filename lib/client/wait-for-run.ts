import { RunNotFoundError, WaitForTimeoutError } from '../errors/errors.js';
import type { ZapJobsEvents } from '../events/zapjobs-events.js';
import type { JobRun } from '../model/job-run.js';
import { isFinished } from '../model/run-rules.js';
import type { JobStorage } from '../storage/job-storage.js';
import { setLongTimeout, type LongTimeout } from '../util/timers.js';

export interface WaitForOptions {
  /** How long to wait for the run to finish before rejecting with a WaitForTimeoutError. */
  timeoutMs: number;
  /** How often the stored run is read again, in case an event was missed. */
  pollMs: number;
}

/**
 * Resolves with the run once it is finished (completed, failed for good, or cancelled). The stored
 * run decides, never an event: events only make the next read come sooner. So it reads the run
 * first (finished already: at once), reads again on each of the run's final events (from this
 * process, or from others with events: { crossProcess: true }), and every `pollMs` regardless, so
 * that a lost event delays the answer by a poll at most and never hangs it.
 */
export function waitForRun(storage: JobStorage, events: ZapJobsEvents, runId: string, options: WaitForOptions): Promise<JobRun> {
  return new Promise<JobRun>((resolve, reject) => {
    let settled = false;
    let reading = false;
    let again = false;
    let status = 'unknown';
    let poll: LongTimeout | undefined;
    const offs: Array<() => void> = [];
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      for (const off of offs) off();
      poll?.clear();
      timeout.clear();
      outcome();
    };
    const read = async (): Promise<void> => {
      // One read at a time; events arriving meanwhile ask for one more after it.
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const run = await storage.getRun(runId);
          if (settled) return;
          if (!run) return finish(() => reject(new RunNotFoundError(runId)));
          status = run.status;
          if (isFinished(run.status)) return finish(() => resolve(run));
        } while (again);
      } catch (error) {
        // A failed read is retried at the next poll; the timeout still bounds the wait.
        void error;
      } finally {
        reading = false;
      }
    };
    const schedulePoll = () => {
      poll = setLongTimeout(() => {
        void read().finally(() => {
          if (!settled) schedulePoll();
        });
      }, options.pollMs);
    };
    const timeout = setLongTimeout(() => finish(() => reject(new WaitForTimeoutError(runId, options.timeoutMs, status))), options.timeoutMs);
    // Subscribed before the first read: an event between that read and a later subscription would be lost.
    for (const event of ['completed', 'failed', 'cancelled'] as const) {
      offs.push(events.on(event, (payload) => (payload.runId === runId ? read() : undefined)));
    }
    void read();
    schedulePoll();
  });
}
