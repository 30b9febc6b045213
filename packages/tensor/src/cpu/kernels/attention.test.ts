import { describe, expect, it } from 'vitest';
import { Rng } from '../../random/index.js';
import { relativeError } from '../../testing/relative-error.js';
import { type AttentionDims, type MatmulFn, attention, attentionBackward, attentionBackwardBlocked, attentionBlocked } from './attention.js';
import { matmulPlain } from './matmul.js';

/**
 * The blocked (matmul) path against the row path in f64 on the same inputs. The conformance
 * suite checks the blocked path through the backend on its shapes; these add the chunking
 * (forced with a tiny scratch, so that chunks split the (batch, kv head) pairs unevenly) and
 * a KV-cache shape with unfilled slots.
 */
const plainMatmul: MatmulFn = (a, b, out, s) => matmulPlain(a, b, out, s);

function dims(batch: number, tq: number, s: number, kvLength: number, nHeads: number, nKvHeads: number, headDim: number): AttentionDims {
  return { batch, tq, s, kvLength, nHeads, nKvHeads, headDim, scale: 1 / Math.sqrt(headDim) };
}

const shapes: [string, AttentionDims][] = [
  ['GQA 4 / 2, T = S = 33', dims(3, 33, 33, 33, 4, 2, 8)],
  ['MQA 3 / 1, T = S = 17', dims(2, 17, 17, 17, 3, 1, 6)],
  ['KV cache: Tq 5, kvLength 21 of S 30, GQA 4 / 2', dims(2, 5, 30, 21, 4, 2, 8)],
  ['decode: Tq 1, kvLength 9 of S 12', dims(3, 1, 12, 9, 2, 1, 4)],
];

function random(n: number, stream: string): Float64Array {
  return Rng.fromSeed(7).stream(stream).fillNormal(new Float64Array(n));
}

describe.each(shapes)('blocked attention, %s', (_, d) => {
  const q64 = random(d.batch * d.tq * d.nHeads * d.headDim, 'q');
  const k64 = random(d.batch * d.s * d.nKvHeads * d.headDim, 'k');
  const v64 = random(d.batch * d.s * d.nKvHeads * d.headDim, 'v');
  const dOut64 = random(q64.length, 'dOut');
  const [q, k, v, dOut] = [q64, k64, v64, dOut64].map((x) => Float32Array.from(x)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const ref = attention(q64, k64, v64, d);
  const refGrads = attentionBackward(q64, k64, v64, ref.out, ref.lse, dOut64, d);
  // whole problem in one chunk, one pair per chunk, and 3 pairs per chunk (uneven last chunk)
  const group = d.nHeads / d.nKvHeads;
  const perPair = group * d.tq * d.kvLength;

  it.each([Infinity, perPair * 2, perPair * 2 * 3])('forward and backward match the f64 row path (scratch %d floats)', (scratch) => {
    const fwd = attentionBlocked(q, k, v, d, plainMatmul, scratch);
    expect(relativeError(fwd.out, ref.out)).toBeLessThan(1e-5);
    expect(relativeError(fwd.lse, ref.lse)).toBeLessThan(1e-5);
    const g = attentionBackwardBlocked(q, k, v, fwd.out as Float32Array, fwd.lse as Float32Array, dOut, d, plainMatmul, scratch);
    expect(relativeError(g.dq, refGrads.dq)).toBeLessThan(1e-5);
    expect(relativeError(g.dk, refGrads.dk)).toBeLessThan(1e-5);
    expect(relativeError(g.dv, refGrads.dv)).toBeLessThan(1e-5);
  });

  it('leaves the gradients of unfilled cache slots at zero', () => {
    const fwd = attentionBlocked(q, k, v, d, plainMatmul);
    const g = attentionBackwardBlocked(q, k, v, fwd.out as Float32Array, fwd.lse as Float32Array, dOut, d, plainMatmul);
    const rowWidth = d.nKvHeads * d.headDim;
    for (let b = 0; b < d.batch; b++) {
      const unfilled = g.dk.subarray((b * d.s + d.kvLength) * rowWidth, (b + 1) * d.s * rowWidth);
      expect(unfilled.every((x) => x === 0)).toBe(true);
    }
  });
});
