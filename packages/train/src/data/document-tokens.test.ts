import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '@rr/model';
import { DocumentTokens, PIECE_CHARS } from './document-tokens.js';

const tokenizer = new CharTokenizer('abcdefghijklmnopqrstuvwxyzQ:. 😀');

describe('DocumentTokens', () => {
  it('encodes a normal document in one call, exactly as encode(text, { bos, eos })', () => {
    const text = 'once upon a time';
    const doc = new DocumentTokens(tokenizer, '', text);
    doc.fill(Number.POSITIVE_INFINITY);
    expect(doc.complete).toBe(true);
    expect(doc.tokens).toEqual(tokenizer.encode(text, { bos: true, eos: true }));
    const prompted = new DocumentTokens(tokenizer, 'Q: ', text);
    prompted.fill(Number.POSITIVE_INFINITY);
    expect(prompted.tokens).toEqual([...tokenizer.encode('Q: ', { bos: true }), ...tokenizer.encode(text, { bos: false, eos: true })]);
    expect(prompted.scoredFrom).toBe(tokenizer.encode('Q: ', { bos: true }).length);
  });

  it('encodes a huge document only as far as it is read, and the same on every run', () => {
    const text = 'the cat sat on the mat. '.repeat(Math.ceil((3 * PIECE_CHARS) / 24));
    const doc = new DocumentTokens(tokenizer, '', text);
    doc.fill(100);
    expect(doc.tokens.length).toBeGreaterThanOrEqual(100);
    expect(doc.tokens.length).toBeLessThanOrEqual(PIECE_CHARS + 2);
    expect(doc.complete).toBe(false);
    doc.fill(Number.POSITIVE_INFINITY);
    expect(doc.complete).toBe(true);
    // a character tokenizer has no merges, so the pieces give exactly the one-call tokens
    expect(doc.tokens).toEqual(tokenizer.encode(text, { bos: true, eos: true }));
    const again = new DocumentTokens(tokenizer, '', text);
    again.fill(2 * PIECE_CHARS);
    expect(again.tokens).toEqual(doc.tokens.slice(0, again.tokens.length));
  });

  it('never cuts a surrogate pair when there is no whitespace to cut at', () => {
    const text = '😀'.repeat(PIECE_CHARS);
    const doc = new DocumentTokens(tokenizer, '', text);
    doc.fill(Number.POSITIVE_INFINITY);
    expect(tokenizer.decode(doc.tokens)).toBe(text);
  });
});
