import { describe, expect, it } from 'vitest';
import { recurrenceCurriculum } from './recurrence-curriculum.js';

const at = (schedule: { at(step: number): number }, steps: number[]): number[] => steps.map((s) => schedule.at(s));

describe('recurrenceCurriculum', () => {
  // M = 32, warm-up 0.25 of 1000 steps: W = ceil(250) = 250, p = step / 250.
  const common = { maxMean: 32, warmupFraction: 0.25, totalSteps: 1000 };

  it('linear: m = max(1, ceil(32 * step / 250))', () => {
    // step 0: 0 -> 1; 7: 0.896 -> 1; 8: 1.024 -> 2; 100: 12.8 -> 13; 125: 16 exactly -> 16;
    // 126: 16.128 -> 17; 249: 31.872 -> 32; from 250 on: M.
    const steps = [0, 1, 7, 8, 100, 125, 126, 249, 250, 999, 5000];
    expect(at(recurrenceCurriculum({ kind: 'linear', ...common }), steps)).toEqual([1, 1, 1, 2, 13, 16, 17, 32, 32, 32, 32]);
  });

  it('1-sqrt: m = max(1, ceil(32 * (1 - sqrt(1 - step / 250)))), a slow start', () => {
    // step 8: 32 * (1 - sqrt(0.968)) = 0.516 -> 1; 30: 1 - sqrt(0.88) -> 1.981 -> 2;
    // 90: 1 - sqrt(0.64) = 0.2 -> 6.4 -> 7; 125: 1 - sqrt(0.5) -> 9.373 -> 10;
    // 160: 1 - sqrt(0.36) = 0.4 -> 12.8 -> 13; 240: 1 - sqrt(0.04) = 0.8 -> 25.6 -> 26;
    // 249: 1 - sqrt(0.004) -> 29.976 -> 30; from 250 on: M.
    const steps = [0, 8, 30, 90, 125, 160, 240, 249, 250, 1000];
    expect(at(recurrenceCurriculum({ kind: '1-sqrt', ...common }), steps)).toEqual([1, 1, 2, 7, 10, 13, 26, 30, 32, 32]);
  });

  it('constant: M at every step', () => {
    expect(at(recurrenceCurriculum({ kind: 'constant', maxMean: 8, totalSteps: 100 }), [0, 50, 100, 1000])).toEqual([8, 8, 8, 8]);
  });

  it('rounds the warm-up length up: ceil(warmupFraction * totalSteps)', () => {
    // 0.75 of 10 steps is 7.5 -> W = 8: step 4 is halfway, 4 * 4 / 8 = 2
    const schedule = recurrenceCurriculum({ kind: 'linear', maxMean: 4, warmupFraction: 0.75, totalSteps: 10 });
    expect(at(schedule, [0, 1, 2, 3, 4, 7, 8])).toEqual([1, 1, 1, 2, 2, 4, 4]);
  });

  it('a zero warm-up gives M from step 0', () => {
    expect(recurrenceCurriculum({ kind: 'linear', maxMean: 16, warmupFraction: 0, totalSteps: 100 }).at(0)).toBe(16);
  });

  it('does not let floating-point round-off add a whole step at exact integers', () => {
    // 25 * (7 / 25) is 7.000000000000001 in floating point; the true value is 7.
    expect(recurrenceCurriculum({ kind: 'linear', maxMean: 25, warmupFraction: 0.25, totalSteps: 100 }).at(7)).toBe(7);
    // 7 * (1 - sqrt(1 - 13/49)) = 7 * (1 - 6/7) = 1 exactly; naively 1.0000000000000004.
    expect(recurrenceCurriculum({ kind: '1-sqrt', maxMean: 7, warmupFraction: 0.25, totalSteps: 196 }).at(13)).toBe(1);
  });

  it('rejects bad options with messages naming the field', () => {
    expect(() => recurrenceCurriculum({ kind: 'cosine' as 'linear', maxMean: 4, warmupFraction: 0.25, totalSteps: 10 })).toThrow(
      /kind = "cosine" is not one of 'linear', '1-sqrt', 'constant'/,
    );
    expect(() => recurrenceCurriculum({ kind: 'linear', maxMean: 0, warmupFraction: 0.25, totalSteps: 10 })).toThrow(/maxMean = 0/);
    expect(() => recurrenceCurriculum({ kind: 'linear', maxMean: 4, warmupFraction: 1.5, totalSteps: 10 })).toThrow(
      /warmupFraction = 1.5 must be a number in \[0, 1\]/,
    );
    expect(() => recurrenceCurriculum({ kind: 'linear', maxMean: 4, totalSteps: 10 })).toThrow(/warmupFraction = undefined/);
    expect(() => recurrenceCurriculum({ kind: 'linear', maxMean: 4, warmupFraction: 0.1, totalSteps: 0 })).toThrow(/totalSteps = 0/);
    expect(() => recurrenceCurriculum({ kind: 'constant', maxMean: 4, totalSteps: 10 }).at(-1)).toThrow(/step = -1/);
  });
});
