import type { DynamicModule, Type } from '@nestjs/common';
import type { ZapJobsModuleOptions } from '../../lib/index.js';
import { bootApp, type BootedApp } from './boot.js';

export interface HttpApp extends BootedApp {
  /** GETs a path of the app over real HTTP. */
  get: (path: string) => Promise<{ status: number; text: string; json: () => unknown }>;
}

/**
 * An app as one serves it: bootApp's, on @nestjs/platform-express listening on a free port of
 * 127.0.0.1, reached with fetch.
 */
export async function bootHttpApp(
  options: ZapJobsModuleOptions,
  { handlers = [], imports = [], controllers = [] }: { handlers?: Type<unknown>[]; imports?: Array<Type<unknown> | DynamicModule>; controllers?: Type<unknown>[] },
): Promise<HttpApp> {
  const booted = await bootApp(options, handlers, { imports, controllers });
  try {
    await booted.app.listen(0, '127.0.0.1');
  } catch (error) {
    await booted.close();
    throw error;
  }
  const address = booted.app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  return {
    ...booted,
    get: async (path) => {
      const response = await fetch(base + path);
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
  };
}
