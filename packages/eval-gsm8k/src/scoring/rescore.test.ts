import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreCompletions, scoreCompletionsFile } from './rescore.js';

describe('scoreCompletions', () => {
  it('scores each line and reports accuracy with stderr for both filters', () => {
    const result = scoreCompletions(
      [
        { completion: ' 48 / 2 = 24 in May, 48 + 24 = 72. The answer is 72.', target: '72' },
        { completion: ' She makes $18 every day.', target: 'She sells 9 eggs.\n#### 18' },
        { completion: ' The answer is 5', target: '5', extra: 'ignored' },
        { completion: ' I am not sure.', target: '3' },
      ],
      'gsm8k-cot',
    );
    expect(result.lines).toEqual([
      { line: 1, extracted: { strict: '72', flexible: '72.' }, correct: { strict: true, flexible: true } },
      { line: 2, extracted: { strict: '[invalid]', flexible: '$18' }, correct: { strict: false, flexible: true } },
      { line: 3, extracted: { strict: '[invalid]', flexible: '5' }, correct: { strict: false, flexible: true } },
      { line: 4, extracted: { strict: '[invalid]', flexible: '[invalid]' }, correct: { strict: false, flexible: false } },
    ]);
    expect(result).toMatchObject({ task: 'gsm8k-cot', n: 4, strict: { accuracy: 0.25, stderr: 0.25 }, flexible: { accuracy: 0.75, stderr: 0.25 } });
  });

  it('cuts raw completions at the stop sequences first, as the harness does after generation', () => {
    const raw = ' The answer is 6.\n\nQ: Ann has 99 apples. How many?\nA: The answer is 99.';
    expect(scoreCompletions([{ completion: raw, target: '6' }], 'gsm8k-cot').lines[0].extracted).toEqual({ strict: '6', flexible: '6.' });
  });

  it('names the line and field of a bad entry', () => {
    expect(() => scoreCompletions([{ completion: 'x', target: '1' }, { completion: 'x' }], 'gsm8k-cot', { source: 'runs.jsonl' })).toThrowError(
      expect.objectContaining({ code: 'SCORE_BAD_LINE', message: expect.stringMatching(/^runs\.jsonl:2: field "target" is missing/) }),
    );
    expect(() => scoreCompletions([[1, 2]], 'gsm8k')).toThrowError(/completions:1: field "completion" is absent/);
    expect(() => scoreCompletions([{ completion: 3, target: '3' }], 'gsm8k')).toThrowError(/not a string \(3\)/);
    expect(() => scoreCompletions([], 'gsm8k')).toThrowError(expect.objectContaining({ code: 'SCORE_EMPTY' }));
  });
});

describe('scoreCompletionsFile', () => {
  it('reports file line numbers, skipping blank lines, and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rr-rescore-'));
    const path = join(dir, 'completions.jsonl');
    await writeFile(path, '{"completion":"#### 7","target":"#### 7"}\n\n{"completion":"#### 8","target":"#### 9"}\n');
    const result = await scoreCompletionsFile(path, 'gsm8k');
    expect(result.lines.map((l) => [l.line, l.correct.strict])).toEqual([
      [1, true],
      [3, false],
    ]);
    await writeFile(path, '{"completion":"#### 7","target":"#### 7"}\n{"completion": oops}\n');
    await expect(scoreCompletionsFile(path, 'gsm8k')).rejects.toThrowError(new RegExp(`${path}:2: not valid JSON`));
  });
});
