import { InvalidPayloadError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { JobCheckpoint } from '../interfaces/job-context.interface.js';
import type { AttemptLease } from '../storage/job-storage.types.js';
import { toJson } from '../util/json.js';

export interface CheckpointDeps {
  lease: AttemptLease;
  readCheckpoint: (runId: string) => Promise<string | null>;
  writeCheckpoint: (lease: AttemptLease, checkpointJson: string) => Promise<boolean>;
  maxPayloadBytes: number;
}

type Saved = Record<string, unknown>;

/** Stored text another program wrote, or an older shape: read as no checkpoint rather than failing the attempt. */
function parse(json: string | null): Saved {
  if (json == null) return {};
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Saved) : {};
  } catch {
    return {};
  }
}

/**
 * `ctx.checkpoint` of one attempt. The run's checkpoint is one JSON object, read on first use and
 * written whole on each set(): only the attempt holding the lease writes it, and its sets are
 * chained, so this copy is always what the row holds. Writes are fenced on the lease like progress:
 * an attempt that lost its run (timed out, cancelled, recovered) cannot overwrite what the
 * current attempt saved.
 */
export class AttemptCheckpoint implements JobCheckpoint {
  private saved: Promise<Saved> | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly jobTypeId: string, private readonly deps: CheckpointDeps) {}

  private load(): Promise<Saved> {
    return (this.saved ??= this.deps.readCheckpoint(this.deps.lease.runId).then(parse));
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key);
    const saved = await this.load();
    return Object.hasOwn(saved, key) ? (structuredClone(saved[key]) as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    checkKey(key);
    // Checked before the write is queued: a value that is not JSON (or too large) rejects this set() alone.
    const valueJson = toJson(value, `checkpoint '${key}' of job '${this.jobTypeId}'`, this.deps.maxPayloadBytes);
    const write = this.chain.then(async () => {
      const next: Saved = { ...(await this.load()) };
      if (valueJson === null) delete next[key];
      else next[key] = JSON.parse(valueJson) as unknown;
      const allJson = toJson(next, `checkpoint of job '${this.jobTypeId}' (all keys, with '${key}')`, this.deps.maxPayloadBytes) as string;
      await this.deps.writeCheckpoint(this.deps.lease, allJson);
      this.saved = Promise.resolve(next);
    });
    this.chain = write.catch(() => undefined);
    await write;
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw new InvalidPayloadError(messages.badCheckpointKey(key));
}
