import { Rng } from '@rr/tensor';
import type { CharTokenizer } from '@rr/model';
import { type RecurrenceSampler, type RecurrenceSplit, splitRecurrence } from '@rr/curriculum';
import type { BatchSource, PackedRows } from '@rr/train';
import { type WalkProblem, trainingParts } from './task.js';

/**
 * Recurrence tied to difficulty: every batch holds walks of one move count k, and that batch runs
 * the recurrent block `recurrenceOf(k)` times. One object is both the Trainer's batch source and
 * its recurrence sampler, because the Trainer draws the rows first and then asks for (n, k): the
 * sampler answers for the batch it has just packed. The point: a block iterated once per move can
 * follow the walk one move per iteration, and a walk longer than any trained on then asks for
 * nothing new but more iterations.
 *
 * Documents are packed as the TokenPacker packs them (BOS + prompt + completion + EOS, back to
 * back, no masking), only the completion and EOS scored.
 *
 * With `rampBatches` > 0 the move counts come in as a curriculum over difficulty: batch b draws
 * from the smallest ceil(K * (b + 1) / rampBatches) of the K move counts, so the block first
 * learns to follow one or two moves before it is asked to chain eight.
 */
/** The training documents of one move count, tokenized once, and where the next batch resumes. */
interface MovesGroup {
  /** BOS + prompt + completion + EOS of each document, and where its scored completion starts. */
  readonly docs: { readonly ids: readonly number[]; readonly scoredFrom: number }[];
  next: number;
}

export class MovesBatches implements BatchSource, RecurrenceSampler {
  private readonly groups = new Map<number, MovesGroup>();
  private readonly moveCounts: number[];
  private readonly rng: Rng;
  private lastMoves = 1;
  private batches = 0;

  constructor(
    problems: readonly WalkProblem[],
    tokenizer: CharTokenizer,
    readonly rowLength: number,
    seed: number,
    private readonly recurrenceOf: (moves: number) => number,
    private readonly backpropDepth: number,
    private readonly rampBatches = 0,
  ) {
    for (const p of problems) {
      const { prompt, completion } = trainingParts(p);
      const head = tokenizer.encode(prompt, { bos: true });
      const group = this.groups.get(p.moves) ?? { docs: [], next: 0 };
      group.docs.push({ ids: [...head, ...tokenizer.encode(completion, { bos: false, eos: true })], scoredFrom: head.length });
      this.groups.set(p.moves, group);
    }
    this.moveCounts = [...this.groups.keys()].sort((a, b) => a - b);
    this.rng = Rng.fromSeed(seed).stream('moves-batches');
  }

  async nextRows(rows: number): Promise<PackedRows> {
    const K = this.moveCounts.length;
    const open = this.rampBatches > 0 ? Math.min(K, Math.ceil((K * ++this.batches) / this.rampBatches)) : K;
    const moves = this.moveCounts[this.rng.integer(open)]!;
    this.lastMoves = moves;
    const group = this.groups.get(moves)!;
    const total = rows * this.rowLength;
    const tokens = new Int32Array(total);
    const scored = new Uint8Array(total);
    for (let at = 0; at < total; ) {
      const doc = group.docs[group.next]!;
      group.next = (group.next + 1) % group.docs.length;
      const n = Math.min(doc.ids.length, total - at);
      tokens.set(doc.ids.slice(0, n), at);
      scored.fill(1, at + Math.min(doc.scoredFrom, n), at + n);
      at += n;
    }
    return { tokens, scored };
  }

  sample(_step: number, _meanRecurrence: number): RecurrenceSplit {
    return splitRecurrence(Math.max(1, this.recurrenceOf(this.lastMoves)), this.backpropDepth);
  }
}
