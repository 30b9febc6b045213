/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw, "Parallel Random
 * Numbers: As Easy as 1, 2, 3" (SC'11). It is a keyed bijection of a 128-bit counter: the i-th
 * block of a stream is `philox(counter = i, key)`, so any position can be computed directly
 * without replaying the ones before it. That is what lets a resumed run draw step 1234's numbers
 * without re-drawing steps 0..1233, and what keeps two streams with different keys independent.
 *
 * Constants are the published ones (Random123 `philox.h`):
 *   multipliers   PHILOX_M4x32_0 = 0xD2511F53, PHILOX_M4x32_1 = 0xCD9E8D57
 *   key schedule  PHILOX_W32_0   = 0x9E3779B9 (golden ratio), PHILOX_W32_1 = 0xBB67AE85 (sqrt(3) - 1)
 * The implementation is checked against Random123's `tests/kat_vectors` (see philox.test.ts).
 *
 * Everything is 32-bit integer arithmetic. JavaScript has no 32x32->64 multiply, so the high word
 * is assembled from two products against the 16-bit halves of the (constant) multiplier; each
 * partial product is below 2^48, hence exact in a double, and the result is bit-identical on
 * every platform.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

// 16-bit halves of the multipliers, for the exact high-word computation.
const M0_HI = M0 >>> 16;
const M0_LO = M0 & 0xffff;
const M1_HI = M1 >>> 16;
const M1_LO = M1 & 0xffff;

const TWO_M16 = 1 / 65536;

/**
 * Writes philox4x32-10(counter = [c0, c1, c2, c3], key = [k0, k1]) to out[o..o+3].
 * Inputs are 32-bit words (signed or unsigned representations both work).
 */
export function philox4x32_10(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, o: number): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) | 0;
      k1 = (k1 + W1) | 0;
    }
    const a0 = c0 >>> 0;
    const a2 = c2 >>> 0;
    // floor(a * M / 2^32) = floor((a*M_HI + floor(a*M_LO / 2^16)) / 2^16); every term is < 2^49.
    const hi0 = Math.floor((a0 * M0_HI + Math.floor(a0 * M0_LO * TWO_M16)) * TWO_M16);
    const hi1 = Math.floor((a2 * M1_HI + Math.floor(a2 * M1_LO * TWO_M16)) * TWO_M16);
    const lo0 = Math.imul(M0, c0);
    const lo1 = Math.imul(M1, c2);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  out[o] = c0;
  out[o + 1] = c1;
  out[o + 2] = c2;
  out[o + 3] = c3;
}

/**
 * Writes `count` consecutive blocks of one stream to out[o..o + 4*count): block j has counter
 * [(first + j) mod 2^32, floor((first + j) / 2^32), s0, s1] and key [k0, k1]. Same words as
 * calling philox4x32_10 per block; it runs two blocks interleaved because one block's rounds
 * form a serial dependency chain that leaves most of the CPU's multipliers idle (measured
 * about 1.5x faster in V8).
 */
