import { describe, expect, it } from 'vitest';
import { PythonRandom } from './python-random.js';

// Expected values printed by CPython 3.8 to 3.13 (identical on each), e.g.
// python3 -c "import random; r = random.Random(1234); print(r.sample(range(7473), 5))"
describe('PythonRandom (CPython random.Random)', () => {
  it('matches getrandbits(32) after seeding with small, zero and > 2^32 seeds', () => {
    const r = new PythonRandom(1234);
    expect([r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)]).toEqual([4150886329, 3342196574, 1892932127]);
    expect(new PythonRandom(0).getrandbits(32)).toBe(3626764237);
    const big = new PythonRandom(2 ** 40 + 5); // a two-word init_by_array key
    expect([big.getrandbits(32), big.getrandbits(32)]).toEqual([2166296868, 2220160828]);
  });

  it('matches sample() on the set branch (n large next to k), as the gsm8k task uses it', () => {
    const r = new PythonRandom(1234);
    expect([r.sample(7473, 5), r.sample(7473, 5), r.sample(7473, 5)]).toEqual([
      [6374, 3610, 957, 61, 742],
      [7462, 6610, 4769, 286, 5501],
      [5677, 687, 806, 6279, 2905],
    ]);
    expect(new PythonRandom(1234).sample(100, 10)).toEqual([99, 56, 14, 0, 11, 74, 4, 85, 88, 10]);
    expect(new PythonRandom(1234).sample(30, 2)).toEqual([24, 14]);
  });

  it('matches sample() on the pool branch (n small, including k > 5 and k = n)', () => {
    expect(new PythonRandom(1234).sample(8, 3)).toEqual([7, 0, 6]);
    expect(new PythonRandom(1234).sample(50, 10)).toEqual([49, 28, 7, 0, 5, 37, 2, 42, 45, 6]);
    expect(new PythonRandom(1234).sample(8, 8)).toEqual([7, 0, 6, 5, 4, 2, 3, 1]);
  });

  it('rejects arguments Python would reject', () => {
    expect(() => new PythonRandom(1234).sample(3, 4)).toThrow(RangeError);
    expect(() => new PythonRandom(1.5)).toThrow(RangeError);
  });
});
