/**
 * Central finite differences of a scalar function of several Float64Array inputs:
 *
 *   df/dx_j ~ (f(x + h e_j) - f(x - h e_j)) / (2h)
 *
 * Step. The truncation error is ~ f''' h^2 / 6 and the rounding error ~ eps |f| / h, so the best h
 * for unit-scale inputs is ~ cbrt(eps) ~ 6e-6; the default h = 1e-6 * max(1, |x_j|) sits close to
 * that and leaves both errors near 1e-10 relative for the smooth, O(1) functions we check. The
 * step scales with |x_j| so large inputs still move by a representable amount. The denominator is
 * the difference of the two probe points as actually rounded, not 2h, which removes the error
 * of x +- h not being exact.
 *
 * The function receives the input arrays themselves, perturbed in place one element at a time
 * (and restored after): no copies, but it must not keep them.
 */
export interface FiniteDifferenceOptions {
  /** Relative step: h = step * max(1, |x|). Default 1e-6. */
  step?: number;
  /** Indices of the inputs to differentiate; default all. The result follows this order. */
  wrt?: readonly number[];
}

export function finiteDifferenceGradient(
  f: (xs: readonly Float64Array[]) => number,
  xs: readonly Float64Array[],
  options: FiniteDifferenceOptions = {},
): Float64Array[] {
  const probe = probes(xs, options);
  let r = probe.next();
  while (!r.done) r = probe.next(f(xs));
  return r.value;
}

/** The same, for a function that must await (a device read-back). */
export async function finiteDifferenceGradientAsync(
  f: (xs: readonly Float64Array[]) => Promise<number>,
  xs: readonly Float64Array[],
  options: FiniteDifferenceOptions = {},
): Promise<Float64Array[]> {
  const probe = probes(xs, options);
  let r = probe.next();
  while (!r.done) r = probe.next(await f(xs));
  return r.value;
}

/**
 * The probing schedule, shared by the sync and async drivers: each `yield` asks for f at the
 * current (perturbed) inputs and receives its value.
 */
function* probes(xs: readonly Float64Array[], options: FiniteDifferenceOptions): Generator<void, Float64Array[], number> {
  const step = options.step ?? 1e-6;
  const wrt = options.wrt ?? xs.map((_, i) => i);
  const grads: Float64Array[] = [];
  for (const i of wrt) {
    const x = xs[i]!;
    const g = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const x0 = x[j]!;
      const h = step * Math.max(1, Math.abs(x0));
      const plus = x0 + h;
      const minus = x0 - h;
      x[j] = plus;
      const fPlus: number = yield;
      x[j] = minus;
      const fMinus: number = yield;
      x[j] = x0;
      g[j] = (fPlus - fMinus) / (plus - minus);
    }
    grads.push(g);
  }
  return grads;
}
