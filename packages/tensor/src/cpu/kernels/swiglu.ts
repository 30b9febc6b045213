import { type FloatArray, like } from './types.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function swiglu(gate: FloatArray, up: FloatArray): FloatArray {
  const out = like(gate, gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = gate[i]! * sigmoid(gate[i]!) * up[i]!;
  return out;
}

/** d/dgate = dy * up * s * (1 + g * (1 - s));  d/dup = dy * silu(g). */
export function swigluBackward(gate: FloatArray, up: FloatArray, dy: FloatArray): { dGate: FloatArray; dUp: FloatArray } {
  const dGate = like(gate, gate.length);
  const dUp = like(gate, gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i]!;
    const s = sigmoid(g);
    dGate[i] = dy[i]! * up[i]! * s * (1 + g * (1 - s));
    dUp[i] = dy[i]! * g * s;
  }
  return { dGate, dUp };
}
