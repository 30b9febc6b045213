import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { MAX_RECURRENCE } from '@rr/model';
import { RRError } from '@rr/tensor';

const dataSource = z
  .object({
    path: z.string().min(1),
    /** Relative share of the phase's documents (default 1). */
    weight: z.number().positive().optional(),
    format: z.enum(['jsonl', 'text', 'parquet']).optional(),
    field: z.string().min(1).optional(),
    template: z.string().min(1).optional(),
    promptTemplate: z.string().min(1).optional(),
    separator: z.string().min(1).optional(),
  })
  .strict();

const optimizer = z
  .object({
    /** The paper's Muon + AdamW split, or the AdamW-only baseline. */
    kind: z.enum(['muon', 'adamw']).default('muon'),
    muonLr: z.number().positive().default(1e-3),
    muonWeightDecay: z.number().min(0).default(1e-4),
    momentum: z.number().min(0).max(1).default(0.95),
    adamLr: z.number().positive().default(5e-5),
    adamBetas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.95]),
    adamEps: z.number().positive().default(1e-10),
    adamWeightDecay: z.number().min(0).default(1e-4),
    clip: z.number().positive().default(1),
  })
  .strict();

const schedule = z
  .object({
    /** Warm-up fraction of the phase (linear from 0.001x). */
    warmup: z.number().min(0).max(1).default(0.005),
    /** Cool-down fraction at the end (cosine to 0.001x). */
    cooldown: z.number().min(0).max(1).default(0.6),
  })
  .strict();

const curriculum = z
  .object({
    kind: z.enum(['linear', '1-sqrt', 'constant']).default('linear'),
    /** M: the mean recurrence after warm-up. */
    maxMean: z.number().int().positive().max(MAX_RECURRENCE, `at most ${MAX_RECURRENCE} (rr's recurrence limit; the paper uses up to 32)`).default(4),
    warmupFraction: z.number().min(0).max(1).default(0.25),
    backpropDepth: z.number().int().positive().default(8),
  })
  .strict();

const phase = z
  .object({
    name: z.string().min(1),
    /** Optimizer steps (the length of the phase's schedules); may be left out for a static model with a FLOPs budget. */
    steps: z.number().int().positive().optional(),
    /** Training-FLOPs budget of the phase (docs/method.md's accounting): it ends once this much is spent. */
    flops: z.number().positive().optional(),
    data: z.array(dataSource).min(1),
    /** Visit each source's files and documents in a seeded order, new every epoch. */
    shuffle: z.boolean().default(true),
    /** What the data weights share out: documents, or tokens (a mix evened in packed rows, as the reference's). */
    mixBy: z.enum(['documents', 'tokens']).default('documents'),
    seq: z.number().int().min(2).default(256),
    batch: z.number().int().positive().default(4),
    gradAccum: z.number().int().positive().default(1),
    optimizer: optimizer.default(optimizer.parse({})),
    lr: schedule.default(schedule.parse({})),
    curriculum: curriculum.default(curriculum.parse({})),
    eval: z
      .object({
        data: z.array(dataSource).min(1),
        every: z.number().int().positive(),
        batches: z.number().int().positive().default(4),
        /** One recurrence for held-out loss (kept for older recipes; `recurrences` lists several). */
        recurrence: z.number().int().positive().max(MAX_RECURRENCE, `at most ${MAX_RECURRENCE} (rr's recurrence limit)`).optional(),
        /** Recurrences the held-out loss is reported at (default 1, 2, 4, 8, 16, 32; r = 1 for a static model). */
        recurrences: z
          .array(z.number().int().positive().max(MAX_RECURRENCE, `at most ${MAX_RECURRENCE} (rr's recurrence limit)`))
          .min(1)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => p.steps !== undefined || p.flops !== undefined, { message: 'set steps, a flops budget, or both', path: ['steps'] });

export const recipeSchema = z
  .object({
    name: z.string().min(1).default('run'),
    seed: z.number().int().min(0).default(0),
    out: z.string().min(1),
    model: z
      .object({
        path: z.string().min(1),
        tokenizer: z.string().min(1).optional(),
        /** Omit for the static baseline (no surgery). */
        plan: z.string().min(1).optional(),
        adapterInit: z.enum(['default', 'state', 'embed', 'sum']).default('default'),
        initScale: z.number().min(0).default(1),
        /** "random": the same architecture with fresh weights (what pretraining is worth). */
        init: z.enum(['pretrained', 'random']).default('pretrained'),
        /**
         * Give a tied static model its own LM head (a copy of the embedding), as the reference does
         * for Llama-3.2's static baseline; a retrofit is always untied.
         */
        untieEmbeddings: z.boolean().default(false),
      })
      .strict(),
    phases: z.array(phase).min(1),
    /** The trained model's folder layout: rr's (Hugging Face names), or the authors' Huginn format for their PyTorch code. */
    saveFormat: z.enum(['rr', 'huginn']).default('rr'),
    checkpoint: z
      .object({ every: z.number().int().positive().default(100), keep: z.number().int().positive().default(3) })
      .strict()
      .default({ every: 100, keep: 3 }),
  })
  .strict();

export type Recipe = z.infer<typeof recipeSchema>;
export type PhaseRecipe = Recipe['phases'][number];

/**
 * Reads and validates a recipe file: unknown fields, bad values and missing data files are all
 * reported before any work, each naming the field. Relative paths resolve against the recipe's folder.
 */
export function loadRecipe(path: string): Recipe {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RRError('RECIPE_INVALID', `${path}: cannot read the recipe (${(e as Error).message}).`, {}, { cause: e });
  }
  return parseRecipe(json, path);
}

export function parseRecipe(json: unknown, source: string, baseDir = dirname(source)): Recipe {
  const parsed = recipeSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const at = i.path.length ? i.path.join('.') : '(top level)';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` ${i.keys.map((k) => `"${k}"`).join(', ')}` : '';
      return `${at}: ${i.message}${keys}`;
    });
    throw new RRError('RECIPE_INVALID', `${source}: ${issues.join('; ')}.`, { issues });
  }
  const recipe = parsed.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  recipe.out = abs(recipe.out);
  recipe.model.path = abs(recipe.model.path);
  if (recipe.model.tokenizer) recipe.model.tokenizer = abs(recipe.model.tokenizer);
  for (const p of recipe.phases) {
    for (const d of [...p.data, ...(p.eval?.data ?? [])]) d.path = abs(d.path);
  }
  return recipe;
}
