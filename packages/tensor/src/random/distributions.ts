/**
 * The numeric side of the generator: the Box-Muller angle kernel, and the samplers that need
 * more than a transformation of one or two uniforms (truncated normal, Poisson). The samplers
 * take the generator as a `UniformSource` so that this file does not depend on the Rng class;
 * arguments are assumed validated by the caller (rng.ts).
 */

export interface UniformSource {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const HALF_PI = 0.5 * Math.PI;

/*
 * cos(2*pi*u) and sin(2*pi*u) for the Box-Muller angle. Math.cos/Math.sin cost about as much as
 * generating the uniforms; here the turn is split into a quarter-turn count q and a remainder
 * t in [-pi/4, pi/4] (both exact: 4u - round(4u) loses nothing), and t goes through the
 * polynomial kernels of fdlibm (Sun Microsystems, freely redistributable; FreeBSD msun
 * k_sin.c / k_cos.c, coefficients S1..S6 and C1..C6 below), accurate to under 1 ulp on that
 * range. Pure arithmetic, so these values are the same on every IEEE-754 platform.
 */
const S1 = -1.66666666666666324348e-1;
const S2 = 8.33333333332248946124e-3;
const S3 = -1.98412698298579493134e-4;
const S4 = 2.75573137070700676789e-6;
const S5 = -2.50507602534068634195e-8;
const S6 = 1.58969099521155010221e-10;
const C1 = 4.16666666666666019037e-2;
const C2 = -1.38888888888741095749e-3;
const C3 = 2.48015872894767294178e-5;
const C4 = -2.75573143513906633035e-7;
const C5 = 2.0875723212981748279e-9;
const C6 = -1.13596475577881948265e-11;

/** Output of `turnCosSin`: [cos(2*pi*u), sin(2*pi*u)]. Module scratch avoids an allocation per call. */
export const cosSin = new Float64Array(2);

/** Writes cos(2*pi*u) and sin(2*pi*u) to `cosSin`, for u in [0, 1). */
export function turnCosSin(u: number): void {
  const v = 4 * u;
  const q = Math.round(v);
  const t = (v - q) * HALF_PI;
  const z = t * t;
  const sin = t + z * t * (S1 + z * (S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)))));
  const hz = 0.5 * z;
  const w = 1 - hz;
  const cos = w + (1 - w - hz + z * z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6))))));
  switch (q & 3) {
    case 0:
      cosSin[0] = cos;
      cosSin[1] = sin;
      break;
    case 1:
      cosSin[0] = -sin;
      cosSin[1] = cos;
      break;
    case 2:
      cosSin[0] = -cos;
      cosSin[1] = -sin;
      break;
    default:
      cosSin[0] = sin;
      cosSin[1] = -cos;
  }
}
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Whether [a, b] contains 0 and is at least sqrt(2*pi) wide: there plain rejection of normals
 * accepts at least 49% and beats the other proposals (and a bulk fill can use Box-Muller pairs).
 */
export function isWideAroundZero(a: number, b: number): boolean {
  return a < 0 && b > 0 && b - a >= SQRT_2PI;
}

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
 * Every branch accepts with probability of at least about 0.49 whatever a and b are (also far
 * in the tail, where plain rejection would practically never finish), and the result is exact,
 * not an inverse-CDF approximation. The number of uniforms consumed varies with the draws.
 */
export function truncatedStandardNormal(src: UniformSource, a: number, b: number): number {
  if (b <= 0) return -truncatedStandardNormal(src, -b, -a);

  if (a < 0) {
    if (isWideAroundZero(a, b)) {
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

  // 0 <= a < b. The expressions below are arranged so that no intermediate overflows even for
  // a near the largest double (a * a or a + sqrt(a^2 + 4) would).
  // The exponential rate that maximizes acceptance (Robert, Prop. 2.3): (a + sqrt(a^2 + 4)) / 2.
  const rate = 0.5 * a + 0.5 * Math.hypot(a, 2);
  // Robert's break-even width between the uniform and the exponential proposal,
  // (2 sqrt(e) / (a + sqrt(a^2 + 4))) * exp((a^2 - a sqrt(a^2 + 4)) / 4), rewritten with
  // a^2 - a sqrt(a^2 + 4) = -2a / rate.
  const uniformWidth = (Math.sqrt(Math.E) / rate) * Math.exp((-0.5 * a) / rate);
  if (b - a <= uniformWidth) {
    for (;;) {
      const z = a + (b - a) * src.uniform();
      // exp((a^2 - z^2) / 2)
      if (src.uniform() <= Math.exp((a - z) * (0.5 * a + 0.5 * z))) return z;
    }
  }
  for (;;) {
    const z = a - Math.log(1 - src.uniform()) / rate;
    const d = z - rate;
    if (src.uniform() <= Math.exp(-0.5 * d * d) && z <= b) return z;
  }
}

/** Largest lambda accepted: beyond it the log-density in PTRS loses too much to cancellation. */
export const MAX_POISSON_LAMBDA = 1e12;

/**
 * Poisson(lambda), 0 <= lambda <= MAX_POISSON_LAMBDA.
 *
 * lambda < 10: inversion by sequential search (one uniform, exact up to float rounding of the
 * CDF; expected lambda + 1 steps). lambda >= 10: PTRS, the transformed rejection with squeeze of
 * W. Hörmann, "The transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12 (1993), constants as published (and as in NumPy's
 * `random_poisson_ptrs`); O(1) expected time for any lambda, two uniforms per trial, and
 * acceptance per trial of about 0.75 at lambda = 10 rising to 0.89 for large lambda.
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
