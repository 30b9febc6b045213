import { heapOf } from '../wasm/heap.js';
import { type FloatArray, like } from './types.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** silu(gate) * up; in WebAssembly SIMD when the operands live in its heap (Math.exp dominates otherwise). */
export function swiglu(gate: FloatArray, up: FloatArray): FloatArray {
  const out = like(gate, gate.length);
  const heap = heapOf(gate);
  if (heap?.holds(up, out)) {
    heap.swiglu(gate as Float32Array, up as Float32Array, out as Float32Array);
    return out;
  }
  for (let i = 0; i < gate.length; i++) out[i] = gate[i]! * sigmoid(gate[i]!) * up[i]!;
  return out;
}

/** d/dgate = dy * up * s * (1 + g * (1 - s));  d/dup = dy * silu(g). */
export function swigluBackward(gate: FloatArray, up: FloatArray, dy: FloatArray): { dGate: FloatArray; dUp: FloatArray } {
  const dGate = like(gate, gate.length);
  const dUp = like(gate, gate.length);
  const heap = heapOf(gate);
  if (heap?.holds(up, dy, dGate, dUp)) {
    heap.swigluBackward(gate as Float32Array, up as Float32Array, dy as Float32Array, dGate as Float32Array, dUp as Float32Array);
    return { dGate, dUp };
  }
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i]!;
    const s = sigmoid(g);
    dGate[i] = dy[i]! * up[i]! * s * (1 + g * (1 - s));
    dUp[i] = dy[i]! * g * s;
  }
  return { dGate, dUp };
}
