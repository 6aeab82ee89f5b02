// In your app: from '@zapjobs/nestjs'
import { Job, type JobContext, type JobHandler } from '../../lib/index.js';

/** Every 15 seconds. After downtime, 'skip' waits for the next tick instead of firing a late one. */
@Job({ id: 'warm-cache', interval: '15s', misfire: 'skip', queue: 'low' })
export class WarmCacheJob implements JobHandler<void, { warmed: number }> {
  handle(ctx: JobContext<void>): { warmed: number } {
    const warmed = 42;
    ctx.logger.info(`warmed ${warmed} cache entries`);
    return { warmed };
  }
}
