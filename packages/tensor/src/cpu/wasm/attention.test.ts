import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../random/index.js';
import { relativeError } from '../../testing/relative-error.js';
import { type AttentionDims, attention, attentionBackward } from '../kernels/attention.js';
import { fusedAttention, fusedAttentionBackward, fusedAttentionFits } from './attention.js';
import { type WasmMatmulPool, createWasmMatmul, wasmMatmulAvailable } from './matmul.js';

/**
 * The fused kernels against the f64 row path on the same random inputs, on one thread and on
 * three (the work is split in chunks that the threads claim in any order). The conformance suite
 * checks them through the backend on its shapes; these add the shapes a training step never
 * makes: a KV cache with unfilled slots, decoding one query, MQA, and sequences too short or too
 * long for the chunking to divide evenly.
 */
function dims(batch: number, tq: number, s: number, kvLength: number, nHeads: number, nKvHeads: number, headDim: number): AttentionDims {
  return { batch, tq, s, kvLength, nHeads, nKvHeads, headDim, scale: 1 / Math.sqrt(headDim) };
}

const shapes: [string, AttentionDims][] = [
  ['GQA 4 / 2, T = S = 33', dims(3, 33, 33, 33, 4, 2, 8)],
  ['MQA 3 / 1, T = S = 17, head dim 12', dims(2, 17, 17, 17, 3, 1, 12)],
  ['KV cache: Tq 5, kvLength 21 of S 30, GQA 4 / 2', dims(2, 5, 30, 21, 4, 2, 8)],
  ['decode: Tq 1, kvLength 9 of S 12', dims(3, 1, 12, 9, 2, 1, 4)],
  ['training-sized: B 2, T 130, 8 / 4 heads of 32', dims(2, 130, 130, 130, 8, 4, 32)],
];

describe.runIf(wasmMatmulAvailable()).each([1, 3])('fused attention on %d thread(s)', (threads) => {
  let pool: WasmMatmulPool;
  beforeAll(async () => {
    pool = createWasmMatmul({ threads });
    await pool.ready();
  });
  afterAll(() => pool.destroy());

  const inHeap = (x: Float64Array): Float32Array => {
    const y = pool.heap.alloc(x.length)!;
    y.set(x);
    return y;
  };

  describe.each(shapes)('%s', (_, d) => {
    const random = (n: number, stream: string): Float64Array => Rng.fromSeed(7).stream(stream).fillNormal(new Float64Array(n));
    const q64 = random(d.batch * d.tq * d.nHeads * d.headDim, 'q');
    const k64 = random(d.batch * d.s * d.nKvHeads * d.headDim, 'k');
    const v64 = random(d.batch * d.s * d.nKvHeads * d.headDim, 'v');
    const dOut64 = random(q64.length, 'dOut');
    const ref = attention(q64, k64, v64, d);
    const refGrads = attentionBackward(q64, k64, v64, ref.out, ref.lse, dOut64, d);

    it('forward and backward match the f64 row path, and unfilled cache slots get no gradient', () => {
      const [q, k, v, dOut] = [q64, k64, v64, dOut64].map(inHeap) as [Float32Array, Float32Array, Float32Array, Float32Array];
      expect(fusedAttentionFits(pool, d, q, k, v, dOut)).toBe(true);
      const fwd = fusedAttention(pool, q, k, v, d);
      expect(relativeError(fwd.out, ref.out)).toBeLessThan(1e-5);
      expect(relativeError(fwd.lse, ref.lse)).toBeLessThan(1e-5);
      const g = fusedAttentionBackward(pool, q, k, v, fwd.out, fwd.lse, dOut, d);
      expect(relativeError(g.dq, refGrads.dq)).toBeLessThan(1e-5);
      expect(relativeError(g.dk, refGrads.dk)).toBeLessThan(1e-5);
      expect(relativeError(g.dv, refGrads.dv)).toBeLessThan(1e-5);
      const rowWidth = d.nKvHeads * d.headDim;
      for (let b = 0; b < d.batch; b++) {
        expect(g.dk.subarray((b * d.s + d.kvLength) * rowWidth, (b + 1) * d.s * rowWidth).every((x) => x === 0)).toBe(true);
        expect(g.dv.subarray((b * d.s + d.kvLength) * rowWidth, (b + 1) * d.s * rowWidth).every((x) => x === 0)).toBe(true);
      }
    });
  });

  it('declines what it cannot run: a head dimension not a multiple of 4, arrays outside the heap, rows longer than the workspace', () => {
    const d = dims(1, 4, 4, 4, 2, 1, 8);
    const x = pool.heap.alloc(64)!;
    expect(fusedAttentionFits(pool, d, x)).toBe(true);
    expect(fusedAttentionFits(pool, { ...d, headDim: 6 }, x)).toBe(false);
    expect(fusedAttentionFits(pool, d, x, new Float32Array(64))).toBe(false);
    expect(fusedAttentionFits(pool, { ...d, kvLength: pool.workspaceFloats / 8 + 1 }, x)).toBe(false);
  });
});
