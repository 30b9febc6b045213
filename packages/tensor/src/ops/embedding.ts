import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { expectDType, expectFloat, expectRank, sameBackend } from './check.js';

/** Row lookup: ids [...] (i32) in table [V, D] -> [..., D]. The backward scatter-adds into [V, D]. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  sameBackend('embedding', ids, table);
  expectDType('embedding', 'ids', ids, 'i32');
  expectFloat('embedding', 'table', table);
  expectRank('embedding', 'table', table, 2);
  const out = table.backend.embedding(ids, table);
  return record('embedding', out, [ids, table], (dy) => [undefined, dy.backend.embeddingBackward(ids, dy, table.shape[0]!)]);
}
