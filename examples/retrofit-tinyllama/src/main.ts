import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBackend } from '@rr/cli';
import { evaluateGsm8k, loadGsm8k, modelGenerator } from '@rr/eval-gsm8k';
import { loadModel } from '@rr/model';
import { parseRecipe, runRecipe } from '@rr/train';
import { type Scale, twoPhaseRecipe } from './recipes.js';

export interface PipelineOptions {
  model: string;
  general: string[];
  math: string;
  test: string;
  out: string;
  scale: Scale;
  backend: string;
  recurrences: number[];
  limit?: number;
  maxNewTokens?: number;
}

/** Surgery + two-phase post-training (runRecipe), then the GSM8K test-time scaling sweep. */
export async function runPipeline(o: PipelineOptions): Promise<{ table: string; reportDir: string }> {
  const backend = await createBackend(o.backend);
  try {
    const recipe = parseRecipe(twoPhaseRecipe({ model: o.model, general: o.general, math: [o.math], out: join(o.out, 'train') }, o.scale), join(o.out, 'recipe.json'));
    const summary = await runRecipe(recipe, {
      backend,
      resume: true,
      onStep: (m, total) => console.log(`step ${m.step}/${total} [${m.phase}] loss ${m.loss.toFixed(4)} r ${m.r.join(',')}`),
    });
    const { model, tokenizer } = loadModel(summary.modelDir ?? join(o.out, 'train', 'model'), backend);
    const reportDir = join(o.out, 'gsm8k');
    const result = await evaluateGsm8k({
      generator: modelGenerator(model, tokenizer!),
      samples: await loadGsm8k(o.test),
      task: 'gsm8k-cot',
      shots: o.scale === 'tiny' ? 1 : 8,
      recurrences: o.recurrences,
      limit: o.limit,
      maxNewTokens: o.maxNewTokens ?? 256,
      outDir: reportDir,
      model: `${o.model} (retrofitted)`,
      onProgress: (p) => console.log(`gsm8k r=${p.recurrence}: ${p.done}/${p.total}`),
    });
    return { table: result.markdown, reportDir };
  } finally {
    backend.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // the repository's fixtures (stories260K, TinyStories, GSM8K), found from this file so any cwd works
  const data = process.env.RR_SHARED_DATA ?? fileURLToPath(new URL('../../../fixtures', import.meta.url));
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      general: { type: 'string', multiple: true },
      math: { type: 'string', default: join(data, 'gsm8k/train.jsonl') },
      test: { type: 'string', default: join(data, 'gsm8k/test.jsonl') },
      out: { type: 'string', default: 'runs/retrofit-tinyllama' },
      backend: { type: 'string', default: 'webgpu' },
      tiny: { type: 'boolean', default: false },
      limit: { type: 'string' },
    },
  });
  const tiny = values.tiny === true;
  const { table } = await runPipeline({
    model: values.model ?? join(data, 'models/stories260K-hf'),
    general: values.general ?? [join(data, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt')],
    math: values.math!,
    test: values.test!,
    out: values.out!,
    scale: tiny ? 'tiny' : 'paper',
    backend: tiny ? 'cpu' : values.backend!,
    recurrences: tiny ? [1, 2] : [1, 2, 4, 8, 16, 32],
    limit: values.limit ? Number(values.limit) : tiny ? 3 : undefined,
    maxNewTokens: tiny ? 16 : 256,
  });
  console.log(table);
}
