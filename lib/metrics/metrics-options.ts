import type { Registry } from 'prom-client';
import { InvalidOptionsError } from '../errors/errors.js';
import { parseDuration, type Duration } from '../util/duration.js';

export interface ZapJobsMetricsOptions {
  /**
   * The prom-client registry the series are registered in.
   * @default prom-client's default registry (`register`)
   */
  registry?: Registry;
  /**
   * Prefix of every series name.
   * @default 'zapjobs_'
   */
  prefix?: string;
  /**
   * How long the gauges read from the database (runs per queue and status) are reused: scrapes
   * within this time share one read, so several scrapers cost one query.
   * @default 5000 (milliseconds)
   */
  gaugeCacheTtl?: Duration;
}

export interface ResolvedMetricsOptions {
  registry: Registry | undefined;
  prefix: string;
  gaugeCacheTtlMs: number;
}

export const ZAPJOBS_METRICS_OPTIONS = Symbol('zapjobs:metrics-options');

const OF = 'ZapJobsMetricsModule.forRoot()';
/** Prometheus' metric name syntax (a prefix is the start of one). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function resolveMetricsOptions(options: ZapJobsMetricsOptions = {}): ResolvedMetricsOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError([`options: expected an object such as { prefix: 'zapjobs_' }, got ${options === null ? 'null' : typeof options}`], { of: OF });
  }
  const problems: string[] = [];
  const { registry, prefix = 'zapjobs_' } = options;
  // Duck-typed: an application may hold another copy of prom-client, whose Registry is another class.
  if (registry !== undefined && (registry === null || typeof (registry as Partial<Registry>).registerMetric !== 'function')) {
    problems.push(`registry: expected a prom-client Registry, got ${registry === null ? 'null' : typeof registry}`);
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    problems.push(`prefix: expected letters, digits, '_' or ':' (not starting with a digit), got ${JSON.stringify(prefix)}`);
  }
  if (problems.length > 0) throw new InvalidOptionsError(problems, { of: OF });
  return {
    registry,
    prefix,
    gaugeCacheTtlMs: options.gaugeCacheTtl === undefined ? 5000 : parseDuration(options.gaugeCacheTtl, 'gaugeCacheTtl'),
  };
}
