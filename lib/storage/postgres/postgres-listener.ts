import { Logger } from '@nestjs/common';
import pg from 'pg';

/**
 * A dedicated connection (outside the pool) that LISTENs on the channel enqueues NOTIFY, so idle
 * workers on any host wake within milliseconds. If the connection drops it reconnects with
 * backoff; meanwhile polling still finds the runs, only later.
 */
export class PostgresListener {
  private readonly logger = new Logger('ZapJobs');
  private client: pg.Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly config: Record<string, unknown>,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, application_name: 'zapjobs-listen' });
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onNotify(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      this.client = client;
      if (this.failures > 0) this.logger.log(`LISTEN connection restored after ${this.failures} failure(s)`);
      this.failures = 0;
      // Runs enqueued while we were not listening: a wake-up makes the workers look now.
      this.onNotify('*');
    } catch (error) {
      await client.end().catch(() => undefined);
      this.lost(client, error as Error);
    }
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.stopped || (this.client !== undefined && this.client !== client)) return;
    if (this.client === client) this.client = undefined;
    if (this.retryTimer) return;
    this.failures++;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
    this.logger.warn(`LISTEN connection lost (${error.message}); reconnecting in ${delay} ms, polling meanwhile`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.connect();
    }, delay);
  }
}
