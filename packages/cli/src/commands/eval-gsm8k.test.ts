import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

const root = mkdtempSync(join(tmpdir(), 'rr-cli-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('rr eval gsm8k score', () => {
  const file = join(root, 'completions.jsonl');
  writeFileSync(
    file,
    `${[
      { completion: ' 48 / 2 = 24. 48 + 24 = 72. The answer is 72.\n\nQ: more', target: '72' },
      { completion: ' She makes $18 every day.', target: 'Janet sells 9 eggs.\n#### 18' },
      { completion: ' I do not know.', target: '5' },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n')}\n`,
  );

  it('prints the extracted answers per line and the accuracy as JSON', async () => {
    const { out, code, err } = await cli(['eval', 'gsm8k', 'score', '--completions', file]);
    expect(code, err).toBe(0);
    const result = JSON.parse(out);
    expect(result).toMatchObject({ task: 'gsm8k-cot', n: 3, strict: { accuracy: 1 / 3 }, flexible: { accuracy: 2 / 3 } });
    expect(
      result.lines.map((l: { line: number; extracted: { strict: string; flexible: string } }) => [l.line, l.extracted.strict, l.extracted.flexible]),
    ).toEqual([
      [1, '72', '72.'],
      [2, '[invalid]', '$18'],
      [3, '[invalid]', '[invalid]'],
    ]);
  });

  it('takes --task after the subcommand', async () => {
    const { out, code } = await cli(['eval', 'gsm8k', 'score', '--completions', file, '--task', 'gsm8k']);
    expect(code).toBe(0);
    // the gsm8k task's strict-match wants "#### N": none of the lines has it
    expect(JSON.parse(out)).toMatchObject({ task: 'gsm8k', strict: { accuracy: 0 }, flexible: { accuracy: 2 / 3 } });
  });

  it('names the bad line, the missing file and the missing flag', async () => {
    const bad = join(root, 'bad.jsonl');
    writeFileSync(bad, '{"completion": "x", "target": "1"}\n{"completion": "y"}\n');
    const line = await cli(['eval', 'gsm8k', 'score', '--completions', bad]);
    expect(line.code).toBe(1);
    expect(line.err).toMatch(/bad\.jsonl:2: field "target" is missing.*\[SCORE_BAD_LINE\]/);
    const missing = await cli(['eval', 'gsm8k', 'score', '--completions', join(root, 'nope.jsonl')]);
    expect(missing.err).toMatch(/nope\.jsonl.*\[SCORE_READ_FAILED\]/);
    const flag = await cli(['eval', 'gsm8k', 'score']);
    expect(flag.code).not.toBe(0);
    expect(flag.err).toMatch(/--completions/);
  });
});

