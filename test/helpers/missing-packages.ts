/**
 * Node arguments under which `packages` (and their subpaths) cannot be resolved, as if not installed:
 * an --import that registers a module resolve hook (module.register), which answers the error Node
 * gives for a package that is not there (ERR_MODULE_NOT_FOUND, "Cannot find package '<name>' ...").
 * It reaches every import of them, however deep; require() is not hooked on Node 20.
 */
export function nodeArgsWithout(packages: string[]): string[] {
  const hooks = `const missing = ${JSON.stringify(packages)};
    export async function resolve(specifier, context, next) {
      const name = missing.find((p) => specifier === p || specifier.startsWith(p + '/'));
      if (name === undefined) return next(specifier, context);
      const error = new Error("Cannot find package '" + name + "' imported from " + context.parentURL);
      error.code = 'ERR_MODULE_NOT_FOUND';
      throw error;
    }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
}
