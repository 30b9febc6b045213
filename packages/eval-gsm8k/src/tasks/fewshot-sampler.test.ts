import { describe, expect, it } from 'vitest';
import { harnessFewshotIndices } from './fewshot-sampler.js';

describe('harnessFewshotIndices', () => {
  it('draws one sample per doc from a single seeded stream', () => {
    expect(harnessFewshotIndices({ docs: 3, poolSize: 30, shots: 2 })).toEqual([
      [24, 14],
      [3, 0],
      [2, 29],
    ]);
  });

  it('draws nothing for zero shots, as fewshot_context skips the sampler', () => {
    expect(harnessFewshotIndices({ docs: 2, poolSize: 30, shots: 0 })).toEqual([[], []]);
  });

  it('accepts another seed (lm_eval --seed) and rejects more shots than the pool holds', () => {
    expect(harnessFewshotIndices({ docs: 1, poolSize: 30, shots: 2, seed: 7 })).not.toEqual([[24, 14]]);
    expect(() => harnessFewshotIndices({ docs: 1, poolSize: 3, shots: 4 })).toThrow(RangeError);
  });
});
