import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { InvalidOptionsError } from './errors/errors.js';
import { messages } from './errors/messages.js';
import type { ZapJobsModuleOptions } from './options/zapjobs-options.interface.js';

const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: ZAPJOBS_MODULE_OPTIONS,
  OPTIONS_TYPE: ZAPJOBS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ZAPJOBS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ZapJobsModuleOptions>({ moduleName: 'ZapJobs' })
  .setClassMethodName('forRoot')
  // Global by default so that JobScheduler and JobStorage can be injected anywhere.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

export { ZAPJOBS_MODULE_OPTIONS, ZAPJOBS_OPTIONS_TYPE, ZAPJOBS_ASYNC_OPTIONS_TYPE };

function isOptionsObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The builder's forRoot/forRootAsync read their argument's keys: null (or nothing) gave a bare
 * "Cannot convert undefined or null to object". These check it first; forRoot() means the defaults.
 */
export class ZapJobsConfigurableModule extends ConfigurableModuleClass {
  static forRoot(options: typeof ZAPJOBS_OPTIONS_TYPE = {}): DynamicModule {
    if (!isOptionsObject(options)) throw new InvalidOptionsError([messages.optionsNotObject('ZapJobsModule.forRoot(options)', options)]);
    return super.forRoot(options);
  }

  static forRootAsync(options: typeof ZAPJOBS_ASYNC_OPTIONS_TYPE): DynamicModule {
    if (!isOptionsObject(options)) {
      throw new InvalidOptionsError([messages.optionsNotObject('ZapJobsModule.forRootAsync(options)', options)]);
    }
    const { useFactory } = options;
    if (useFactory === undefined) return super.forRootAsync(options);
    // A factory that forgot its return would otherwise start on the default SQLite file, unnoticed.
    return super.forRootAsync({
      ...options,
      useFactory: async (...args: unknown[]) => {
        const result: unknown = await useFactory(...args);
        if (!isOptionsObject(result)) {
          throw new InvalidOptionsError([messages.optionsNotObject('the value the forRootAsync useFactory returned', result)]);
        }
        return result as ZapJobsModuleOptions;
      },
    });
  }
}
