import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@rr/tensor';
import { parseRecipe, runRecipe } from '@rr/train';
import { DoublingSchedule, UniformRecurrenceSampler } from './uniform-sampler.js';

/**
 * Post-trains a retrofitted stories260K with a user-written recurrence sampler and curriculum,
 * plugged into runRecipe's `sampler` and `curriculum` hooks (the default Muon + AdamW optimizer).
 */
export async function main(options: { steps?: number; out?: string; data?: string } = {}): Promise<{ r: number[]; mean: number }[]> {
  // the repository's fixtures (stories260K, TinyStories), found from this file so any cwd works
  const data = options.data ?? process.env.RR_SHARED_DATA ?? fileURLToPath(new URL('../../../fixtures', import.meta.url));
  const steps = options.steps ?? 40;
  const recipe = parseRecipe(
    {
      out: options.out ?? 'runs/uniform-sampler',
      model: { path: join(data, 'models/stories260K-hf'), plan: '1,2,1' },
      phases: [{ name: 'uniform', steps, seq: 32, batch: 4, data: [{ path: join(data, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt') }] }],
    },
    join(process.cwd(), 'recipe.json'),
  );
  const backend = createCpuBackend();
  const draws: { r: number[]; mean: number }[] = [];
  try {
    await runRecipe(recipe, {
      backend,
      sampler: (_phase, seed) => new UniformRecurrenceSampler(seed),
      curriculum: () => new DoublingSchedule(Math.max(1, Math.floor(steps / 4)), 8),
      onStep: (m, total) => {
        draws.push({ r: m.r, mean: m.mean_recurrence });
        console.log(`step ${m.step}/${total}  mean recurrence ${m.mean_recurrence}  r ${m.r.join(',')}  loss ${m.loss.toFixed(4)}`);
      },
    });
  } finally {
    backend.destroy();
  }
  return draws;
}

if (import.meta.url === `file://${process.argv[1]}`) await main({ steps: Number(process.argv[2] ?? 40) });
