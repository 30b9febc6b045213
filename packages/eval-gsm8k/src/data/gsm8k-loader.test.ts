import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, itWithFixtures } from '@rr/tensor/testing';
import { gsm8kSplitPath, loadGsm8k, parseGsm8k } from './gsm8k-loader.js';

const GOOD = '{"question": "What is 2 + 2?", "answer": "2 + 2 = <<2+2=4>>4\\n#### 4"}';

describe('parseGsm8k', () => {
  it('reads question/answer lines, skipping blank lines, CRLF and a BOM', () => {
    expect(parseGsm8k(`\uFEFF${GOOD}\r\n\n${GOOD}\n`, 'x.jsonl')).toEqual([
      { question: 'What is 2 + 2?', answer: '2 + 2 = <<2+2=4>>4\n#### 4' },
      { question: 'What is 2 + 2?', answer: '2 + 2 = <<2+2=4>>4\n#### 4' },
    ]);
  });

  it.each([
    ['{"question": "q", "answer": "#### 1"', /data\.jsonl:2: not valid JSON/],
    ['[1, 2]', /data\.jsonl:2: is an array, not an object/],
    ['{"answer": "#### 1"}', /data\.jsonl:2: field "question" is missing/],
    ['{"question": "  ", "answer": "#### 1"}', /data\.jsonl:2: field "question" is an empty string/],
    ['{"question": "q", "answer": ""}', /data\.jsonl:2: field "answer" is an empty string/],
    ['{"question": "q", "answer": 4}', /data\.jsonl:2: field "answer" is a number/],
    ['{"question": "q", "answer": "the answer is 4"}', /data\.jsonl:2: field "answer" has no "#### <number>"/],
    ['{"question": "q", "answer": "####4"}', /data\.jsonl:2: field "answer" has no "#### <number>"/],
  ])('rejects %s with file and line', (bad, message) => {
    expect(() => parseGsm8k(`${GOOD}\n${bad}\n${GOOD}\n`, 'data.jsonl')).toThrowError(
      expect.objectContaining({
        code: 'GSM8K_BAD_LINE',
        message: expect.stringMatching(message),
        details: expect.objectContaining({ file: 'data.jsonl', line: 2 }),
      }),
    );
  });
});

describe('loadGsm8k', () => {
  it('loads a user path and says what to do when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rr-gsm8k-'));
    await writeFile(join(dir, 'mine.jsonl'), `${GOOD}\n`);
    expect(await loadGsm8k(join(dir, 'mine.jsonl'))).toHaveLength(1);
    await expect(loadGsm8k(join(dir, 'absent.jsonl'))).rejects.toThrowError(expect.objectContaining({ code: 'GSM8K_FILE_NOT_FOUND' }));
  });

  it('builds split paths', () => {
    expect(gsm8kSplitPath('test')).toBe('fixtures/gsm8k/test.jsonl');
    expect(gsm8kSplitPath('train', '/data/gsm8k/')).toBe('/data/gsm8k/train.jsonl');
  });

  itWithFixtures('loads the real splits', ['gsm8k/train.jsonl', 'gsm8k/test.jsonl'], async () => {
    expect(await loadGsm8k(gsm8kSplitPath('train', fixture('gsm8k')))).toHaveLength(7473);
    expect(await loadGsm8k(gsm8kSplitPath('test', fixture('gsm8k')))).toHaveLength(1319);
  });
});
