/** Base class of every error ZapJobs throws on purpose, so callers can tell them from bugs. */
export class ZapJobsError extends Error {
  /** `cause`: the error this one wraps (ES2022 Error cause), kept for logs and `instanceof` checks. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
