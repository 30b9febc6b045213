import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadModel } from '@rr/model';
import { retrofit, saveRetrofitted } from '@rr/surgery';
import { createCpuBackend } from '@rr/tensor';
import { evaluateGsm8k, loadGsm8k, modelGenerator } from './index.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

// The README's "Evaluate a model" snippet, kept running (paths moved into a temp folder).

const runs = mkdtempSync(join(tmpdir(), 'rr-eval-readme-'));
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describeWithFixtures('README', ['gsm8k/test.jsonl', 'models/stories260K-hf'], () => {
  it('evaluates stories260K (1,2,1) with modelGenerator', async () => {
    const backend = createCpuBackend();
    const base = loadModel(fixture('models/stories260K-hf'), backend);
    await saveRetrofitted(join(runs, 'stories260K-r121'), retrofit(base.model, '1,2,1'), { tokenizerFiles: base.tokenizerFiles });

    const { model, tokenizer } = loadModel(join(runs, 'stories260K-r121'), backend);
    const { markdown, report } = await evaluateGsm8k({
      generator: modelGenerator(model, tokenizer!),
      samples: await loadGsm8k(fixture('gsm8k/test.jsonl')),
      recurrences: [1, 2],
      limit: 5,
      batch: 5,
      maxNewTokens: 16,
      outDir: join(runs, 'gsm8k-stories260K'),
      model: 'stories260K (1,2,1)',
    });
    expect(markdown).toMatch(/^GSM8K variant: gsm8k_cot_sean, num_fewshot 1 \(the paper's\)\n\n\| r \|/);
    expect(report.results.map((r) => [r.recurrence, r.n])).toEqual([
      [1, 5],
      [2, 5],
    ]);
    for (const r of report.results) expect(r.tokens_per_s).toBeGreaterThan(0);
    backend.destroy();
  });
});
