import type { Rng } from '../random/index.js';

/**
 * How conformance inputs are drawn. Every run draws fresh values (the seed is printed on failure),
 * and each distribution is chosen so that both the op and its finite-difference gradient are well
 * conditioned: never exact zeros (a zero input hides a missing multiply), positive where the op
 * needs it (sqrt, log, ...), and away from the kinks of abs and sign, where a central difference
 * straddling the kink would be meaningless.
 */

/** Draws one input's values; `earlier` holds the inputs drawn before it, for inputs defined relative to another. */
export type Draw = (rng: Rng, size: number, earlier: readonly Float64Array[]) => Float64Array;

export interface InputSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly draw: Draw;
  /** Integer data (token ids, labels): uploaded as i32 and never differentiated. */
  readonly integer?: boolean;
}

export const input = (name: string, shape: readonly number[], draw: Draw = normal()): InputSpec => ({ name, shape, draw });

export const integerInput = (name: string, shape: readonly number[], draw: Draw): InputSpec => ({ name, shape, draw, integer: true });

/** Normal(0, std). */
export const normal =
  (std = 1): Draw =>
  (rng, size) =>
    rng.fillNormal(new Float64Array(size), 0, std);

/** Uniform in [lo, hi), lo > 0: the domain of sqrt, rsqrt, log and reciprocal, kept away from the pole at 0. */
export const positive =
  (lo = 0.5, hi = 2): Draw =>
  (rng, size) =>
    rng.fillUniform(new Float64Array(size), lo, hi);

/** |x| uniform in [lo, hi) with a random sign: no values near the kink at 0 of abs and sign. */
export const awayFromZero =
  (lo = 0.25, hi = 2): Draw =>
  (rng, size) =>
    rng.fillUniform(new Float64Array(size), lo, hi).map((v) => (rng.uniform() < 0.5 ? -v : v));

/**
 * Differs from the earlier input `index` by at least `gap` at every element (the single element
 * of a broadcast operand counts for all): max and min then never compare near-ties.
 */
export const apartFrom =
  (index: number, gap = 0.1): Draw =>
  (rng, size, earlier) => {
    const other = earlier[index]!;
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const base = other[other.length === 1 ? 0 : i]!;
      out[i] = base + (rng.uniform() < 0.5 ? -1 : 1) * (gap + rng.uniform());
    }
    return out;
  };

/** Token ids in [0, vocab). With more ids than vocab entries some id repeats (pigeonhole), which the embedding backward must accumulate. */
export const ids =
  (vocab: number): Draw =>
  (rng, size) =>
    Float64Array.from({ length: size }, () => rng.integer(vocab));

/**
 * Class labels in [0, vocab) with about `ignoredFraction` of them set to `ignoreIndex` (which lies
 * outside [0, vocab)); at least one row is ignored and at least one counts (when there are two or
 * more rows), so both paths run.
 */
export const labels =
  (vocab: number, ignoreIndex: number, ignoredFraction = 0.3): Draw =>
  (rng, size) => {
    const out = Float64Array.from({ length: size }, () => (rng.uniform() < ignoredFraction ? ignoreIndex : rng.integer(vocab)));
    if (size >= 2) {
      const a = rng.integer(size);
      const b = (a + 1 + rng.integer(size - 1)) % size;
      out[a] = ignoreIndex;
      if (out[b] === ignoreIndex) out[b] = rng.integer(vocab);
    }
    return out;
  };

export function drawInputs(specs: readonly InputSpec[], rng: Rng): Float64Array[] {
  const drawn: Float64Array[] = [];
  for (const s of specs)
    drawn.push(
      s.draw(
        rng,
        s.shape.reduce((a, b) => a * b, 1),
        drawn,
      ),
    );
  return drawn;
}
