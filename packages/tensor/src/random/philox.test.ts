import { describe, expect, it } from 'vitest';
import { philox4x32_10, philoxBlocks } from './philox.js';

function block(c: number[], k: number[]): number[] {
  const out = new Uint32Array(4);
  philox4x32_10(c[0], c[1], c[2], c[3], k[0], k[1], out, 0);
  return Array.from(out);
}

describe('philox4x32_10', () => {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter[4] key[2] -> output[4].
  it('matches the Random123 known-answer vectors', () => {
    expect(block([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(block([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(block([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it('accepts signed and unsigned representations of the same words', () => {
    expect(block([-1, -1, -1, -1], [-1, -1])).toEqual(block([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]));
  });
});

describe('philoxBlocks', () => {
  it.each([
    ['even count', 0, 6],
    ['odd count', 5, 7],
    ['single block', 9, 1],
    ['counter carrying into the high word', 2 ** 32 - 3, 6],
  ])('equals one philox4x32_10 call per block (%s)', (_name, first, count) => {
    const s0 = 0x12345678;
    const s1 = 0x9abcdef0 | 0;
    const k0 = 0x0badf00d;
    const k1 = 0xdeadbeef | 0;
    const got = new Uint32Array(4 * count + 4).fill(7);
    philoxBlocks(first, s0, s1, k0, k1, got, 4, count);
    const want = new Uint32Array(4 * count + 4).fill(7);
    for (let j = 0; j < count; j++) {
      const b = first + j;
      philox4x32_10(b >>> 0, Math.floor(b / 2 ** 32), s0, s1, k0, k1, want, 4 + 4 * j);
    }
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
