import { RRError } from '../errors.js';
import { MAX_POISSON_LAMBDA, cosSin, isWideAroundZero, poisson, truncatedStandardNormal, turnCosSin } from './distributions.js';
import { TAG_NUMBER_HI, TAG_NUMBER_LO, TAG_SEED_HI, TAG_SEED_LO, absorbInteger, absorbString, philox4x32_10, philoxBlocks } from './philox.js';

/**
 * A seeded, counter-based random number generator.
 *
 * Model. `Rng.fromSeed(seed)` names a family of streams; `rng.stream(...parts)` names one stream
 * of it by a path such as ('sampler', step) or ('init:layers.3.q_proj'). A stream's output is
 * the sequence of Philox4x32-10 blocks
 *
 *   block i = philox(counter = [i mod 2^32, floor(i / 2^32), id0, id1], key = [key0, key1])
 *
 * where key = hash(seed) and id = hash(path) (see philox.ts), read as 32-bit words in order.
 * Every draw consumes a fixed or data-dependent number of those words from the stream's current
 * position, so a stream's values are a pure function of (seed, path, draws made on it so far).
 * `stream()` does not depend on the parent's position and does not advance it: a child is as
 * reproducible as its path. Resuming a training run at step 1234 means
 * `Rng.fromSeed(seed).stream('sampler', 1234)`, with no replay of earlier steps.
 *
 * Word consumption (what determines the position):
 * - nextUint32: 1 word. uniform: 2 words (53 bits). integer(n): 1 word per try for n <= 2^32,
 *   2 above; the rejection probability is below 1/2 per try.
 * - normal: 4 words (two uniforms, Box-Muller, no cached second value).
 * - fillUniform: 2 words per element, the same values as successive uniform() calls.
 * - fillNormal: 4 words per pair of elements, both Box-Muller outputs used; element 2i equals
 *   the i-th successive normal() call, element 2i+1 is its sine partner. An odd tail element
 *   consumes 4 words.
 * - logNormal: one normal(). poisson: nothing for lambda = 0, one uniform for lambda < 10.
 * - truncatedNormal, poisson (lambda >= 10): rejection samplers, a data-dependent number of
 *   words. fillTruncatedNormal: see there (bulk Box-Muller pairs for wide intervals).
 *
 * Portability. The integer stream (nextUint32, uniform, integer, shuffle, permutation,
 * categorical, fillUniform) is bit-exact on every platform and engine. The other samplers also
 * call Math.log (normal) and Math.exp (truncatedNormal, logNormal, poisson); the Box-Muller
 * angle uses our own polynomial sine/cosine. ECMAScript does not pin log/exp to the last bit,
 * but V8 uses the same fdlibm port on every architecture, so Node gives the same bits on x64 and
 * arm64; the golden tests in rng.test.ts pin these values too (to 14 digits).
 *
 * An instance has a mutable position: give each worker or independent consumer its own
 * `stream(...)` rather than sharing one, so that results do not depend on interleaving.
 */
export class Rng {
  // Philox key (derived from the seed) and stream id (derived from the path), as uint32 words.
  private readonly k0: number;
  private readonly k1: number;
  private readonly s0: number;
  private readonly s1: number;
  /** Index of the next block to generate. Exact up to 2^53 blocks, far beyond any real use. */
  private block = 0;
  /** The current block; `used` words of it are consumed (4 = empty). */
  private readonly buf = new Uint32Array(4);
  private used = 4;

  private constructor(k0: number, k1: number, s0: number, s1: number) {
    this.k0 = k0;
    this.k1 = k1;
    this.s0 = s0;
    this.s1 = s1;
  }

