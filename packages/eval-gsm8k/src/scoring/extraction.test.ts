import { describe, expect, it } from 'vitest';
import { TASKS } from '../tasks/task-spec.js';
import { exactMatch, normalizeForExactMatch } from './exact-match.js';
import { COT_CASES, PLAIN_CASES } from './extraction-cases.fixture.js';
import { applyRegexFilter, INVALID } from './regex-filter.js';
import { scoreCompletion } from './score.js';

describe.each([
  ['gsm8k-cot', COT_CASES],
  ['gsm8k', PLAIN_CASES],
] as const)('%s: extraction and scoring as lm-evaluation-harness', (task, cases) => {
  it.each(cases.map((c) => [c.why, c] as const))('%s', (_why, c) => {
    expect(scoreCompletion(c.completion, c.target, task)).toEqual({
      extracted: { strict: c.strict, flexible: c.flexible },
      correct: { strict: c.strictCorrect, flexible: c.flexibleCorrect },
    });
  });
});

describe('the table', () => {
  it('has at least 30 tricky completions', () => {
    expect(COT_CASES.length + PLAIN_CASES.length).toBeGreaterThanOrEqual(30);
  });
});

describe('applyRegexFilter (RegexFilter.apply)', () => {
  it('returns the fallback, the first or last match, and the first non-empty group of a tuple', () => {
    const strict = TASKS['gsm8k-cot'].strict;
    const flexible = TASKS['gsm8k-cot'].flexible;
    expect(applyRegexFilter(strict, 'no answer here')).toBe(INVALID);
    expect(applyRegexFilter(strict, 'The answer is 1. The answer is 2.')).toBe('1.');
    expect(applyRegexFilter(flexible, 'a 12 b 3')).toBe('3'); // last match, only group 2 took part
    expect(applyRegexFilter(flexible, 'a 3 b 12')).toBe('12'); // last match, group 1
  });

  it('returns the whole match for a pattern without groups, and a non-participating single group as ""', () => {
    expect(applyRegexFilter({ python: '[0-9]+', pattern: /[0-9]+/g, groupSelect: 0 }, 'x 42 y')).toBe('42');
    expect(applyRegexFilter({ python: 'a(b)?', pattern: /a(b)?/g, groupSelect: 0 }, 'a')).toBe('');
  });
});

describe('normalizeForExactMatch (exact_match_hf_evaluate, GSM8K settings)', () => {
  it.each([
    ['#### 1,000.', '1000', 'commas, then the "#### " prefix, then the final dot'],
    ['a #### b #### 7', '7', 'everything up to the LAST "#### " (greedy, dot-all)'],
    ['line one\n#### 7', '7', '(?s): the prefix spans newlines'],
    ['$1,234', '1234', '"$" and "," anywhere'],
    ['72.\n', '72\n', 'Python `$` matches before a final newline, so the dot goes and the newline stays'],
    ['7..', '7.', 'only one final dot'],
    ['5.5', '5.5', 'an inner dot stays'],
    ['[invalid]', '[invalid]', 'the fallback passes through'],
    ['ABC', 'abc', 'ignore_case'],
    ['5.\0', '5', 'NumPy drops trailing NULs between substitutions, exposing the dot to `\\.$`'],
  ])('%j -> %j (%s)', (input, expected) => {
    expect(normalizeForExactMatch(input)).toBe(expected);
  });

  it('compares after normalising both sides', () => {
    expect(exactMatch('1,000.', 'Some text\n#### 1000')).toBe(true);
    expect(exactMatch('[invalid]', '5')).toBe(false);
    expect(exactMatch('72\n', '72')).toBe(false);
  });
});
