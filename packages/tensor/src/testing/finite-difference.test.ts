import { describe, expect, it } from 'vitest';
import { directionalDerivative, finiteDifferenceGradient, finiteDifferenceGradientAsync } from './finite-difference.js';
import { relativeError } from './relative-error.js';

describe('finiteDifferenceGradient', () => {
  // f(x, y) = sum(sin(x) * y^2) + exp(x0):  df/dx = cos(x) y^2 (+ exp(x0) at 0),  df/dy = 2 sin(x) y
  const f = ([x, y]: readonly Float64Array[]): number => x!.reduce((s, v, i) => s + Math.sin(v) * y![i]! ** 2, 0) + Math.exp(x![0]!);
  const point = (): Float64Array[] => [Float64Array.from([0.3, -1.2, 2.5, 40]), Float64Array.from([1.5, -0.7, 0.2, 3])];
  const analytic = ([x, y]: Float64Array[]): Float64Array[] => {
    const dx = x!.map((v, i) => Math.cos(v) * y![i]! ** 2);
    dx[0]! += Math.exp(x![0]!);
    return [dx, x!.map((v, i) => 2 * Math.sin(v) * y![i]!)];
  };

  it('matches the analytic gradient of a smooth function to ~1e-9, large inputs included', () => {
    const xs = point();
    const [dx, dy] = finiteDifferenceGradient(f, xs);
    const [ex, ey] = analytic(point());
    expect(relativeError(dx!, ex!)).toBeLessThan(1e-8);
    expect(relativeError(dy!, ey!)).toBeLessThan(1e-8);
  });

  it('restores the inputs and differentiates only `wrt`, in that order', () => {
    const xs = point();
    const grads = finiteDifferenceGradient(f, xs, { wrt: [1] });
    expect(xs).toEqual(point());
    expect(grads).toHaveLength(1);
    expect(relativeError(grads[0]!, analytic(point())[1]!)).toBeLessThan(1e-8);
  });

  it('the async driver probes the same points', async () => {
    const xs = point();
    const sync = finiteDifferenceGradient(f, xs);
    const viaPromise = await finiteDifferenceGradientAsync(async (v) => f(v), xs);
    expect(viaPromise).toEqual(sync);
  });
});

describe('relativeError', () => {
  it('is ||a - b|| / ||b||, absolute against an all-zero reference, NaN on non-finite values', () => {
    expect(relativeError([3, 4], [0, 0])).toBe(5);
    expect(relativeError([1, 1], [1, 1])).toBe(0);
    expect(relativeError([1.1, 0], [1, 0])).toBeCloseTo(0.1, 12);
    expect(relativeError([NaN], [1])).toBeNaN();
    expect(relativeError([1], [Infinity])).toBeNaN();
    expect(() => relativeError([1], [1, 2])).toThrow(/lengths differ/);
  });
});

describe('directionalDerivative', () => {
  it('equals the gradient projected on the direction, moving only the inputs the direction touches', () => {
    // f(x, y) = sum(x^3) * y0:  grad_x = 3 x^2 y0
    const f = ([x, y]: readonly Float64Array[]): number => x!.reduce((s, v) => s + v ** 3, 0) * y![0]!;
    const xs = [Float64Array.from([0.5, -2, 30]), Float64Array.from([1.5])];
    const u = Float64Array.from([1, -0.5, 0.25]);
    const expected = [0.5, -2, 30].reduce((s, v, i) => s + 3 * v * v * 1.5 * u[i]!, 0);
    const slope = directionalDerivative(f, xs, [u, new Float64Array(1)]);
    expect(Math.abs(slope - expected) / Math.abs(expected)).toBeLessThan(1e-8);
    expect([...xs[0]!]).toEqual([0.5, -2, 30]);
    expect(directionalDerivative(f, xs, [new Float64Array(3), new Float64Array(1)])).toBe(0);
  });
});
