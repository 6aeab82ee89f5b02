import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ZapJobsModuleOptions } from '../../lib/index.js';
import { tempDir } from './temp-db.js';

/**
 * The storage backends every engine test runs on. PostgreSQL needs a server: set
 * ZAPJOBS_TEST_PG_URL (`.ci/run` starts one); without it those suites are reported as skipped.
 */
export const PG_URL = process.env.ZAPJOBS_TEST_PG_URL;

/** A fresh, empty database of one backend: a temp SQLite file, or a new PostgreSQL schema. */
export interface TestDatabase {
  /** Options that point ZapJobsModule at this database. */
  options: ZapJobsModuleOptions;
  drop: () => Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  available: boolean;
  create: () => TestDatabase;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  available: true,
  create: () => {
    const tmp = tempDir();
    return { options: { database: tmp.file() }, drop: async () => tmp.remove() };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  available: PG_URL !== undefined,
  create: () => {
    const schema = `zjt_${randomBytes(5).toString('hex')}`;
    return {
      options: { storage: 'postgres', url: PG_URL, schema, poolSize: 5 },
      drop: async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  },
};

export const BACKENDS: Backend[] = [sqliteBackend, postgresBackend];

/** `describe` once per backend; a backend without its server is reported as skipped, never passed. */
export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const backend of BACKENDS) {
    (backend.available ? describe : describe.skip)(`${title} [${backend.name}]`, () => body(backend));
  }
}
