import { RRError, type Storage, type Tensor, isFloat, nograd as ng, scope } from '@rr/tensor';

/**
 * Global gradient-norm clipping: if the L2 norm of all gradients together exceeds `maxNorm`,
 * scales every gradient by maxNorm / (norm + 1e-6), in place. Returns the norm before clipping,
 * a device scalar (shape []) in the caller's scope, for metrics: read it when convenient.
 *
 * The norm, the factor min(1, maxNorm / (norm + 1e-6)) and the scaling all stay on the backend
 * (the factor is broadcast as a one-element tensor), so clipping needs no host round trip; the
 * multiplication by a factor of 1 when no clipping is needed is cheaper than a device read.
 * A NaN or infinite norm propagates into the gradients (the trainer's loss check stops the run).
 *
 * Gradients that share memory (autograd may hand back views of one buffer for tied inputs) are
 * scaled once per buffer, not once per view.
 */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): Tensor {
  if (grads.length === 0) throw new RRError('BAD_ARGUMENT', 'clipGradNorm: no gradients given.');
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new RRError('BAD_ARGUMENT', `clipGradNorm: maxNorm = ${maxNorm} must be a finite number > 0.`, { argument: 'maxNorm', value: maxNorm });
  }
  const first = grads[0]!;
  for (const g of grads) {
    g.assertLive('clipGradNorm');
    if (g.backend !== first.backend || g.dtype !== first.dtype || !isFloat(g.dtype)) {
      throw new RRError('BAD_ARGUMENT', `clipGradNorm: gradients must be float tensors of one dtype on one backend; got ${first} and ${g}.`);
    }
  }
  return scope(() => {
    let sumOfSquares: Tensor | undefined;
    for (const g of grads) {
      const part = scope(() => ng.sum(ng.square(g)));
      sumOfSquares = sumOfSquares ? ng.add(sumOfSquares, part) : part;
    }
    const norm = ng.sqrt(sumOfSquares!);
    const factor = ng.minimum(ng.div(ng.fullLike(norm, maxNorm), ng.affine(norm, 1, 1e-6)), ng.fullLike(norm, 1));
    const scaled = new Set<Storage>();
    for (const g of grads) {
      if (scaled.has(g.storage)) continue;
      scaled.add(g.storage);
      scope(() => ng.assign(g, ng.mul(g, factor)));
    }
    return norm;
  });
}
