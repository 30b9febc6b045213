import { expect, it } from 'vitest';
import {
  PoissonLognormalSampler,
  type RecurrenceSampler,
  type RecurrenceSplit,
  StepRandom,
  evaluationSplit,
  recurrenceCurriculum,
  splitRecurrence,
} from './index.js';

// The README's snippets, kept running.

it('README: curriculum + sampler', () => {
  const totalSteps = 1000;
  const curriculum = recurrenceCurriculum({ kind: '1-sqrt', maxMean: 32, warmupFraction: 0.75, totalSteps });
  const sampler = new PoissonLognormalSampler({ seed: 1234 });
  const means = [0, 250, 500, 999].map((step) => curriculum.at(step));
  // W = 750: step 250 -> 32 * (1 - sqrt(2/3)) = 5.87 -> 6; step 500 -> 32 * (1 - sqrt(1/3)) = 13.5 -> 14
  expect(means).toEqual([1, 6, 14, 32]);
  for (const [i, step] of [0, 250, 500, 999].entries()) {
    const { noGrad, withGrad } = sampler.sample(step, means[i]!);
    expect(withGrad).toBe(Math.min(8, means[i]!, noGrad + withGrad));
  }
  expect(evaluationSplit(16)).toEqual({ noGrad: 16, withGrad: 0 });
});

it('README: a user-written sampler through the public interface', () => {
  class UniformSampler implements RecurrenceSampler {
    constructor(
      private readonly seed: number,
      private readonly backpropDepth = 8,
    ) {}

    sample(step: number, meanRecurrence: number): RecurrenceSplit {
      const u = new StepRandom(this.seed, step).uniform();
      const r = 1 + Math.floor(u * 2 * meanRecurrence);
      return splitRecurrence(r, this.backpropDepth);
    }
  }
  const mine: RecurrenceSampler = new UniformSampler(7);
  expect(mine.sample(0, 16)).toEqual(new UniformSampler(7).sample(0, 16));
  let total = 0;
  for (let step = 0; step < 4000; step++) {
    const { noGrad, withGrad } = mine.sample(step, 16);
    expect(withGrad).toBeLessThanOrEqual(8);
    total += noGrad + withGrad;
  }
  expect(total / 4000).toBeCloseTo(16.5, 0);
});
