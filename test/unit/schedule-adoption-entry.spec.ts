import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib');

/** Static imports and re-exports of a source (not `import(...)`, which runs only when called). */
function staticImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\w])\/\/.*$/gm, '$1');
  return [...code.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]);
}

/** Every package the files statically reachable from `entry` import, and those files. */
function reachable(entry: string): { packages: Set<string>; files: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(join(lib, entry));
  return { packages, files };
}

describe('@nestjs/schedule is an optional peer', () => {
  it('is not imported by the main entry (the module loads it only when adoption is asked)', () => {
    const { packages, files } = reachable('index.ts');
    expect(files.has(join(lib, 'zapjobs.schedule-adoption.ts'))).toBe(true);
    expect(packages.has('@nestjs/schedule')).toBe(false);
    expect([...files].some((file) => file.includes('/schedule-adoption/schedule-'))).toBe(false);
  });

  it('is imported by the adopter only; the subpath entry (the marker) does not need it either', () => {
    expect(reachable('schedule-adoption/index.ts').packages.has('@nestjs/schedule')).toBe(false);
    expect(reachable('schedule-adoption/schedule-adopter.ts').packages.has('@nestjs/schedule')).toBe(true);
  });
});
