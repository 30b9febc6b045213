/**
 * The error @rr/curriculum throws for a bad argument.
 *
 * rr has one error class, `RRError`, but it lives in @rr/tensor and this package depends on nothing
 * (it is pure numbers, usable without any tensor code). So this is a local class of the same shape:
 * a stable `code` to switch on, a message that names the argument, its value and the fix, and
 * `details` with the argument and value. Callers that catch rr errors generically can test
 * `typeof e.code === 'string'` for both; the codes are the ones RRError uses (`BAD_ARGUMENT`).
 */
export class CurriculumError extends Error {
  override readonly name = 'CurriculumError';
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** A `BAD_ARGUMENT` error: "<where>: <argument> = <value> must be <requirement>." */
export function badArgument(where: string, argument: string, value: unknown, requirement: string): CurriculumError {
  const shown = typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return new CurriculumError('BAD_ARGUMENT', `${where}: ${argument} = ${shown} must be ${requirement}.`, { argument, value });
}

export function expectInteger(where: string, argument: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badArgument(where, argument, value, `an integer >= ${min}`);
  }
  return value;
}

export function expectNumberIn(where: string, argument: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw badArgument(where, argument, value, `a number in [${min}, ${max}]`);
  }
  return value;
}
