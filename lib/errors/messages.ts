/** A value as an error message shows it: numbers (NaN too) as they are, anything else as JSON. */
export function shownValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The wording of every error, in one place so that it stays consistent. */
export const messages = {
  notADuration: (field: string, value: unknown) =>
    `${field}: expected milliseconds (a number >= 0) or a duration string such as '500ms', '30s', '10m', '2h', '1d'; got ${shownValue(value)}`,
  durationTooLong: (field: string, value: unknown, ms: number, max: number) =>
    `${field}: at most 100 years (${max} ms) is accepted; got ${shownValue(value)} (${ms} ms)`,
  durationTooShort: (field: string, value: unknown, min: number, why: string) =>
    `${field}: must be at least ${min} ms (${why}); got ${shownValue(value)}`,
  invalidOptions: (problems: string[]) =>
    `Invalid ZapJobsModule options:\n  - ${problems.join('\n  - ')}`,
  schemaNotMigrated: (pending: string[]) =>
    `The ZapJobs schema is not up to date (pending migrations: ${pending.join(', ')}) and autoMigrate is false. ` +
    `Run the migrations once: start with autoMigrate: true, or call app.get(ZapJobsMigrations).migrate() ` +
    `from a deployment script, then start again.`,
  unknownJob: (id: string) =>
    `Unknown job '${id}': no @Job({ id: '${id}' }) handler is registered and no definition with that id is stored.`,
  runNotFound: (id: string) => `Run '${id}' does not exist.`,
  duplicateRunId: (ids: string[]) =>
    ids.length === 1
      ? `A run with id '${ids[0]}' exists already; nothing was stored.`
      : `One of the ${ids.length} run ids given exists already; nothing was stored.`,
  invalidInput: (id: string, errors: string[]) =>
    `Invalid input for job '${id}':\n  - ${errors.join('\n  - ')}`,
  timeout: (ms: number) => `the attempt timed out after ${ms} ms`,
  duplicateJobId: (id: string, a: string, b: string) =>
    `Two job handlers use the id '${id}': ${a} and ${b}. Job ids must be unique.`,
  missingHandle: (name: string) => `@Job class ${name} has no handle(ctx) method.`,
  notJson: (what: string, reason: string) => `${what} cannot be stored as JSON: ${reason}`,
  tooLarge: (what: string, bytes: number, max: number) =>
    `${what} is ${bytes} bytes as JSON, over maxPayloadBytes (${max}).`,
};
