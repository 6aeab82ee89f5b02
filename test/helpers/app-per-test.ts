import type { Backend, TestDatabase } from './backends.js';
import type { BootedApp } from './boot.js';
import type { Child } from './child-process.js';

/**
 * The hooks every e2e suite on a backend needs: a fresh, empty database before each test, and after
 * it the app booted on it closed and the database dropped. Call it inside describeEachBackend.
 */
export interface AppPerTest {
  /** This test's database. */
  readonly db: TestDatabase;
  /** The app this test booted (assign bootApp's result), closed after the test. */
  booted: BootedApp | undefined;
  /** Child processes this test started (push startChild's result): killed (SIGKILL) after it, before the app closes. */
  children: Child[];
}

export function appPerTest(backend: Backend): AppPerTest {
  let db: TestDatabase | undefined;
  const t: AppPerTest = {
    get db() {
      if (!db) throw new Error('appPerTest: the database exists inside a test (or a beforeEach) only');
      return db;
    },
    booted: undefined,
    children: [],
  };
  beforeEach(() => {
    db = backend.create();
  });
  afterEach(async () => {
    for (const child of t.children) child.process.kill('SIGKILL');
    await Promise.all(t.children.map((child) => child.exited));
    t.children = [];
    await t.booted?.close();
    t.booted = undefined;
    await db?.drop();
    db = undefined;
  });
  return t;
}
