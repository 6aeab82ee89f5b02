import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ZapJobsModuleOptions } from './options/zapjobs-options.interface.js';

export const {
  ConfigurableModuleClass: ZapJobsConfigurableModule,
  MODULE_OPTIONS_TOKEN: ZAPJOBS_MODULE_OPTIONS,
  OPTIONS_TYPE: ZAPJOBS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ZAPJOBS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ZapJobsModuleOptions>({ moduleName: 'ZapJobs' })
  .setClassMethodName('forRoot')
  // Global by default so that JobScheduler and JobStorage can be injected anywhere.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
