import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '@rr/model';
import { buildPrompts, parseGsm8k } from '@rr/eval-gsm8k';
import { TINY_CONFIG } from './config.js';
import { runDemo } from './demo.js';
import { main } from './cli.js';
import { TRAINING_COMPLETION, TRAINING_PROMPT, WALK_ALPHABET, makeSplits, trainingText, walkProblem } from './task.js';
import { Rng } from '@rr/tensor';

const root = mkdtempSync(join(tmpdir(), 'rr-demo-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the walk task', () => {
  it('follows the walls and writes GSM8K answers', () => {
    const rng = Rng.fromSeed(3);
    for (let i = 0; i < 200; i++) {
      const p = walkProblem(rng, 1 + (i % 8));
      let at = Number(p.question[0]);
      for (const m of p.question.slice(1).match(/[+-]\d/g)!) at = Math.min(9, Math.max(0, at + Number(m)));
      expect(p.final).toBe(at);
      expect(p.answer.endsWith(`\n#### ${at}`)).toBe(true);
      expect(p.question.match(/[+-]\d/g)!.length).toBe(p.moves);
      // the harness's loader reads it back
      expect(parseGsm8k(JSON.stringify({ question: p.question, answer: p.answer }), 'x.jsonl')[0]!.answer).toBe(p.answer);
    }
  });

  it('keeps every test question out of training, reproducibly from the seed', () => {
    const options = { seed: 5, trainSize: 3000, trainMoves: [1, 3] as const, testMoves: [1, 2, 3], testPerMoves: 30 };
    const a = makeSplits(options);
    const b = makeSplits(options);
    expect(a).toEqual(b);
    const held = new Set([...a.test, ...a.validation].map((p) => p.question));
    expect(a.train.some((p) => held.has(p.question))).toBe(false);
    expect(a.validation.map((p) => p.moves)).toEqual(a.test.map((p) => p.moves));
    expect(a.validation).not.toEqual(a.test);
    expect(a.test.map((p) => p.moves)).toEqual([...Array(30).fill(1), ...Array(30).fill(2), ...Array(30).fill(3)]);
    expect(makeSplits({ ...options, seed: 6 }).test).not.toEqual(a.test);
  });

  it('trains on the prompt the harness asks with (gsm8k-cot, 0-shot, no cue), scoring the answer only', () => {
    const p = walkProblem(Rng.fromSeed(2), 5);
    const fill = (t: string): string => t.replace('{question}', p.question).replace('{final}', String(p.final));
    expect(buildPrompts([p], { task: 'gsm8k-cot', shots: 0, cue: false })[0]).toBe(fill(TRAINING_PROMPT));
    expect(fill(TRAINING_PROMPT) + fill(TRAINING_COMPLETION)).toBe(trainingText(p));
  });

  it('only uses characters of the tokenizer alphabet', () => {
    const tok = new CharTokenizer(WALK_ALPHABET);
    const p = walkProblem(Rng.fromSeed(1), 7);
    const text = trainingText(p);
    expect(tok.decode(tok.encode(text, { bos: true, eos: true }))).toBe(text);
  });
});

describe('runDemo at toy scale', () => {
  it('trains, retrofits, post-trains, evaluates and writes the report', async () => {
    const out = join(root, 'demo');
    const lines: string[] = [];
    const result = await runDemo(TINY_CONFIG, { outDir: out, log: (l) => lines.push(l) });
    for (const f of [result.files.json, result.files.svg, result.files.html, result.files.summary, result.files.staticReport, result.files.demoHtml])
      expect(existsSync(f)).toBe(true);
    for (const d of ['pretrained', 'recurrent', 'static']) expect(existsSync(join(out, 'models', d, 'model.safetensors'))).toBe(true);
    expect(lines.some((l) => l.includes('[pretrain static]'))).toBe(true);
    expect(lines.some((l) => l.includes('[post-train recurrent]'))).toBe(true);
    expect(lines.some((l) => l.includes('[eval recurrent]'))).toBe(true);

    const report = JSON.parse(readFileSync(result.files.json, 'utf8'));
    expect(report.task).toBe('gsm8k-cot');
    expect(report.results.map((r: { recurrence: number }) => r.recurrence)).toEqual([...TINY_CONFIG.eval.recurrences]);
    expect(report.static_baseline).toBeGreaterThanOrEqual(0);
    expect(report.static_baseline).toBeLessThanOrEqual(1);
    expect(readFileSync(result.files.svg, 'utf8')).toContain('<svg');

    expect(result.rows.map((r) => `${r.model}@${r.recurrence}`)).toEqual([
      'heuristic@0',
      'static@1',
      ...TINY_CONFIG.eval.recurrences.map((r) => `recurrent@${r}`),
    ]);
    // the static baseline got the recurrent post-training's FLOPs: at least as many, at most one step more
    const { recurrent, static: stat } = result.phases;
    expect(recurrent.flops).toBeGreaterThan(0);
    expect(stat.flops).toBeGreaterThanOrEqual(recurrent.flops);
    expect(stat.flops - recurrent.flops).toBeLessThan(stat.flops / stat.steps);
    expect(stat.loss.length).toBeGreaterThan(0);
    const page = readFileSync(result.files.demoHtml, 'utf8');
    expect(page).toContain(`seed ${TINY_CONFIG.seed}`);
    expect(page).toContain('training FLOPs');
    expect(page).not.toContain('strict');
    for (const row of result.rows) {
      expect(row.accuracy).toBeGreaterThanOrEqual(0);
      expect(row.accuracy).toBeLessThanOrEqual(1);
      expect(row.n).toBe(TINY_CONFIG.task.testMoves.length * TINY_CONFIG.task.testPerMoves);
      for (const v of Object.values(row.byMoves)) expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(result.rows.find((r) => r.model === 'recurrent' && r.recurrence === 2)!.depth).toBe(4); // 1 + 1*2 + 1
    expect(result.table).toContain('| model');
    expect(result.table.split('\n').filter((l) => l.startsWith('| recurrent')).length).toBe(TINY_CONFIG.eval.recurrences.length);

    // a rerun into the same folder starts afresh instead of resuming the old evaluation
    const again = await runDemo(TINY_CONFIG, { outDir: out, log: () => {} });
    expect(again.rows.length).toBe(result.rows.length);
  });

  it('prints the table from the command line', async () => {
    const logs: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void logs.push(args.join(' '));
    try {
      expect(await main(['--tiny', '--out', join(root, 'cli'), '--seed', '2'])).toBe(0);
    } finally {
      console.log = original;
    }
    const text = logs.join('\n');
    expect(text).toContain('| model');
    expect(text).toContain('| static');
    expect(text).toMatch(/total \d+s/);
    expect(existsSync(join(root, 'cli', 'report.html'))).toBe(true);
  });

  it('rejects bad flags', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      expect(await main(['--seed', 'x'])).toBe(2);
      expect(await main(['--bogus'])).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors.join('\n')).toContain('--seed');
  });
});
