import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Path of a test fixture compiled to build/ (child processes run plain Node, not ts-jest).
 * `npm test` compiles first; when running one spec by hand, run `npm run build:test` before.
 */
export function compiledFixture(name: string): string {
  const path = join(root, 'build', 'test', 'fixtures', name.replace(/\.ts$/, '.js'));
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build:test' first`);
  return path;
}

export interface Child {
  process: ChildProcess;
  /** Lines the child printed on stdout so far. */
  lines: string[];
  /** Resolves with the exit code (or signal) when the child ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stdout line that satisfies `match`. */
  waitForLine: (match: (line: string) => boolean, timeoutMs?: number) => Promise<string>;
}

/** Starts `node <fixture> ...args`, collecting its stdout lines; stderr goes to `stderr`. */
export function startChild(fixture: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [compiledFixture(fixture), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let buffer = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let index: number;
    while ((index = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      lines.push(line);
      for (const listener of listeners) listener(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.on('exit', (code, signal) => resolvePromise({ code, signal })),
  );
  const waitForLine = (match: (line: string) => boolean, timeoutMs = 30_000) =>
    new Promise<string>((resolvePromise, reject) => {
      const found = lines.find(match);
      if (found !== undefined) return resolvePromise(found);
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`child ${fixture} printed no matching line within ${timeoutMs} ms; stderr:\n${stderr}`));
      }, timeoutMs);
      const listener = (line: string) => {
        if (!match(line)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolvePromise(line);
      };
      listeners.add(listener);
      void exited.then(({ code, signal }) => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        reject(new Error(`child ${fixture} exited (code ${code}, signal ${signal}) before a matching line; stderr:\n${stderr}`));
      });
    });
  return { process: child, lines, exited, waitForLine };
}
