import { ZapJobsError } from '../errors/zapjobs.error.js';

/**
 * Aborts an attempt whose worker no longer holds its run: the run was recovered while this
 * worker looked dead (its event loop blocked past staleAfter, say) and may be running again,
 * here or elsewhere. Nothing the attempt does afterwards is recorded: storage fences every write
 * on the lease (run, attempt, worker).
 */
export class LeaseLostError extends ZapJobsError {
  constructor(readonly runId: string, readonly attempt: number) {
    super(`the worker lost its hold on attempt ${attempt} of run ${runId} (the run was recovered); this attempt's outcome is not recorded`);
  }
}
