import { describe, expect, it } from 'vitest';
import { bf16BitsToNumber, bf16ToF32, f16BitsToNumber, f16ToF32, f32ToBf16, f32ToF16, numberToBf16Bits, numberToF16Bits } from './dtype-conversion.js';
import { expectRRError } from './test-fixtures.js';

const f32FromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const bitsOfF32 = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

/**
 * Independent f16 reference in double arithmetic: every f32 is exact in a double and scaling by
 * powers of two is exact, so rounding the scaled value half-to-even gives the exact IEEE answer.
 */
function referenceF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  const roundEven = (v: number) => {
    const f = Math.floor(v);
    const r = v - f;
    return r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f;
  };
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal (1024 = smallest normal, also right)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // guard log2 rounding
  if (2 ** (e + 1) <= a) e++;
  const q = roundEven(a / 2 ** (e - 10)); // 1024..2048
  const bits = ((e + 15) << 10) + (q - 1024); // q = 2048 carries into the exponent
  return sign | Math.min(bits, 0x7c00);
}

describe('f16', () => {
  it('encodes known bit patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [0, 0x0000],
      [-0, 0x8000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1 / 3, 0x3555],
      [0.1, 0x2e66],
      [1e10, 0x7c00], // overflow
      [-1e-10, 0x8000], // underflow keeps the sign
    ];
    for (const [value, bits] of cases) expect(numberToF16Bits(value), `f16(${value})`).toBe(bits);
  });

  it('rounds ties to even', () => {
    expect(numberToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // between 0x3c00 (even) and 0x3c01
    expect(numberToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // between 0x3c01 and 0x3c02 (even)
    expect(numberToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above a tie rounds up
    expect(numberToF16Bits(65519)).toBe(0x7bff); // below the 65520 tie
    expect(numberToF16Bits(65520)).toBe(0x7c00); // tie between 65504 (odd) and 2^16: inf
    expect(numberToF16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: tie to 0
    expect(f32ToF16(new Float32Array([f32FromBits(bitsOfF32(2 ** -25) + 1)]))[0]).toBe(0x0001);
    expect(numberToF16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 units: tie to 2
    expect(numberToF16Bits(5 * 2 ** -25)).toBe(0x0002); // 2.5 units: tie to 2
    expect(numberToF16Bits((2047 / 2) * 2 ** -24)).toBe(0x0400); // rounds up out of the subnormals
  });

  it('decodes known bit patterns, subnormals, -0, inf and NaN', () => {
    expect(f16BitsToNumber(0x3c00)).toBe(1);
    expect(f16BitsToNumber(0x7bff)).toBe(65504);
    expect(f16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(f16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
    expect(f16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(f16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
    expect(f16BitsToNumber(0x7c01)).toBeNaN(); // signalling NaN must not decode to inf
  });

  it('round-trips every one of the 65536 bit patterns exactly (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaNBits = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaNBits) {
        expect((back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0, `NaN 0x${h.toString(16)}`).toBe(true);
        expect(back[h] & 0x8000).toBe(h & 0x8000);
      } else if (back[h] !== h) {
        expect(back[h], `0x${h.toString(16)}`).toBe(h);
      }
    }
  });

  it('matches an independent reference on 200k random f32 bit patterns', () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    const bits = new Uint32Array(200_000);
    for (let i = 0; i < bits.length; i++) {
      // Bias towards the f16 range (exponents 100..145) so rounding and subnormals get exercised.
      const r = next();
      bits[i] = i % 2 ? r : (r & 0x807fffff) | ((100 + (next() % 46)) << 23);
    }
    const values = new Float32Array(bits.buffer);
    const encoded = f32ToF16(values);
    for (let i = 0; i < values.length; i++) {
      const want = referenceF16(values[i]);
      if (Number.isNaN(values[i])) {
        expect((encoded[i] & 0x7fff) > 0x7c00).toBe(true);
      } else if (encoded[i] !== want) {
        expect(encoded[i], `f16(${values[i]}) bits 0x${bits[i].toString(16)}`).toBe(want);
      }
    }
  });
});

describe('bf16', () => {
  it('encodes known bit patterns', () => {
    expect(numberToBf16Bits(1)).toBe(0x3f80);
    expect(numberToBf16Bits(-2)).toBe(0xc000);
    expect(numberToBf16Bits(Math.PI)).toBe(0x4049);
    expect(numberToBf16Bits(-0)).toBe(0x8000);
    expect(numberToBf16Bits(Infinity)).toBe(0x7f80);
    expect(numberToBf16Bits(-Infinity)).toBe(0xff80);
    expect(numberToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // f32 max rounds to inf
    expect(numberToBf16Bits(3.3895313892515355e38)).toBe(0x7f7f); // bf16 max stays
  });

  it('rounds ties to even, including subnormals', () => {
    const enc = (bits: number) => f32ToBf16(new Float32Array([f32FromBits(bits)]))[0];
    expect(enc(0x3f808000)).toBe(0x3f80); // tie, keep even
    expect(enc(0x3f818000)).toBe(0x3f82); // tie, round up to even
    expect(enc(0x3f808001)).toBe(0x3f81); // above tie
    expect(enc(0x00000001)).toBe(0x0000); // tiny subnormal
    expect(enc(0x00008000)).toBe(0x0000); // tie to even 0
    expect(enc(0x00018000)).toBe(0x0002); // tie to even 2
  });

  it('keeps NaN a NaN even when only low payload bits are set', () => {
    const enc = (bits: number) => f32ToBf16(new Float32Array([f32FromBits(bits)]))[0];
    expect(enc(0x7fc00000)).toBe(0x7fc0);
    expect(enc(0x7f800001) & 0x7f80).toBe(0x7f80);
    expect(enc(0x7f800001) & 0x7f).not.toBe(0);
    expect(enc(0xff800001) & 0x8000).toBe(0x8000);
    expect(bf16BitsToNumber(0x7fc0)).toBeNaN();
  });

  it('decodes exactly', () => {
    expect(bf16BitsToNumber(0x3f80)).toBe(1);
    expect(bf16BitsToNumber(0x0001)).toBe(f32FromBits(0x00010000));
    expect(Object.is(bf16BitsToNumber(0x8000), -0)).toBe(true);
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToBf16(bf16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaNBits = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (!isNaNBits && back[h] !== h) expect(back[h], `0x${h.toString(16)}`).toBe(h);
    }
  });
});

describe('array forms', () => {
  it('respect subarray offsets and write into a given output', () => {
    const big = new Float32Array([9, 1, -2, 0.5, 9]);
    const part = big.subarray(1, 4);
    const out = new Uint16Array(3);
    expect(f32ToF16(part, out)).toBe(out);
    expect([...out]).toEqual([0x3c00, 0xc000, 0x3800]);
    const decoded = new Float32Array(5).subarray(1, 4);
    f16ToF32(out, decoded);
    expect([...decoded]).toEqual([1, -2, 0.5]);
    expect([...bf16ToF32(f32ToBf16(part))]).toEqual([1, -2, 0.5]);
  });

  it('reject an output of the wrong length', () => {
    expectRRError(() => f32ToF16(new Float32Array(3), new Uint16Array(2)), 'DTYPE_CONVERSION_LENGTH', 'f32ToF16');
    expectRRError(() => bf16ToF32(new Uint16Array(3), new Float32Array(4)), 'DTYPE_CONVERSION_LENGTH', 'bf16ToF32');
  });

  it('preserve NaN payloads through f16 decode (integer views, no float canonicalisation)', () => {
    const out = new Uint32Array(f16ToF32(new Uint16Array([0x7e01])).buffer);
    expect(out[0]).toBe(0x7fc02000);
  });
});
