import { RRError } from '../../errors.js';
import { type FloatArray, like } from './types.js';

function checkLabel(label: number, vocab: number, row: number): void {
  if (label < 0 || label >= vocab) {
    throw new RRError('LABEL_OUT_OF_RANGE', `crossEntropy: label ${label} at row ${row} is outside [0, ${vocab}) and is not the ignore index.`);
  }
}

/** Per row: lse = log sum exp(logits); loss = mean over kept rows of (lse - logit[label]). */
export function crossEntropy(logits: FloatArray, labels: Int32Array, vocab: number, ignoreIndex: number): { loss: number; lse: FloatArray } {
  const rows = labels.length;
  const lse = like(logits, rows);
  let total = 0;
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[off + j]!);
    let s = 0;
    for (let j = 0; j < vocab; j++) s += Math.exp(logits[off + j]! - max);
    const l = max + Math.log(s);
    lse[r] = l;
    const label = labels[r]!;
    if (label === ignoreIndex) continue;
    checkLabel(label, vocab, r);
    total += l - logits[off + label]!;
    kept++;
  }
  return { loss: kept === 0 ? 0 : total / kept, lse };
}

/** dlogits = dLoss / kept * (softmax - onehot(label)); ignored rows get zeros. */
export function crossEntropyBackward(logits: FloatArray, labels: Int32Array, lse: FloatArray, dLoss: number, vocab: number, ignoreIndex: number): FloatArray {
  const rows = labels.length;
  let kept = 0;
  for (let r = 0; r < rows; r++) if (labels[r] !== ignoreIndex) kept++;
  const out = like(logits, logits.length);
  if (kept === 0) return out;
  const scale = dLoss / kept;
  for (let r = 0; r < rows; r++) {
    const label = labels[r]!;
    if (label === ignoreIndex) continue;
    checkLabel(label, vocab, r);
    const off = r * vocab;
    const l = lse[r]!;
    for (let j = 0; j < vocab; j++) out[off + j] = scale * Math.exp(logits[off + j]! - l);
    out[off + label] = out[off + label]! - scale;
  }
  return out;
}
