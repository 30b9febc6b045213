import type { Tensor } from '../tensor.js';
import { record, willRecord } from '../autograd/tape.js';
import { RRError } from '../errors.js';
import { expectDType, expectFloat, expectRank, sameBackend } from './check.js';

/**
 * Mean cross-entropy over tokens, fused with the log-softmax over the vocabulary: logits [N, V]
 * (or [B, T, V]), labels [N] (or [B, T]) as i32. Labels equal to `ignoreIndex` (default -100, as
 * PyTorch) count neither in the loss nor in the mean. Returns a scalar [].
 */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  sameBackend('crossEntropy', logits, labels);
  expectFloat('crossEntropy', 'logits', logits);
  expectDType('crossEntropy', 'labels', labels, 'i32');
  expectRank('crossEntropy', 'logits', logits, 2, 3);
  const vocab = logits.shape[logits.rank - 1]!;
  const rows = logits.size / Math.max(vocab, 1);
  if (labels.size !== rows) {
    throw new RRError('SHAPE_MISMATCH', `crossEntropy: labels [${labels.shape.join(', ')}] must have one label per logits row (${rows}).`);
  }
  const { loss, lse } = logits.backend.crossEntropy(logits, labels, ignoreIndex);
  if (!willRecord([logits])) {
    lse.dispose();
    return loss;
  }
  return record('crossEntropy', loss, [logits, labels], (dLoss) => [logits.backend.crossEntropyBackward(logits, labels, lse, dLoss, ignoreIndex), undefined]);
}
