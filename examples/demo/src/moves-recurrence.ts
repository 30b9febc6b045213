import { Rng } from '@rr/tensor';
import type { CharTokenizer } from '@rr/model';
import { type RecurrenceSampler, type RecurrenceSplit, splitRecurrence } from '@rr/curriculum';
import type { BatchSource, PackedRows } from '@rr/train';
import type { WalkProblem } from './task.js';

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
 */
export class MovesBatches implements BatchSource, RecurrenceSampler {
  private readonly byMoves = new Map<number, WalkProblem[]>();
  private readonly cursor = new Map<number, number>();
  private readonly moveCounts: number[];
  private readonly rng: Rng;
  private lastMoves = 1;

  constructor(
    problems: readonly WalkProblem[],
    private readonly tokenizer: CharTokenizer,
    readonly rowLength: number,
    seed: number,
    private readonly recurrenceOf: (moves: number) => number,
    private readonly backpropDepth: number,
  ) {
    for (const p of problems) {
      const list = this.byMoves.get(p.moves) ?? [];
      list.push(p);
      this.byMoves.set(p.moves, list);
    }
    this.moveCounts = [...this.byMoves.keys()].sort((a, b) => a - b);
    this.rng = Rng.fromSeed(seed).stream('moves-batches');
  }

  async nextRows(rows: number): Promise<PackedRows> {
    const moves = this.moveCounts[this.rng.integer(this.moveCounts.length)]!;
    this.lastMoves = moves;
    const list = this.byMoves.get(moves)!;
    const total = rows * this.rowLength;
    const tokens = new Int32Array(total);
    const scored = new Uint8Array(total);
    let at = 0;
    while (at < total) {
      const i = this.cursor.get(moves) ?? 0;
      this.cursor.set(moves, (i + 1) % list.length);
      const p = list[i]!;
      const prompt = this.tokenizer.encode(`Q: ${p.question}\nA:`, { bos: true });
      const answer = this.tokenizer.encode(` ${p.final}`, { bos: false, eos: true });
      for (const [ids, score] of [
        [prompt, 0],
        [answer, 1],
      ] as const) {
        for (const id of ids) {
          if (at >= total) break;
          tokens[at] = id;
          scored[at] = score;
          at++;
        }
      }
    }
    return { tokens, scored };
  }

  sample(_step: number, _meanRecurrence: number): RecurrenceSplit {
    return splitRecurrence(Math.max(1, this.recurrenceOf(this.lastMoves)), this.backpropDepth);
  }
}
