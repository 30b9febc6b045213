import type { Command } from 'commander';
import { RRError } from '@rr/tensor';
import type { ModelConfig } from '@rr/model';
import { positiveInt } from '../flags.js';

/**
 * What the layer benchmarks (`rr bench block`, `rr bench train`) share: the Llama layer shape and
 * batch they take as flags, its checks, the model config it becomes, and the median of timed steps.
 */
export interface LayerShape {
  dim: number;
  heads: number;
  kv_heads: number;
  head_dim: number;
  ffn: number;
  seq: number;
  batch: number;
}

/** Flags as commander parses them (camelCase). */
export interface LayerShapeFlags {
  dim: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  seq: number;
  batch: number;
}

/** Registers --dim --heads --kv-heads --ffn --seq --batch with `defaults`. */
export function layerShapeOptions(command: Command, defaults: LayerShape): Command {
  return command
    .option('--dim <n>', 'hidden size', positiveInt, defaults.dim)
    .option('--heads <n>', 'attention heads (head dim = dim / heads)', positiveInt, defaults.heads)
    .option('--kv-heads <n>', 'key/value heads (GQA)', positiveInt, defaults.kv_heads)
    .option('--ffn <n>', 'MLP intermediate size', positiveInt, defaults.ffn)
    .option('--seq <n>', 'sequence length', positiveInt, defaults.seq)
    .option('--batch <n>', 'sequences per step', positiveInt, defaults.batch);
}

/** The shape the flags describe; head dim = dim / heads. */
export function layerShapeOf(o: LayerShapeFlags): LayerShape {
  return { dim: o.dim, heads: o.heads, kv_heads: o.kvHeads, head_dim: o.dim / o.heads, ffn: o.ffn, seq: o.seq, batch: o.batch };
}

/**
 * Checks a shape before any work; `command` names the benchmark in the message. Head dim must be a
 * whole, even number (RoPE rotates pairs) and the heads must group evenly over the KV heads.
 */
export function checkLayerShape(c: LayerShape, command: string): void {
  const bad = (message: string): never => {
    throw new RRError('BAD_FLAG', `${command}: ${message}`);
  };
  for (const key of ['dim', 'heads', 'kv_heads', 'ffn', 'seq', 'batch'] as const) {
    if (!Number.isInteger(c[key]) || c[key] <= 0) bad(`${key} = ${c[key]} must be a positive integer.`);
  }
  if (c.dim % c.heads !== 0) bad(`--dim ${c.dim} must be a multiple of --heads ${c.heads} (head dim = dim / heads).`);
  if (c.head_dim * c.heads !== c.dim) bad(`head_dim ${c.head_dim} x heads ${c.heads} must equal dim ${c.dim}.`);
  if (c.head_dim % 2 !== 0) bad(`head dim ${c.head_dim} (= dim / heads) must be even for RoPE; change --dim or --heads.`);
  if (c.heads % c.kv_heads !== 0) bad(`--heads ${c.heads} must be a multiple of --kv-heads ${c.kv_heads}.`);
}

/** A Llama config of this shape, untied head, context = seq. */
export function llamaConfigOf(c: LayerShape, model: { layers: number; vocab: number; ropeTheta?: number; rmsNormEps?: number }): ModelConfig {
  return {
    architecture: 'llama',
    hiddenSize: c.dim,
    numLayers: model.layers,
    numHeads: c.heads,
    numKvHeads: c.kv_heads,
    headDim: c.head_dim,
    intermediateSize: c.ffn,
    vocabSize: model.vocab,
    rmsNormEps: model.rmsNormEps ?? 1e-5,
    ropeTheta: model.ropeTheta ?? 10_000,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: c.seq,
    bosTokenId: 1,
    eosTokenId: 2,
  };
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
