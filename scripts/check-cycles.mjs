#!/usr/bin/env node
// Fails when the folders of lib/ import each other in a cycle (issue 9: "no import cycle between folders").
// A node is a top folder of lib/ (lib/worker/** -> worker); a file directly in lib/ is a node of its own
// (zapjobs.module.ts). Every relative import counts, `import type` too: a type-only cycle still ties two
// folders together. Usage: node scripts/check-cycles.mjs [libDir]; the exports are the checker's core,
// tested in test/unit/folder-cycles.spec.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Beyond this many cycles the report stops listing: the first ones are enough to start untying. */
const MAX_CYCLES = 100;

/** The relative module specifiers a TypeScript source imports or re-exports, static or dynamic. */
export function importsOf(source) {
  // Comments first, so an example in a doc comment is not an import; `//` after ':' is a URL, kept.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\w])\/\/.*$/gm, '$1');
  const specs = [];
  const patterns = [
    /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g, // import ... from, import type ... from, export ... from
    /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g, // import('...'), also in type positions
    /(?:^|;)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm, // import './side-effect.js'
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) specs.push(match[1]);
  return specs;
}

/** The node a file belongs to, from its path relative to lib/ ('worker/worker-pool.ts' -> 'worker'). */
export function nodeOf(libPath) {
  const [first, ...rest] = libPath.split('/');
  return rest.length > 0 ? first : first.replace(/\.js$/, '.ts');
}

/**
 * The folder graph of `files` ({ path relative to lib/, source }): from -> to -> the first import seen
 * on that edge, as { file, spec }. Imports inside one node and imports leaving lib/ are not edges.
 */
export function folderGraph(files) {
  const graph = new Map();
  for (const { path, source } of files) {
    const from = nodeOf(path);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const spec of importsOf(source)) {
      const target = join(dirname(path), spec).split('\\').join('/');
      if (target.startsWith('../')) continue;
      const to = nodeOf(target);
      if (to === from || graph.get(from).has(to)) continue;
      graph.get(from).set(to, { file: path, spec });
    }
  }
  return graph;
}

/**
 * The elementary cycles of the graph, each as its nodes with the first repeated at the end
 * (['client', 'worker', 'client']), each listed once, starting from its smallest node; at most `max`.
 */
export function findCycles(graph, max = MAX_CYCLES) {
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((edges) => [...edges.keys()])])].sort();
  const cycles = [];
  for (const start of nodes) {
    // Only through nodes after `start`, so each cycle is found once, from its smallest node.
    const walk = (node, path, onPath) => {
      for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
        if (cycles.length >= max) return;
        if (next === start) cycles.push([...path, start]);
        else if (next > start && !onPath.has(next)) {
          onPath.add(next);
          walk(next, [...path, next], onPath);
          onPath.delete(next);
        }
      }
    };
    walk(start, [start], new Set([start]));
    if (cycles.length >= max) break;
  }
  return cycles;
}

/** One block per cycle: the cycle, then one example import per edge. */
export function formatCycles(graph, cycles, root = 'lib') {
  return cycles.map((cycle) => {
    const edges = cycle.slice(0, -1).map((from, i) => {
      const to = cycle[i + 1];
      const { file, spec } = graph.get(from).get(to);
      return `    ${from} -> ${to}: ${root}/${file} imports '${spec}'`;
    });
    return [`  ${cycle.join(' -> ')}`, ...edges].join('\n');
  }).join('\n');
}

/** Every .ts file under `dir`, as paths relative to it. */
function tsFiles(dir, sub = '') {
  return readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((entry) => {
    const path = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return tsFiles(dir, path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function main() {
  const libDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'lib'));
  const files = tsFiles(libDir).map((path) => ({ path, source: readFileSync(join(libDir, path), 'utf8') }));
  const graph = folderGraph(files);
  const cycles = findCycles(graph);
  const root = relative(process.cwd(), libDir) || '.';
  if (cycles.length === 0) {
    console.log(`check-cycles: no import cycle between the folders of ${root}/ (${files.length} files, ${graph.size} nodes)`);
    return;
  }
  const more = cycles.length >= MAX_CYCLES ? ` (the first ${MAX_CYCLES})` : '';
  console.error(`check-cycles: the folders of ${root}/ import each other in a cycle${more}:\n${formatCycles(graph, cycles, root)}`);
  process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
