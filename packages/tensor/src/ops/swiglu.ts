import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { expectFloat, expectShape, sameBackend, sameDType } from './check.js';

/** The Llama MLP's gate: silu(gate) * up, fused; the backward yields both gradients in one pass. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  sameBackend('swiglu', gate, up);
  sameDType('swiglu', gate, up);
  expectFloat('swiglu', 'gate', gate);
  expectShape('swiglu', 'up', up, gate.shape);
  const y = gate.backend.swiglu(gate, up);
  return record('swiglu', y, [gate, up], (dy) => {
    const { dGate, dUp } = gate.backend.swigluBackward(gate, up, dy);
    return [dGate, dUp];
  });
}
