import { InvalidDurationError } from '../../lib/errors/errors.js';
import { ZapJobsError } from '../../lib/errors/zapjobs.error.js';
import { MAX_DURATION_MS, parseDuration, tryParseDuration } from '../../lib/util/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1m 30s', 90_000],
    ['1.5s', 1_500],
    [' 2H ', 7_200_000],
    ['25d', 25 * 86_400_000],
    ['52w', 52 * 604_800_000],
  ])('reads the duration string %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    [0, 0],
    [250, 250],
    [1.5, 2],
    [2 ** 31, 2 ** 31],
  ])('takes the number %d as (whole) milliseconds', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['1500', 1_500],
    ['0', 0],
  ])('reads the numeric string %j as milliseconds', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['the empty string', '', '""'],
    ['an unknown unit', '10x', '"10x"'],
    ['a number left without unit after a part', '1h30', '"1h30"'],
    ['a negative number', -1, '-1'],
    ['a negative string', '-5s', '"-5s"'],
    ['NaN', NaN, 'NaN'],
    ['Infinity', Infinity, 'Infinity'],
    ['an object', {}, '{}'],
    ['null', null, 'null'],
    ['a numeric string too long to be a number', '9'.repeat(400), `"${'9'.repeat(400)}"`],
  ])('rejects %s, naming the field, the value and what is allowed', (_, input, shown) => {
    const parse = () => parseDuration(input as never, 'pollInterval');
    expect(parse).toThrow(InvalidDurationError);
    expect(parse).toThrow(ZapJobsError);
    expect(parse).toThrow(/^pollInterval: /);
    expect(parse).toThrow(`got ${shown}`);
    expect(parse).toThrow(/'30s'/);
  });

  it('keeps the field and the value on the error', () => {
    const error = (() => {
      try {
        parseDuration('soon', 'delay');
      } catch (thrown) {
        return thrown as InvalidDurationError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect(error).toMatchObject({ name: 'InvalidDurationError', field: 'delay', value: 'soon' });
  });

  it('accepts up to 100 years and refuses more, naming the field and the bound', () => {
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(parseDuration('36500d')).toBe(MAX_DURATION_MS);
    const parse = () => parseDuration('36501d', 'retention');
    expect(parse).toThrow(InvalidDurationError);
    expect(parse).toThrow(`retention: must be at most 100 years (${MAX_DURATION_MS} ms); got "36501d"`);
    expect(tryParseDuration('36501d')).toBeUndefined();
  });

  it('names a generic field when none is given', () => {
    expect(() => parseDuration('soon')).toThrow(/^duration: .*got "soon"/);
  });
});

describe('tryParseDuration', () => {
  it('returns undefined instead of throwing', () => {
    expect(tryParseDuration('10x')).toBeUndefined();
    expect(tryParseDuration(undefined)).toBeUndefined();
    expect(tryParseDuration('10m')).toBe(600_000);
  });
});
