import { badArgument, expectInteger } from './errors.js';

/**
 * Random numbers that are a pure function of (seed, step, draw index): the n-th draw made for a
 * training step never depends on anything drawn before that step, so a resumed run samples the
 * same recurrences as an uninterrupted one with no state to checkpoint or replay.
 *
 * How. Each 32-bit word is MurmurHash3 (x86, 32-bit) of the five words
 * (seed mod 2^32, seed div 2^32, step mod 2^32, step div 2^32, draw index), with the hash seed
 * telling apart the two words of one uniform. MurmurHash3 passes SMHasher's avalanche tests, so
 * inputs that differ in one bit give unrelated outputs; that is all a sampler drawing a handful
 * of numbers per step needs. It is not a cryptographic or a general-purpose stream generator
 * (@rr/tensor's Philox `Rng` is the latter; this package depends on nothing, so it has its own).
 * Everything is 32-bit integer arithmetic (Math.imul), exact on every engine.
 *
 * Draws (each call takes the next draw index):
 * - uniform: 53 random bits, in [0, 1), one index.
 * - normal: Box-Muller from two uniforms (the cosine branch only; the sine partner is dropped so
 *   that a draw's position never depends on an earlier call's parity).
 * - poisson(lambda): inversion, one uniform per piece of at most POISSON_PIECE of lambda.
 * normal and logNormal also call Math.log, Math.sqrt, Math.cos and Math.exp: V8 computes these
 * with the same code on every platform, so Node gives the same bits on x64 and arm64.
 */
export class StepRandom {
  readonly #words: Uint32Array;
  #draw = 0;

  /** `seed`: any safe integer. `step`: a safe integer >= 0 (the optimizer step). */
  constructor(seed: number, step: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw badArgument('StepRandom', 'seed', seed, 'a safe integer');
    expectInteger('StepRandom', 'step', step, 0);
    // ToUint32 (>>> 0) reduces modulo 2^32, so this is the exact two's-complement split of a
    // safe integer, negative seeds included.
    this.#words = new Uint32Array([seed >>> 0, Math.floor(seed / TWO_32) >>> 0, step >>> 0, Math.floor(step / TWO_32) >>> 0, 0]);
  }

  /** How many draws have been made (the index of the next one). */
  get drawsMade(): number {
    return this.#draw;
  }

  /** Uniform on the grid k * 2^-53 in [0, 1). */
  uniform(): number {
    this.#words[4] = this.#draw++;
    const high = murmur3(this.#words, 0x3c6ef372) >>> 5; // 27 bits
    const low = murmur3(this.#words, 0xa54ff53a) >>> 6; // 26 bits
    return (high * 67108864 + low) * TWO_M53;
  }

  /** Standard normal by Box-Muller (two uniforms). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    // 1 - u1 lies in (0, 1]: the logarithm is finite.
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** exp(Normal(mu, sigma)): median exp(mu), mean exp(mu + sigma^2 / 2). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /**
   * Poisson(lambda), exact for any finite lambda >= 0.
   *
   * Inversion walks the cumulative distribution from 0, which is simple and exact but needs
   * exp(-lambda) to be representable and its work grows with lambda. A sum of independent
   * Poisson variables is Poisson with the summed rate, so a large lambda is split into pieces of
   * at most POISSON_PIECE, each inverted with its own uniform: exact for every lambda, O(lambda)
   * work: a few dozen multiplications at the rates the recurrence sampler meets (up to ~100),
   * milliseconds at a million.
   */
  poisson(lambda: number): number {
    if (typeof lambda !== 'number' || !(lambda >= 0 && lambda < Infinity)) {
      throw badArgument('StepRandom.poisson', 'lambda', lambda, 'a finite number >= 0');
    }
    const pieces = Math.ceil(lambda / POISSON_PIECE);
    let total = 0;
    for (let i = 0; i < pieces; i++) total += this.#poissonByInversion(lambda / pieces);
    return total;
  }

  #poissonByInversion(lambda: number): number {
    const u = this.uniform();
    let k = 0;
    let p = Math.exp(-lambda);
    let cumulative = p;
    // Rounding can leave the summed probabilities a few ulps short of a u just below 1; the cap
    // (beyond which the true tail mass is < 1e-30 for lambda <= POISSON_PIECE) ends the walk.
    const cap = Math.ceil(lambda + 12 * Math.sqrt(lambda) + 24);
    while (u >= cumulative && k < cap) {
      k++;
      p *= lambda / k;
      cumulative += p;
    }
    return k;
  }
}

/** Largest Poisson rate inverted in one piece: exp(-30) ~ 1e-13 keeps the walk accurate. */
export const POISSON_PIECE = 30;

const TWO_32 = 4294967296;
const TWO_M53 = 1 / 9007199254740992;

/** MurmurHash3 x86_32 of a sequence of 32-bit words (Austin Appleby's public-domain algorithm). */
function murmur3(words: Uint32Array, seed: number): number {
  let h = seed;
  for (let i = 0; i < words.length; i++) {
    let k = Math.imul(words[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= words.length * 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
