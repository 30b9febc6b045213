import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { expectFloat, expectShape, sameBackend, sameDType } from './check.js';

/**
 * RMSNorm over the last axis: y = x / sqrt(mean(x^2) + eps) * w. One fused kernel each way; the
 * backward recomputes the row's rms instead of saving it (one cheap pass, one tensor less alive).
 */
export function rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  sameBackend('rmsnorm', x, weight);
  sameDType('rmsnorm', x, weight);
  expectFloat('rmsnorm', 'x', x);
  expectShape('rmsnorm', 'weight', weight, [x.shape[x.rank - 1] ?? 0]);
  const y = x.backend.rmsnorm(x, weight, eps);
  return record('rmsnorm', y, [x, weight], (dy) => {
    const { dx, dWeight } = x.backend.rmsnormBackward(x, weight, dy, eps);
    return [dx, dWeight];
  });
}
