import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A resolve hook that refuses the optional peers' packages, so that importing one fails loudly. */
const refuse = (prefix: string) =>
  `data:text/javascript,${encodeURIComponent(
    `export async function resolve(specifier, context, next) {
       if (specifier.startsWith(${JSON.stringify(prefix)})) throw new Error('loaded ' + specifier);
       return next(specifier, context);
     }`,
  )}`;

/**
 * Imports the `entries` (files of build/lib), one after the other, in a fresh Node where the packages
 * starting with `prefix` cannot be loaded; resolves with a line per entry: 'ok', or why it failed.
 */
async function importWithout(prefix: string, entries: string[]): Promise<string[]> {
  const files = entries.map((entry) => join(root, 'build', 'lib', entry));
  for (const file of files) if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run build:test' first`);
  const register = `import { register } from 'node:module'; register(${JSON.stringify(refuse(prefix))});`;
  const script = files
    .map((file) => `await import(${JSON.stringify(pathToFileURL(file).href)}).then(() => console.log('ok'), (e) => console.log(e.message));`)
    .join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script,
  ]);
  return stdout.trim().split('\n');
}

describe('optional peers', () => {
  it('the main entry loads without @opentelemetry/api; the tracing entry is what needs it', async () => {
    expect(await importWithout('@opentelemetry/', ['index.js', 'tracing/index.js'])).toEqual(['ok', 'loaded @opentelemetry/api']);
  });
});
