import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Gsm8kSample } from '../data/gsm8k-loader.js';
import { evaluateGsm8k } from '../eval/evaluate-gsm8k.js';
import type { Generator } from '../eval/generator.js';
import { buildPrompts } from './prompt.js';
import { GSM8K_VARIANTS, describeVariant, gsm8kVariant, harnessVariantName } from './variants.js';

const DOCS: Gsm8kSample[] = [
  { question: 'Ann has 2 cats and 3 dogs. How many pets?', answer: '2 + 3 = 5\n#### 5' },
  { question: 'Bo reads 4 pages a day for 2 days. How many pages?', answer: '4 * 2 = 8\n#### 8' },
];

/** Records the prompts it is given; always answers "The answer is 5." */
class Recorder implements Generator {
  readonly prompts: string[] = [];
  async generate(prompts: readonly string[]) {
    this.prompts.push(...prompts);
    return prompts.map(() => ({ text: ' The answer is 5.', tokens: 5 }));
  }
}

describe('GSM8K variants', () => {
  it('are named as lm-evaluation-harness runs them', () => {
    expect(GSM8K_VARIANTS.gsm8k_cot_sean).toEqual({ name: 'gsm8k_cot_sean', task: 'gsm8k-cot', shots: 1, cue: true });
    expect(harnessVariantName('gsm8k-cot', false)).toBe('gsm8k_cot');
    expect(harnessVariantName('gsm8k', false)).toBe('gsm8k');
    expect(describeVariant('gsm8k-cot', 1, true)).toBe("gsm8k_cot_sean, num_fewshot 1 (the paper's)");
    expect(describeVariant('gsm8k-cot', 8, true)).toBe('gsm8k_cot_sean, num_fewshot 8');
    expect(() => gsm8kVariant('gsm8k-cot')).toThrowError(expect.objectContaining({ code: 'EVAL_UNKNOWN_TASK' }));
  });

  it("evaluateGsm8k runs the paper's variant by default (1 shot, the cue) and the report names it", async () => {
    const generator = new Recorder();
    const result = await evaluateGsm8k({ generator, samples: DOCS, recurrences: [1], outDir: await mkdtemp(join(tmpdir(), 'rr-variant-')) });
    expect(generator.prompts).toEqual(buildPrompts(DOCS, { task: 'gsm8k-cot', shots: 1, cue: true }));
    expect(generator.prompts[1]!.endsWith("A: Let's think step by step.")).toBe(true);
    expect(result.report).toMatchObject({ task: 'gsm8k-cot', shots: 1, cue: true, variant: "gsm8k_cot_sean, num_fewshot 1 (the paper's)" });
    expect(result.markdown.split('\n')[0]).toBe("GSM8K variant: gsm8k_cot_sean, num_fewshot 1 (the paper's)");
  });

  it('a named variant or a bare task gives the harness settings; a clashing pair is refused', async () => {
    const cot = new Recorder();
    const r = await evaluateGsm8k({
      generator: cot,
      samples: DOCS,
      variant: 'gsm8k_cot',
      recurrences: [1],
      outDir: await mkdtemp(join(tmpdir(), 'rr-variant-')),
    });
    expect(cot.prompts).toEqual(buildPrompts(DOCS, { task: 'gsm8k-cot', shots: 8 }));
    expect(r.report.variant).toBe('gsm8k_cot, num_fewshot 8');
    const bare = new Recorder();
    await evaluateGsm8k({ generator: bare, samples: DOCS, task: 'gsm8k-cot', recurrences: [1], outDir: await mkdtemp(join(tmpdir(), 'rr-variant-')) });
    expect(bare.prompts).toEqual(cot.prompts);
    await expect(
      evaluateGsm8k({
        generator: bare,
        samples: DOCS,
        variant: 'gsm8k_cot_sean',
        task: 'gsm8k',
        recurrences: [1],
        outDir: await mkdtemp(join(tmpdir(), 'rr-variant-')),
      }),
    ).rejects.toMatchObject({
      code: 'EVAL_BAD_OPTION',
    });
  });
});
