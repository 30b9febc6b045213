import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBackend } from '@rr/cli';
import { type Gsm8kReport, evaluateGsm8k, loadGsm8k, modelGenerator } from '@rr/eval-gsm8k';
import { loadModel } from '@rr/model';
import { type Recipe, type RunSummary, loadRecipe, parseRecipe, runRecipe } from '@rr/train';
import { paperRuns } from './paper-recipes.js';
import { type TinyInputs, tinyRecipe, writeTinyData } from './tiny.js';

export interface RunResult {
  name: string;
  summary: RunSummary;
  gsm8k: Gsm8kReport;
  table: string;
}

export interface EvalOptions {
  /** GSM8K test split (JSONL). */
  test: string;
  recurrences: number[];
  limit?: number;
  maxNewTokens?: number;
}

/**
 * Trains a recipe (resuming its run folder if there is one), then runs the GSM8K test-time
 * scaling sweep on the trained model with the paper's variant (gsm8k_cot_sean: gsm8k-cot, 1 shot,
 * the step-by-step cue); a static model is evaluated at r = 1.
 */
export async function trainAndEvaluate(recipe: Recipe, backendName: string, evalOptions: EvalOptions): Promise<RunResult> {
  const backend = await createBackend(backendName);
  try {
    const summary = await runRecipe(recipe, {
      backend,
      resume: true,
      onStep: (m, total) => console.log(`[${recipe.name}] step ${m.step}/${total} [${m.phase}] loss ${m.loss.toFixed(4)} r ${m.r.join(',')}`),
      onEval: (m) => console.log(`[${recipe.name}] held-out loss at r = ${m.recurrence}: ${m.eval_loss.toFixed(4)}`),
    });
    const { model, tokenizer } = loadModel(summary.modelDir ?? join(recipe.out, 'model'), backend);
    const result = await evaluateGsm8k({
      generator: modelGenerator(model, tokenizer!),
      samples: await loadGsm8k(evalOptions.test),
      recurrences: model.isRecurrent ? evalOptions.recurrences : [1],
      limit: evalOptions.limit,
      maxNewTokens: evalOptions.maxNewTokens ?? 256,
      outDir: join(recipe.out, 'gsm8k'),
      model: recipe.name,
    });
    model.dispose();
    return { name: recipe.name, summary, gsm8k: result.report, table: result.markdown };
  } finally {
    backend.destroy();
  }
}

/** The TinyLlama runs the tiny mode repeats: two-phase with its static and AdamW-only baselines, math-only (M = 4) with its static baseline. */
export const TINY_RUNS = ['tinyllama-two-phase', 'tinyllama-two-phase-static', 'tinyllama-two-phase-adamw', 'tinyllama-math-M4', 'tinyllama-math-static'];

/** The paper's TinyLlama recipe shapes at tiny scale on the CPU, in seconds: the plumbing, not the numbers. */
export async function runTiny(inputs: TinyInputs & { test: string }, out: string, names = TINY_RUNS): Promise<RunResult[]> {
  const data = writeTinyData(join(out, 'tiny-data'));
  const results: RunResult[] = [];
  for (const name of names) {
    const run = paperRuns().find((r) => r.name === name);
    if (!run) throw new Error(`no paper run named ${name}`);
    const recipe = parseRecipe(tinyRecipe(run, inputs, data, join(out, name)), join(out, `${name}.json`));
    results.push(await trainAndEvaluate(recipe, 'cpu', { test: inputs.test, recurrences: [1, 2], limit: 2, maxNewTokens: 8 }));
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      recipe: { type: 'string' },
      backend: { type: 'string', default: 'webgpu' },
      test: { type: 'string' },
      limit: { type: 'string' },
      tiny: { type: 'boolean', default: false },
      // the repository's fixtures (stories260K, TinyStories, GSM8K), found from this file so any cwd works
      data: { type: 'string', default: process.env.RR_SHARED_DATA ?? fileURLToPath(new URL('../../../fixtures', import.meta.url)) },
      out: { type: 'string', default: 'runs/tiny' },
    },
  });
  const shared = resolve(values.data!);
  const test = values.test ?? join(shared, 'gsm8k/test.jsonl');
  if (values.tiny) {
    const results = await runTiny(
      {
        model: join(shared, 'models/stories260K-hf'),
        general: join(shared, 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt'),
        heldOut: join(shared, 'text/tinystories/tinystories_validation_head_794K.txt'),
        test,
      },
      values.out!,
    );
    for (const r of results) console.log(`\n## ${r.name}\n\n${r.table}`);
  } else {
    if (!values.recipe) throw new Error('give --recipe recipes/<run>.json (see README), or --tiny');
    const r = await trainAndEvaluate(loadRecipe(values.recipe), values.backend!, {
      test,
      recurrences: [1, 2, 4, 8, 16, 32],
      limit: values.limit ? Number(values.limit) : undefined,
    });
    console.log(`\n## ${r.name}\n\n${r.table}`);
  }
}
