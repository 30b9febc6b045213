import { totalmem } from 'node:os';
import { type RecurrentLM, type RunShape, checkContext, checkMemory, checkRecurrence, estimateMemory } from '@rr/model';
import { RRError } from '@rr/tensor';

/**
 * The memory a run may use: the machine's RAM, or the container's limit when that is lower. The
 * webgpu backend gets the same figure: WebGPU does not report a device's memory, and on a machine
 * without a GPU (lavapipe) its buffers live in RAM.
 */
export function availableMemory(): number {
  const total = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

export interface InferenceLimits {
  model: RecurrentLM;
  modelPath: string;
  /** Positions one forward call or generation uses (prompt + new tokens). */
  positions: number;
  /** What asks for the positions, for the message ("--max-tokens 700 after a 1-token prompt"). */
  what: string;
  recurrences: readonly number[];
  /** KV cache positions (generation with the cache), else 0. */
  cachePositions: number;
  allowExtrapolation?: boolean;
}

/** The checks every inference command runs before any work: options that fit the model, context, memory, depth. */
export function checkInference(o: InferenceLimits): void {
  const r = Math.max(...o.recurrences);
  if (!o.model.isRecurrent && r !== 1) {
    throw new RRError(
      'BAD_FLAG',
      `--recurrence ${o.recurrences.join(',')}: ${o.modelPath} is a static model (no recurrent block), so every r gives the r = 1 result; drop the flag or use --recurrence 1.`,
    );
  }
  checkContext(o.model.config, o.positions, o.what, { allowExtrapolation: o.allowExtrapolation, flag: '--allow-extrapolation' });
  const shape: RunShape = { batch: 1, seq: o.positions, recurrence: r, cachePositions: o.cachePositions };
  checkMemory(
    estimateMemory(o.model, shape),
    availableMemory(),
    `recurrence ${r} over ${o.positions} positions${o.cachePositions ? ' with a KV cache (one slot per unrolled layer)' : ''}`,
    'Use a smaller --recurrence or fewer tokens.',
  );
  checkRecurrence(r, '--recurrence');
}
