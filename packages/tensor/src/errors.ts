/**
 * The one error class of rr. `code` is stable (tests and callers switch on it); the message names
 * the file, field or value at fault and says how to fix it.
 */
export class RRError extends Error {
  override readonly name = 'RRError';
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isRRError(e: unknown, code?: string): e is RRError {
  return e instanceof RRError && (code === undefined || e.code === code);
}
