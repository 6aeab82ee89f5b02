#!/usr/bin/env node
// The `zapjobs` bin (package.json "bin"). No Nest application: the commands open the storage directly.
// The options schema's decorators (class-validator) need it loaded first, as a Nest app loads it.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { runCli } from './program.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
// exitCode rather than exit(): what is still being written to a pipe gets out first.
process.exitCode = await runCli(process.argv, version);
