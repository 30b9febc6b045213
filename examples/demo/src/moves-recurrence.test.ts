import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '@rr/model';
import { Rng } from '@rr/tensor';
import { MovesBatches } from './moves-recurrence.js';
import { WALK_ALPHABET, walkProblem } from './task.js';

const tokenizer = new CharTokenizer(WALK_ALPHABET);
const rng = Rng.fromSeed(7).stream('test');
const problems = Array.from({ length: 300 }, (_, i) => walkProblem(rng, 1 + (i % 6), { maxStep: 3 }));

/** The walks a batch holds, decoded back from its tokens (BOS starts each document). */
function questionsOf(tokens: Int32Array): string[] {
  return tokenizer
    .decode([...tokens])
    .split('Q: ')
    .slice(1)
    .map((d) => d.split('\n')[0]!);
}

describe('MovesBatches', () => {
  it('packs one move count per batch and runs the block that many times (+ extra)', async () => {
    const batches = new MovesBatches(problems, tokenizer, 65, 3, (k) => k + 2, 4);
    const seen = new Set<number>();
    for (let step = 0; step < 40; step++) {
      const rows = await batches.nextRows(4);
      expect(rows.tokens.length).toBe(4 * 65);
      // a batch starts at a document's start; only its last question may be cut short
      const moves = questionsOf(rows.tokens).map((q) => (q.match(/[+-]/g) ?? []).length);
      const k = moves[0]!;
      expect(new Set(moves.slice(0, -1))).toEqual(new Set([k]));
      seen.add(k);
      const split = batches.sample(step, 8);
      expect(split.noGrad + split.withGrad).toBe(k + 2);
      expect(split.withGrad).toBe(Math.min(4, k + 2));
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('scores the answer and EOS only, never BOS or the prompt', async () => {
    const batches = new MovesBatches(problems, tokenizer, 33, 1, (k) => k, 8);
    const { tokens, scored } = await batches.nextRows(3);
    const text = [...tokens].map((id, i) => (scored[i] ? tokenizer.decode([id]) || '<eos>' : '_')).join('');
    // scored runs are " d<eos>" answers: a space, one digit, the end of the document
    const runs = text.split(/_+/).filter(Boolean);
    expect(runs.length).toBeGreaterThan(2);
    for (const run of runs.slice(0, -1)) expect(run).toMatch(/^ \d<eos>$/);
    for (let i = 0; i < tokens.length; i++) if (tokens[i] === tokenizer.bosId) expect(scored[i]).toBe(0);
  });

  it('is the same for the same seed and differs for another', async () => {
    const a = await new MovesBatches(problems, tokenizer, 65, 5, (k) => k, 8).nextRows(2);
    const b = await new MovesBatches(problems, tokenizer, 65, 5, (k) => k, 8).nextRows(2);
    expect([...a.tokens]).toEqual([...b.tokens]);
    const order = async (seed: number): Promise<number[]> => {
      const m = new MovesBatches(problems, tokenizer, 65, seed, (k) => k, 8);
      const out: number[] = [];
      for (let i = 0; i < 12; i++) {
        await m.nextRows(1);
        out.push(m.sample(i, 1).withGrad);
      }
      return out;
    };
    expect(await order(5)).not.toEqual(await order(6));
  });

  it('with a difficulty ramp, opens the move counts shortest first', async () => {
    const batches = new MovesBatches(problems, tokenizer, 65, 3, (k) => k, 8, 12);
    const drawn: number[] = [];
    for (let b = 0; b < 60; b++) {
      await batches.nextRows(1);
      drawn.push(batches.sample(b, 1).withGrad);
    }
    // 6 move counts over 12 batches: batches 1-2 see only 1 move, 3-4 up to 2, ..., 11-12 up to 6
    for (let b = 0; b < 12; b++) expect(drawn[b]).toBeLessThanOrEqual(Math.ceil((6 * (b + 1)) / 12));
    expect(new Set(drawn.slice(0, 2))).toEqual(new Set([1]));
    expect(new Set(drawn.slice(12))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });
});
