import { type ModelConfig, expectedTensors } from '@rr/model';
import { type Plan, droppedLayers } from './plan.js';

export interface SurgeryReport {
  baseLayers: number;
  plan: { prelude: number[]; block: number[]; coda: number[] };
  dropped: number[];
  parameters: { embedding: number; prelude: number; adapter: number; block: number; coda: number; normAndHead: number; total: number; base: number };
  /** Per test-time recurrence r: effective depth P + R*r + C and forward FLOPs per token. */
  depth: { recurrence: number; layers: number; flopsPerToken: number }[];
}

/**
 * Parameter counts per part, and forward FLOPs per token as 2 x (weights touched per token):
 * prelude + r * (adapter + block) + coda + head. Attention's sequence-length-dependent score and
 * value products are left out (they depend on the context, not the model).
 */
export function surgeryReport(config: ModelConfig, plan: Plan, recurrences: readonly number[] = [1, 2, 4, 8, 16, 32]): SurgeryReport {
  const oneLayer = [...expectedTensors(config, { numLayers: 1, head: false }).entries()]
    .filter(([name]) => name.startsWith('model.layers.'))
    .reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
  const h = config.hiddenSize;
  const embedding = config.vocabSize * h;
  const head = config.vocabSize * h + h;
  const adapter = 2 * h * h;
  const prelude = plan.prelude.length * oneLayer;
  const block = plan.block.length * oneLayer;
  const coda = plan.coda.length * oneLayer;
  const baseHead = config.tieWordEmbeddings ? h : head;
  return {
    baseLayers: config.numLayers,
    plan,
    dropped: droppedLayers(plan, config.numLayers),
    parameters: {
      embedding,
      prelude,
      adapter,
      block,
      coda,
      normAndHead: head,
      total: embedding + prelude + adapter + block + coda + head,
      base: embedding + config.numLayers * oneLayer + baseHead,
    },
    depth: recurrences.map((r) => ({
      recurrence: r,
      layers: plan.prelude.length + plan.block.length * r + plan.coda.length,
      flopsPerToken: 2 * (prelude + r * (adapter + block) + coda + config.vocabSize * h),
    })),
  };
}
