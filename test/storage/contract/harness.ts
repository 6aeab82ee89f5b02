import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { JobDefinitionInput, NewJobRun } from '../../../lib/index.js';
import type { EngineStorage } from '../../../lib/storage/engine-storage.js';
import type { AttemptLease, RunCompletion } from '../../../lib/storage/job-storage.types.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Shared pieces of the JobStorage contract (see ./index.ts): what a backend hands the suite, the
 * constants and clock helpers the areas use, and the helpers bound to the storage of the running test.
 */
export interface StorageHarness {
  storage: EngineStorage;
  /** The backend's DataSource, for backend-specific tests; the contract does not use it. */
  dataSource: DataSource;
  /** Releases the database (and removes its files). */
  close(): Promise<void>;
}

export interface StorageFactoryOptions {
  /** The storage must refuse inputs larger than this many bytes of JSON. */
  maxPayloadBytes: number;
}

export type StorageFactory = (options: StorageFactoryOptions) => Promise<StorageHarness>;

export interface StorageTraits {
  /** Where the backend reads "now": Date.now() in the process, or the database server's clock. */
  clock: 'process' | 'database';
}

/** What every area gets: the storage of the test that is running, and how to declare a frozen-clock test. */
export interface ContractContext {
  /** A fresh storage per test: read it inside a hook or a test, never when the suite is declared. */
  readonly storage: EngineStorage;
  /** The backend's DataSource: only enqueueInTransaction's area uses it, to open an application DataSource on the same database. */
  readonly dataSource: DataSource;
  /** A test that freezes Date.now(): it can only steer a backend on the process clock. */
  readonly itOnProcessClock: typeof it;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const PAYLOAD_LIMIT = 1024;

/** Runs `fn` with Date.now() returning `ms`, whatever awaits happen inside. */
export async function atTime<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(ms);
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

/** Waits until Date.now() has moved past `ms`: a later creation time on a real clock. */
export async function clockPast(ms: number): Promise<void> {
  await waitFor(() => Date.now() > ms, { intervalMs: 1, what: `clock past ${ms}` });
}

/** JSON text as a value (a claimed run's inputJson): backends may store the text re-spaced (jsonb). */
export const json = (text: string | null | undefined): unknown => (text == null ? text : JSON.parse(text));

/** An id no run has. */
export const NO_SUCH_RUN = randomUUID();

export const idsOf = (runs: ReadonlyArray<{ id: string }>) => runs.map((run) => run.id);
export const sorted = (ids: readonly string[]) => [...ids].sort();

/** The lease of attempt `attempt` (the claimed run's attemptNumber) of a run, held by `workerId`. */
export const lease = (runId: string, workerId: string, attempt = 1): AttemptLease => ({ runId, workerId, attempt });

/** A successful attempt of a run: `attempt` is the claimed run's attemptNumber. */
export const completion = (
  runId: string, workerId: string, attempt: number, completedAt = new Date(), outputJson: string | null = null,
): RunCompletion => ({ runId, workerId, attempt, outputJson, completedAt, durationMs: 5 });

/** Helpers that act on the storage of the running test. */
export function contractHelpers(ctx: ContractContext) {
  const define = (jobTypeId: string, extra: Partial<JobDefinitionInput> = {}) =>
    ctx.storage.upsertDefinition({ jobTypeId, displayName: jobTypeId, queue: 'default', priority: 0, ...extra });

  const totalRuns = async () => Object.values(await ctx.storage.countRuns()).reduce((sum, n) => sum + n, 0);

  const statusOf = async (runId: string) => (await ctx.storage.getRun(runId))?.status;

  /** Enqueues `count` runs of `jobTypeId` in one call. */
  const seed = (jobTypeId: string, count: number, extra: Partial<NewJobRun> = {}) =>
    ctx.storage.enqueueMany(Array.from({ length: count }, (_, i) => ({ jobTypeId, input: { i }, ...extra })));

  /** Commits completions and claims nothing: the ids whose lease was still held. */
  const complete = async (completions: RunCompletion[]) =>
    (await ctx.storage.completeAndClaim(completions, { queues: [], workerId: 'x', limit: 0 })).completed;

  return { define, totalRuns, statusOf, seed, complete };
}
