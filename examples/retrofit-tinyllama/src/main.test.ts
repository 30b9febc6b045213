import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fixture, itWithFixtures } from '@rr/tensor/testing';
import { TINY_RUNS, runTiny } from './main.js';

const FILES = {
  model: 'models/stories260K-hf',
  general: 'text/tinystories/toyrnn_tinystories_sample_2MiB.txt',
  heldOut: 'text/tinystories/tinystories_validation_head_794K.txt',
  test: 'gsm8k/test.jsonl',
};

itWithFixtures("runs the paper's TinyLlama recipe shapes at tiny scale, static and AdamW-only baselines included", Object.values(FILES), async () => {
  const out = mkdtempSync(join(tmpdir(), 'rr-tinyllama-'));
  try {
    const results = await runTiny(
      { model: fixture(FILES.model), general: fixture(FILES.general), heldOut: fixture(FILES.heldOut), test: fixture(FILES.test) },
      out,
    );
    expect(results.map((r) => r.name)).toEqual(TINY_RUNS);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    // two phases, each with its own data: phase 2 draws from all three sources of the mix
    const twoPhase = byName['tinyllama-two-phase']!;
    expect(twoPhase.summary.steps).toBe(8);
    const mix = twoPhase.summary.mix.find((m) => m.phase === 'mix')!;
    expect(mix.sources.map((s) => s.weight)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(mix.sources.filter((s) => s.documents > 0).length).toBeGreaterThanOrEqual(2);
    // held-out loss at every r of the sweep; the static baseline at r = 1 only
    expect(new Set(twoPhase.summary.evals.map((e) => e.recurrence))).toEqual(new Set([1, 2, 4, 8, 16, 32]));
    expect(new Set(byName['tinyllama-two-phase-static']!.summary.evals.map((e) => e.recurrence))).toEqual(new Set([1]));
    // the trained recurrent model is written in the authors' Huginn format, the static one as a plain folder
    expect(JSON.parse(readFileSync(join(twoPhase.summary.modelDir!, 'config.json'), 'utf8')).model_type).toBe('huginn_raven');
    expect(JSON.parse(readFileSync(join(byName['tinyllama-two-phase-static']!.summary.modelDir!, 'config.json'), 'utf8')).model_type).toBe('llama');
    // GSM8K with the paper's variant; r = 1, 2 for recurrent models, r = 1 for static ones
    for (const r of results) {
      expect(r.gsm8k.variant).toBe("gsm8k_cot_sean, num_fewshot 1 (the paper's)");
      expect(r.gsm8k.results.map((x) => x.recurrence)).toEqual(r.name.includes('static') ? [1] : [1, 2]);
    }
    const metrics = readFileSync(join(out, 'tinyllama-two-phase', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.filter((m) => 'data_mix' in m).map((m) => m.phase)).toEqual(['healing', 'mix']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
