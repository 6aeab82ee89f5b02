// Types for check-cycles.mjs, so test/unit/folder-cycles.spec.ts can import its core.
export interface EdgeExample {
  file: string;
  spec: string;
}
export type FolderGraph = Map<string, Map<string, EdgeExample>>;
export function importsOf(source: string): string[];
export function nodeOf(libPath: string): string;
export function folderGraph(files: ReadonlyArray<{ path: string; source: string }>): FolderGraph;
export function findCycles(graph: FolderGraph, max?: number): string[][];
export function formatCycles(graph: FolderGraph, cycles: string[][], root?: string): string;
