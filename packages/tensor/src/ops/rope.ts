import type { Llama3RopeScaling, RopeOptions } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { record } from '../autograd/tape.js';
import { RRError } from '../errors.js';
import { expectFloat, expectInteger, expectRank, sameBackend } from './check.js';

/**
 * Rotary position embedding in Hugging Face's rotate-half layout on x [B, T, nHeads * headDim]:
 * each head's first half pairs with its second half. The backward is the inverse rotation.
 */
export function rope(x: Tensor, options: RopeOptions): Tensor {
  sameBackend('rope', x);
  expectFloat('rope', 'x', x);
  expectRank('rope', 'x', x, 3);
  const { nHeads, headDim } = options;
  expectInteger('rope', 'headDim', headDim, 2);
  if (headDim % 2 !== 0 || x.shape[2] !== nHeads * headDim) {
    throw new RRError('SHAPE_MISMATCH', `rope: x [${x.shape.join(', ')}] must have last axis nHeads * headDim = ${nHeads} * ${headDim}, with headDim even.`);
  }
  expectInteger('rope', 'offset', options.offset ?? 0, 0);
  const y = x.backend.rope(x, options);
  return record('rope', y, [x], (g) => [g.backend.rope(g, { ...options, inverse: !options.inverse })]);
}

/**
 * inv_freq[i] = theta^(-2i / headDim), with Llama-3's scaling when given: long wavelengths divided
 * by `factor`, short ones kept, a smooth blend between (transformers' `_compute_llama3_parameters`).
 * Every backend computes its angles from this one function.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling?: Llama3RopeScaling): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  if (!scaling) return inv;
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: original } = scaling;
  const lowFreqWavelen = original / lowFreqFactor;
  const highFreqWavelen = original / highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i]!;
    if (wavelen > lowFreqWavelen) {
      inv[i] = inv[i]! / factor;
    } else if (wavelen >= highFreqWavelen) {
      const smooth = (original / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      inv[i] = (1 - smooth) * (inv[i]! / factor) + smooth * inv[i]!;
    }
  }
  return inv;
}
