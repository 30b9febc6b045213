import { readFileSync } from 'node:fs';
import { type Backend, RRError, type Tensor, keep } from '@rr/tensor';
import type { ModelConfig } from '../config.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from '../names.js';
import { RecurrentLM } from '../recurrent-lm.js';
import { Llama2cTokenizer } from '../tokenizer/llama2c.js';
import type { LoadedModel, LoadOptions } from './hf.js';

/** The header: seven int32. */
const HEADER_BYTES = 7 * 4;

/**
 * A llama2.c checkpoint (`run.c` format): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size — negative when the classifier is not shared — seq_len), then float32 weights
 * grouped by kind across layers. llama2.c rotates interleaved pairs; rr (like Hugging Face) rotates
 * halves, so q and k rows are permuted per head on load, which gives the same attention scores.
 */
export function loadLlama2cModel(path: string, backend: Backend, options: LoadOptions & { tokenizerPath?: string } = {}): LoadedModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new RRError('FILE_NOT_FOUND', `${path}: cannot read the llama2.c checkpoint (${(e as Error).message}).`, {}, { cause: e });
  }
  if (bytes.length < HEADER_BYTES)
    throw new RRError('CHECKPOINT_TRUNCATED', `${path}: ${bytes.length} bytes is too short for a llama2.c header (${HEADER_BYTES} bytes).`);
  const header = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + HEADER_BYTES));
  const [dim, hidden, layers, heads, kvHeads, signedVocab, seqLen] = Array.from(header) as number[] as [number, number, number, number, number, number, number];
  const vocab = Math.abs(signedVocab);
  if ([dim, hidden, layers, heads, kvHeads, vocab, seqLen].some((v) => v <= 0) || dim % heads !== 0 || heads % kvHeads !== 0) {
    throw new RRError(
      'CHECKPOINT_INVALID',
      `${path}: header (dim ${dim}, hidden ${hidden}, layers ${layers}, heads ${heads}, kv heads ${kvHeads}, vocab ${vocab}, seq ${seqLen}) is not a valid llama2.c model.`,
    );
  }
  const config: ModelConfig = {
    architecture: 'llama',
    hiddenSize: dim,
    numLayers: layers,
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim: dim / heads,
    intermediateSize: hidden,
    vocabSize: vocab,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: signedVocab > 0,
    maxPositionEmbeddings: seqLen,
    bosTokenId: 1,
    eosTokenId: 2,
  };
  const headDim = dim / heads;
  const kvDim = kvHeads * headDim;
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + HEADER_BYTES, bytes.byteOffset + bytes.length - ((bytes.length - HEADER_BYTES) % 4)));
  let offset = 0;
  const take = (count: number, what: string): Float32Array => {
    if (offset + count > floats.length) {
      throw new RRError(
        'CHECKPOINT_TRUNCATED',
        `${path}: the file ends inside ${what} (needs ${(offset + count) * 4 + HEADER_BYTES} bytes, has ${bytes.length}).`,
      );
    }
    const out = floats.subarray(offset, offset + count);
    offset += count;
    return out;
  };
  const params = new Map<string, Tensor>();
  const put = (name: string, data: Float32Array, shape: number[]): void => {
    params.set(name, keep(backend.upload(data, shape, options.dtype ?? 'f32')));
  };
  const perLayer = (count: number, what: string): Float32Array[] => {
    const all = take(count * layers, what);
    return Array.from({ length: layers }, (_, l) => all.subarray(l * count, (l + 1) * count));
  };
  const embed = take(vocab * dim, 'token_embedding_table');
  put(EMBED, embed, [vocab, dim]);
  const rmsAtt = perLayer(dim, 'rms_att_weight');
  const wq = perLayer(dim * dim, 'wq');
  const wk = perLayer(dim * kvDim, 'wk');
  const wv = perLayer(dim * kvDim, 'wv');
  const wo = perLayer(dim * dim, 'wo');
  const rmsFfn = perLayer(dim, 'rms_ffn_weight');
  const w1 = perLayer(hidden * dim, 'w1');
  const w2 = perLayer(dim * hidden, 'w2');
  const w3 = perLayer(hidden * dim, 'w3');
  const rmsFinal = take(dim, 'rms_final_weight');
  take(seqLen * (headDim / 2) * 2, 'freq_cis (unused)');
  for (let l = 0; l < layers; l++) {
    const n = layerNames(l, 'llama');
    put(n.attnNorm, rmsAtt[l]!, [dim]);
    put(n.q, interleavedToHalves(wq[l]!, heads, headDim, dim), [dim, dim]);
    put(n.k, interleavedToHalves(wk[l]!, kvHeads, headDim, dim), [kvDim, dim]);
    put(n.v, wv[l]!, [kvDim, dim]);
    put(n.o, wo[l]!, [dim, dim]);
    put(n.mlpNorm, rmsFfn[l]!, [dim]);
    put(n.gate, w1[l]!, [hidden, dim]);
    put(n.down, w2[l]!, [dim, hidden]);
    put(n.up, w3[l]!, [hidden, dim]);
  }
  put(FINAL_NORM, rmsFinal, [dim]);
  if (signedVocab < 0) put(LM_HEAD, take(vocab * dim, 'wcls'), [vocab, dim]);
  const tokenizer = options.tokenizerPath ? Llama2cTokenizer.fromFile(options.tokenizerPath, vocab) : undefined;
  const tokenizerFiles = options.tokenizerPath ? [{ from: options.tokenizerPath, as: 'tokenizer.bin' }] : [];
  return { model: new RecurrentLM(config, params, undefined, { seed: options.seed }), tokenizer, rawConfig: {}, source: path, tokenizerFiles };
}

/** Reorders each head's rows from interleaved pairs (0,1),(2,3).. to halves (0..d/2-1 | d/2..d-1). */
function interleavedToHalves(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let p = 0; p < headDim; p++) {
      const src = p < half ? 2 * p : 2 * (p - half) + 1;
      out.set(w.subarray((h * headDim + src) * cols, (h * headDim + src + 1) * cols), (h * headDim + p) * cols);
    }
  }
  return out;
}
