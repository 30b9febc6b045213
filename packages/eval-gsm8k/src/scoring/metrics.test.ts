import { describe, expect, it } from 'vitest';
import { accuracyOf, mean, meanStderr } from './metrics.js';

describe('mean and meanStderr (lm_eval.api.metrics)', () => {
  it('equals the harness’s mean_stderr to the last bit', () => {
    // From scripts/harness-oracle.py: mean_stderr([1, 0, 1, 1]), mean_stderr([1, 0, 0, 0, 0, 1, 0])
    expect(meanStderr([1, 0, 1, 1])).toBe(0.25);
    expect(meanStderr([1, 0, 0, 0, 0, 1, 0])).toBe(0.18442777839082938);
  });

  it('uses the sample standard deviation (n - 1): 2 of 5 correct', () => {
    // mu = 0.4; squares = 2 * 0.36 + 3 * 0.16 = 1.2; sqrt(1.2 / 4) / sqrt(5)
    expect(meanStderr([1, 1, 0, 0, 0])).toBeCloseTo(Math.sqrt(0.3) / Math.sqrt(5), 15);
  });

  it('is null below two samples ("N/A" in the harness), and 0 for unanimous samples', () => {
    expect(meanStderr([1])).toBeNull();
    expect(meanStderr([])).toBeNull();
    expect(meanStderr([1, 1, 1])).toBe(0);
  });

  it('accuracyOf counts booleans', () => {
    expect(accuracyOf([true, false, true, true])).toEqual({ accuracy: 0.75, stderr: 0.25 });
    expect(mean([0.1, 0.2, 0.3])).toBe((0.1 + 0.2 + 0.3) / 3);
  });
});
