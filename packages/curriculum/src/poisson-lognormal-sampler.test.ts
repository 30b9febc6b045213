import { describe, expect, it } from 'vitest';
import { PoissonLognormalSampler } from './poisson-lognormal-sampler.js';

const DRAWS = 10_000;

function recurrences(sampler: PoissonLognormalSampler, mean: number, count: number, firstStep = 0): number[] {
  const out: number[] = [];
  for (let step = firstStep; step < firstStep + count; step++) {
    const { noGrad, withGrad } = sampler.sample(step, mean);
    out.push(noGrad + withGrad);
  }
  return out;
}

const average = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]): number => {
  const m = average(xs);
  return average(xs.map((x) => (x - m) ** 2));
};

describe('PoissonLognormalSampler', () => {
  // E[r] = m + 1. Each (seed, m) is checked on its own: the standard error of a 10,000-draw mean
  // is under 0.6% of m + 1 for every m here, so 2% is a 3.4-sigma margin for each.
  for (const m of [2, 4, 8, 32]) {
    for (const seed of [1, 2, 3]) {
      it(`has mean recurrence m + 1 within 2% over ${DRAWS} steps (m = ${m}, seed ${seed})`, () => {
        const mean = average(recurrences(new PoissonLognormalSampler({ seed }), m, DRAWS));
        expect(Math.abs(mean - (m + 1)) / (m + 1)).toBeLessThan(0.02);
      });
    }
  }

  it('has the log-normal mixture variance m + m^2 (exp(sigma^2) - 1)', () => {
    const m = 8;
    const expected = m + m * m * (Math.exp(0.25) - 1);
    const v = variance(recurrences(new PoissonLognormalSampler({ seed: 9 }), m, 40_000));
    expect(Math.abs(v - expected) / expected).toBeLessThan(0.1);
  });

  it('with sigma = 0 is 1 + Poisson(m): variance m', () => {
    const v = variance(recurrences(new PoissonLognormalSampler({ seed: 10, sigma: 0 }), 6, 40_000));
    expect(Math.abs(v - 6) / 6).toBeLessThan(0.05);
  });

  it('draws the same split for the same (seed, step), in any order and from a fresh instance', () => {
    const a = new PoissonLognormalSampler({ seed: 7 });
    const forward = [0, 1, 2, 50, 1000].map((step) => a.sample(step, 16));
    const b = new PoissonLognormalSampler({ seed: 7 });
    const backward = [1000, 50, 2, 1, 0].map((step) => b.sample(step, 16)).reverse();
    expect(backward).toEqual(forward);
  });

  it('draws different values for different steps and different seeds', () => {
    const bySteps = recurrences(new PoissonLognormalSampler({ seed: 7 }), 16, 200);
    expect(new Set(bySteps).size).toBeGreaterThan(15);
    const otherSeed = recurrences(new PoissonLognormalSampler({ seed: 8 }), 16, 200);
    expect(otherSeed).not.toEqual(bySteps);
  });

  it('splits r into n = max(r - s, 0) without and k = min(s, r) with gradient', () => {
    for (const [m, s] of [
      [1, 1],
      [4, 4],
      [8, 8],
      [32, 8],
    ] as const) {
      const sampler = new PoissonLognormalSampler({ seed: 11 });
      let sawTruncation = false;
      for (let step = 0; step < 2000; step++) {
        const { noGrad, withGrad } = sampler.sample(step, m);
        const r = noGrad + withGrad;
        expect(r).toBeGreaterThanOrEqual(1);
        expect(withGrad).toBe(Math.min(s, r));
        expect(noGrad).toBe(Math.max(r - s, 0));
        sawTruncation ||= noGrad > 0;
      }
      expect(sawTruncation).toBe(true); // r > s happens even when s = m
    }
  });

  it('honours a custom backprop depth', () => {
    const sampler = new PoissonLognormalSampler({ seed: 12, backpropDepth: 3 });
    for (let step = 0; step < 500; step++) expect(sampler.sample(step, 16).withGrad).toBeLessThanOrEqual(3);
  });

  it('rejects bad configuration and arguments with clear messages', () => {
    expect(() => new PoissonLognormalSampler({ seed: 1.5 })).toThrow(/seed = 1.5 must be a safe integer/);
    expect(() => new PoissonLognormalSampler({ seed: 1, backpropDepth: 0 })).toThrow(/backpropDepth = 0 must be an integer >= 1/);
    expect(() => new PoissonLognormalSampler({ seed: 1, sigma: -1 })).toThrow(/sigma = -1/);
    expect(() => new PoissonLognormalSampler({ seed: 1, sigma: 3 })).toThrow(/sigma = 3 must be a number in \[0, 2\]/);
    const sampler = new PoissonLognormalSampler({ seed: 1 });
    expect(() => sampler.sample(-1, 4)).toThrow(/step = -1/);
    expect(() => sampler.sample(0, 0)).toThrow(/meanRecurrence = 0 must be an integer >= 1/);
    expect(() => sampler.sample(0, 2.5)).toThrow(/meanRecurrence = 2.5/);
    try {
      sampler.sample(0, 0);
    } catch (e) {
      expect(e).toMatchObject({ name: 'CurriculumError', code: 'BAD_ARGUMENT', details: { argument: 'meanRecurrence', value: 0 } });
    }
  });
});
