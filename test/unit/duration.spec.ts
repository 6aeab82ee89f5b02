import { parseDuration, tryParseDuration } from '../../lib/util/duration.js';

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
  ])('reads the duration string %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    [0, 0],
    [250, 250],
    [1.5, 1.5],
  ])('takes the number %d as milliseconds', (input, expected) => {
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
  ])('rejects %s, naming the field, the value and what is allowed', (_, input, shown) => {
    const parse = () => parseDuration(input as never, 'pollInterval');
    expect(parse).toThrow(TypeError);
    expect(parse).toThrow(/^pollInterval: /);
    expect(parse).toThrow(`got ${shown}`);
    expect(parse).toThrow(/'30s'/);
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
