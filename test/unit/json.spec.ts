import { InvalidPayloadError } from '../../lib/errors/errors.js';
import { ZapJobsError } from '../../lib/errors/zapjobs.error.js';
import { toJson } from '../../lib/util/json.js';

const WHAT = "input of job 'send'";

function refusal(value: unknown, what = WHAT): InvalidPayloadError {
  try {
    toJson(value, what);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toBeInstanceOf(ZapJobsError);
    return error as InvalidPayloadError;
  }
  throw new Error(`toJson(${String(value)}) did not throw`);
}

class Point {
  constructor(readonly x: number, readonly y: number) {}
}

describe('toJson', () => {
  it.each<[string, unknown, string]>([
    ['a Map', { tags: new Map([['a', 1]]) }, 'input.tags is a Map'],
    ['a Set', { tags: new Set(['a']) }, 'input.tags is a Set'],
    ['a WeakMap', { cache: new WeakMap() }, 'input.cache is a WeakMap'],
    ['a WeakSet', { seen: new WeakSet() }, 'input.seen is a WeakSet'],
    ['a typed array', { bytes: new Uint8Array([1, 2]) }, 'input.bytes is a Uint8Array'],
    ['an ArrayBuffer', { raw: new ArrayBuffer(4) }, 'input.raw is an ArrayBuffer'],
    ['an Error', { cause: new Error('x') }, 'input.cause is an Error'],
    ['a RegExp', { pattern: /a+/ }, 'input.pattern is a RegExp'],
    ['a Promise', { later: Promise.resolve(1) }, 'input.later is a Promise'],
    ['a Map deep in an array', { items: [{ ok: 1 }, { meta: new Map() }] }, 'input.items[1].meta is a Map'],
    ['a Map at the top', new Map(), 'input is a Map'],
    ['a function', { send: () => 1 }, 'input.send is a function'],
    ['a symbol', { kind: Symbol('k') }, 'input.kind is a symbol'],
  ])('refuses %s, naming its path', (_, value, reason) => {
    expect(refusal(value).message).toContain(`${WHAT} cannot be stored as JSON: ${reason}`);
  });

  it('names the path from the first word of what is stored', () => {
    expect(refusal({ done: new Set() }, "output of job 'send'").message).toContain('output.done is a Set');
    expect(refusal({ done: new Set() }, 'progress').message).toContain('progress.done is a Set');
  });

  it('keeps what JSON keeps: class instances, Dates, Buffers (toJSON), nested arrays', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    expect(toJson({ p: new Point(1, 2), at, b: Buffer.from('hi'), list: [[1], [2]] }, WHAT)).toBe(
      '{"p":{"x":1,"y":2},"at":"2026-01-01T00:00:00.000Z","b":{"type":"Buffer","data":[104,105]},"list":[[1],[2]]}',
    );
  });

  it('stores undefined as null and refuses a top-level value with no JSON form', () => {
    expect(toJson(undefined, WHAT)).toBeNull();
    expect(refusal(() => 1).message).toContain('input is a function');
  });

  it('keeps the error JSON.stringify threw as cause (a cycle, a BigInt)', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(refusal(cycle).cause).toBeInstanceOf(TypeError);
    expect(refusal({ n: 10n }).message).toMatch(/cannot be stored as JSON: .*BigInt/);
  });
});
