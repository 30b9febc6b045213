/**
 * Statistical checks. Seeds are fixed, so every check is deterministic; the tolerances are
 * several standard errors wide so that a correct generator passes with a wide margin, while a
 * wrong constant, an off-by-one in a sampler or a correlated stream derivation fails clearly.
 */
import { describe, expect, it } from 'vitest';
import { cosSin, logFactorial, turnCosSin } from './distributions.js';
import { Rng } from './rng.js';

// ---- helpers ------------------------------------------------------------------------------

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / (xs.length - 1);
}

function correlation(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function draw(n: number, f: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f();
  return out;
}

/** erfc with relative error below 1.2e-7 everywhere (Numerical Recipes `erfcc`, Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
/** Upper tail P(Z > x), relatively accurate also far in the tail. */
const upper = (x: number): number => 0.5 * erfc(x / Math.SQRT2);
const normalCdf = (x: number): number => 1 - upper(x);

/** Kolmogorov-Smirnov statistic sqrt(n) * D of a sample against a continuous CDF. */
function ksStatistic(sample: Float64Array, cdf: (x: number) => number): number {
  const xs = Float64Array.from(sample).sort();
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return Math.sqrt(n) * d;
}
/** Critical value of sqrt(n) * D at p = 0.001. */
const KS_CRITICAL = 1.95;

function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < observed.length; i++) s += (observed[i] - expected[i]) ** 2 / expected[i];
  return s;
}

/** Upper chi-square quantile for `df` degrees of freedom at z standard deviations (Wilson-Hilferty). */
function chiSquareLimit(df: number, z = 4): number {
  const c = 2 / (9 * df);
  return df * (1 - c + z * Math.sqrt(c)) ** 3;
}

/** Mean and variance of a standard normal truncated to [a, b]. */
function truncatedMoments(a: number, b: number): { mean: number; variance: number } {
  // Mass by tail differences on the side away from 0, where `upper` stays relatively accurate.
  const z = a >= 0 ? upper(a) - upper(b) : b <= 0 ? upper(-b) - upper(-a) : 1 - upper(-a) - upper(b);
  const pa = a === -Infinity ? 0 : phi(a);
  const pb = b === Infinity ? 0 : phi(b);
  const apa = a === -Infinity ? 0 : a * pa;
  const bpb = b === Infinity ? 0 : b * pb;
  const m = (pa - pb) / z;
  return { mean: m, variance: 1 + (apa - bpb) / z - m * m };
}

// ---- the helpers themselves ---------------------------------------------------------------

describe('test helpers', () => {
  it('normal tail probabilities match tabulated values', () => {
    expect(upper(1) / 0.15865525393145707).toBeCloseTo(1, 6);
    expect(upper(3) / 1.3498980316300946e-3).toBeCloseTo(1, 6);
    expect(upper(5) / 2.866515718791939e-7).toBeCloseTo(1, 6);
  });

  it('truncated moments reduce to the textbook symmetric variance formula', () => {
    for (const b of [0.5, 1, 2, 3]) {
      const want = 1 - (2 * b * phi(b)) / (2 * normalCdf(b) - 1);
      expect(truncatedMoments(-b, b).variance).toBeCloseTo(want, 6);
      expect(truncatedMoments(-b, b).mean).toBeCloseTo(0, 12);
    }
  });
});

// ---- uniform ------------------------------------------------------------------------------

