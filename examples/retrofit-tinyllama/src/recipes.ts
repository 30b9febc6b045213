import type { DataSource } from '@rr/train';

export interface PipelineInputs {
  /** Base model: a Hugging Face folder (TinyLlama-1.1B) or, at tiny scale, stories260K. */
  model: string;
  /** Phase 1 ("healing") data: general text, e.g. FineWeb-Edu parquet shards. */
  general: string[];
  /** Phase 2 math data: GSM8K train JSONL (question + answer). */
  math: string[];
  out: string;
  seed?: number;
}

/** Paper scale (TinyLlama (4,8,4) on one GPU) or a few steps of the same shapes for CI. */
export type Scale = 'paper' | 'tiny';

const GSM8K_TEMPLATE = 'Question: {question}\nAnswer: {answer}';

/**
 * The paper's two-phase recipe (docs/method.md section 2): surgery (4,8,4); phase 1 heals on general
 * text with a large mean recurrence; phase 2 trains on general + math with M = 4; both use the
 * Poisson-lognormal curriculum, Muon + AdamW and warmup-stable-decay, restarted per phase.
 * At paper scale: sequences of 1024 and ~1M tokens per optimizer step (8 x 128 accumulation).
 */
export function twoPhaseRecipe(inputs: PipelineInputs, scale: Scale): Record<string, unknown> {
  const tiny = scale === 'tiny';
  const general = (paths: string[]): DataSource[] => paths.map((path) => ({ path }));
  const math = inputs.math.map((path) => ({ path, template: GSM8K_TEMPLATE }));
  const shape = tiny ? { seq: 64, batch: 4, gradAccum: 1 } : { seq: 1024, batch: 8, gradAccum: 128 };
  return {
    name: `retrofit-tinyllama-${scale}`,
    seed: inputs.seed ?? 0,
    out: inputs.out,
    model: { path: inputs.model, plan: tiny ? '1,2,1' : '4,8,4', adapterInit: 'default' },
    phases: [
      {
        name: 'healing',
        steps: tiny ? 4 : 3000,
        ...shape,
        data: general(inputs.general),
        curriculum: { kind: '1-sqrt', maxMean: tiny ? 4 : 16, warmupFraction: 0.75 },
        lr: { warmup: 0.005, cooldown: 0.6 },
      },
      {
        name: 'math',
        steps: tiny ? 4 : 2000,
        ...shape,
        data: [...general(inputs.general), ...math],
        curriculum: { kind: 'linear', maxMean: 4, warmupFraction: 0.25 },
        lr: { warmup: 0.005, cooldown: 0.6 },
      },
    ],
    checkpoint: { every: tiny ? 2 : 100, keep: 3 },
  };
}
