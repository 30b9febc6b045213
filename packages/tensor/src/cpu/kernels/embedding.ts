import { RRError } from '../../errors.js';
import { type FloatArray, like } from './types.js';

function checkId(id: number, vocab: number, at: number): void {
  if (id < 0 || id >= vocab) {
    throw new RRError('TOKEN_OUT_OF_RANGE', `embedding: token id ${id} at position ${at} is outside the vocabulary [0, ${vocab}).`);
  }
}

export function embedding(ids: Int32Array, table: FloatArray, vocab: number, dim: number): FloatArray {
  const out = like(table, ids.length * dim);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    checkId(id, vocab, i);
    out.set(table.subarray(id * dim, id * dim + dim), i * dim);
  }
  return out;
}

/** Scatter-add: repeated ids accumulate. */
export function embeddingBackward(ids: Int32Array, dy: FloatArray, vocab: number, dim: number): FloatArray {
  const acc = new Float64Array(vocab * dim);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    checkId(id, vocab, i);
    for (let j = 0; j < dim; j++) acc[id * dim + j] += dy[i * dim + j]!;
  }
  const out = like(dy, vocab * dim);
  out.set(acc);
  return out;
}
