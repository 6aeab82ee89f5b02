import { findCycles, folderGraph, formatCycles, importsOf } from '../../scripts/check-cycles.mjs';

/** scripts/check-cycles.mjs, run by `npm test` on lib/: its core on small synthetic trees. */
describe('folder cycle check', () => {
  it('finds a cycle between two folders and names one import per edge', () => {
    const graph = folderGraph([
      { path: 'worker/pool.ts', source: "import { Events } from '../client/events.js';" },
      { path: 'client/scheduler.ts', source: "import type { Pool } from '../worker/pool.js';" },
      { path: 'client/events.ts', source: "import { EventEmitter } from 'node:events';" },
    ]);

    const cycles = findCycles(graph);

    expect(cycles).toEqual([['client', 'worker', 'client']]);
    expect(formatCycles(graph, cycles)).toBe([
      '  client -> worker -> client',
      "    client -> worker: lib/client/scheduler.ts imports '../worker/pool.js'",
      "    worker -> client: lib/worker/pool.ts imports '../client/events.js'",
    ].join('\n'));
  });

  it('passes a graph without a cycle: imports inside a folder and into a leaf folder are fine', () => {
    const graph = folderGraph([
      { path: 'worker/pool.ts', source: "import { Events } from '../events/events.js';\nimport { x } from './runner.js';" },
      { path: 'worker/runner.ts', source: "import { y } from './pool.js';" },
      { path: 'client/scheduler.ts', source: "export { Events } from '../events/events.js';\nconst p = import('../worker/pool.js');" },
      { path: 'module.ts', source: "import { Scheduler } from './client/scheduler.js';" },
      { path: 'events/events.ts', source: "import { EventEmitter } from 'node:events';" },
    ]);

    expect(findCycles(graph)).toEqual([]);
    expect([...graph.get('module.ts')!.keys()]).toEqual(['client']);
  });

  it('counts files directly in lib/ as nodes of their own, and dynamic and type imports as edges', () => {
    const graph = folderGraph([
      { path: 'constants.ts', source: "type T = import('./storage/store.js').Store;" },
      { path: 'storage/store.ts', source: "import {\n  TOKEN,\n} from '../constants.js';" },
    ]);

    expect(findCycles(graph)).toEqual([['constants.ts', 'storage', 'constants.ts']]);
  });

  it('reads no import from a comment', () => {
    expect(importsOf("// import { a } from '../a/a.js';\n/* from '../b/b.js' */\nconst url = 'https://x'; import { c } from '../c/c.js';"))
      .toEqual(['../c/c.js']);
  });
});
