import { Logger } from '@nestjs/common';
import { setLongTimeout, type LongTimeout } from './timers.js';

/**
 * A background chore run every `intervalMs`: start and stop are idempotent, a tick never overlaps
 * the previous one, a failing tick is logged and the loop goes on, and stop() waits for the tick
 * in flight. Nothing throws out of the timer.
 */
export class Loop {
  private timer: LongTimeout | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: () => number,
    private readonly tick: () => Promise<unknown>,
    private readonly logger = new Logger('ZapJobs'),
  ) {}

  start(runNow = false): void {
    if (this.running) return;
    this.running = true;
    this.schedule(runNow ? 0 : this.intervalMs());
  }

  /** Runs a tick now (or waits for the one in flight). */
  async runNow(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.timer?.clear();
    this.inFlight = this.execute();
    await this.inFlight;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.clear();
    this.timer = undefined;
    await this.inFlight;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer?.clear();
    // A long interval ('25d') must wait that long, not the 1 ms Node makes of delays >= 2^31 ms.
    this.timer = setLongTimeout(() => {
      this.inFlight = this.execute();
    }, Math.max(0, delay));
    // Not unref'd: a worker-only process (createApplicationContext, no HTTP server) lives on its
    // loops until app.close() or a signal.
  }

  private async execute(): Promise<void> {
    try {
      await this.tick();
    } catch (error) {
      this.logger.error(`${this.name} failed: ${(error as Error)?.message ?? String(error)}`, (error as Error)?.stack);
    } finally {
      this.inFlight = undefined;
      this.schedule(this.intervalMs());
    }
  }
}
