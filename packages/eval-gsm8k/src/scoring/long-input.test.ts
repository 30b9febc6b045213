import { describe, expect, it } from 'vitest';
import { pythonStrip } from '../python-str.js';
import { normalizeForExactMatch } from './exact-match.js';
import { scoreCompletion } from './score.js';

/** The harness's substitutions written as the regexes of the task YAML (quadratic on some inputs). */
function normalizeByRegex(s: string): string {
  let out = s;
  for (const re of [/,/g, /\$/g, /[\s\S]*#### /g, /\.(?=\n?$)/g]) out = out.replace(re, '').replace(/\0+$/, '');
  return out.toLowerCase();
}

const PIECES = ['#### ', '#', ' ', '\n', '\t', '\0', '1', '23', '.', ',', '$', '-', 'The answer is ', 'x', '\u3000', '\x85'];

function randomText(seed: number, length: number): string {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state;
  };
  let s = '';
  while (s.length < length) s += PIECES[next() % PIECES.length];
  return s;
}

describe('answer extraction on long and odd inputs', () => {
  it('gives what the harness regexes give on 2000 random short strings', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const s = randomText(seed, seed % 60);
      expect(normalizeForExactMatch(s), JSON.stringify(s)).toBe(normalizeByRegex(s));
      expect(pythonStrip(s), JSON.stringify(s)).toBe(
        s
          .replace(/^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/, '')
          .replace(/[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/, ''),
      );
    }
  });

  // Hang guards, not timings: quadratic work on these inputs takes hours, linear work well under a
  // second, and the test's generous limit only tells the two apart.
  const MB = 1 << 20;
  const inputs: [string, string][] = [
    ['5 MB of digits', '1'.repeat(5 * MB)],
    ['5 MB of spaces inside text', `a${' '.repeat(5 * MB)}a`],
    ['5 MB of NULs inside text', `1${'\0'.repeat(5 * MB)}1`],
    ['"The answer is" and 5 MB of digits', `The answer is ${'9'.repeat(5 * MB)}`],
    ['5 MB of "#" without the marker', '#'.repeat(5 * MB)],
    ['1 MB of numbers separated by spaces', '12 '.repeat(MB / 3)],
    ['random pieces, 2 MB', randomText(7, 2 * MB)],
  ];
  for (const [name, completion] of inputs) {
    it(`scores ${name}`, { timeout: 60_000 }, () => {
      for (const task of ['gsm8k-cot', 'gsm8k'] as const) {
        const score = scoreCompletion(completion, '1', task);
        expect(typeof score.extracted.flexible).toBe('string');
      }
    });
  }
});
