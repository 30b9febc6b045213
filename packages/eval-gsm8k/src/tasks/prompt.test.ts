import { createHash } from 'node:crypto';
import { isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';
import { type Gsm8kSample, loadGsm8k } from '../data/gsm8k-loader.js';
import { GSM8K_COT_EXEMPLARS } from './cot-exemplars.js';
import { harnessFewshotIndices } from './fewshot-sampler.js';
import { buildPrompts, harnessTarget } from './prompt.js';

const JANET: Gsm8kSample = {
  question:
    "Janet\u2019s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?",
  answer: 'Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer\u2019s market.\n#### 18',
};

describe('gsm8k-cot prompts', () => {
  it('renders a 2-shot prompt exactly as lm-evaluation-harness 0.4.13 does (test doc 0)', () => {
    // Printed by scripts/harness-oracle.py from the harness's YAML, Jinja environment and sampler.
    expect(buildPrompts([JANET], { task: 'gsm8k-cot', shots: 2 })[0]).toBe(
      'Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\n' +
        'A: There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.\n' +
        '\n' +
        'Q: If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?\n' +
        'A: There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5.\n' +
        '\n' +
        "Q: Janet\u2019s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?\n" +
        'A:',
    );
  });

  it('puts the step-by-step cue after every A:, exemplars and question alike (docs/method.md section 3)', () => {
    expect(buildPrompts([{ question: 'What is 2 + 2?', answer: '#### 4' }], { task: 'gsm8k-cot', shots: 1, cue: true })[0]).toBe(
      'Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\n' +
        "A: Let's think step by step. There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.\n" +
        '\n' +
        'Q: What is 2 + 2?\n' +
        "A: Let's think step by step.",
    );
  });

  it('uses the first k exemplars for any k from 0 to 8, 8 by default', () => {
    const doc = { question: 'q?', answer: '#### 1' };
    expect(buildPrompts([doc], { task: 'gsm8k-cot', shots: 0 })[0]).toBe('Q: q?\nA:');
    for (let k = 0; k <= 8; k++) {
      const prompt = buildPrompts([doc], { task: 'gsm8k-cot', shots: k })[0];
      expect(prompt.split('\n\n')).toHaveLength(k + 1);
      if (k > 0) expect(prompt.split('\n\n')[k - 1]).toBe(`Q: ${GSM8K_COT_EXEMPLARS[k - 1].question}\nA: ${GSM8K_COT_EXEMPLARS[k - 1].target}`);
    }
    expect(buildPrompts([doc], { task: 'gsm8k-cot' })[0]).toBe(buildPrompts([doc], { task: 'gsm8k-cot', shots: 8 })[0]);
  });

  it('rejects 9 shots, a few-shot pool, and negative or fractional shots', () => {
    const doc = { question: 'q?', answer: '#### 1' };
    for (const shots of [9, -1, 1.5]) {
      expect(() => buildPrompts([doc], { task: 'gsm8k-cot', shots })).toThrowError(expect.objectContaining({ code: 'EVAL_BAD_OPTION' }));
    }
    expect(() => buildPrompts([doc], { task: 'gsm8k-cot', fewshotPool: [doc] })).toThrowError(/fewshotPool/);
  });
});

describe('gsm8k prompts', () => {
  const pool: Gsm8kSample[] = Array.from({ length: 30 }, (_, i) => ({ question: `Q${i}?`, answer: `A${i}.\n#### ${i}` }));

  it('renders a 2-shot prompt with the exemplars random.Random(1234).sample gives each doc in turn', () => {
    // python3 -c "import random; r = random.Random(1234); print([r.sample(range(30), 2) for _ in range(2)])"
    //   -> [[24, 14], [3, 0]]
    const prompts = buildPrompts(
      [
        { question: 'First?', answer: '#### 1' },
        { question: 'Second?', answer: '#### 2' },
      ],
      { task: 'gsm8k', shots: 2, fewshotPool: pool },
    );
    expect(prompts).toEqual([
      'Question: Q24?\nAnswer: A24.\n#### 24\n\nQuestion: Q14?\nAnswer: A14.\n#### 14\n\nQuestion: First?\nAnswer:',
      'Question: Q3?\nAnswer: A3.\n#### 3\n\nQuestion: Q0?\nAnswer: A0.\n#### 0\n\nQuestion: Second?\nAnswer:',
    ]);
  });

  it('gives doc i the same exemplars whatever the limit (one stream, one draw per doc)', () => {
    const docs = pool.slice(0, 5);
    const all = buildPrompts(docs, { task: 'gsm8k', shots: 3, fewshotPool: pool });
    expect(buildPrompts(docs.slice(0, 2), { task: 'gsm8k', shots: 3, fewshotPool: pool })).toEqual(all.slice(0, 2));
  });

  it('needs the train split for shots > 0, and takes no cue', () => {
    const doc = { question: 'q?', answer: '#### 1' };
    expect(buildPrompts([doc], { task: 'gsm8k', shots: 0 })).toEqual(['Question: q?\nAnswer:']);
    expect(() => buildPrompts([doc], { task: 'gsm8k' })).toThrowError(/fewshotPool/);
    expect(() => buildPrompts([doc], { task: 'gsm8k', shots: 0, cue: true })).toThrowError(/cue/);
    try {
      buildPrompts([doc], { task: 'gsm8k', shots: 31, fewshotPool: pool });
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'EVAL_BAD_OPTION')).toBe(true);
    }
  });
});

describe('harnessTarget', () => {
  it('is the stripped text after the last #### for gsm8k-cot and the whole answer for gsm8k', () => {
    expect(harnessTarget(JANET, 'gsm8k-cot')).toBe('18');
    expect(harnessTarget({ question: 'q', answer: 'x #### y ####  2,125 \n' }, 'gsm8k-cot')).toBe('2,125');
    expect(harnessTarget(JANET, 'gsm8k')).toBe(JANET.answer);
  });
});

describeWithFixtures('against the real GSM8K splits', ['gsm8k/train.jsonl', 'gsm8k/test.jsonl'], () => {
  it('reproduces the harness’s 5-shot gsm8k exemplar draws and prompt for the first test docs', async () => {
    const [train, test] = await Promise.all([loadGsm8k(fixture('gsm8k/train.jsonl')), loadGsm8k(fixture('gsm8k/test.jsonl'))]);
    // From scripts/harness-oracle.py (lm_eval 0.4.13 ContextSampler, set_fewshot_seed(1234)).
    const draws = harnessFewshotIndices({ docs: 20, poolSize: train.length, shots: 5 });
    expect(draws.slice(0, 4)).toEqual([
      [6374, 3610, 957, 61, 742],
      [7462, 6610, 4769, 286, 5501],
      [5677, 687, 806, 6279, 2905],
      [1939, 142, 252, 6461, 129],
    ]);
    expect(draws[19]).toEqual([3409, 2267, 5426, 6606, 329]);
    const prompt = buildPrompts(test.slice(0, 1), { task: 'gsm8k', fewshotPool: train })[0];
    expect(prompt).toHaveLength(3187);
    expect(createHash('sha256').update(prompt).digest('hex')).toBe('32680f263ba83280e98a8a24ceefed10a722a4cdcd9f4d78e93c45d43143ca66');
    expect(test[0]).toEqual(JANET);
  });
});
