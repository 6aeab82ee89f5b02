import { jest } from '@jest/globals';
import type { StorageFactory, StorageHarness, StorageTraits } from './harness.js';
import { PAYLOAD_LIMIT, type ContractContext } from './harness.js';
import { describeDefinitions } from './definitions.js';
import { describeEnqueue } from './enqueue.js';
import { describeClaim } from './claim.js';
import { describeRuns } from './runs.js';
import { describeOutcomes } from './outcomes.js';
import { describeRecovery } from './recovery.js';
import { describeContinuations } from './continuations.js';
import { describeLogs } from './logs.js';
import { describeHeartbeats } from './heartbeats.js';
import { describeSchedules } from './schedules.js';
import { describeCleanup } from './cleanup.js';
import { describeTime } from './time.js';
import { describeConcurrency } from './concurrency.js';
import { describeAppTransactions } from './app-transactions.js';
import { describeLimits } from './limits.js';
import { describeUnique } from './unique.js';
import { describeHealthReads } from './health-reads.js';
import { describeTraceContext } from './trace-context.js';
import { describeDeadLetter } from './dead-letter.js';

export type { StorageFactory, StorageFactoryOptions, StorageHarness, StorageTraits } from './harness.js';

/**
 * The JobStorage contract: one suite that every backend runs (SQLite on a file and in memory;
 * PostgreSQL, with `clock: 'database'`), so the runtime services can rely on the abstract class alone.
 * Model: riverqueue/river `riverdriver/riverdrivertest/riverdrivertest.go`.
 *
 * Every test gets a fresh, migrated, empty database from the factory and closes it afterwards.
 * The suite only goes through the JobStorage API, never SQL, so it holds for any backend.
 *
 * Backend-neutral on purpose: ids are UUIDs (the type a run id is documented as), JSON columns are
 * compared as values (PostgreSQL's jsonb re-spaces the text), and times are compared as instants.
 *
 * Time: most tests work on the real clock. A few need an exact "now" (the claim boundary, a worker
 * that went silent ten minutes ago): they replace Date.now() for the duration of the calls
 * (`atTime`), which only steers a backend that reads "now" from the process. A backend that reads
 * the database server's clock declares `clock: 'database'`, and those tests are reported as skipped.
 *
 * One file per area of the API; the shared types and helpers are in ./harness.ts.
 */
export function describeStorageContract(name: string, factory: StorageFactory, traits: StorageTraits): void {
  const itOnProcessClock = traits.clock === 'process' ? it : it.skip;

  describe(`JobStorage contract: ${name}`, () => {
    let harness: StorageHarness;
    const ctx: ContractContext = {
      get storage() {
        return harness.storage;
      },
      get dataSource() {
        return harness.dataSource;
      },
      itOnProcessClock,
    };

    beforeEach(async () => {
      harness = await factory({ maxPayloadBytes: PAYLOAD_LIMIT });
    });

    afterEach(async () => {
      jest.restoreAllMocks();
      await harness.close();
    });

    describeDefinitions(ctx);
    describeEnqueue(ctx);
    describeClaim(ctx);
    describeRuns(ctx);
    describeOutcomes(ctx);
    describeRecovery(ctx);
    describeContinuations(ctx);
    describeLogs(ctx);
    describeHeartbeats(ctx);
    describeSchedules(ctx);
    describeCleanup(ctx);
    describeTime(ctx);
    describeConcurrency(ctx);
    describeAppTransactions(ctx);
    describeLimits(ctx);
    describeUnique(ctx);
    describeHealthReads(ctx);
    describeTraceContext(ctx);
    describeDeadLetter(ctx);
  });
}
