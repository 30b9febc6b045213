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
  /** Relative step: h = step * max(1, |x|). Default 1e-6 (1e-5 for directionalDerivative, see there). */
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

/**
 * The derivative of f at xs along `direction` (one array per input, same lengths; inputs that
 * stay still get zeros): a central difference in t of f(xs + t * direction), two evaluations in
 * all. For inputs too large to difference element by element, the gradient's projection on a few
 * random directions is checked instead. The step is `step * max(1, max |x|) / max |direction|`,
 * the element-wise rule applied to the largest coordinate, with a default `step` of 1e-5 rather
 * than 1e-6: a direction moves every coordinate of a large input at once, so f is a sum over many
 * terms and its rounding, ~sqrt(n) eps |f|, divided by 2h is the larger error (a sum of 10,007
 * terms gave 2.4e-6 relative at 1e-6); at 1e-5 it is ten times smaller, while the truncation error,
 * h^2 f''' / 6, stays near 1e-10 relative for smooth functions.
 */
export function directionalDerivative(
  f: (xs: readonly Float64Array[]) => number,
  xs: readonly Float64Array[],
  direction: readonly Float64Array[],
  options: Pick<FiniteDifferenceOptions, 'step'> = {},
): number {
  let xMax = 1;
  let uMax = 0;
  xs.forEach((x, i) => {
    const u = direction[i]!;
    for (let j = 0; j < x.length; j++) {
      if (u[j] !== 0) xMax = Math.max(xMax, Math.abs(x[j]!));
      uMax = Math.max(uMax, Math.abs(u[j]!));
    }
  });
  if (uMax === 0) return 0;
  const h = ((options.step ?? 1e-5) * xMax) / uMax;
  const saved = xs.map((x) => x.slice());
  const at = (t: number): number => {
    xs.forEach((x, i) => {
      for (let j = 0; j < x.length; j++) x[j] = saved[i]![j]! + t * direction[i]![j]!;
    });
    return f(xs);
  };
  try {
    return (at(h) - at(-h)) / (2 * h);
  } finally {
    xs.forEach((x, i) => x.set(saved[i]!));
  }
}
