import 'reflect-metadata';
import type { FactoryProvider } from '@nestjs/common';
import { InvalidOptionsError } from '../../lib/errors/errors.js';
import { ZAPJOBS_MODULE_OPTIONS, ZapJobsConfigurableModule } from '../../lib/zapjobs.module-definition.js';
import type { ZapJobsModuleOptions } from '../../lib/options/zapjobs-options.interface.js';

/** The options provider forRootAsync built, whose factory Nest calls at start-up. */
function optionsFactoryOf(useFactory: () => unknown): FactoryProvider['useFactory'] {
  const module = ZapJobsConfigurableModule.forRootAsync({ useFactory: useFactory as () => ZapJobsModuleOptions });
  const provider = module.providers?.find((p) => typeof p === 'object' && 'provide' in p && p.provide === ZAPJOBS_MODULE_OPTIONS);
  return (provider as FactoryProvider).useFactory;
}

describe('ZapJobsModule.forRoot / forRootAsync arguments', () => {
  it.each([null, 'jobs.db', ['x']])('forRoot(%j) throws InvalidOptionsError, not a bare TypeError', (value) => {
    const call = () => ZapJobsConfigurableModule.forRoot(value as unknown as ZapJobsModuleOptions);
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow(/ZapJobsModule\.forRoot\(options\): expected an options object such as \{ database: 'data\/jobs.db' \}/);
  });

  it('forRoot() with no argument means the defaults', () => {
    expect(() => ZapJobsConfigurableModule.forRoot()).not.toThrow();
  });

  it('forRootAsync(null) throws InvalidOptionsError', () => {
    expect(() => ZapJobsConfigurableModule.forRootAsync(null as never)).toThrow(InvalidOptionsError);
  });

  it.each([null, undefined])('a forRootAsync factory that returns %j fails start-up with InvalidOptionsError', async (value) => {
    const factory = optionsFactoryOf(() => value);
    await expect(Promise.resolve(factory())).rejects.toThrow(InvalidOptionsError);
    await expect(Promise.resolve(factory())).rejects.toThrow(/the value the forRootAsync useFactory returned: expected an options object/);
  });

  it('a forRootAsync factory passes its options (and its injected arguments) through', async () => {
    const factory = optionsFactoryOf(((prefix: string) => ({ tablePrefix: prefix })) as () => unknown);
    await expect(Promise.resolve(factory('jobs_'))).resolves.toEqual({ tablePrefix: 'jobs_' });
  });
});
