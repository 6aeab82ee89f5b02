import { messages } from '../errors/messages.js';
import { ZapJobsError } from '../errors/zapjobs.error.js';

/** The testing handle (or its clock) was used after its application was closed. */
export class TestingClosedError extends ZapJobsError {
  constructor(readonly method: string) {
    super(messages.testingClosed(method));
  }
}

/** expectEnqueued() found no pending run of the job matching the input; the message lists what is enqueued. */
export class NotEnqueuedError extends ZapJobsError {
  constructor(message: string) {
    super(message);
  }
}

/** drain() went on past its bound of attempts: a job that keeps enqueueing runs that are due at once. */
export class DrainLimitError extends ZapJobsError {
  constructor(readonly attempts: number) {
    super(messages.drainLimit(attempts));
  }
}
