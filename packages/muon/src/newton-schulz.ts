import { RRError, type Tensor, isFloat, nograd as ng, scope } from '@rr/tensor';
import { NEWTON_SCHULZ_COEFFICIENTS, NEWTON_SCHULZ_EPS } from './defaults.js';

export interface NewtonSchulzOptions {
  /** Iterations; default 5. */
  steps?: number;
  /** (a, b, c); default (3.4445, -4.7750, 2.0315). */
  coefficients?: readonly [number, number, number];
}

/**
 * Approximately orthogonalizes a matrix G (rows x cols): returns ~U V^T of its SVD U S V^T, the
 * nearest semi-orthogonal matrix, by the quintic Newton-Schulz iteration of Muon:
 *
 *   X = G / (||G||_F + 1e-7)                       (all singular values now <= 1)
 *   five times: A = X X^T;  B = b A + c A^2;  X = a X + B X
 *
 * The coefficients trade exactness for speed: singular values land in roughly [0.7, 1.2] rather
 * than converging to 1, which is all Muon needs, after only five iterations.
 *
 * Everything stays on the backend: five rounds of three matmuls and a few elementwise ops; the
 * norm is a device scalar that the division broadcasts, so nothing is read back to the host.
 * The Gram matrix is formed on the short side (the reference transposes a tall G first and
 * back at the end). For a tall X, A = X^T X and the update is X = a X + X B^T, which is that
 * transposed iteration exactly, written with matmul's transpose flags instead of two copies.
 * A and the polynomial M = aI + A(bI + cA) are symmetric, which matmul is told: on the CPU that
 * halves two of the three products (a quarter to a third of the iteration's multiply-adds).
 */
export function newtonSchulz5(g: Tensor, options: NewtonSchulzOptions = {}): Tensor {
  const steps = options.steps ?? 5;
  const [a, b, c] = options.coefficients ?? NEWTON_SCHULZ_COEFFICIENTS;
  g.assertLive('newtonSchulz5');
  if (g.rank !== 2 || !isFloat(g.dtype)) {
    throw new RRError('SHAPE_MISMATCH', `newtonSchulz5: needs a float matrix, got ${g}.`);
  }
  if (!(Number.isInteger(steps) && steps >= 0)) {
    throw new RRError('BAD_ARGUMENT', `newtonSchulz5: steps = ${steps} must be an integer >= 0.`, { argument: 'steps', value: steps });
  }
  const wide = g.shape[0]! <= g.shape[1]!;

  // X = aX + (bA + cA^2)X is written X = M X with M = aI + A(bI + cA): the polynomial stays on the
  // short side (m x m), and the long side (m x n) is only ever multiplied, never scaled or added to.
  const m = Math.min(g.shape[0]!, g.shape[1]!);
  const identity = (value: number): Tensor => {
    const host = new Float32Array(m * m);
    for (let i = 0; i < m; i++) host[i * m + i] = value;
    return g.backend.upload(host, [m, m], g.dtype);
  };

  const iterate = (x: Tensor, aI: Tensor, bI: Tensor): Tensor => {
    // A and its polynomials are symmetric: a backend may compute half of each (see MatmulOptions.symmetric)
    const gram = wide ? ng.matmul(x, x, { transB: true, symmetric: true }) : ng.matmul(x, x, { transA: true, symmetric: true });
    const poly = ng.add(ng.matmul(gram, ng.add(ng.scale(gram, c), bI), { symmetric: true }), aI);
    return wide ? ng.matmul(poly, x) : ng.matmul(x, poly);
  };

  return scope(() => {
    const norm = ng.sqrt(ng.sum(ng.square(g)));
    let x = ng.div(g, ng.affine(norm, 1, NEWTON_SCHULZ_EPS));
    const [aI, bI] = [identity(a), identity(b)];
    for (let i = 0; i < steps; i++) {
      // each round in its own scope, and the previous X freed: peak memory stays at one round's
      const next = scope(() => iterate(x, aI, bI));
      x.dispose();
      x = next;
    }
    return x;
  });
}