export function philoxBlocks(first: number, s0: number, s1: number, k0: number, k1: number, out: Uint32Array, o: number, count: number): void {
  const end = first + count;
  let block = first;
  for (; block + 1 < end; block += 2, o += 8) {
    let x0 = block >>> 0;
    let x1 = (block / 4294967296) | 0;
    let x2 = s0;
    let x3 = s1;
    let y0 = (block + 1) >>> 0;
    let y1 = ((block + 1) / 4294967296) | 0;
    let y2 = s0;
    let y3 = s1;
    let j0 = k0;
    let j1 = k1;
    for (let round = 0; round < 10; round++) {
      if (round > 0) {
        j0 = (j0 + W0) | 0;
        j1 = (j1 + W1) | 0;
      }
      const a0 = x0 >>> 0;
      const a2 = x2 >>> 0;
      const b0 = y0 >>> 0;
      const b2 = y2 >>> 0;
      const ahi0 = Math.floor((a0 * M0_HI + Math.floor(a0 * M0_LO * TWO_M16)) * TWO_M16);
      const ahi1 = Math.floor((a2 * M1_HI + Math.floor(a2 * M1_LO * TWO_M16)) * TWO_M16);
      const bhi0 = Math.floor((b0 * M0_HI + Math.floor(b0 * M0_LO * TWO_M16)) * TWO_M16);
      const bhi1 = Math.floor((b2 * M1_HI + Math.floor(b2 * M1_LO * TWO_M16)) * TWO_M16);
      const alo0 = Math.imul(M0, x0);
      const alo1 = Math.imul(M1, x2);
      const blo0 = Math.imul(M0, y0);
      const blo1 = Math.imul(M1, y2);
      x0 = ahi1 ^ x1 ^ j0;
      x1 = alo1;
      x2 = ahi0 ^ x3 ^ j1;
      x3 = alo0;
      y0 = bhi1 ^ y1 ^ j0;
      y1 = blo1;
      y2 = bhi0 ^ y3 ^ j1;
      y3 = blo0;
    }
    out[o] = x0;
    out[o + 1] = x1;
    out[o + 2] = x2;
    out[o + 3] = x3;
    out[o + 4] = y0;
    out[o + 5] = y1;
    out[o + 6] = y2;
    out[o + 7] = y3;
  }
  if (block < end) philox4x32_10(block >>> 0, (block / 4294967296) | 0, s0, s1, k0, k1, out, o);
}

/*
 * Stream keys. A stream is identified by a 64-bit id derived from a path of parts (numbers and
 * strings). The id is built by absorbing one 32-bit word at a time with Philox itself used as a
 * compression function under a fixed key:
 *
 *   id' = first two words of philox(counter = [id0, id1, word, tag], key = HASH_KEY)
 *
 * `tag` says what the word is (low/high half of a number, a string's length, string data, seed
 * half), which makes the word encoding of a path unambiguous: a number is always two tagged
 * words, a string is its length followed by its UTF-16 code units packed two per word. Distinct
 * paths therefore differ in their encoded words, and their ids collide only by chance (2^-64 per
 * pair). Absorbing parts one by one also makes `stream('a', 'b')` equal `stream('a').stream('b')`.
 */

// Fractional digits of pi (nothing-up-my-sleeve), as in the Random123 test inputs.
const HASH_K0 = 0x243f6a88;
const HASH_K1 = 0x85a308d3;

export const TAG_SEED_LO = 1;
export const TAG_SEED_HI = 2;
export const TAG_NUMBER_LO = 3;
export const TAG_NUMBER_HI = 4;
export const TAG_STRING_LENGTH = 5;
export const TAG_STRING_DATA = 6;

const scratch = new Uint32Array(4);

/** Absorbs one tagged 32-bit word into the 64-bit state `h` (modified in place). */
export function absorbWord(h: Uint32Array, word: number, tag: number): void {
  philox4x32_10(h[0], h[1], word, tag, HASH_K0, HASH_K1, scratch, 0);
  h[0] = scratch[0];
  h[1] = scratch[1];
}

/** Absorbs a safe integer as its 64-bit two's complement (low word, then high word). */
export function absorbInteger(h: Uint32Array, value: number, tagLo: number, tagHi: number): void {
  absorbWord(h, value >>> 0, tagLo);
  absorbWord(h, Math.floor(value / 4294967296) | 0, tagHi);
}

/** Absorbs a string as its length in UTF-16 code units, then the code units two per word. */
export function absorbString(h: Uint32Array, value: string): void {
  const n = value.length;
  absorbWord(h, n, TAG_STRING_LENGTH);
  for (let i = 0; i < n; i += 2) {
    const lo = value.charCodeAt(i);
    const hi = i + 1 < n ? value.charCodeAt(i + 1) : 0;
    absorbWord(h, lo | (hi << 16), TAG_STRING_DATA);
  }
}
