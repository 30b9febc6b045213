import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Gsm8kSample } from '../data/gsm8k-loader.js';
import { readSampleLog } from '../io/sample-log.js';
import { buildPrompts } from '../tasks/prompt.js';
import type { TaskName } from '../tasks/task-spec.js';
import { evaluateGsm8k, type EvaluateGsm8kOptions } from './evaluate-gsm8k.js';
import type { GenerateOptions, Generation, Generator } from './generator.js';

const DOCS: Gsm8kSample[] = Array.from({ length: 5 }, (_, i) => ({
  question: `Tom has ${i} apples and buys 10 more. How many apples does he have?`,
  answer: `${i} + 10 = <<${i}+10=${i + 10}>>${i + 10}\n#### ${i + 10}`,
}));

/**
 * A model with known outputs. At r = 1 it answers docs 0 and 1 right (doc 0 in the strict format,
 * doc 1 only loosely) and the rest wrong; at r = 2 docs 0..3 right, all in the strict format. Every
 * completion rambles on past a stop sequence, which must be cut before scoring.
 */
function scriptedAnswer(doc: number, recurrence: number): string {
  const right = doc + 10;
  const wrong = doc + 11;
  const ramble = '\n\nQ: Sue has 99 pears. How many? A: The answer is 99.';
  if (recurrence === 1) {
    if (doc === 0) return ` ${doc} + 10 = ${right}. The answer is ${right}.${ramble}`;
    if (doc === 1) return ` He has ${right} apples now.${ramble}`;
    return ` The answer is ${wrong}.${ramble}`;
  }
  return doc <= 3 ? ` ${doc} + 10 = ${right}. The answer is ${right}.${ramble}` : ` The answer is ${wrong}.${ramble}`;
}

class ScriptedGenerator implements Generator {
  readonly calls: { prompts: readonly string[]; options: GenerateOptions }[] = [];
  private readonly docOf: Map<string, number>;

  constructor(
    task: TaskName = 'gsm8k-cot',
    shots = 8,
    private readonly failOnCall?: number,
    private readonly meanSteps?: (recurrence: number) => number,
  ) {
    this.docOf = new Map(buildPrompts(DOCS, { task, shots }).map((p, i) => [p, i]));
  }

  async generate(prompts: readonly string[], options: GenerateOptions): Promise<Generation[]> {
    this.calls.push({ prompts, options });
    if (this.calls.length === this.failOnCall) throw new Error('simulated crash');
    return prompts.map((p) => {
      const doc = this.docOf.get(p);
      if (doc === undefined) throw new Error('unexpected prompt');
      const text = scriptedAnswer(doc, options.recurrence);
      return { text, tokens: 20, ...(this.meanSteps ? { meanSteps: this.meanSteps(options.recurrence) } : {}) };
    });
  }
}

/** A clock that advances 1 s per generate() call, so tokens/s is exact. */
function steppingClock(): () => number {
  let t = 0;
  let calls = 0;
  return () => (calls++ % 2 === 0 ? t : (t += 1000));
}

async function outDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rr-eval-'));
}

function options(dir: string, generator: Generator, extra: Partial<EvaluateGsm8kOptions> = {}): EvaluateGsm8kOptions {
  return { generator, samples: DOCS, task: 'gsm8k-cot', recurrences: [1, 2], batch: 2, outDir: dir, model: 'scripted', clock: steppingClock(), ...extra };
}

// The harness's mean_stderr of 1/5, 2/5 and 4/5 correct, to the bit (scripts/harness-oracle.py):
// sqrt(0.8 / 4) / sqrt(5), sqrt(1.2 / 4) / sqrt(5), sqrt(0.8 / 4) / sqrt(5) in float arithmetic.
const STDERR_1_OF_5 = 0.20000000000000004;
const STDERR_2_OF_5 = 0.24494897427831783;
const STDERR_4_OF_5 = 0.19999999999999998;

