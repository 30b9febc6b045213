/**
 * Samplers that need more than a transformation of one or two uniforms. They take the generator
 * as a `UniformSource` so that this file does not depend on the Rng class; arguments are assumed
 * validated by the caller.
 */

export interface UniformSource {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A standard normal conditioned on [a, b] (a < b, either may be infinite).
 *
 * Rejection sampling with the proposal chosen per interval, after C. P. Robert, "Simulation of
 * truncated normal variables", Statistics and Computing 5 (1995):
 * - interval containing 0, wider than sqrt(2*pi): draw normals until one lands inside;
 * - interval containing 0, narrower: uniform proposal on [a, b], accepted with exp(-z^2/2);
 * - interval in one tail (reflected to a >= 0): uniform proposal accepted with
 *   exp((a^2 - z^2)/2) when the interval is short, otherwise Robert's translated exponential
 *   with the optimal rate.
 * Every branch accepts with probability above about 1/3 whatever a and b are (also far in the
 * tail, where plain rejection would never finish), and the result is exact, not an
 * inverse-CDF approximation. The number of uniforms consumed varies with the draws.
 */
export function truncatedStandardNormal(src: UniformSource, a: number, b: number): number {
  if (b <= 0) return -truncatedStandardNormal(src, -b, -a);

  if (a < 0) {
    if (b - a >= SQRT_2PI) {
      for (;;) {
        const z = src.normal();
        if (z >= a && z <= b) return z;
      }
    }
    for (;;) {
      const z = a + (b - a) * src.uniform();
      if (src.uniform() <= Math.exp(-0.5 * z * z)) return z;
    }
  }

  // 0 <= a < b.
  const root = Math.sqrt(a * a + 4);
  const rate = 0.5 * (a + root); // the exponential rate that maximizes acceptance (Robert, Prop. 2.3)
  // Robert's break-even width between the uniform and the exponential proposal.
  const uniformWidth = ((2 * Math.sqrt(Math.E)) / (a + root)) * Math.exp(0.25 * (a * a - a * root));
  if (b - a <= uniformWidth) {
    for (;;) {
      const z = a + (b - a) * src.uniform();
      if (src.uniform() <= Math.exp(0.5 * (a * a - z * z))) return z;
    }
  }
  for (;;) {
    const z = a - Math.log(1 - src.uniform()) / rate;
    const d = z - rate;
    if (src.uniform() <= Math.exp(-0.5 * d * d) && z <= b) return z;
  }
}

/**
 * Poisson(lambda), lambda >= 0 and finite.
 *
 * lambda < 10: inversion by sequential search (one uniform, exact up to float rounding of the
 * CDF; expected lambda + 1 steps). lambda >= 10: PTRS, the transformed rejection with squeeze of
 * W. Hörmann, "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993), constants as published (and as in NumPy's
 * `random_poisson_ptrs`); O(1) expected time for any lambda, two uniforms per trial, acceptance
 * above 0.9 per trial.
 */
export function poisson(src: UniformSource, lambda: number): number {
  if (lambda === 0) return 0;
  if (lambda < 10) {
    const u = src.uniform();
    let k = 0;
    let p = Math.exp(-lambda);
    let cdf = p;
    // `p > 0` ends the search should rounding keep the CDF below u once the terms underflow.
    while (u >= cdf && p > 0) {
      k++;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }

  const sqrtLambda = Math.sqrt(lambda);
  const logLambda = Math.log(lambda);
  const b = 0.931 + 2.53 * sqrtLambda;
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = src.uniform() - 0.5;
    const v = src.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k; // the squeeze: accept without evaluating the density
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= -lambda + k * logLambda - logFactorial(k)) {
      return k;
    }
  }
}

// ln(k!) for small k by summation (exact to a few ulps); Stirling's series beyond.
const LOG_FACTORIAL_TABLE_SIZE = 256;
const LOG_FACTORIAL = new Float64Array(LOG_FACTORIAL_TABLE_SIZE);
for (let k = 2; k < LOG_FACTORIAL_TABLE_SIZE; k++) LOG_FACTORIAL[k] = LOG_FACTORIAL[k - 1] + Math.log(k);

/** ln(k!) for a non-negative integer k; relative error below 1e-15 for all k. */
export function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL_TABLE_SIZE) return LOG_FACTORIAL[k];
  // Stirling's series for ln Gamma(x), x = k + 1 >= 257: the first omitted term, 1/(1680 x^7),
  // is below 1e-20.
  const x = k + 1;
  const r = 1 / x;
  const r2 = r * r;
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + r * (1 / 12 - r2 * (1 / 360 - r2 / 1260));
}
