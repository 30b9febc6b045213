import { RRError, type Tensor, isFloat } from '@rr/tensor';
import type { Param } from './optimizer.js';

/** Boundary checks of the optimizers' public methods; failures name the value and the fix. */

export function checkStepArguments(where: string, params: readonly Param[], grads: readonly Tensor[], lrScale: number): void {
  if (params.length !== grads.length) {
    throw new RRError(
      'BAD_ARGUMENT',
      `${where}: ${params.length} parameters but ${grads.length} gradients; pass one gradient per parameter, in the same order.`,
    );
  }
  if (!(Number.isFinite(lrScale) && lrScale >= 0)) {
    throw new RRError('BAD_ARGUMENT', `${where}: lrScale = ${lrScale} must be a finite number >= 0.`, { argument: 'lrScale', value: lrScale });
  }
  const names = new Set<string>();
  params.forEach((param, i) => {
    const { name, tensor } = param;
    if (typeof name !== 'string' || name === '')
      throw new RRError('BAD_ARGUMENT', `${where}: params[${i}] has no name; optimizer state is keyed by parameter names.`);
    if (names.has(name))
      throw new RRError('BAD_ARGUMENT', `${where}: parameter name '${name}' appears twice; names key the optimizer state and must be unique.`);
    names.add(name);
    tensor.assertLive(`${where} (parameter '${name}')`);
    const grad = grads[i]!;
    grad.assertLive(`${where} (gradient of '${name}')`);
    if (!isFloat(tensor.dtype)) throw new RRError('DTYPE_MISMATCH', `${where}: parameter '${name}' is ${tensor.dtype}; only float tensors can be optimized.`);
    const sameShape = grad.rank === tensor.rank && grad.shape.every((d, j) => d === tensor.shape[j]);
    if (!sameShape || grad.dtype !== tensor.dtype || grad.backend !== tensor.backend) {
      throw new RRError(
        'SHAPE_MISMATCH',
        `${where}: the gradient of '${name}' is ${grad} but the parameter is ${tensor}; they must match in shape, dtype and backend.`,
      );
    }
  });
}

export function checkHyperparameter(where: string, name: string, value: number, min: number, max: number, maxInclusive = true): number {
  const ok = Number.isFinite(value) && value >= min && (maxInclusive ? value <= max : value < max);
  if (!ok) {
    throw new RRError('BAD_ARGUMENT', `${where}: ${name} = ${value} must be a number in [${min}, ${max}${maxInclusive ? ']' : ')'}.`, {
      argument: name,
      value,
    });
  }
  return value;
}
