import { InvalidDurationError, InvalidPayloadError, JobRunStatus } from '../../lib/index.js';
import { bitsOf, canonicalJson, checkUnique, mergeUnique, statusesOf, uniqueColumns } from '../../lib/storage/unique.js';

describe('unique options', () => {
  it('canonicalJson sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: null, c: 'x' }] })).toBe('{"a":[3,{"c":"x","d":null}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson(null)).toBe('null');
  });

  it('checkUnique fills the defaults; true is {}; false and undefined are none', () => {
    expect(checkUnique(true)).toEqual({ key: undefined, windowMs: undefined, states: 1 | 2 | 32, onConflict: 'skip' });
    expect(checkUnique({ key: 'k', for: '1h', states: ['running', 'pending', 'completed'], onConflict: 'replace' })).toEqual({
      key: 'k', windowMs: 3_600_000, states: 7, onConflict: 'replace',
    });
    expect(checkUnique(false)).toBeUndefined();
    expect(checkUnique(undefined)).toBeUndefined();
  });

  it('checkUnique names the field in its errors', () => {
    expect(() => checkUnique({ key: 1 }, '@Job x: unique')).toThrow('@Job x: unique.key: expected a non-empty string; got 1');
    expect(() => checkUnique({ keys: 'a' })).toThrow("unique: unknown key 'keys'");
    expect(() => checkUnique({ for: '0s' })).toThrow(InvalidDurationError);
    expect(() => checkUnique([])).toThrow(InvalidPayloadError);
    expect(() => checkUnique({ states: ['pending'] })).toThrow("unique.states: must include 'pending' and 'running'");
  });

  it("mergeUnique: the enqueue's fields win over the job's; false turns it off; true takes the job's", () => {
    const job = { key: 'j', for: '1h' };
    expect(mergeUnique(job, { key: 'e' })).toEqual({ key: 'e', for: '1h' });
    expect(mergeUnique(job, false)).toBeUndefined();
    expect(mergeUnique(job, true)).toEqual(job);
    expect(mergeUnique(job, undefined)).toEqual(job);
    expect(mergeUnique(undefined, true)).toEqual({});
    expect(mergeUnique(true, undefined)).toEqual({});
    expect(mergeUnique(undefined, undefined)).toBeUndefined();
    expect(mergeUnique(job, 'bad')).toBe('bad');
  });

  it('the stored key depends on job, key or input, and window bucket', () => {
    const keyed = (jobTypeId: string, input: string | null, now: number, unique = {}) =>
      uniqueColumns(checkUnique(unique)!, jobTypeId, input, now).key;
    expect(keyed('a', '{"x":1,"y":2}', 0)).toBe(keyed('a', '{"y":2,"x":1}', 999));
    expect(keyed('a', '{"x":1}', 0)).not.toBe(keyed('b', '{"x":1}', 0));
    expect(keyed('a', null, 0, { key: 'k' })).toBe(keyed('a', '"other"', 0, { key: 'k' }));
    expect(keyed('a', null, 59_999, { key: 'k', for: '1m' })).toBe(keyed('a', null, 0, { key: 'k', for: '1m' }));
    expect(keyed('a', null, 60_000, { key: 'k', for: '1m' })).not.toBe(keyed('a', null, 59_999, { key: 'k', for: '1m' }));
    expect(keyed('a', null, 0, { key: 'k', for: '1m' })).not.toBe(keyed('a', null, 0, { key: 'k' }));
  });

  it('status bitmasks round-trip', () => {
    const statuses = [JobRunStatus.Pending, JobRunStatus.Failed, JobRunStatus.Awaiting];
    expect(statusesOf(bitsOf(statuses))).toEqual(statuses);
    expect(statusesOf(null)).toBeNull();
  });
});
