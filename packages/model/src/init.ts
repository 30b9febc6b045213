import { type Backend, Rng, type Tensor, keep } from '@rr/tensor';
import type { ModelConfig } from './config.js';
import { expectedTensors } from './names.js';

/**
 * Fresh weights for a config (the "random initialisation" baseline, tests): matrices from
 * N(0, std^2) with Hugging Face's initializer_range 0.02 by default, norm weights 1. Each tensor
 * draws from its own named stream, so adding a layer does not change the others.
 */
export function initializeWeights(
  config: ModelConfig,
  backend: Backend,
  options: { seed?: number; std?: number; dtype?: 'f32' | 'f64'; adapter?: boolean } = {},
): Map<string, Tensor> {
  const rng = Rng.fromSeed(options.seed ?? 0);
  const std = options.std ?? 0.02;
  const params = new Map<string, Tensor>();
  const head = !config.tieWordEmbeddings;
  for (const [name, shape] of expectedTensors(config, { head, adapter: options.adapter })) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = shape.length === 1 ? new Float32Array(size).fill(1) : rng.stream('init', name).fillNormal(new Float32Array(size), 0, std);
    params.set(name, keep(backend.upload(values, shape, options.dtype ?? 'f32')));
  }
  return params;
}
