import { setTimeout as sleep } from 'node:timers/promises';
import { IsEmail, IsOptional, IsString, MinLength } from 'class-validator';
// In your app: from '@zapjobs/nestjs'
import { Job, type JobContext, type JobHandler } from '../../lib/index.js';

/** The input of a send-email run: JobScheduler.enqueue() rejects anything else, storing nothing. */
export class SendEmailInput {
  @IsEmail()
  to!: string;

  @IsString()
  @MinLength(1)
  subject!: string;

  @IsOptional()
  @IsString()
  body?: string;
}

@Job({ id: 'send-email', input: SendEmailInput, timeout: '30s', maxRetries: 5 })
export class SendEmailJob implements JobHandler<SendEmailInput, { messageId: string }> {
  async handle(ctx: JobContext<SendEmailInput>): Promise<{ messageId: string }> {
    ctx.logger.info(`sending '${ctx.input.subject}' to ${ctx.input.to}`);
    // Stands in for an SMTP call. Passing the signal on lets a cancel or a timeout stop it at once.
    await sleep(3000, undefined, { signal: ctx.signal });
    const messageId = `<${ctx.runId}@sample.local>`;
    ctx.logger.info(`sent as ${messageId}`);
    return { messageId };
  }
}