describe('uniform', () => {
  const n = 200_000;
  const us = Rng.fromSeed(100).fillUniform(new Float64Array(n));

  it('has mean 1/2 and variance 1/12', () => {
    expect(Math.abs(mean(us) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance(us) - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
  });

  it('passes a Kolmogorov-Smirnov test', () => {
    expect(ksStatistic(us, (x) => x)).toBeLessThan(KS_CRITICAL);
  });

  it('passes a 2-D serial test on consecutive pairs (16 x 16 cells)', () => {
    const cells = new Float64Array(256);
    for (let i = 0; i + 1 < n; i += 2) cells[Math.floor(us[i] * 16) * 16 + Math.floor(us[i + 1] * 16)]++;
    expect(chiSquare(cells, new Float64Array(256).fill(n / 2 / 256))).toBeLessThan(chiSquareLimit(255));
  });

  it('nextUint32: high and low bytes are uniform (chi-square, 256 cells each)', () => {
    const rng = Rng.fromSeed(101);
    const m = 1 << 18;
    const hi = new Float64Array(256);
    const lo = new Float64Array(256);
    for (let i = 0; i < m; i++) {
      const w = rng.nextUint32();
      hi[w >>> 24]++;
      lo[w & 255]++;
    }
    const expected = new Float64Array(256).fill(m / 256);
    expect(chiSquare(hi, expected)).toBeLessThan(chiSquareLimit(255));
    expect(chiSquare(lo, expected)).toBeLessThan(chiSquareLimit(255));
  });

  it('fillUniform scales to [lo, hi)', () => {
    const xs = Rng.fromSeed(102).fillUniform(new Float32Array(50_000), -3, 5);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...xs)).toBeLessThan(5);
    expect(Math.abs(mean(xs) - 1)).toBeLessThan(5 * Math.sqrt(64 / 12 / xs.length));
  });
});

// ---- normal, log-normal -------------------------------------------------------------------

describe('turnCosSin', () => {
  it('agrees with Math.cos / Math.sin to within a few ulp, including quadrant boundaries', () => {
    const us: number[] = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1 - 2 ** -53];
    for (const q of [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875]) us.push(q - 2 ** -40, q + 2 ** -40);
    for (let i = 0; i < 10_000; i++) us.push(i / 10_000 + 1e-6);
    let worst = 0;
    for (const u of us) {
      turnCosSin(u);
      worst = Math.max(worst, Math.abs(cosSin[0] - Math.cos(2 * Math.PI * u)), Math.abs(cosSin[1] - Math.sin(2 * Math.PI * u)));
    }
    // Math.cos(2 * pi * u) itself carries the rounding of 2 * pi * u (up to ~4e-16 at u ~ 1).
    expect(worst).toBeLessThan(2e-15);
    turnCosSin(0);
    expect([cosSin[0], cosSin[1]]).toEqual([1, 0]);
    turnCosSin(0.25);
    expect(cosSin[0] === 0 && cosSin[1] === 1).toBe(true);
  });
});

