import type { Command } from 'commander';
import type { OpenedBackend } from '../storage/open-storage.js';
import { connectionOptionsOf } from './connection-flags.js';
import type { ConnectOptions } from './connection.js';

/**
 * Runs `body` on the database of the command's flags, closing it afterwards whatever happens.
 * The connection code (TypeORM, a driver, the options schema: about a second of CPU) is loaded
 * here, once the flags are known to be right, so that --help and usage errors answer at once.
 */
export async function withBackend<T>(command: Command, body: (opened: OpenedBackend) => Promise<T>, options?: ConnectOptions): Promise<T> {
  const moduleOptions = connectionOptionsOf(command);
  const { connect } = await import('./connection.js');
  const opened = await connect(moduleOptions, options);
  try {
    return await body(opened);
  } finally {
    await opened.close();
  }
}
