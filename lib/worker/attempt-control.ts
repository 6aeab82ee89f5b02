/**
 * How the engine ends an attempt from outside (timeout, cancel, shutdown). The AbortSignal handlers
 * see is made only when a handler asks for `ctx.signal`: an AbortController per attempt cost more
 * than the rest of an attempt's bookkeeping together, and most handlers never look at it.
 */
export class AttemptControl {
  /** Why the attempt was ended from outside; undefined while it runs on its own. */
  reason: unknown = undefined;
  private controller: AbortController | undefined;
  private rejectRace: ((reason: unknown) => void) | undefined;

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Ends the attempt: the signal fires and `race()` rejects with `reason`. The first reason wins. */
  abort(reason: Error): void {
    if (this.aborted) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /** Settles with `work`, or rejects as soon as the attempt is aborted, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.aborted) return Promise.reject(this.reason);
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      work.then(resolve, reject);
    });
  }
}
