import type { MigrationInterface } from 'typeorm';
import { ZapJobsPgInitialSchema1732838400000 } from './1732838400000-initial-schema.js';

/** Append-only, in order. A released migration is never edited: add a new one. */
export const POSTGRES_MIGRATIONS: Array<new () => MigrationInterface> = [ZapJobsPgInitialSchema1732838400000];
