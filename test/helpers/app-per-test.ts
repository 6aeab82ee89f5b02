import type { Backend, TestDatabase } from './backends.js';
import type { BootedApp } from './boot.js';

/**
 * The hooks every e2e suite on a backend needs: a fresh, empty database before each test, and after
 * it the app booted on it closed and the database dropped. Call it inside describeEachBackend.
 */
export interface AppPerTest {
  /** This test's database. */
  readonly db: TestDatabase;
  /** The app this test booted (assign bootApp's result), closed after the test. */
  booted: BootedApp | undefined;
}

export function appPerTest(backend: Backend): AppPerTest {
  let db: TestDatabase | undefined;
  const t: AppPerTest = {
    get db() {
      if (!db) throw new Error('appPerTest: the database exists inside a test (or a beforeEach) only');
      return db;
    },
    booted: undefined,
  };
  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    await t.booted?.close();
    t.booted = undefined;
    await db?.drop();
    db = undefined;
  });
  return t;
}
