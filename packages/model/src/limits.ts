import { RRError } from '@rr/tensor';
import type { ModelConfig } from './config.js';
import type { RecurrentLM } from './recurrent-lm.js';

/**
 * Limits checked at the boundary, before any work: a request that cannot fit is refused with the
 * numbers that decide it, instead of failing deep inside a kernel (or never finishing).
 */

/**
 * The deepest recurrence rr runs. Memory no longer grows with r without gradients, but time does:
 * 10^5 unrolled steps is hours of compute per token on any machine (the paper's runs use r <= 64),
 * so a larger value is a typo or a test of patience, and is refused.
 */
export const MAX_RECURRENCE = 100_000;

export function checkRecurrence(r: number, what: string): void {
  if (!Number.isSafeInteger(r) || r < 1) throw new RRError('BAD_ARGUMENT', `${what} = ${r}: the recurrence must be a positive integer.`);
  if (r > MAX_RECURRENCE) {
    throw new RRError(
      'RECURRENCE_TOO_LARGE',
      `${what} = ${r} is above rr's limit of ${MAX_RECURRENCE} unrolled steps (each step runs the whole recurrent block; the paper uses at most 64). Choose a smaller recurrence.`,
      { recurrence: r, limit: MAX_RECURRENCE },
    );
  }
}

/**
 * Positions a run uses against the model's context (`max_position_embeddings`): RoPE beyond the
 * trained length gives logits the model was never trained to produce. `allowExtrapolation` lets
 * the caller go beyond it on purpose.
 */
export function checkContext(
  config: ModelConfig,
  positions: number,
  what: string,
  options: { allowExtrapolation?: boolean; flag?: string; fix?: string } = {},
): void {
  if (positions <= config.maxPositionEmbeddings || options.allowExtrapolation) return;
  const fix = options.fix ?? `Use fewer tokens, or pass ${options.flag ?? 'allowExtrapolation'} to extrapolate beyond the trained length on purpose.`;
  throw new RRError(
    'CONTEXT_TOO_LONG',
    `${what} needs ${positions} positions, but the model's context (max_position_embeddings) is ${config.maxPositionEmbeddings}. ${fix}`,
    { positions, context: config.maxPositionEmbeddings },
  );
}

/** The shape of a run whose memory {@link estimateMemory} estimates. */
export interface RunShape {
  batch: number;
  /** Tokens per row in one forward call. */
  seq: number;
  /** Unrolled recurrence steps (1 for a static model). */
  recurrence: number;
  /** Steps whose activations are kept for the backward pass (0 without gradients). */
  recordedSteps?: number;
  /** Positions of a KV cache (generation), 0 for none. */
  cachePositions?: number;
  /** Logits of every position (training) or only the last (generation). */
  allLogits?: boolean;
  /** Optimizer state slots per parameter (training: 2 for Adam moments, plus the gradient). */
  optimizerSlots?: number;
}

export interface MemoryEstimate {
  bytes: number;
  parts: { weights: number; optimizer: number; kvCache: number; activations: number; logits: number };
}

/**
 * An upper-side estimate of the memory a run takes (f32 everywhere): weights, optimizer state, the
 * KV cache (one slot per unrolled layer, so it grows with r), the activations kept for backward
 * (per recorded layer) or live at once without gradients (about two layers), and the logits.
 * Deliberately rough: its job is to refuse runs that are orders of magnitude too big before they
 * start, not to plan allocations.
 */
export function estimateMemory(model: RecurrentLM, shape: RunShape): MemoryEstimate {
  const c = model.config;
  const f32 = 4;
  const { prelude, block, coda } = model.structure;
  const recurrence = model.isRecurrent ? shape.recurrence : 1;
  const unrolled = prelude.length + block.length * recurrence + coda.length;
  let paramCount = 0;
  for (const t of model.params.values()) paramCount += t.size;
  const tokens = shape.batch * shape.seq;
  const kvWidth = c.numKvHeads * c.headDim;
  const attentionPositions = Math.max(shape.seq, shape.cachePositions ?? 0);
  // a layer's saved tensors per token: norms, q/k/v, attention output, residuals, the MLP's three
  // intermediate-wide tensors, and the attention probabilities of every head
  const perLayerPerToken = (8 * c.hiddenSize + 2 * kvWidth + 3 * c.intermediateSize + c.numHeads * attentionPositions) * f32;
  const recordedLayers =
    shape.recordedSteps === undefined || shape.recordedSteps === 0
      ? 0
      : prelude.length + block.length * Math.min(shape.recordedSteps, recurrence) + coda.length;
  const parts = {
    weights: paramCount * f32,
    optimizer: paramCount * f32 * (shape.optimizerSlots ?? 0),
    kvCache: (shape.cachePositions ?? 0) * shape.batch * kvWidth * 2 * f32 * unrolled,
    activations: tokens * perLayerPerToken * Math.max(2, recordedLayers),
    logits: (shape.allLogits ? tokens : shape.batch) * c.vocabSize * f32 * (shape.recordedSteps ? 3 : 1),
  };
  return { bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/** Refuses a run whose estimate exceeds `availableBytes`, saying both and what dominates. */
export function checkMemory(estimate: MemoryEstimate, availableBytes: number, what: string, fix: string): void {
  if (estimate.bytes <= availableBytes) return;
  const [biggest] = Object.entries(estimate.parts).sort((a, b) => b[1] - a[1]);
  throw new RRError(
    'MEMORY_LIMIT',
    `${what} would need about ${formatBytes(estimate.bytes)} (mostly ${biggest![0]}: ${formatBytes(biggest![1])}), but ${formatBytes(availableBytes)} is available. ${fix}`,
    { needed: estimate.bytes, available: availableBytes, parts: estimate.parts },
  );
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}${i === units.length - 1 && v >= 1000 ? '+' : ''}`;
}