  /** The root stream of a seed. `seed` is any safe integer (negative ones included). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) {
      throw badArgument('Rng.fromSeed', 'seed', seed, 'a safe integer (|seed| <= 2^53 - 1)');
    }
    const h = new Uint32Array(2);
    absorbInteger(h, seed, TAG_SEED_LO, TAG_SEED_HI);
    return new Rng(h[0], h[1], 0, 0);
  }

  /**
   * An independent child stream named by `parts` (safe integers and strings), starting at its
   * beginning. A pure function of the seed and the full path: `rng.stream('a', 1)` equals
   * `rng.stream('a').stream(1)` and is the same in every process, whatever was drawn from `rng`.
   * Numbers and strings never alias (`stream(1)` differs from `stream('1')`); strings compare by
   * UTF-16 code units.
   */
  stream(...parts: (number | string)[]): Rng {
    if (parts.length === 0) {
      throw new RRError(
        'RNG_BAD_ARGUMENT',
        'Rng.stream: give at least one part (a string or safe integer), e.g. rng.stream("sampler", step); with none the child would alias its parent.',
      );
    }
    const h = new Uint32Array([this.s0, this.s1]);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (typeof part === 'string') {
        absorbString(h, part);
      } else if (typeof part === 'number' && Number.isSafeInteger(part)) {
        absorbInteger(h, part, TAG_NUMBER_LO, TAG_NUMBER_HI);
      } else {
        throw badArgument('Rng.stream', `parts[${i}]`, part, 'a string or a safe integer');
      }
    }
    return new Rng(this.k0, this.k1, h[0], h[1]);
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    if (this.used === 4) this.refill();
    return this.buf[this.used++];
  }

  /** Uniform in [0, 1) on the grid k * 2^-53: never exactly 1, 0 with probability 2^-53. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * TWO_M53;
  }

  /** Normal(mean, std) by Box-Muller; consumes 4 words and keeps no state beyond the position. */
  normal(mean = 0, std = 1): number {
    if (mean !== 0 || std !== 1) checkMeanStd('Rng.normal', mean, std, false);
    const u1 = this.uniform();
    turnCosSin(this.uniform());
    return mean + std * (Math.sqrt(-2 * Math.log(1 - u1)) * cosSin[0]);
  }

  /**
   * Normal(mean, std) conditioned on [lo, hi] (absolute bounds, as in PyTorch's trunc_normal_;
   * either may be infinite). For weight init at +-3 sigma: truncatedNormal(0, std, -3 * std, 3 * std).
   * Exact rejection sampling that stays efficient for any interval, also far in a tail.
   */
  truncatedNormal(mean: number, std: number, lo: number, hi: number): number {
    checkTruncated('Rng.truncatedNormal', mean, std, lo, hi);
    // The clamp only absorbs rounding (standardizing and mapping back can each move an ulp).
    return clamp(mean + std * truncatedStandardNormal(this, (lo - mean) / std, (hi - mean) / std), lo, hi);
  }

  /** exp(Normal(mu, sigma)): median exp(mu), mean exp(mu + sigma^2 / 2). */
  logNormal(mu: number, sigma: number): number {
    checkMeanStd('Rng.logNormal', mu, sigma, false, 'mu', 'sigma');
    return Math.exp(mu + sigma * this.normal());
  }

  /** Poisson(lambda) for 0 <= lambda <= 1e12 (lambda = 0 gives 0 and consumes nothing). */
  poisson(lambda: number): number {
    if (!(lambda >= 0 && lambda <= MAX_POISSON_LAMBDA)) {
      throw badArgument('Rng.poisson', 'lambda', lambda, `a number in [0, ${MAX_POISSON_LAMBDA}]`);
    }
    return poisson(this, lambda);
  }

  /** Uniform integer in [0, maxExclusive), unbiased (rejection), maxExclusive <= 2^53 - 1. */
  integer(maxExclusive: number): number {
    if (!(Number.isSafeInteger(maxExclusive) && maxExclusive >= 1)) {
      throw badArgument('Rng.integer', 'maxExclusive', maxExclusive, 'an integer in [1, 2^53 - 1]');
    }
    if (maxExclusive <= TWO_32) {
      // Accept only the largest multiple of maxExclusive below 2^32, so that `r % n` is uniform.
      const limit = TWO_32 - (TWO_32 % maxExclusive);
      for (;;) {
        const r = this.nextUint32();
        if (r < limit) return r % maxExclusive;
      }
    }
    const limit = TWO_53 - (TWO_53 % maxExclusive);
    for (;;) {
      const r = (this.nextUint32() >>> 11) * TWO_32 + this.nextUint32();
      if (r < limit) return r % maxExclusive;
    }
  }

  /**
   * An index i with probability weights[i] / sum(weights) (one uniform). Weights need not be
   * normalized; e.g. softmax(logits / temperature) for temperature sampling.
   */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0 && w < Infinity)) {
        throw badArgument('Rng.categorical', `weights[${i}]`, w, 'a finite number >= 0');
      }
      total += w;
    }
    if (!(total > 0 && total < Infinity)) {
      throw badArgument('Rng.categorical', 'sum(weights)', total, 'finite and > 0 (at least one positive weight)');
    }
    const target = this.uniform() * total;
    let acc = 0;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      acc += weights[i];
      if (target < acc) return i;
      last = i;
    }
    return last; // rounding left `acc` a hair below `total`: the last positive weight takes it
  }

  /** Fisher-Yates shuffle in place (one integer() per element); returns `array`. */
  shuffle<A extends MutableArrayLike>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    if (!(Number.isInteger(n) && n >= 0 && n <= 0x7fffffff)) {
      throw badArgument('Rng.permutation', 'n', n, 'an integer in [0, 2^31 - 1]');
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /**
   * Fills `out` with Uniform[lo, hi) values (the same draws as successive uniform() calls).
   * For a Float32Array, values that would round up to `hi` are written as the largest float32
   * below `hi`, so the interval stays half-open after rounding.
   */
  fillUniform<T extends Float32Array | Float64Array>(out: T, lo = 0, hi = 1): T {
    if (!(lo < hi && Number.isFinite(hi - lo))) {
      throw new RRError('RNG_BAD_ARGUMENT', `Rng.fillUniform: need finite lo < hi, got lo=${lo}, hi=${hi}.`, { argument: 'lo, hi', lo, hi });
    }
    const span = hi - lo;
    const isF32 = out instanceof Float32Array;
    const below = isF32 ? f32Below(hi) : hi;
    const words = wordScratch();
    const n = out.length;
    for (let start = 0; start < n; ) {
      const count = Math.min(n - start, SCRATCH_WORDS / 2);
      this.fillWords(words, 2 * count);
      for (let j = 0; j < count; j++) {
        const u = ((words[2 * j] >>> 5) * 67108864 + (words[2 * j + 1] >>> 6)) * TWO_M53;
        out[start + j] = lo + span * u;
      }
      if (isF32) {
        for (let j = 0; j < count; j++) if (out[start + j] >= hi) out[start + j] = below;
      }
      start += count;
    }
    return out;
  }

  /** Fills `out` with Normal(mean, std) values (Box-Muller, both outputs used; see class docs). */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    checkMeanStd('Rng.fillNormal', mean, std, false);
    const words = wordScratch();
    const n = out.length;
    for (let start = 0; start < n; ) {
      const pairs = Math.min((n - start + 1) >> 1, SCRATCH_PAIRS);
      this.fillWords(words, 4 * pairs);
      // normalPairs() inlined: writing straight to `out` saves ~10% on the hot init path. The
      // tests pin both to normal() and to each other.
      for (let p = 0; p < pairs; p++) {
        const w = 4 * p;
        const u1 = ((words[w] >>> 5) * 67108864 + (words[w + 1] >>> 6)) * TWO_M53;
        const u2 = ((words[w + 2] >>> 5) * 67108864 + (words[w + 3] >>> 6)) * TWO_M53;
        const r = Math.sqrt(-2 * Math.log(1 - u1));
        turnCosSin(u2);
        const i = start + 2 * p;
        // Same operation order as normal(), so even elements match it bit for bit.
        out[i] = mean + std * (r * cosSin[0]);
        if (i + 1 < n) out[i + 1] = mean + std * (r * cosSin[1]);
      }
      start += 2 * pairs;
    }
    return out;
  }

  /**
   * Fills `out` with Normal(mean, std) values conditioned on [lo, hi].
   *
   * When [lo, hi] contains the mean and is at least sqrt(2*pi) std wide (+-1.26 std or more, as
   * for +-2 or +-3 sigma weight init), the values are the in-bounds elements of the fillNormal
   * sequence, in order, and the call consumes the Box-Muller pairs up to the one that supplied
   * the last value: about as fast as fillNormal. Otherwise they are successive
   * truncatedNormal() draws. For a Float32Array the values are also kept inside [lo, hi] after
   * rounding to float32.
   */
  fillTruncatedNormal<T extends Float32Array | Float64Array>(out: T, mean: number, std: number, lo: number, hi: number): T {
    checkTruncated('Rng.fillTruncatedNormal', mean, std, lo, hi);
    let min = lo;
    let max = hi;
    if (out instanceof Float32Array && f32AtLeast(lo) <= f32AtMost(hi)) {
      // Clamp to the float32 values inside [lo, hi] so rounding cannot step outside. (If there
      // are none, the nearest float32 is all one can write.)
      min = f32AtLeast(lo);
      max = f32AtMost(hi);
    }
    const a = (lo - mean) / std;
    const b = (hi - mean) / std;
    const n = out.length;
    if (!isWideAroundZero(a, b)) {
      for (let i = 0; i < n; i++) out[i] = clamp(mean + std * truncatedStandardNormal(this, a, b), min, max);
      return out;
    }
    const z = normalScratch();
    for (let filled = 0; filled < n; ) {
      // Never more pairs than could be needed if all were accepted, so nothing past the pair
      // that completes `out` is drawn.
      const pairs = Math.min((n - filled + 1) >> 1, SCRATCH_PAIRS);
      this.normalPairs(z, pairs);
      for (let j = 0; j < 2 * pairs && filled < n; j++) {
        const v = z[j];
        if (v >= a && v <= b) out[filled++] = clamp(mean + std * v, min, max);
      }
    }
    return out;
  }

  /**
   * Writes 2 * pairs standard normals to dst, (cos, sin) Box-Muller pairs from 4 words each:
   * the same numbers normal() computes before scaling.
   */
  private normalPairs(dst: Float64Array, pairs: number): void {
    const words = wordScratch();
    this.fillWords(words, 4 * pairs);
    for (let p = 0; p < pairs; p++) {
      const w = 4 * p;
      const u1 = ((words[w] >>> 5) * 67108864 + (words[w + 1] >>> 6)) * TWO_M53;
      const u2 = ((words[w + 2] >>> 5) * 67108864 + (words[w + 3] >>> 6)) * TWO_M53;
      const r = Math.sqrt(-2 * Math.log(1 - u1));
      turnCosSin(u2);
      dst[2 * p] = r * cosSin[0];
      dst[2 * p + 1] = r * cosSin[1];
    }
  }

  /** Generates the next block into the buffer. */
  private refill(): void {
    const i = this.block++;
    philox4x32_10(i >>> 0, (i / TWO_32) | 0, this.s0, this.s1, this.k0, this.k1, this.buf, 0);
    this.used = 0;
  }

  /** Writes the next n words of the stream to dst[0..n), generating whole blocks in place. */
  private fillWords(dst: Uint32Array, n: number): void {
    let i = 0;
    while (i < n && this.used < 4) dst[i++] = this.buf[this.used++];
    const whole = (n - i) >> 2;
    if (whole > 0) {
      philoxBlocks(this.block, this.s0, this.s1, this.k0, this.k1, dst, i, whole);
      this.block += whole;
      i += 4 * whole;
    }
    if (i < n) {
      this.refill();
      while (i < n) dst[i++] = this.buf[this.used++];
    }
  }
}

