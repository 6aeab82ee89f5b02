// In your app: from '@zapjobs/nestjs'
import { Job, type JobContext, type JobHandler } from '../../lib/index.js';

/**
 * Fails on its first two attempts and succeeds on the third: the retries wait about 1 s, then 2 s.
 * Each failed attempt leaves an error line in the run's logs.
 */
@Job({
  id: 'flaky',
  maxRetries: 3,
  retryPolicy: { initialDelay: '1s', multiplier: 2, jitter: 0 },
})
export class FlakyJob implements JobHandler<void, { succeededOnAttempt: number }> {
  handle(ctx: JobContext<void>): { succeededOnAttempt: number } {
    ctx.logger.info(`attempt ${ctx.attempt} of ${ctx.maxAttempts}`);
    if (ctx.attempt < 3) {
      // Any thrown error triggers a retry; an UnrecoverableJobError would end the run at once.
      throw new Error(`the upstream service is unavailable (attempt ${ctx.attempt})`);
    }
    ctx.logger.info('the upstream service answered');
    return { succeededOnAttempt: ctx.attempt };
  }
}
