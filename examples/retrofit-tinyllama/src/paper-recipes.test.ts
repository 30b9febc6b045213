import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PhaseRecipe, type Recipe, parseRecipe } from '@rr/train';
import { paperRuns } from './paper-recipes.js';
import { recipeText } from './write-recipes.js';

const dir = resolve(__dirname, '../recipes');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * The constants, written here from docs/method.md (sections 1-2) independently of paper-recipes.ts,
 * plus what docs/method.md leaves to the reference's launch scripts (step counts, which phase has which
 * schedule) as the issue lists them.
 */
const METHOD = {
  plans: { tinyllama: '4,8,4', 'llama-3.2-1b': '4,6,4', 'olmo-2-1b': '4,6,4' } as Record<string, string>,
  seq: 1024,
  tokensPerStep: 1_048_576, // "~1M tokens per optimizer step"
  muon: { muonLr: 1e-3, muonWeightDecay: 1e-4, momentum: 0.95 },
  adamwPart: { adamLr: 5e-5, adamBetas: [0.9, 0.95], adamEps: 1e-10, adamWeightDecay: 1e-4 },
  adamwOnly: { adamLr: 5e-5, adamBetas: [0.9, 0.95], adamEps: 1e-8, adamWeightDecay: 1e-4 },
  clip: 1.0,
  backpropDepth: 8,
  warmupRange: [0.0025, 0.005], // "0.25-0.5%"
  cooldownRange: [0.6, 0.9],
  twoPhase: {
    healing: { kind: 'linear', maxMean: 32, warmupFraction: 0.25, cooldown: 0.9 },
    mix: { kind: 'linear', maxMean: 4, warmupFraction: 0.25, cooldown: 0.9 },
  },
  math: { kind: '1-sqrt', warmupFraction: 0.75, cooldown: 0.6, means: [4, 8, 16, 32] },
  heldOutR: [1, 2, 4, 8, 16, 32],
};

const load = (file: string): Recipe => parseRecipe(JSON.parse(readFileSync(join(dir, file), 'utf8')), join(dir, file));

function checkOptimizer(p: PhaseRecipe, adamwOnly: boolean): void {
  if (adamwOnly) {
    expect(p.optimizer).toMatchObject({ kind: 'adamw', ...METHOD.adamwOnly, clip: METHOD.clip });
  } else {
    expect(p.optimizer).toMatchObject({ kind: 'muon', ...METHOD.muon, ...METHOD.adamwPart, clip: METHOD.clip });
  }
}

describe('the shipped paper recipes', () => {
  it('are exactly what paper-recipes.ts generates (rerun `node dist/write-recipes.js recipes` after a change)', () => {
    const runs = paperRuns();
    expect(files.sort()).toEqual(runs.map((r) => `${r.name}.json`).sort());
    for (const run of runs) expect(readFileSync(join(dir, `${run.name}.json`), 'utf8'), run.name).toBe(recipeText(run.recipe));
  });

  it('cover every paper run: three models x (two-phase, math-only at M = 4, 8, 16, 32) with static and AdamW-only baselines', () => {
    for (const model of Object.keys(METHOD.plans)) {
      for (const suffix of ['', '-static', '-adamw']) expect(files).toContain(`${model}-two-phase${suffix}.json`);
      for (const M of METHOD.math.means) {
        expect(files).toContain(`${model}-math-M${M}.json`);
        expect(files).toContain(`${model}-math-M${M}-adamw.json`);
      }
      expect(files).toContain(`${model}-math-static.json`);
    }
  });

  it.each(files)('%s: every constant as docs/method.md has it', (file) => {
    const r = load(file);
    const model = Object.keys(METHOD.plans).find((m) => file.startsWith(`${m}-`))!;
    const isStatic = file.includes('-static');
    const adamwOnly = file.endsWith('-adamw.json');
    // architecture: the reference plan, or no surgery for the static baseline (untied for Llama-3.2)
    if (isStatic) {
      expect(r.model.plan).toBeUndefined();
      expect(r.model.untieEmbeddings).toBe(model === 'llama-3.2-1b');
    } else {
      expect(r.model.plan).toBe(METHOD.plans[model]);
      expect(r.model.adapterInit).toBe('default');
      expect(r.model.initScale).toBe(1);
    }
    for (const p of r.phases) {
      expect(p.seq).toBe(METHOD.seq);
      expect(p.batch * p.gradAccum * p.seq).toBe(METHOD.tokensPerStep);
      expect(p.shuffle).toBe(true);
      checkOptimizer(p, adamwOnly);
      expect(p.curriculum.backpropDepth).toBe(METHOD.backpropDepth);
      expect(p.lr.warmup).toBeGreaterThanOrEqual(METHOD.warmupRange[0]!);
      expect(p.lr.warmup).toBeLessThanOrEqual(METHOD.warmupRange[1]!);
      expect(p.lr.cooldown).toBeGreaterThanOrEqual(METHOD.cooldownRange[0]!);
      expect(p.lr.cooldown).toBeLessThanOrEqual(METHOD.cooldownRange[1]!);
      expect(p.eval!.recurrences).toEqual(isStatic ? [1] : METHOD.heldOutR);
      // the paper never trains on GSM8K
      for (const d of p.data) expect(d.path.toLowerCase()).not.toContain('gsm8k');
    }
    if (file.includes('-two-phase')) {
      expect(r.phases.map((p) => p.name)).toEqual(['healing', 'mix']);
      const [healing, mix] = r.phases as [PhaseRecipe, PhaseRecipe];
      const spec = METHOD.twoPhase;
      expect(healing.data).toHaveLength(1);
      expect(healing.data[0]!.path).toMatch(/fineweb-edu$/);
      if (!isStatic) {
        expect(healing.curriculum).toMatchObject({ kind: spec.healing.kind, maxMean: spec.healing.maxMean, warmupFraction: spec.healing.warmupFraction });
        expect(mix.curriculum).toMatchObject({ kind: spec.mix.kind, maxMean: spec.mix.maxMean, warmupFraction: spec.mix.warmupFraction });
      }
      expect(healing.lr.cooldown).toBe(spec.healing.cooldown);
      expect(mix.lr.cooldown).toBe(spec.mix.cooldown);
      // phase 2: an even mix of general, math and instruction text; general continues where phase 1 stopped (same path)
      expect(mix.data.map((d) => d.weight)).toEqual([1, 1, 1]);
      expect(mix.mixBy).toBe('tokens');
      expect(mix.data[0]!.path).toBe(healing.data[0]!.path);
      expect(mix.data.map((d) => d.path.split('/').pop())).toEqual(['fineweb-edu', 'nemotron-sft-math', 'nemotron-sft-general']);
    } else {
      expect(r.phases).toHaveLength(1);
      const p = r.phases[0]!;
      expect(p.data.map((d) => d.path.split('/').pop())).toEqual(['nemotron-cc-math']);
      expect(p.lr.cooldown).toBe(METHOD.math.cooldown);
      if (!isStatic) {
        const M = Number(/-M(\d+)/.exec(file)![1]);
        expect(METHOD.math.means).toContain(M);
        expect(p.curriculum).toMatchObject({ kind: METHOD.math.kind, maxMean: M, warmupFraction: METHOD.math.warmupFraction });
      }
    }
  });
});
