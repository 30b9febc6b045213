import { RRError } from '../errors.js';

/**
 * Whole-array conversions between f32 and the two 16-bit float storage formats.
 *
 * - f16 is IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits).
 * - bf16 is the top half of an f32 (1 sign, 8 exponent, 7 mantissa bits).
 *
 * Everything works on bit patterns through integer views (`Uint32Array` over the f32 data), never
 * through `DataView` or float arithmetic: that keeps the hot loops monomorphic integer code, keeps
 * NaN payloads and the sign of zero intact (a float round trip through JS numbers may canonicalise
 * NaNs), and makes the rounding exactly IEEE round-to-nearest, ties-to-even.
 *
 * Decoding f16 uses a 65536-entry table (256 KiB, built on first use): one load per element is
 * faster than any branchy bit manipulation. Encoding uses bit arithmetic, because a table indexed
 * by f32 would have to be indexed by 2^32 values.
 */

let f16DecodeTable: Uint32Array | undefined;

/** f32 bit pattern of every f16 bit pattern; built once, lazily, so importing the module is free. */
function decodeTable(): Uint32Array {
  if (f16DecodeTable === undefined) {
    const table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32Bits(h);
    f16DecodeTable = table;
  }
  return f16DecodeTable;
}

/** Exact widening of one f16 bit pattern to the f32 bit pattern of the same value. */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) {
    // Inf stays inf; NaN keeps its payload (shifted into the top mantissa bits), so quiet NaNs stay quiet.
    return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  }
  if (exponent !== 0) {
    // Normal: rebias the exponent from 15 to 127.
    return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  }
  if (mantissa === 0) return sign >>> 0; // ±0
  // Subnormal f16 = mantissa * 2^-24; every one of them is a normal f32. Normalise the mantissa so
  // its leading 1 becomes the implicit bit, lowering the exponent once per shift.
  let m = mantissa;
  let e = 113; // biased f32 exponent of 2^-14, the f16 subnormal scale
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

/** f32 bit pattern -> nearest f16 bit pattern (ties to even; overflow to inf; NaN stays NaN). */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) {
    // Inf, or NaN: keep the top payload bits and force the quiet bit, so a NaN never turns into inf.
    return abs === 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((abs >>> 13) & 0x3ff);
  }
  // 65520 (0x477ff000) is halfway between 65504 (the largest f16, odd mantissa) and 65536; the tie
  // goes to the even neighbour, which is 2^16 = inf.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) {
    // Normal result. Adding 0xfff plus the lowest kept bit rounds to nearest-even in the 13 bits that
    // get dropped; a carry out of the mantissa correctly bumps the exponent.
    const rounded = abs + 0xfff + ((abs >>> 13) & 1);
    return sign | ((rounded - 0x38000000) >>> 13);
  }
  // At most 2^-25 (half the smallest subnormal, itself a tie that goes to the even 0): ±0.
  if (abs <= 0x33000000) return sign;
  // Subnormal result: the f16 mantissa is value * 2^24 rounded, i.e. the 24-bit f32 significand
  // shifted right by (126 - exponent), 14..24 places, with nearest-even on the dropped bits. A
  // result of 0x400 is the smallest normal, which is also the right encoding.
  const exponent = abs >>> 23;
  const significand = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - exponent;
  const kept = significand >>> shift;
  const dropped = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  const roundUp = dropped > half || (dropped === half && (kept & 1) === 1);
  return sign | (kept + (roundUp ? 1 : 0));
}

/** f32 bit pattern -> nearest bf16 bit pattern (ties to even; NaN stays NaN). */
function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) {
    // NaN: truncating could clear every payload bit left (turning it into inf), so set the quiet bit.
    return ((x >>> 16) | 0x0040) & 0xffff;
  }
  // Rounding carries propagate into the exponent, so the largest finite values round to inf, as they should.
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function checkOut<T extends { length: number }>(out: T, length: number, fn: string): T {
  if (out.length !== length) {
    // A programming error in the caller, but still reported through the one error type of rr.
    throw new RRError(
      'DTYPE_CONVERSION_LENGTH',
      `${fn}: output array has ${out.length} elements but the input has ${length}; pass an output of the same length or omit it.`,
      { outLength: out.length, inLength: length },
    );
  }
  return out;
}

/** Decode raw f16 bits to f32 values. Writes into `out` when given (same length), else a new array. */
export function f16ToF32(bits: Uint16Array, out?: Float32Array): Float32Array {
  const n = bits.length;
  const result = out ? checkOut(out, n, 'f16ToF32') : new Float32Array(n);
  const dst = new Uint32Array(result.buffer, result.byteOffset, n);
  const table = decodeTable();
  for (let i = 0; i < n; i++) dst[i] = table[bits[i]];
  return result;
}

/** Encode f32 values to raw f16 bits, rounding to nearest-even. */
export function f32ToF16(values: Float32Array, out?: Uint16Array): Uint16Array {
  const n = values.length;
  const result = out ? checkOut(out, n, 'f32ToF16') : new Uint16Array(n);
  const src = new Uint32Array(values.buffer, values.byteOffset, n);
  for (let i = 0; i < n; i++) result[i] = f32BitsToF16Bits(src[i]);
  return result;
}

/** Decode raw bf16 bits to f32 values (exact: bf16 is a truncated f32). */
export function bf16ToF32(bits: Uint16Array, out?: Float32Array): Float32Array {
  const n = bits.length;
  const result = out ? checkOut(out, n, 'bf16ToF32') : new Float32Array(n);
  const dst = new Uint32Array(result.buffer, result.byteOffset, n);
  for (let i = 0; i < n; i++) dst[i] = bits[i] << 16;
  return result;
}

/** Encode f32 values to raw bf16 bits, rounding to nearest-even. */
export function f32ToBf16(values: Float32Array, out?: Uint16Array): Uint16Array {
  const n = values.length;
  const result = out ? checkOut(out, n, 'f32ToBf16') : new Uint16Array(n);
  const src = new Uint32Array(values.buffer, values.byteOffset, n);
  for (let i = 0; i < n; i++) result[i] = f32BitsToBf16Bits(src[i]);
  return result;
}

// Scalar forms, for tests, debugging and one-off values. A JS number is rounded to f32 first
// (through a Float32Array), so these agree with the array forms element for element.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

export function f16BitsToNumber(bits: number): number {
  scratchU32[0] = f16BitsToF32Bits(bits & 0xffff);
  return scratchF32[0];
}

export function numberToF16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToF16Bits(scratchU32[0]);
}

export function bf16BitsToNumber(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

export function numberToBf16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToBf16Bits(scratchU32[0]);
}
