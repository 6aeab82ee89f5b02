// What the report says about the machine and the software measured.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const rootDir = dirname(benchDir);

/**
 * Version of an installed package, read from its own package.json where Node resolves it from
 * bench/ (bench/node_modules first, then the root node_modules), so the figure names what ran.
 */
export function installedVersion(name) {
  const require = createRequire(join(benchDir, 'package.json'));
  for (const base of [join(benchDir, 'node_modules'), join(rootDir, 'node_modules')]) {
    try {
      return JSON.parse(readFileSync(join(base, name, 'package.json'), 'utf8')).version;
    } catch {
      // not installed there: try the next folder
    }
  }
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    return line ? line.split(':')[1].trim() : cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

function gitRevision() {
  try {
    return execSync('git describe --always --dirty', { cwd: rootDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo() {
  return {
    cores: cpus().length,
    cpu: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    zapjobs: JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')).version,
    revision: gitRevision(),
  };
}
