import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Backend, createCpuBackend } from '@rr/tensor';
import { type LoadedModel, loadModel } from '@rr/model';
import { retrofit, saveRetrofitted } from '@rr/surgery';
import { type Gsm8kSample, loadGsm8k } from '../data/gsm8k-loader.js';
import { readSampleLog } from '../io/sample-log.js';
import { buildPrompts } from '../tasks/prompt.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';
import { evaluateGsm8k } from './evaluate-gsm8k.js';
import type { GenerateOptions, Generator } from './generator.js';
import { modelGenerator } from './model-generator.js';

describeWithFixtures('modelGenerator on stories260K', ['gsm8k/test.jsonl', 'models/stories260K-hf'], () => {
  let backend: Backend;
  let root: string;
  let base: LoadedModel;
  /** stories260K retrofitted to (1, 2, 1) with the [I | I] adapter, saved and loaded back. */
  let recurrent: LoadedModel;
  let docs: Gsm8kSample[];
  const settings = { task: 'gsm8k-cot', shots: 1, maxNewTokens: 12 } as const;

  beforeAll(async () => {
    backend = createCpuBackend();
    root = mkdtempSync(join(tmpdir(), 'rr-eval-gsm8k-'));
    base = loadModel(fixture('models/stories260K-hf'), backend);
    const dir = join(root, 'stories260K-r121');
    await saveRetrofitted(dir, retrofit(base.model, '1,2,1', { adapterInit: 'sum' }), { tokenizerFiles: base.tokenizerFiles });
    recurrent = loadModel(dir, backend);
    docs = (await loadGsm8k(fixture('gsm8k/test.jsonl'))).slice(0, 5);
  });
  afterAll(() => {
    recurrent?.model.dispose();
    base?.model.dispose();
    backend?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Counts the prompts a generator is asked for, per recurrence. */
  function counting(generator: Generator): Generator & { asked: Map<number, number> } {
    const asked = new Map<number, number>();
    return {
      asked,
      generate: (prompts: readonly string[], o: GenerateOptions) => {
        asked.set(o.recurrence, (asked.get(o.recurrence) ?? 0) + prompts.length);
        return generator.generate(prompts, o);
      },
    };
  }

  it('evaluates 5 test questions at r = 1, 2 into a valid report and chart, and resumes an interrupted run without regenerating', async () => {
    const outDir = join(root, 'sweep');
    const common = { samples: docs, ...settings, recurrences: [1, 2], batch: 2, outDir, model: 'stories260K (1,2,1)' };
    const controller = new AbortController();
    const first = counting(modelGenerator(recurrent.model, recurrent.tokenizer!));
    await expect(
      evaluateGsm8k({
        ...common,
        generator: first,
        signal: controller.signal,
        onProgress: (p) => p.recurrence === 1 && p.done === p.total && controller.abort(),
      }),
    ).rejects.toMatchObject({ code: 'EVAL_ABORTED' });
    expect([...first.asked]).toEqual([[1, 5]]);
    const interrupted = await readSampleLog(join(outDir, 'samples.jsonl'));
    expect(interrupted.records.map((r) => [r.index, r.recurrence])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 1]));

    const second = counting(modelGenerator(recurrent.model, recurrent.tokenizer!));
    const resumed = await evaluateGsm8k({ ...common, generator: second });
    expect([...second.asked]).toEqual([[2, 5]]);
    expect(resumed).toMatchObject({ generated: 5, resumed: 5 });

    const { report } = resumed;
    expect(report).toMatchObject({ task: 'gsm8k-cot', shots: 1, model: 'stories260K (1,2,1)' });
    expect(report.results.map((r) => r.recurrence)).toEqual([1, 2]);
    for (const row of report.results) {
      expect(row.n).toBe(5);
      expect(row.flexible).toBeGreaterThanOrEqual(0);
      expect(row.flexible).toBeLessThanOrEqual(1);
      expect(row.stderr).not.toBeNull();
      expect(row.tokens_per_s).toBeGreaterThan(0);
      expect(row.mean_steps).toBe(row.recurrence);
    }
    expect(JSON.parse(readFileSync(resumed.files.json, 'utf8'))).toEqual(report);
    expect(readFileSync(resumed.files.svg, 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\n?$/);
    expect(readFileSync(resumed.files.html, 'utf8')).toMatch(/<table[\s\S]*<\/table>/);
    expect(resumed.markdown).toMatch(/^\| r \|/m);

    // the resumed sweep holds exactly what an uninterrupted one generates (s0 is seeded per prompt)
    const fresh = await evaluateGsm8k({
      ...common,
      outDir: join(root, 'sweep-uninterrupted'),
      generator: modelGenerator(recurrent.model, recurrent.tokenizer!),
    });
    const completions = async (dir: string): Promise<string[]> =>
      (await readSampleLog(join(dir, 'samples.jsonl'))).records.map((r) => `${r.index}/${r.recurrence}: ${r.completion}`).sort();
    expect(await completions(outDir)).toEqual(await completions(join(root, 'sweep-uninterrupted')));
    expect(fresh.report.results.map((r) => r.flexible)).toEqual(report.results.map((r) => r.flexible));
  });

  it('gives each prompt the same completion whatever its batch, and adaptive exit with kl = 0 the same as fixed r', async () => {
    const prompts = buildPrompts(docs.slice(0, 3), { task: 'gsm8k-cot', shots: 1 });
    const options: GenerateOptions = { maxNewTokens: 12, stop: ['Q:'], recurrence: 2 };
    const generator = modelGenerator(recurrent.model, recurrent.tokenizer!);
    const batched = await generator.generate(prompts, options);
    const single = [];
    for (const p of [...prompts].reverse()) single.unshift(...(await generator.generate([p], options)));
    expect(single).toEqual(batched);
    for (const g of batched) expect(g.tokens).toBeGreaterThan(0);

    const never = await generator.generate(prompts, { ...options, adaptiveExit: { kl: 0 } });
    expect(never.map((g) => g.text)).toEqual(batched.map((g) => g.text));
    expect(never.map((g) => g.meanSteps)).toEqual(batched.map(() => 2));

    // a huge threshold: the first new token comes from the prompt (2 steps), every later one takes 1
    const eager = await generator.generate(prompts, { ...options, recurrence: 4, adaptiveExit: { kl: 1e9 } });
    for (const g of eager) expect(g.meanSteps).toBeCloseTo((4 + (g.tokens - 1)) / g.tokens, 12);

    const stats = generator.stats();
    expect(stats.prompts).toBe(12);
    expect(stats.generatedTokens).toBeGreaterThan(0);
    expect(stats.seconds).toBeGreaterThan(0);
  });

  it("left-truncates prompts to the model's context as the harness does, and refuses r > 1 for a static model", async () => {
    const [prompt] = buildPrompts(docs.slice(0, 1), { task: 'gsm8k-cot', shots: 8 });
    const tokens = base.tokenizer!.encode(prompt!, { bos: true }).length;
    expect(tokens).toBeGreaterThan(512 - 8);
    const generator = modelGenerator(base.model, base.tokenizer!);
    const [g] = await generator.generate([prompt!], { maxNewTokens: 8, stop: [], recurrence: 1 });
    expect(g!.tokens).toBe(8);
    expect(generator.stats()).toMatchObject({ truncatedPrompts: 1, promptTokens: 512 - 8 });
    await expect(generator.generate([prompt!], { maxNewTokens: 512, stop: [], recurrence: 1 })).rejects.toMatchObject({ code: 'EVAL_BAD_OPTION' });
    await expect(generator.generate([prompt!], { maxNewTokens: 8, stop: [], recurrence: 2 })).rejects.toThrow(/static/);
    await expect(generator.generate([prompt!], { maxNewTokens: 8, stop: [], recurrence: 1, adaptiveExit: { kl: 1e-3 } })).rejects.toMatchObject({
      code: 'NOT_RECURRENT',
    });
  });
});
