import type { MigrationInterface } from 'typeorm';
import { ZapJobsInitialSchema1732838400000 } from './1732838400000-initial-schema.js';

/** Append-only, in order. A released migration is never edited: add a new one. */
export const SQLITE_MIGRATIONS: Array<new () => MigrationInterface> = [ZapJobsInitialSchema1732838400000];