describe('evaluateGsm8k with a scripted model', () => {
  it('scores the known accuracy at each recurrence and writes the report, chart, page and log', async () => {
    const dir = await outDir();
    const generator = new ScriptedGenerator();
    const result = await evaluateGsm8k(options(dir, generator));

    expect(result.report.results.map(({ tokens_per_s: _t, ...rest }) => rest)).toEqual([
      { recurrence: 1, n: 5, strict: 0.2, flexible: 0.4, stderr: STDERR_2_OF_5, strict_stderr: STDERR_1_OF_5, mean_steps: 1 },
      { recurrence: 2, n: 5, strict: 0.8, flexible: 0.8, stderr: STDERR_4_OF_5, strict_stderr: STDERR_4_OF_5, mean_steps: 2 },
    ]);
    // 3 batches (2 + 2 + 1 prompts) of 20 tokens each per recurrence, 1 s per batch
    expect(result.report.results.map((r) => r.tokens_per_s)).toEqual([100 / 3, 100 / 3]);
    expect(result).toMatchObject({ generated: 10, resumed: 0 });
    expect(result.markdown).toContain('| 1 | 5 | 20.0 ± 20.0 | 40.0 ± 24.5 | 33.3 | 1.00 |');

    expect(generator.calls.map((c) => [c.prompts.length, c.options.recurrence])).toEqual([
      [2, 1],
      [2, 1],
      [1, 1],
      [2, 2],
      [2, 2],
      [1, 2],
    ]);
    expect(generator.calls[0].options).toEqual({ maxNewTokens: 256, stop: ['Q:', '</s>', '<|im_end|>'], recurrence: 1 });

    const report = JSON.parse(await readFile(result.files.json, 'utf8'));
    expect(report).toMatchObject({ task: 'gsm8k-cot', model: 'scripted', shots: 8, cue: false });
    expect(await readFile(result.files.svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(await readFile(result.files.html, 'utf8')).toContain('<svg');

    const { records } = await readSampleLog(result.files.samples);
    expect(records).toHaveLength(10);
    expect(records[1]).toEqual({
      index: 1,
      recurrence: 1,
      question: DOCS[1].question,
      target: '11',
      completion: ' He has 11 apples now.\n\n',
      extracted: { strict: '[invalid]', flexible: '11' },
      correct: { strict: false, flexible: true },
      tokens: 20,
      seconds: 0.5,
      mean_steps: 1,
    });
  });

  it('passes adaptive exit through and reports the mean steps the model used', async () => {
    const generator = new ScriptedGenerator('gsm8k-cot', 8, undefined, (r) => r * 0.75);
    const result = await evaluateGsm8k(options(await outDir(), generator, { recurrences: [4], adaptiveExit: { kl: 5e-4 } }));
    expect(generator.calls[0].options.adaptiveExit).toEqual({ kl: 5e-4 });
    expect(result.report.results[0].mean_steps).toBe(3);
  });

  it('runs the gsm8k task with exemplars from a few-shot pool', async () => {
    const pool = DOCS.map((_d, i) => ({ question: `Pool ${i}?`, answer: `#### ${i}` }));
    const prompts: string[] = [];
    const generator: Generator = {
      async generate(batch) {
        prompts.push(...batch);
        return batch.map(() => ({ text: ' 3 + 10 = 13.\n#### 13\n\nQuestion: next', tokens: 5 }));
      },
    };
    const result = await evaluateGsm8k(options(await outDir(), generator, { task: 'gsm8k', shots: 2, fewshotPool: pool, recurrences: [1] }));
    expect(prompts[0]).toMatch(/^Question: Pool \d\?\nAnswer: #### \d\n\nQuestion: Pool \d\?\nAnswer: #### \d\n\nQuestion: Tom has 0 apples/);
    expect(result.report.results[0]).toMatchObject({ n: 5, strict: 0.2, flexible: 0.2 });
  });
});

describe('evaluateGsm8k resume', () => {
  it('resumes an interrupted run from samples.jsonl, generating only what is missing, to the same report', async () => {
    const reference = await evaluateGsm8k(options(await outDir(), new ScriptedGenerator()));

    const dir = await outDir();
    const crashing = new ScriptedGenerator('gsm8k-cot', 8, 3); // dies in its 3rd batch
    await expect(evaluateGsm8k(options(dir, crashing))).rejects.toThrow('simulated crash');
    expect((await readSampleLog(join(dir, 'samples.jsonl'))).records.map((r) => [r.index, r.recurrence])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);

    const resuming = new ScriptedGenerator();
    const resumed = await evaluateGsm8k(options(dir, resuming));
    expect(resumed).toMatchObject({ generated: 6, resumed: 4 });
    expect(resuming.calls.map((c) => [c.prompts.length, c.options.recurrence])).toEqual([
      [1, 1],
      [2, 2],
      [2, 2],
      [1, 2],
    ]);
    const accuracy = (rows: typeof reference.report.results) => rows.map(({ tokens_per_s: _t, ...rest }) => rest);
    expect(accuracy(resumed.report.results)).toEqual(accuracy(reference.report.results));

    // Nothing left to do: a third call only rewrites the report.
    const again = new ScriptedGenerator();
    expect(await evaluateGsm8k(options(dir, again))).toMatchObject({ generated: 0, resumed: 10 });
    expect(again.calls).toHaveLength(0);
  });

  it('drops a torn last line and evaluates that sample again', async () => {
    const dir = await outDir();
    await evaluateGsm8k(options(dir, new ScriptedGenerator(), { recurrences: [1], limit: 3 }));
    await appendFile(join(dir, 'samples.jsonl'), '{"index": 3, "recurrence": 1, "question": "Tom has 3 ap');

    const generator = new ScriptedGenerator();
    const result = await evaluateGsm8k(options(dir, generator, { recurrences: [1] }));
    expect(result).toMatchObject({ generated: 2, resumed: 3 });
    const text = await readFile(join(dir, 'samples.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).index),
    ).toEqual([0, 1, 2, 3, 4]);
    expect(result.report.results[0]).toMatchObject({ n: 5, flexible: 0.4 });
  });

  it('stops between batches on an abort signal and resumes later', async () => {
    const dir = await outDir();
    const controller = new AbortController();
    await expect(
      evaluateGsm8k(options(dir, new ScriptedGenerator(), { onProgress: (p) => p.done === 4 && controller.abort(), signal: controller.signal })),
    ).rejects.toThrowError(expect.objectContaining({ code: 'EVAL_ABORTED' }));
    expect(await evaluateGsm8k(options(dir, new ScriptedGenerator()))).toMatchObject({ generated: 6, resumed: 4 });
  });

  it('reports only the requested recurrences and docs of a larger log', async () => {
    const dir = await outDir();
    await evaluateGsm8k(options(dir, new ScriptedGenerator()));
    const subset = await evaluateGsm8k(options(dir, new ScriptedGenerator(), { recurrences: [2], limit: 4 }));
    expect(subset.report.results).toEqual([expect.objectContaining({ recurrence: 2, n: 4, flexible: 1, strict: 1 })]);
  });

  it('refuses to resume with settings or data that would change the completions', async () => {
    const dir = await outDir();
    await evaluateGsm8k(options(dir, new ScriptedGenerator(), { recurrences: [1], limit: 2 }));
    await expect(evaluateGsm8k(options(dir, new ScriptedGenerator('gsm8k-cot', 2), { shots: 2 }))).rejects.toThrowError(
      expect.objectContaining({ code: 'EVAL_RESUME_MISMATCH', message: expect.stringMatching(/shots: 8 then, 2 now/) }),
    );
    const otherData = DOCS.map((d) => ({ ...d, question: d.question.replace('Tom', 'Ann') }));
    await expect(evaluateGsm8k(options(dir, new ScriptedGenerator(), { samples: otherData }))).rejects.toThrowError(
      expect.objectContaining({ code: 'EVAL_RESUME_MISMATCH', message: expect.stringMatching(/different question/) }),
    );
  });
});

describe('evaluateGsm8k validation', () => {
  it.each([
    [{ recurrences: [] }, /recurrences/],
    [{ recurrences: [0, 1] }, /recurrences/],
    [{ batch: 0 }, /batch/],
    [{ limit: 0 }, /limit/],
    [{ maxNewTokens: 1.5 }, /maxNewTokens/],
    [{ adaptiveExit: { kl: -1 } }, /adaptiveExit/],
    [{ shots: 9 }, /shots/],
    [{ staticBaseline: 26.6 }, /staticBaseline/],
  ])('rejects %j', async (extra, message) => {
    await expect(evaluateGsm8k(options(await outDir(), new ScriptedGenerator(), extra as Partial<EvaluateGsm8kOptions>))).rejects.toThrowError(
      expect.objectContaining({ code: 'EVAL_BAD_OPTION', message: expect.stringMatching(message) }),
    );
  });

  it('holds the generator to one result per prompt', async () => {
    const short: Generator = { generate: async () => [{ text: 'x', tokens: 1 }] };
    await expect(evaluateGsm8k(options(await outDir(), short))).rejects.toThrowError(expect.objectContaining({ code: 'EVAL_GENERATOR_CONTRACT' }));
    const badTokens: Generator = { generate: async (p) => p.map(() => ({ text: 'x', tokens: -1 })) };
    await expect(evaluateGsm8k(options(await outDir(), badTokens))).rejects.toThrowError(/non-negative integer "tokens"/);
  });
});
