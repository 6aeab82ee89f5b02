/** Base class of every error ZapJobs throws on purpose, so callers can tell them from bugs. */
export class ZapJobsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