/** Anything indexable and writable: plain arrays and typed arrays. */
export interface MutableArrayLike {
  length: number;
  [index: number]: unknown;
}

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const TWO_M53 = 1 / TWO_53;

// Shared scratch for the fill loops: JavaScript is single-threaded per realm and the loops do not
// re-enter, so one buffer per module instance (per worker) is enough.
const SCRATCH_WORDS = 4096;
const SCRATCH_PAIRS = SCRATCH_WORDS / 4;
let wordBuffer: Uint32Array | undefined;
let normalBuffer: Float64Array | undefined;
function wordScratch(): Uint32Array {
  return (wordBuffer ??= new Uint32Array(SCRATCH_WORDS));
}
function normalScratch(): Float64Array {
  return (normalBuffer ??= new Float64Array(2 * SCRATCH_PAIRS));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : Math.min(x, hi);
}

// float32 neighbours, via the bit pattern (positive floats order like their bits).
const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

function f32Step(x: number, up: boolean): number {
  f32[0] = x;
  if (x === 0) {
    f32Bits[0] = 1; // smallest subnormal
    return up ? f32[0] : -f32[0];
  }
  f32Bits[0] += x > 0 === up ? 1 : -1;
  return f32[0];
}

/** The largest float32 <= x (x finite or infinite). */
function f32AtMost(x: number): number {
  const r = Math.fround(x);
  return r <= x ? r : f32Step(r, false);
}

