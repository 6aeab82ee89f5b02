import { IsEmail, IsOptional, IsString, MinLength } from 'class-validator';
// In your app: from '@zapjobs/nestjs'
import { Job, type JobContext, type JobHandler } from '../../lib/index.js';
import { Mailer } from '../mailer.js';

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
  constructor(private readonly mailer: Mailer) {}

  async handle(ctx: JobContext<SendEmailInput>): Promise<{ messageId: string }> {
    ctx.logger.info(`sending '${ctx.input.subject}' to ${ctx.input.to}`);
    const { messageId } = await this.mailer.send({ to: ctx.input.to, subject: ctx.input.subject, body: ctx.input.body }, ctx.signal);
    ctx.logger.info(`sent as ${messageId}`);
    return { messageId };
  }
}
