import { describe, expect, it } from 'vitest';
import { TASKS } from '../tasks/task-spec.js';
import { truncateAtStop } from './stop-sequences.js';

describe('truncateAtStop', () => {
  const cot = TASKS['gsm8k-cot'].stop;
  const plain = TASKS.gsm8k.stop;

  it('uses the harness task YAMLs’ stop sequences', () => {
    expect(cot).toEqual(['Q:', '</s>', '<|im_end|>']);
    expect(plain).toEqual(['Question:', '</s>', '<|im_end|>']);
  });

  it('cuts at the earliest stop sequence, whichever comes first in the list', () => {
    expect(truncateAtStop(' The answer is 6.\n\nQ: next question', cot)).toBe(' The answer is 6.\n\n');
    expect(truncateAtStop('x</s>y Q: z', cot)).toBe('x');
    expect(truncateAtStop('a<|im_end|>b</s>', cot)).toBe('a');
    expect(truncateAtStop('#### 7\n\nQuestion: more', plain)).toBe('#### 7\n\n');
  });

  it('keeps text without stop sequences, ignores empty terms, and is idempotent', () => {
    expect(truncateAtStop('no stop here', cot)).toBe('no stop here');
    expect(truncateAtStop('abc', ['', 'c'])).toBe('ab');
    const once = truncateAtStop('a Q: b Q: c', cot);
    expect(truncateAtStop(once, cot)).toBe(once);
  });

  it('is case-sensitive and exact, as str.split is', () => {
    expect(truncateAtStop('q: lower case', cot)).toBe('q: lower case');
    expect(truncateAtStop('Q : spaced', cot)).toBe('Q : spaced');
    // gsm8k stops at "Question:" only, so a "Q:" survives there
    expect(truncateAtStop('Q: kept', plain)).toBe('Q: kept');
  });
});