/** The smallest float32 >= x. */
function f32AtLeast(x: number): number {
  const r = Math.fround(x);
  return r >= x ? r : f32Step(r, true);
}

/** The largest float32 < x. */
function f32Below(x: number): number {
  const r = f32AtMost(x);
  return r < x ? r : f32Step(r, false);
}

function badArgument(where: string, name: string, value: unknown, expected: string): RRError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new RRError('RNG_BAD_ARGUMENT', `${where}: ${name} must be ${expected}, got ${shown}.`, {
    argument: name,
    value,
  });
}

function checkMeanStd(where: string, mean: number, std: number, positive: boolean, meanName = 'mean', stdName = 'std'): void {
  if (!Number.isFinite(mean)) throw badArgument(where, meanName, mean, 'a finite number');
  if (!(positive ? std > 0 : std >= 0) || std === Infinity) {
    throw badArgument(where, stdName, std, positive ? 'a finite number > 0' : 'a finite number >= 0');
  }
}

function checkTruncated(where: string, mean: number, std: number, lo: number, hi: number): void {
  checkMeanStd(where, mean, std, true);
  if (!(lo < hi)) {
    throw new RRError('RNG_BAD_ARGUMENT', `${where}: need lo < hi (absolute bounds, infinities allowed), got lo=${lo}, hi=${hi}.`, {
      argument: 'lo, hi',
      lo,
      hi,
    });
  }
  // A finite bound must stay finite in units of std, or the samplers have nothing to work with.
  for (const [name, bound] of [
    ['lo', lo],
    ['hi', hi],
  ] as const) {
    if (Number.isFinite(bound) && !Number.isFinite((bound - mean) / std)) {
      throw new RRError(
        'RNG_BAD_ARGUMENT',
        `${where}: (${name} - mean) / std overflows (${name}=${bound}, mean=${mean}, std=${std}); use a larger std or closer bounds.`,
        { argument: name, [name]: bound, mean, std },
      );
    }
  }
}
