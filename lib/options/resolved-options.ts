/** Options after defaults and validation: every duration in milliseconds. Frozen. */
export interface ResolvedRetryPolicy {
  initialDelay: number;
  multiplier: number;
  maxDelay: number;
  jitter: number;
}

export interface ResolvedZapJobsOptions {
  storage: 'sqlite' | 'postgres';
  database: string;
  url: string | undefined;
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  schema: string;
  poolSize: number;
  tablePrefix: string;
  autoMigrate: boolean;
  journalMode: 'WAL' | 'DELETE' | 'TRUNCATE' | 'PERSIST' | 'MEMORY';
  busyTimeout: number;
  logging: boolean;
  queues: readonly string[];
  /** Per-queue caps on this process's slots, in the order of `queues` (null: no cap). Undefined when no queue has one. */
  queueConcurrency: ReadonlyArray<number | null> | undefined;
  concurrency: number;
  /** Runs claimed ahead of free slots and held here (0: none). */
  prefetch: number;
  pollInterval: number;
  heartbeatInterval: number;
  staleAfter: number;
  shutdownTimeout: number;
  enableScheduler: boolean;
  enableWorkers: boolean;
  /** @nestjs/schedule adoption: `adopt` all @Cron/@Interval methods, or only the marked ones. */
  schedule: Readonly<{ adopt: boolean }>;
  workerId: string;
  defaultTimeout: number;
  defaultMaxRetries: number;
  retryPolicy: ResolvedRetryPolicy;
  retention: number;
  failedRetention: number;
  logRetention: number;
  cleanupInterval: number;
  cleanupBatchSize: number;
  maxPayloadBytes: number;
  events: { crossProcess: boolean };
  webhooks: ReadonlyArray<{ url: string; events: readonly string[] | undefined; secret: string }>;
}
