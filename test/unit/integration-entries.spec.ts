import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeArgsWithout } from '../helpers/missing-packages.js';
import { tempDir } from '../helpers/temp-db.js';

const DIST = resolve('dist');
const OPTIONAL = ['@nestjs/terminus', 'prom-client', '@nestjs/swagger'];

/**
 * Imports a built entry in a fresh node whose module resolution fails on the integrations'
 * libraries (a resolve hook, module.register): an import of one of them, however deep, fails the
 * child. The entry is imported by its package name, through package.json "exports".
 */
function importWithout(specifier: string): { status: number | null; stderr: string } {
  const tmp = tempDir('zapjobs-entries-');
  try {
    const hooks = join(tmp.dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `const forbidden = ${JSON.stringify(OPTIONAL)};
       export async function resolve(specifier, context, next) {
         if (forbidden.some((name) => specifier === name || specifier.startsWith(name + '/'))) throw new Error('loaded ' + specifier);
         return next(specifier, context);
       }`,
    );
    const register = join(tmp.dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const child = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, '--input-type=module', '-e', `await import(${JSON.stringify(specifier)});`], {
      cwd: resolve('.'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: child.status, stderr: child.stderr };
  } finally {
    tmp.remove();
  }
}

describe('the integrations are optional peers', () => {
  beforeAll(() => {
    if (!existsSync(join(DIST, 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  });

  it("importing '@zapjobs/nestjs' loads none of @nestjs/terminus, prom-client, @nestjs/swagger", () => {
    const child = importWithout('@zapjobs/nestjs');

    expect(child.stderr).not.toMatch(/loaded/);
    expect(child.status).toBe(0);
  });

  it.each([
    ['@zapjobs/nestjs/health', '@nestjs/terminus'],
    ['@zapjobs/nestjs/metrics', 'prom-client'],
  ])('importing %s does load %s (the check sees a real import)', (entry, library) => {
    const child = importWithout(entry);

    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain(`loaded ${library}`);
  });

  it("'@zapjobs/nestjs/dashboard' loads where @nestjs/swagger is not installed; where it is but fails to load, the import fails", () => {
    const script = `const { ZapJobsDashboardModule } = await import('@zapjobs/nestjs/dashboard'); console.log(typeof ZapJobsDashboardModule.forRoot);`;
    const absent = spawnSync(process.execPath, [...nodeArgsWithout(['@nestjs/swagger']), '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(absent.stderr).toBe('');
    expect(absent.stdout.trim()).toBe('function');
    // The refusing hook above throws an error that is not "not found": a broken install is reported, never taken for an absent one.
    expect(importWithout('@zapjobs/nestjs/dashboard').stderr).toContain('loaded @nestjs/swagger');
  });
});
