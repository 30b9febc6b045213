import { describe, expect, it } from 'vitest';
import { FixedSampler } from './fixed-sampler.js';
import { evaluationSplit, splitRecurrence } from './recurrence-sampler.js';

describe('FixedSampler', () => {
  it('runs every iteration with gradient by default, whatever the mean', () => {
    const sampler = new FixedSampler(4);
    expect(sampler.sample(0, 1)).toEqual({ noGrad: 0, withGrad: 4 });
    expect(sampler.sample(99, 32)).toEqual({ noGrad: 0, withGrad: 4 });
  });

  it('truncates backprop to a given depth', () => {
    expect(new FixedSampler(12, { backpropDepth: 8 }).sample(3, 1)).toEqual({ noGrad: 4, withGrad: 8 });
    expect(new FixedSampler(3, { backpropDepth: 8 }).sample(3, 1)).toEqual({ noGrad: 0, withGrad: 3 });
  });

  it('rejects a recurrence below 1', () => {
    expect(() => new FixedSampler(0)).toThrow(/FixedSampler: recurrence = 0 must be an integer >= 1/);
  });
});

describe('evaluationSplit and splitRecurrence', () => {
  it('runs all r iterations without gradient at evaluation', () => {
    expect(evaluationSplit(1)).toEqual({ noGrad: 1, withGrad: 0 });
    expect(evaluationSplit(32)).toEqual({ noGrad: 32, withGrad: 0 });
    expect(() => evaluationSplit(0)).toThrow(/recurrence = 0/);
  });

  it('gives the last s iterations a gradient', () => {
    expect(splitRecurrence(20, 8)).toEqual({ noGrad: 12, withGrad: 8 });
    expect(splitRecurrence(5, 8)).toEqual({ noGrad: 0, withGrad: 5 });
  });
});
