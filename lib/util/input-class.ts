import type { Type } from '@nestjs/common';

/** The two packages, once loaded: every enqueue and attempt of a job with an input class uses them. */
let validation: Promise<[typeof import('class-transformer'), typeof import('class-validator')]> | undefined;

/**
 * Checks `input` against a job's class-validator input class; returns the instance (class-transformer's
 * plainToInstance) and the failed rules' messages. class-validator and class-transformer are loaded on
 * the first call: importing class-validator takes longer than the whole boot of the module, and only
 * applications whose jobs declare an `input` class need it (they import it themselves for the decorators).
 */
export async function checkInput(inputClass: Type<unknown>, input: object): Promise<{ instance: object; reasons: string[] }> {
  const [{ plainToInstance }, { validate }] = await (validation ??= Promise.all([import('class-transformer'), import('class-validator')]));
  const instance = plainToInstance(inputClass, input) as object;
  const errors = await validate(instance, { forbidUnknownValues: false });
  return { instance, reasons: errors.flatMap((e) => Object.values(e.constraints ?? { [e.property]: `${e.property} is invalid` })) };
}