describe('normal', () => {
  const n = 200_000;
  const zs = Rng.fromSeed(200).fillNormal(new Float64Array(n));
  const cosHalf = zs.filter((_, i) => i % 2 === 0);
  const sinHalf = zs.filter((_, i) => i % 2 === 1);

  it('has mean 0, variance 1 and kurtosis 3', () => {
    expect(Math.abs(mean(zs))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance(zs) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    let m4 = 0;
    for (const z of zs) m4 += z ** 4;
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });

  it('both Box-Muller outputs pass a KS test and are uncorrelated', () => {
    expect(ksStatistic(cosHalf, normalCdf)).toBeLessThan(KS_CRITICAL);
    expect(ksStatistic(sinHalf, normalCdf)).toBeLessThan(KS_CRITICAL);
    expect(Math.abs(correlation(cosHalf, sinHalf))).toBeLessThan(5 / Math.sqrt(n / 2));
  });

  it('scalar normal(mean, std) passes a KS test', () => {
    const rng = Rng.fromSeed(201);
    const xs = draw(50_000, () => rng.normal(3, 0.5));
    expect(ksStatistic(xs, (x) => normalCdf((x - 3) / 0.5))).toBeLessThan(KS_CRITICAL);
  });

  it('fillNormal scales by mean and std (std = 0 gives the mean)', () => {
    const xs = Rng.fromSeed(202).fillNormal(new Float32Array(100_001), -1, 0.02);
    expect(Math.abs(mean(xs) + 1)).toBeLessThan((5 * 0.02) / Math.sqrt(xs.length));
    expect(Math.sqrt(variance(xs)) / 0.02).toBeCloseTo(1, 1);
    expect(Array.from(Rng.fromSeed(202).fillNormal(new Float64Array(5), 7, 0))).toEqual([7, 7, 7, 7, 7]);
  });
});

describe('logNormal', () => {
  it.each([
    [0.5, 0.3],
    [-1, 1],
  ])('mu=%f sigma=%f: mean exp(mu + sigma^2/2), median exp(mu)', (mu, sigma) => {
    const n = 200_000;
    const rng = Rng.fromSeed(300);
    const xs = draw(n, () => rng.logNormal(mu, sigma));
    const want = Math.exp(mu + (sigma * sigma) / 2);
    const sd = Math.sqrt((Math.exp(sigma * sigma) - 1) * Math.exp(2 * mu + sigma * sigma));
    expect(Math.abs(mean(xs) - want)).toBeLessThan((5 * sd) / Math.sqrt(n));
    const below = xs.filter((x) => x < Math.exp(mu)).length / n;
    expect(Math.abs(below - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
  });
});

// ---- truncated normal ---------------------------------------------------------------------

describe('truncatedNormal', () => {
  it.each([0.5, 1, 2, 3])('symmetric +-%f std: inside bounds, std * sqrt(1 - 2b phi(b) / (2 Phi(b) - 1))', (b) => {
    const n = 100_000;
    const mu = 0.1;
    const std = 0.02;
    const xs = Rng.fromSeed(400).fillTruncatedNormal(new Float64Array(n), mu, std, mu - b * std, mu + b * std);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(mu - b * std);
    expect(Math.max(...xs)).toBeLessThanOrEqual(mu + b * std);
    const wantVar = std * std * (1 - (2 * b * phi(b)) / (2 * normalCdf(b) - 1));
    expect(Math.abs(mean(xs) - mu)).toBeLessThan(5 * Math.sqrt(wantVar / n));
    // The variance of a bounded variable's sample variance is at most 2 var^2 / n here.
    expect(Math.abs(variance(xs) / wantVar - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it.each([
    [-1, 2], // contains 0, wider than sqrt(2 pi): normal proposal
    [-3, 0.5],
    [-1, 1.4], // contains 0, narrower: uniform proposal
    [-2, 0.4],
    [-0.5, 0.5],
    [0.1, 0.2], // one-sided and short: uniform proposal
    [1, 1.7],
    [3, 3.3],
    [2, 3], // one-sided and long: exponential proposal
    [1, Infinity], // one-sided tail: exponential proposal
    [5, Infinity], // far tail, where plain rejection would need ~3.5 million tries per draw
    [8, 8.5],
    [-Infinity, -4], // reflected
    [-Infinity, 0.3],
    [-Infinity, Infinity],
  ])('standardized [%f, %f]: inside, with the analytic mean and variance', (a, b) => {
    const n = 50_000;
    const rng = Rng.fromSeed(401);
    const xs = draw(n, () => rng.truncatedNormal(0, 1, a, b));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(a);
    expect(Math.max(...xs)).toBeLessThanOrEqual(b);
    const want = truncatedMoments(a, b);
    expect(Math.abs(mean(xs) - want.mean)).toBeLessThan(5 * Math.sqrt(want.variance / n));
    // Loose: the fourth moment of a truncated normal is at most that of a normal (3 var^2).
    expect(Math.abs(variance(xs) / want.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n) + 1e-3);
  });

  it('+-3 sigma weight init in float32 stays inside', () => {
    const std = 0.02;
    const xs = Rng.fromSeed(402).fillTruncatedNormal(new Float32Array(100_000), 0, std, -3 * std, 3 * std);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-3 * std);
    expect(Math.max(...xs)).toBeLessThanOrEqual(3 * std);
  });
});

// ---- Poisson ------------------------------------------------------------------------------

function poissonPmf(k: number, lambda: number): number {
  return Math.exp(-lambda + k * Math.log(lambda) - logFactorial(k));
}

describe('poisson', () => {
  it('lambda = 0 always gives 0', () => {
    const rng = Rng.fromSeed(500);
    expect(draw(100, () => rng.poisson(0)).every((k) => k === 0)).toBe(true);
  });

  it.each([0.5, 3, 9.5, 10, 30, 1000, 10_000])('lambda = %f: integer draws with mean and variance lambda, PMF by chi-square', (lambda) => {
    // More draws for PTRS (lambda >= 10): an error in its rarely used rejection branch only
    // shows in the tails.
    const n = lambda >= 10 ? 1_000_000 : 200_000;
    const rng = Rng.fromSeed(501);
    const ks = draw(n, () => rng.poisson(lambda));
    expect(ks.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
    expect(Math.abs(mean(ks) - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
    expect(Math.abs(variance(ks) - lambda)).toBeLessThan(5 * Math.sqrt((2 * lambda * lambda + lambda) / n));

    // Chi-square over the values with expected count >= 20, the two tails pooled into end cells.
    const lo = Math.max(0, Math.floor(lambda - 6 * Math.sqrt(lambda)));
    const hi = Math.ceil(lambda + 6 * Math.sqrt(lambda) + 10);
    const kept: number[] = [];
    for (let k = lo; k <= hi; k++) if (n * poissonPmf(k, lambda) >= 20) kept.push(k);
    const first = kept[0];
    const last = kept[kept.length - 1];
    const observed = new Float64Array(kept.length + 2);
    const expected = new Float64Array(kept.length + 2);
    for (const k of ks) observed[k < first ? 0 : k > last ? kept.length + 1 : k - first + 1]++;
    let inside = 0;
    for (let j = 0; j < kept.length; j++) {
      expected[j + 1] = n * poissonPmf(kept[j], lambda);
      inside += expected[j + 1];
    }
    let below = 0;
    for (let k = 0; k < first; k++) below += n * poissonPmf(k, lambda);
    expected[0] = below;
    expected[kept.length + 1] = n - inside - below;
    // Drop end cells that are (numerically) empty rather than divide by ~0.
    const o: number[] = [];
    const e: number[] = [];
    for (let j = 0; j < expected.length; j++) {
      if (expected[j] >= 5) {
        o.push(observed[j]);
        e.push(expected[j]);
      } else {
        expect(observed[j]).toBeLessThanOrEqual(10);
      }
    }
    expect(chiSquare(o, e)).toBeLessThan(chiSquareLimit(o.length - 1));
  });

  it('logFactorial is continuous across the table/Stirling switch and accurate', () => {
    let direct = 0;
    const want = new Map<number, number>();
    for (let k = 1; k <= 10_000; k++) {
      direct += Math.log(k);
      want.set(k, direct);
    }
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(1)).toBe(0);
    for (const k of [5, 255, 256, 257, 300, 1000, 10_000]) {
      expect(Math.abs(logFactorial(k) / want.get(k)! - 1)).toBeLessThan(1e-13);
    }
    expect(logFactorial(256) - logFactorial(255)).toBeCloseTo(Math.log(256), 10);
  });
});

// ---- integers, permutations, categorical --------------------------------------------------

describe('integer, shuffle, categorical', () => {
  it('integer(n) is uniform for small n (chi-square)', () => {
    const rng = Rng.fromSeed(600);
    for (const n of [3, 10, 1000]) {
      const m = 100 * n;
      const counts = new Float64Array(n);
      for (let i = 0; i < Math.max(m, 100_000); i++) counts[rng.integer(n)]++;
      const total = Math.max(m, 100_000);
      expect(chiSquare(counts, new Float64Array(n).fill(total / n))).toBeLessThan(chiSquareLimit(n - 1));
    }
  });

  it.each([3 * 2 ** 30, 3 * 2 ** 51])('integer(%d) is unbiased where plain modulo would give the lowest third half the mass', (n) => {
    const rng = Rng.fromSeed(601);
    const m = 20_000;
    const lowest = draw(m, () => rng.integer(n)).filter((x) => x < n / 3).length / m;
    expect(Math.abs(lowest - 1 / 3)).toBeLessThan(5 * Math.sqrt(2 / 9 / m));
  });

  it('shuffle gives all 24 orders of 4 items equally often', () => {
    const rng = Rng.fromSeed(602);
    const m = 48_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < m; i++) {
      const key = rng.shuffle([0, 1, 2, 3]).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquare([...counts.values()], new Array(24).fill(m / 24))).toBeLessThan(chiSquareLimit(23));
  });

  it('categorical follows the weights', () => {
    const rng = Rng.fromSeed(603);
    const weights = [0.5, 0, 2, 1, 0.25];
    const total = 3.75;
    const m = 100_000;
    const counts = new Float64Array(weights.length);
    for (let i = 0; i < m; i++) counts[rng.categorical(weights)]++;
    expect(counts[1]).toBe(0);
    const o = [counts[0], counts[2], counts[3], counts[4]];
    const e = [0.5, 2, 1, 0.25].map((w) => (m * w) / total);
    expect(chiSquare(o, e)).toBeLessThan(chiSquareLimit(3));
  });
});

// ---- independence of streams --------------------------------------------------------------

describe('stream independence', () => {
  const n = 100_000;
  const limit = 5 / Math.sqrt(n);
  const uniforms = (rng: Rng): Float64Array => rng.fillUniform(new Float64Array(n));

  it.each([
    ['sibling labels', (r: Rng) => r.stream('a'), (r: Rng) => r.stream('b')],
    ['consecutive steps', (r: Rng) => r.stream('sampler', 1233), (r: Rng) => r.stream('sampler', 1234)],
    ['parent and child', (r: Rng) => r, (r: Rng) => r.stream(0)],
    ['similar layer names', (r: Rng) => r.stream('init:layers.3.q_proj'), (r: Rng) => r.stream('init:layers.3.k_proj')],
    ['consecutive seeds', (_: Rng) => Rng.fromSeed(0), (_: Rng) => Rng.fromSeed(1)],
  ])('%s are uncorrelated', (_name, first, second) => {
    const root = Rng.fromSeed(700);
    expect(Math.abs(correlation(uniforms(first(root)), uniforms(second(root))))).toBeLessThan(limit);
  });

  it('successive values within a stream are uncorrelated (lags 1 to 8)', () => {
    const xs = uniforms(Rng.fromSeed(701));
    for (let lag = 1; lag <= 8; lag++) {
      expect(Math.abs(correlation(xs.subarray(0, n - lag), xs.subarray(lag)))).toBeLessThan(limit);
    }
  });

  it('the first draw of per-step streams is uniform across steps and uncorrelated step to step', () => {
    // The sampler draws only a few numbers per step stream, so what matters is the distribution
    // across streams, not along one.
    const root = Rng.fromSeed(702);
    const m = 50_000;
    const firsts = draw(
      m,
      (() => {
        let step = 0;
        return () => root.stream('sampler', step++).uniform();
      })(),
    );
    expect(ksStatistic(firsts, (x) => x)).toBeLessThan(KS_CRITICAL);
    expect(Math.abs(correlation(firsts.subarray(0, m - 1), firsts.subarray(1)))).toBeLessThan(5 / Math.sqrt(m));
    const seedFirsts = draw(
      m,
      (() => {
        let seed = 0;
        return () => Rng.fromSeed(seed++).uniform();
      })(),
    );
    expect(ksStatistic(seedFirsts, (x) => x)).toBeLessThan(KS_CRITICAL);
  });
});
