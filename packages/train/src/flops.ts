import { RRError } from '@rr/tensor';

/**
 * Parameter counts of the three parts of a (retrofitted) model, the N's of docs/method.md's FLOPs
 * accounting. Embeddings, LM head, final norm and adapter are excluded (docs/method.md: their cost is
 * the same for every model compared, and the paper leaves them out). A static model is all prelude.
 */
export interface PartParams {
  readonly prelude: number;
  readonly block: number;
  readonly coda: number;
}

/** What `partParams` reads from a model: its structure and its named tensors. */
export interface FlopsCountable {
  readonly structure: { readonly prelude: readonly number[]; readonly block: readonly number[]; readonly coda: readonly number[] };
  readonly params: ReadonlyMap<string, { readonly size: number }>;
}

/** Sums the parameters of each part from the tensors named `model.layers.<i>.*`. */
export function partParams(model: FlopsCountable): PartParams {
  const perLayer = new Map<number, number>();
  for (const [name, t] of model.params) {
    const match = /^model\.layers\.(\d+)\./.exec(name);
    if (match) perLayer.set(Number(match[1]), (perLayer.get(Number(match[1])) ?? 0) + t.size);
  }
  const sum = (layers: readonly number[]): number =>
    layers.reduce((s, i) => {
      const n = perLayer.get(i);
      if (n === undefined)
        throw new RRError(
          'MISSING_TENSOR',
          `partParams: layer ${i} of the structure has no tensors named model.layers.${i}.*; the structure does not match the weights.`,
        );
      return s + n;
    }, 0);
  const { prelude, block, coda } = model.structure;
  return { prelude: sum(prelude), block: sum(block), coda: sum(coda) };
}

/**
 * Training FLOPs of one micro-batch of `tokens` tokens run with n steps without gradient and k
 * steps with gradient (docs/method.md): `2 * D * (3 * N1 + N2)`, N1 = prelude + k * block + coda (forward
 * and backward: 6 per parameter per token), N2 = n * block (forward only: 2). A static model (an
 * empty block) gives `6 * N * D`.
 */
export function trainingFlops(parts: PartParams, tokens: number, noGradSteps: number, gradSteps: number): number {
  for (const [name, v] of [
    ['tokens', tokens],
    ['noGradSteps', noGradSteps],
    ['gradSteps', gradSteps],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RRError('BAD_ARGUMENT', `trainingFlops: ${name} = ${v} must be a non-negative integer.`);
  }
  const n1 = parts.prelude + gradSteps * parts.block + parts.coda;
  const n2 = noGradSteps * parts.block;
  return 2 * tokens * (3 * n1 + n2);
}

/**
 * Steps a static model (constant FLOPs per step) needs to spend `budget` FLOPs: the smallest count
 * whose FLOPs reach the budget, so a static baseline gets at least the compute of the run it is
 * matched with and at most one step more.
 */
export function stepsForBudget(budget: number, flopsPerStep: number): number {
  if (!(budget > 0) || !Number.isFinite(budget)) throw new RRError('BAD_ARGUMENT', `stepsForBudget: budget = ${budget} must be a positive number of FLOPs.`);
  if (!(flopsPerStep > 0))
    throw new RRError('BAD_ARGUMENT', `stepsForBudget: flopsPerStep = ${flopsPerStep} must be positive (a model with no layers costs nothing to train).`);
  return Math.max(1, Math.ceil(budget / flopsPerStep - 1e-9));
}

/** `1.23e15`-style, for progress lines and tables. */
export function formatFlops(flops: number): string {
  return flops.toExponential(3);
}
