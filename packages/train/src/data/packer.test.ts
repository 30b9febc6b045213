import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend, isRRError } from '@rr/tensor';
import { CharTokenizer, RecurrentLM, initializeWeights } from '@rr/model';
import { TokenPacker } from './packer.js';
import { evaluateLoss } from '../trainer.js';
import { testConfig } from '../test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'rr-packer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tok = new CharTokenizer('0123456789+QA:\n ');
const records = [
  { question: '1+2', answer: '3' },
  { question: '4+4', answer: '8' },
  { question: '9+0', answer: '9' },
];
const jsonl = join(dir, 'qa.jsonl');
writeFileSync(jsonl, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
const prompted = { path: jsonl, promptTemplate: 'Q: {question}\nA:', template: ' {answer}' };

describe('TokenPacker', () => {
  it('packs BOS + text + EOS back to back with every token scored', async () => {
    const packer = new TokenPacker([{ path: jsonl, template: 'Q: {question}\nA: {answer}' }], tok, 7);
    const { tokens, scored } = await packer.nextRows(3);
    const stream = records.flatMap((r) => tok.encode(`Q: ${r.question}\nA: ${r.answer}`, { bos: true, eos: true }));
    expect([...tokens]).toEqual(stream.slice(0, 21));
    expect([...scored]).toEqual(Array(21).fill(1));
  });

  it('with a promptTemplate scores only the completion and EOS, across row boundaries', async () => {
    const packer = new TokenPacker([prompted], tok, 5);
    const { tokens, scored } = await packer.nextRows(8);
    const expected: number[] = [];
    const mask: number[] = [];
    for (let _cycle = 0; expected.length < 40; _cycle++) {
      for (const r of records) {
        const head = tok.encode(`Q: ${r.question}\nA:`, { bos: true, eos: false });
        const tail = tok.encode(` ${r.answer}`, { bos: false, eos: true });
        expected.push(...head, ...tail);
        mask.push(...head.map(() => 0), ...tail.map(() => 1));
      }
    }
    expect([...tokens]).toEqual(expected.slice(0, 40));
    expect([...scored]).toEqual(mask.slice(0, 40));
    // the completion is what follows "A:": " 3" and EOS
    expect(tok.decode([...tokens].filter((_, i) => scored[i]))).toBe(' 3 8 9');
  });

  it('resumes mid-document with the same rows and mask', async () => {
    const whole = new TokenPacker([prompted], tok, 6);
    const first = await whole.nextRows(2);
    const rest = await whole.nextRows(3);
    expect(first.tokens.length).toBe(12);
    const before = new TokenPacker([prompted], tok, 6);
    await before.nextRows(2);
    expect(before.position.token).toBeGreaterThan(0); // 12 tokens end inside the second document
    const jumped = new TokenPacker([prompted], tok, 6, { position: before.position });
    const fromPosition = await jumped.nextRows(3);
    expect([...fromPosition.tokens]).toEqual([...rest.tokens]);
    expect([...fromPosition.scored]).toEqual([...rest.scored]);
  });

  it('rejects a promptTemplate on plain text and a prompt field that is missing', async () => {
    const text = join(dir, 'plain.txt');
    writeFileSync(text, 'one\n\ntwo\n');
    const plain = new TokenPacker([{ path: text, promptTemplate: 'Q:' }], tok, 4);
    await expect(plain.nextRows(1)).rejects.toThrow(/promptTemplate needs records/);
    const missing = new TokenPacker([{ path: jsonl, promptTemplate: 'Q: {prompt}', template: '{answer}' }], tok, 4);
    const error = await missing.nextRows(1).catch((e: unknown) => e);
    expect(isRRError(error) && error.code).toBe('DATA_INVALID');
    expect(String(error)).toMatch(/field "prompt" used by the promptTemplate/);
  });
});

describe('the loss skips prompt tokens', () => {
  it('evaluateLoss over prompt-masked rows equals the mean over completion tokens only', async () => {
    const backend = createCpuBackend({ threads: 1 });
    try {
      const config = testConfig({
        hiddenSize: 8,
        numLayers: 1,
        numHeads: 2,
        numKvHeads: 2,
        headDim: 4,
        intermediateSize: 16,
        vocabSize: tok.vocabSize,
      });
      const model = new RecurrentLM(config, initializeWeights(config, backend, { seed: 4, std: 0.5 }));
      const seq = 12;
      const masked = await evaluateLoss(model, new TokenPacker([prompted], tok, seq + 1), { batch: 2, batches: 1, recurrence: 1 });
      const all = await evaluateLoss(
        model,
        new TokenPacker(
          [prompted.path].map((path) => ({ path, template: 'Q: {question}\nA: {answer}' })),
          tok,
          seq + 1,
        ),
        { batch: 2, batches: 1, recurrence: 1 },
      );
      // by hand: per-token losses of the same rows, averaged over the scored labels only
      const { tokens, scored } = await new TokenPacker([prompted], tok, seq + 1).nextRows(2);
      const input = new Int32Array(2 * seq);
      for (let b = 0; b < 2; b++) input.set(tokens.subarray(b * (seq + 1), b * (seq + 1) + seq), b * seq);
      const logits = (await model.forward(backend.upload(input, [2, seq], 'i32')).read()) as Float32Array;
      let sum = 0;
      let n = 0;
      const V = tok.vocabSize;
      for (let b = 0; b < 2; b++) {
        for (let t = 0; t < seq; t++) {
          const i = b * (seq + 1) + t + 1;
          if (!scored[i]) continue;
          const row = logits.subarray((b * seq + t) * V, (b * seq + t + 1) * V);
          const max = Math.max(...row);
          const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
          sum += lse - row[tokens[i]!]!;
          n++;
        }
      }
      expect(n).toBeGreaterThan(0);
      expect(masked).toBeCloseTo(sum / n, 4);
      expect(Math.abs(masked - all)).toBeGreaterThan(1e-3);
      model.dispose();
    } finally {
      backend.destroy();
    }
  });
});
