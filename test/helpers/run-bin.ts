import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from './backends.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The `zapjobs` bin as published: dist/cli/main.js (`npm test` builds it; by hand, `npm run build` first). */
export function zapjobsBin(): string {
  const path = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build' first`);
  return path;
}

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test, without the variables the bin reads, plus `env`. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  for (const name of ['ZAPJOBS_DATABASE', 'DATABASE_URL', 'NO_COLOR']) delete clean[name];
  return { ...clean, ...env };
}

/** Runs `node dist/cli/main.js ...args` to its end. */
export function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [zapjobsBin(), ...args], { env: childEnv(env), timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code as number | null) : 0;
      resolvePromise({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** Starts the bin and leaves it running (status --watch). */
export function startBin(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [zapjobsBin(), ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The connection flags that point the bin at a test database. */
export function connectionArgs(db: TestDatabase): string[] {
  const { storage, database, url, schema } = db.options;
  return storage === 'postgres' ? ['--url', url as string, '--schema', schema as string] : ['--database', database as string];
}
