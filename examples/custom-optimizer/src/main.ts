import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebGPUBackend } from '@rr/kernels-webgpu';
import { type Backend, RRError, createCpuBackend } from '@rr/tensor';
import { parseRecipe, runRecipe } from '@rr/train';
import { KernelLion } from './lion-kernel.js';

/**
 * Retrofits stories260K (1,2,1) and post-trains it with Lion instead of Muon + AdamW: the recipe
 * says what to train on, `optimizer` swaps the optimizer; curriculum, checkpoints and resume work
 * unchanged because Lion implements the Optimizer interface. Lion's update is a JavaScript kernel
 * (lion-kernel.ts), so the same code trains on the CPU and on WebGPU.
 */
export async function main(options: { steps?: number; out?: string; data?: string; backend?: 'cpu' | 'webgpu' } = {}): Promise<number[]> {
  // the repository's fixtures (stories260K, TinyStories), found from this file so any cwd works
  const data = options.data ?? process.env.RR_SHARED_DATA ?? fileURLToPath(new URL('../../../fixtures', import.meta.url));
  const recipe = parseRecipe(
    {
      out: options.out ?? 'runs/lion',
      model: { path: join(data, 'models/stories260K-hf'), plan: '1,2,1', adapterInit: 'embed' },
      phases: [
        {
          name: 'lion',
          steps: options.steps ?? 30,
          seq: 32,
          batch: 4,
          data: [{ path: join(data, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt') }],
          curriculum: { maxMean: 4 },
        },
      ],
      checkpoint: { every: 10, keep: 1 },
    },
    join(process.cwd(), 'recipe.json'),
  );
  const backend: Backend = options.backend === 'webgpu' ? await createWebGPUBackend() : createCpuBackend();
  const losses: number[] = [];
  try {
    await runRecipe(recipe, {
      backend,
      optimizer: () => new KernelLion(3e-4),
      onStep: (m, total) => {
        losses.push(m.loss);
        console.log(`step ${m.step}/${total}  loss ${m.loss.toFixed(4)}  r ${m.r.join(',')}`);
      },
    });
  } finally {
    backend.destroy();
  }
  return losses;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = process.argv[3] ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'webgpu')
    throw new RRError('BAD_ARGUMENT', `custom-optimizer: backend '${backend}' is not cpu or webgpu; usage: node dist/main.js [steps] [cpu|webgpu].`);
  await main({ steps: Number(process.argv[2] ?? 30), backend });
}
