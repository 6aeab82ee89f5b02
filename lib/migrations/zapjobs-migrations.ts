import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SchemaNotMigratedError } from '../errors/errors.js';
import type { ResolvedZapJobsOptions } from '../options/resolved-options.js';
import { ZAPJOBS_MIGRATION_RUNNER, ZAPJOBS_OPTIONS } from '../zapjobs.constants.js';
import type { MigrationRunner } from './migration-runner.js';

/**
 * Brings the schema up to date when the module starts (or, with `autoMigrate: false`, refuses to
 * start on a schema behind the code). Only this service touches the database in onModuleInit:
 * Nest runs a module's inits concurrently. A deployment script can call migrate() itself.
 */
@Injectable()
export class ZapJobsMigrations implements OnModuleInit {
  private readonly logger = new Logger('ZapJobs');

  constructor(
    @Inject(ZAPJOBS_MIGRATION_RUNNER) private readonly runner: MigrationRunner,
    @Inject(ZAPJOBS_OPTIONS) private readonly options: Pick<ResolvedZapJobsOptions, 'autoMigrate'>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.options.autoMigrate) {
      await this.migrate();
      return;
    }
    const pending = await this.pending();
    if (pending.length > 0) throw new SchemaNotMigratedError(pending);
  }

  /** Names of the migrations not applied yet. */
  async pending(): Promise<string[]> {
    const applied = new Set(await this.runner.applied());
    return this.runner.migrations.map((m) => m.name as string).filter((name) => !applied.has(name));
  }

  /** Applies pending migrations; returns the names applied (none when up to date). */
  async migrate(): Promise<string[]> {
    const applied = await this.runner.migrate();
    if (applied.length) this.logger.log(`Applied migrations: ${applied.join(', ')}`);
    return applied;
  }
}
