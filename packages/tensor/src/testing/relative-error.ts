/**
 * ||a - b|| / ||b|| in the 2-norm, b being the reference. One number per tensor rather than a
 * per-element tolerance: elementwise relative error explodes on entries near zero, and an
 * absolute tolerance means nothing without the output's scale.
 *
 * When the reference is exactly zero (the gradient of sign, keys past kvLength) the absolute
 * error ||a - b|| is returned instead, so "zero where zero is expected" still passes and anything
 * else fails. A length mismatch or a non-finite value yields NaN (which fails every `<` check)
 * or throws, never a small number.
 */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`relativeError: lengths differ (${a.length} vs ${b.length} reference).`);
  }
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    diff += d * d;
    ref += b[i]! * b[i]!;
  }
  if (!Number.isFinite(diff) || !Number.isFinite(ref)) return NaN;
  return ref === 0 ? Math.sqrt(diff) : Math.sqrt(diff / ref);
}