describeWithFixtures('rr eval gsm8k on stories260K', ['gsm8k/test.jsonl', 'gsm8k/train.jsonl', 'models/stories260K-hf'], () => {
  const test = (): string => fixture('gsm8k/test.jsonl');
  const hf = (): string => fixture('models/stories260K-hf');
  const recurrent = join(root, 'stories260K-r121');
  const small = ['--shots', '1', '--max-tokens', '8'];

  beforeAll(async () => {
    const s = await cli(['surgery', '--model', hf(), '--plan', '1,2,1', '--adapter-init', 'sum', '--out', recurrent, '--json']);
    expect(s.code, s.err).toBe(0);
  });

  it('sweeps r = 1, 2 into samples.jsonl, report.json, a chart and a page; reruns resume without regenerating', async () => {
    const out = join(root, 'sweep');
    const args = ['eval', 'gsm8k', '--model', recurrent, '--data', test(), '--recurrence', '1,2', '--batch', '2', ...small, '--out', out];
    const first = await cli([...args, '--limit', '3', '--json']);
    expect(first.code, first.err).toBe(0);
    const report = JSON.parse(first.out);
    expect(report).toMatchObject({ task: 'gsm8k-cot', variant: "gsm8k_cot_sean, num_fewshot 1 (the paper's)", model: 'stories260K-r121', shots: 1, cue: true });
    expect(report.results.map((r: { recurrence: number; n: number; mean_steps: number }) => [r.recurrence, r.n, r.mean_steps])).toEqual([
      [1, 3, 1],
      [2, 3, 2],
    ]);
    for (const r of report.results) expect(r.tokens_per_s).toBeGreaterThan(0);
    for (const f of ['report.json', 'accuracy.svg', 'report.html', 'run.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'accuracy.svg'), 'utf8')).toMatch(/^<svg/);
    expect(first.err).toMatch(/6 answers generated, 0 resumed/);
    const log = readFileSync(join(out, 'samples.jsonl'), 'utf8');
    expect(log.trim().split('\n')).toHaveLength(6);

    // more questions: only the new ones are generated, and what was there stays byte for byte
    const more = await cli([...args, '--limit', '5']);
    expect(more.code, more.err).toBe(0);
    expect(more.err).toMatch(/4 answers generated, 6 resumed/);
    expect(more.out).toMatch(/^GSM8K variant: gsm8k_cot_sean, num_fewshot 1 \(the paper's\)\n\n\| r \| n \|.*\n\|.*\n\| 1 \| 5 \|.*\n\| 2 \| 5 \|/);
    expect(readFileSync(join(out, 'samples.jsonl'), 'utf8').startsWith(log)).toBe(true);

    const again = await cli([...args, '--limit', '5']);
    expect(again.err).toMatch(/0 answers generated, 10 resumed/);
    expect(again.out).toBe(more.out);

    const changed = await cli([...args, '--limit', '5', '--max-tokens', '9']);
    expect(changed.code).toBe(1);
    expect(changed.err).toMatch(/max_new_tokens: 8 then, 9 now.*\[EVAL_RESUME_MISMATCH\]/);

    const scored = await cli(['eval', 'gsm8k', 'score', '--completions', join(out, 'samples.jsonl')]);
    expect(scored.code, scored.err).toBe(0);
    expect(JSON.parse(scored.out).n).toBe(10);
  });

  it('reports the mean steps under adaptive exit', async () => {
    const out = join(root, 'adaptive');
    const {
      code,
      out: stdout,
      err,
    } = await cli([
      'eval',
      'gsm8k',
      '--model',
      recurrent,
      '--data',
      test(),
      '--recurrence',
      '3',
      '--limit',
      '2',
      ...small,
      '--adaptive-exit',
      'kl=1e9',
      '--out',
      out,
      '--json',
    ]);
    expect(code, err).toBe(0);
    const [row] = JSON.parse(stdout).results;
    // the first new token comes from the prompt at r = 3; a huge threshold lets every later one exit after 1 step
    expect(row.mean_steps).toBeCloseTo((3 + 7) / 8, 10);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).adaptive_exit).toEqual({ kl: 1e9 });
  });

  it('scores a model folder in the Huginn release format (rr surgery --format huginn), with --variant', async () => {
    const huginn = join(root, 'stories260K-r121-huginn');
    const s = await cli(['surgery', '--model', hf(), '--plan', '1,2,1', '--format', 'huginn', '--out', huginn, '--json']);
    expect(s.code, s.err).toBe(0);
    expect(JSON.parse(readFileSync(join(huginn, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'huginn_raven', n_layers_in_recurrent_block: 2 });
    const r = await cli([
      'eval',
      'gsm8k',
      '--model',
      huginn,
      '--data',
      test(),
      '--variant',
      'gsm8k_cot',
      '--recurrence',
      '1,2',
      '--limit',
      '1',
      ...small,
      '--out',
      join(root, 'huginn-eval'),
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      variant: 'gsm8k_cot, num_fewshot 1',
      cue: false,
      results: [
        { recurrence: 1, n: 1 },
        { recurrence: 2, n: 1 },
      ],
    });
  });

  it('evaluates a static model at r = 1 (also the gsm8k task, exemplars from train.jsonl beside --data) and refuses r > 1 or adaptive exit for it', async () => {
    const out = join(root, 'static');
    const ok = await cli(['eval', 'gsm8k', '--model', hf(), '--data', test(), '--task', 'gsm8k', '--limit', '2', ...small, '--out', out, '--json']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ task: 'gsm8k', shots: 1, results: [{ recurrence: 1, n: 2 }] });
    const r2 = await cli(['eval', 'gsm8k', '--model', hf(), '--data', test(), '--recurrence', '1,2', '--out', join(root, 'static-r2')]);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/--recurrence 1,2: .* is a static model.*\[BAD_FLAG\]/);
    const exit = await cli(['eval', 'gsm8k', '--model', hf(), '--data', test(), '--adaptive-exit', 'kl=1e-3', '--out', join(root, 'static-exit')]);
    expect(exit.err).toMatch(/--adaptive-exit: .* static model.*\[BAD_FLAG\]/);
    expect(existsSync(join(root, 'static-r2'))).toBe(false);
  });
});

describe('rr eval gsm8k flag errors', () => {
  const base = ['eval', 'gsm8k', '--model', 'm', '--data', 'd.jsonl', '--out', join(root, 'never')];
  const cases: [string, string[], RegExp][] = [
    ['a missing --model', ['eval', 'gsm8k', '--data', 'd.jsonl', '--out', 'o'], /required option '--model <path>'/],
    ['a missing --out', ['eval', 'gsm8k', '--model', 'm', '--data', 'd.jsonl'], /required option '--out <dir>'/],
    ['--adaptive-exit without kl=', [...base, '--adaptive-exit', '5e-4'], /--adaptive-exit <kl=x>.*"5e-4" is not kl=THRESHOLD/],
    ['--adaptive-exit kl=0', [...base, '--adaptive-exit', 'kl=0'], /--adaptive-exit <kl=x>.*positive threshold/],
    ['--recurrence 0', [...base, '--recurrence', '1,0'], /--recurrence <list>.*positive integers/],
    ['--shots -1', [...base, '--shots', '-1'], /--shots <n>.*not a positive integer/],
    ['--task unknown', [...base, '--task', 'mmlu'], /--task <name>.*gsm8k-cot/],
    ['--batch 0', [...base, '--batch', '0'], /--batch <n>/],
    ['a missing data file', base, /d\.jsonl does not exist.*\[GSM8K_FILE_NOT_FOUND\]/],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what}`, async () => {
      const { code, err } = await cli(args);
      expect(code).not.toBe(0);
      expect(err).toMatch(message);
    });
  }
  it('leaves no output folder behind for flag errors', () => {
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
});
