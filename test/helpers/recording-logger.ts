import { ConsoleLogger } from '@nestjs/common';

/** A Nest logger that keeps what was logged at error and warn level, for tests that assert on it. */
export class RecordingLogger extends ConsoleLogger {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  constructor() {
    super();
    this.setLogLevels(['error', 'warn']);
  }

  override error(message: unknown, ...rest: unknown[]): void {
    this.errors.push(String(message));
    super.error(message, ...rest);
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    this.warnings.push(String(message));
    super.warn(message, ...rest);
  }
}
