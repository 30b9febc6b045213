import { describe, expect, it } from 'vitest';
import { warmupStableDecay } from './lr-schedule.js';

describe('warmupStableDecay', () => {
  // 1000 steps, warm-up 1% (W = 10), cool-down 50% (C = 500, from step 500), min 0.001.
  const schedule = warmupStableDecay({ totalSteps: 1000, warmupFraction: 0.01, cooldownFraction: 0.5 });

  it('warms up linearly from 0.001 to 1', () => {
    expect(schedule.at(0)).toBeCloseTo(0.001, 15);
    expect(schedule.at(5)).toBeCloseTo(0.001 + 0.999 * 0.5, 15); // 0.5005
    expect(schedule.at(9)).toBeCloseTo(0.001 + 0.999 * 0.9, 15); // 0.9001
    expect(schedule.at(10)).toBe(1);
  });

  it('holds 1 until the cool-down starts', () => {
    expect(schedule.at(11)).toBe(1);
    expect(schedule.at(499)).toBe(1);
    expect(schedule.at(500)).toBe(1); // cos(0)
  });

  it('decays along a half cosine to 0.001 at the end', () => {
    // step 625: q = 0.25, (1 + cos(pi / 4)) / 2 = 0.853553 -> 0.001 + 0.999 * 0.853553 = 0.853700
    expect(schedule.at(625)).toBeCloseTo(0.8537, 4);
    expect(schedule.at(750)).toBeCloseTo(0.5005, 12); // q = 0.5
    expect(schedule.at(999)).toBeCloseTo(0.001 + (0.999 * (1 + Math.cos(Math.PI * 0.998))) / 2, 15);
    expect(schedule.at(1000)).toBeCloseTo(0.001, 15);
    expect(schedule.at(5000)).toBeCloseTo(0.001, 15);
  });

  it('scales by peak, so it can give absolute learning rates', () => {
    expect(warmupStableDecay({ totalSteps: 100, warmupFraction: 0, cooldownFraction: 0, peak: 3e-4 }).at(50)).toBe(3e-4);
  });

  it('rejects bad options', () => {
    expect(() => warmupStableDecay({ totalSteps: 0, warmupFraction: 0.1, cooldownFraction: 0.5 })).toThrow(/totalSteps = 0/);
    expect(() => warmupStableDecay({ totalSteps: 10, warmupFraction: 0.5, cooldownFraction: 0.6 })).toThrow(/cannot overlap/);
    expect(() => warmupStableDecay({ totalSteps: 10, warmupFraction: -0.1, cooldownFraction: 0.5 })).toThrow(/warmupFraction = -0.1/);
    expect(() => schedule.at(-1)).toThrow(/step = -1/);
  });
});
