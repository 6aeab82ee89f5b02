import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Email {
  to: string;
  subject: string;
  body?: string;
}

/** The email provider. Stands in for an SMTP or HTTP API client; tests replace it (sample/test/). */
@Injectable()
export class Mailer {
  async send(email: Email, signal?: AbortSignal): Promise<{ messageId: string }> {
    // A slow network call. Passing the signal on lets a cancel or a timeout stop it at once.
    await sleep(3000, undefined, { signal });
    return { messageId: `<${randomUUID()}@sample.local>` };
  }
}
