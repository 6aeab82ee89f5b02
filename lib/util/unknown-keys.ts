import { InvalidPayloadError } from '../errors/errors.js';

/** Keys of `object` (with a defined value: spreading an optional setting gives undefined) not in `known`. */
export function unknownKeys(object: object, known: readonly string[]): string[] {
  return Object.keys(object).filter((key) => !known.includes(key) && (object as Record<string, unknown>)[key] !== undefined);
}

/**
 * `value`'s first key outside `known`, as an InvalidPayloadError: "`where`: key: `noun` (expected ...)".
 * For filters and options that would otherwise drop the field in silence (and select, or do, more).
 */
export function refuseUnknownKeys(value: object, known: readonly string[], where: string, noun: string): void {
  const [unknown] = unknownKeys(value, known);
  if (unknown !== undefined) throw new InvalidPayloadError(`${where}: ${unknown}: ${noun} (expected ${known.join(', ')})`);
}
