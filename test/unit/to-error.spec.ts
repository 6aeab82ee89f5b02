import { UnrecoverableJobError } from '../../lib/errors/errors.js';
import { MAX_MESSAGE_LENGTH, MAX_STACK_LENGTH, safeText, toError } from '../../lib/worker/to-error.js';
import { errorWith, hostileProxy } from '../fixtures/hostile-values.js';


/** What every result must be: a plain Error whose fields are its own strings, stable on re-read. */
function expectPlain(error: Error): void {
  expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
  for (const key of ['name', 'message', 'stack'] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    expect(descriptor && 'value' in descriptor).toBe(true);
    expect(typeof error[key]).toBe('string');
  }
  expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 40);
  expect(error.stack!.length).toBeLessThanOrEqual(MAX_STACK_LENGTH + 40);
  expect(() => JSON.stringify({ message: error.message, stack: error.stack })).not.toThrow();
}

describe('toError', () => {
  it('keeps the name, message and stack of an ordinary Error, and the Error itself as cause', () => {
    const original = new TypeError('bad thing');
    const error = toError(original);
    expectPlain(error);
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('bad thing');
    expect(error.stack).toBe(original.stack);
    expect(error.cause).toBe(original);
  });

  it('keeps an engine error recognisable through its cause', () => {
    const error = toError(new UnrecoverableJobError('no retry'));
    expect(error.message).toBe('no retry');
    expect(error.cause).toBeInstanceOf(UnrecoverableJobError);
  });

  it('says so when the message getter throws', () => {
    const error = toError(errorWith('message', { get: () => { throw new Error('no message for you'); } }));
    expectPlain(error);
    expect(error.message).toBe("(reading the error's message threw: no message for you)");
  });

  it('survives a message getter that throws a hostile value', () => {
    const error = toError(errorWith('message', { get: () => { throw hostileProxy(); } }));
    expectPlain(error);
    expect(error.message).toBe("(reading the error's message threw: [an object])");
  });

  it('falls back to name and message when the stack getter throws', () => {
    const error = toError(errorWith('stack', { get: () => { throw new Error('no stack'); } }));
    expectPlain(error);
    expect(error.message).toBe('original');
    expect(error.stack).toBe('Error: original');
  });

  it('describes a Symbol message', () => {
    const error = toError(errorWith('message', { value: Symbol('sym-message') }));
    expectPlain(error);
    expect(error.message).toBe('Symbol(sym-message)');
  });

  it('describes an object message as JSON, and replaces an object stack', () => {
    const error = toError(errorWith('message', { value: { code: 42, why: 'object' } }));
    expectPlain(error);
    expect(error.message).toBe('{"code":42,"why":"object"}');
    const withStack = toError(errorWith('stack', { value: { frames: [1, 2] } }));
    expectPlain(withStack);
    expect(withStack.stack).toBe('Error: original');
  });

  it('keeps a default name when the name is not a string', () => {
    const error = toError(errorWith('name', { value: Symbol('n') }));
    expectPlain(error);
    expect(error.name).toBe('Error');
  });

  it('describes a thrown Proxy whose every trap throws', () => {
    const error = toError(hostileProxy());
    expectPlain(error);
    expect(error.message).toBe('handler threw a non-Error value: [an object that cannot be read]');
  });

  it('describes a null-prototype object whose toJSON throws', () => {
    const value = Object.assign(Object.create(null), { toJSON: () => { throw new Error('no JSON'); } });
    const error = toError(value);
    expectPlain(error);
    expect(error.message).toBe('handler threw a non-Error value: [object Object]');
  });

  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    ['a plain string', 'a plain string'],
    [42, '42'],
    [Symbol('thrown'), 'Symbol(thrown)'],
    [{ a: 1 }, '{"a":1}'],
    [10n, '10'],
  ])('describes a thrown %p', (value, text) => {
    const error = toError(value);
    expectPlain(error);
    expect(error.name).toBe('NonErrorThrown');
    expect(error.message).toBe(`handler threw a non-Error value: ${text}`);
  });

  it('caps a huge message and stack', () => {
    const original = new Error('m'.repeat(MAX_MESSAGE_LENGTH * 3));
    original.stack = 's'.repeat(MAX_STACK_LENGTH * 3);
    const error = toError(original);
    expectPlain(error);
    expect(error.message).toMatch(/\.\.\. \(\d+ more characters\)$/);
    expect(error.stack).toMatch(/\.\.\. \(\d+ more characters\)$/);
  });
});

describe('safeText', () => {
  it('never throws, whatever it is given', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [hostileProxy(), cyclic, Object.create(null), () => 1, Symbol(), new Error('e')]) {
      expect(typeof safeText(value)).toBe('string');
    }
    expect(safeText(new RangeError('r'))).toBe('RangeError: r');
    expect(safeText(cyclic)).toBe('[object Object]');
  });
});
