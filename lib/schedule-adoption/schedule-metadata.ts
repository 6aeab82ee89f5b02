import { Cron, Interval, type CronOptions } from '@nestjs/schedule';

/** What @nestjs/schedule's @Cron() or @Interval() recorded on one method. */
export type ScheduledMethod =
  | { type: 'cron'; name: string | undefined; options: CronOptions & { cronTime: unknown } }
  | { type: 'interval'; name: string | undefined; timeoutMs: unknown };

interface MetadataKeys {
  /** The key of the scheduler type, and the values it holds for a cron and for an interval. */
  type: unknown;
  cronType: unknown;
  intervalType: unknown;
  name: unknown;
  cron: unknown;
  interval: unknown;
}

let keys: MetadataKeys | undefined;

/**
 * @nestjs/schedule's metadata keys. Its package exports the decorators but neither the keys nor the
 * scheduler-type enum (its "exports" map has only "."), so they are learned from the decorators
 * themselves: @Cron() and @Interval() are applied to two probe methods and each key is recognised by
 * the value it holds. Nothing of its code is copied, and a renamed key is followed, not missed.
 */
function metadataKeys(): MetadataKeys {
  if (keys) return keys;
  const probe = { cron() {}, interval() {} };
  const name = 'zapjobs:probe';
  const decorate = (decorator: MethodDecorator, key: 'cron' | 'interval') =>
    decorator(probe, key, Object.getOwnPropertyDescriptor(probe, key) as PropertyDescriptor);
  decorate(Cron('* * * * *', { name }), 'cron');
  decorate(Interval(name, 1000), 'interval');
  const found: Partial<MetadataKeys> = {};
  for (const key of Reflect.getMetadataKeys(probe.cron) as unknown[]) {
    const value: unknown = Reflect.getMetadata(key, probe.cron);
    const other: unknown = Reflect.getMetadata(key, probe.interval);
    if (value === name) found.name = key;
    else if ((value as { cronTime?: unknown } | undefined)?.cronTime === '* * * * *') found.cron = key;
    else if (typeof value === 'number' && typeof other === 'number' && value !== other) {
      Object.assign(found, { type: key, cronType: value, intervalType: other });
    }
  }
  for (const key of Reflect.getMetadataKeys(probe.interval) as unknown[]) {
    if ((Reflect.getMetadata(key, probe.interval) as { timeout?: unknown } | undefined)?.timeout === 1000) found.interval = key;
  }
  if ([found.type, found.name, found.cron, found.interval].includes(undefined)) {
    throw new Error(`ZapJobs cannot read this version of @nestjs/schedule's @Cron()/@Interval() metadata (found: ${JSON.stringify(found)})`);
  }
  return (keys = found as MetadataKeys);
}

/** The @Cron() or @Interval() of a method, or undefined (@Timeout() fires once per process: not adopted). */
export function scheduledMethodOf(method: unknown): ScheduledMethod | undefined {
  if (typeof method !== 'function') return undefined;
  const k = metadataKeys();
  const type: unknown = Reflect.getMetadata(k.type, method);
  const name = Reflect.getMetadata(k.name, method) as string | undefined;
  if (type === k.cronType) {
    return { type: 'cron', name, options: Reflect.getMetadata(k.cron, method) as CronOptions & { cronTime: unknown } };
  }
  if (type === k.intervalType) {
    return { type: 'interval', name, timeoutMs: (Reflect.getMetadata(k.interval, method) as { timeout?: unknown } | undefined)?.timeout };
  }
  return undefined;
}
