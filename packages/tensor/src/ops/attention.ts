import type { AttentionOptions } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { record, willRecord } from '../autograd/tape.js';
import { RRError } from '../errors.js';
import { expectFloat, expectInteger, expectRank, sameBackend, sameDType } from './check.js';

/**
 * Causal grouped-query attention, one op: q [B, Tq, Hq * Dh], k and v [B, S, Hkv * Dh]; query head h
 * reads kv head floor(h / (Hq / Hkv)). Full-sequence training uses Tq = S; a KV-cache decode step
 * passes the cache (S = capacity) with `kvLength` = filled positions and Tq new queries at the end.
 * The forward keeps only the per-query log-sum-exp for the backward (flash-attention style).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor {
  validate(q, k, v, options);
  const { out, lse } = q.backend.attention(q, k, v, options);
  if (!willRecord([q, k, v])) {
    lse.dispose();
    return out;
  }
  return record('attention', out, [q, k, v], (dOut) => {
    const { dq, dk, dv } = q.backend.attentionBackward(q, k, v, out, lse, dOut, options);
    return [dq, dk, dv];
  });
}

function validate(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): void {
  sameBackend('attention', q, k, v);
  sameDType('attention', q, k, v);
  expectFloat('attention', 'q', q);
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const)
    expectRank('attention', name, t, 3);
  expectInteger('attention', 'nHeads', o.nHeads, 1);
  expectInteger('attention', 'nKvHeads', o.nKvHeads, 1, o.nHeads);
  expectInteger('attention', 'headDim', o.headDim, 1);
  const fail = (why: string): never => {
    throw new RRError(
      'SHAPE_MISMATCH',
      `attention: q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}] with ${o.nHeads} heads / ${o.nKvHeads} kv heads of ${o.headDim}: ${why}.`,
    );
  };
  if (o.nHeads % o.nKvHeads !== 0) fail('nHeads must be a multiple of nKvHeads');
  if (q.shape[2] !== o.nHeads * o.headDim) fail('q last axis must be nHeads * headDim');
  if (k.shape[2] !== o.nKvHeads * o.headDim || v.shape[2] !== k.shape[2]) fail('k and v last axis must be nKvHeads * headDim');
  if (k.shape[0] !== q.shape[0] || v.shape[0] !== q.shape[0] || v.shape[1] !== k.shape[1]) fail('batch or key lengths differ');
  const kvLength = o.kvLength ?? k.shape[1]!;
  expectInteger('attention', 'kvLength', kvLength, q.shape[1]!, k.shape[1]!);
}
