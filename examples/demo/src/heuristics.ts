import { WALK_MAX, WALK_MIN, type WalkProblem } from './task.js';

/** A rule that answers a walk without a model: the baselines a learned model has to beat. */
export interface Heuristic {
  readonly name: string;
  answer(question: string): number;
}

const clamp = (x: number): number => Math.max(WALK_MIN, Math.min(WALK_MAX, x));

function parse(question: string): { start: number; moves: number[] } {
  return { start: Number(question[0]), moves: (question.slice(1).match(/[+-]\d/g) ?? []).map(Number) };
}

/**
 * The candidates, each computable in one parallel pass (no step depends on the previous one):
 * - the clamped sum: the walk as if there were no walls, clamped once at the end (right whenever
 *   no wall is hit before the last move);
 * - the last k moves (k = 1..3): start from the middle (4) and follow only the chain's last k
 *   moves with walls (what a model that tracks only the end of the chain can do);
 * - the most frequent answer of the training split.
 */
export function heuristics(train: readonly WalkProblem[]): Heuristic[] {
  const counts = new Map<number, number>();
  for (const p of train) counts.set(p.final, (counts.get(p.final) ?? 0) + 1);
  const mode = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
  const lastMoves = (k: number): Heuristic => ({
    name: `last ${k} move${k > 1 ? 's' : ''} from 4`,
    answer: (q) =>
      parse(q)
        .moves.slice(-k)
        .reduce((at, m) => clamp(at + m), 4),
  });
  return [
    {
      name: 'clamped sum',
      answer: (q) => {
        const { start, moves } = parse(q);
        return clamp(moves.reduce((a, m) => a + m, start));
      },
    },
    lastMoves(1),
    lastMoves(2),
    lastMoves(3),
    { name: `always ${mode}`, answer: () => mode },
  ];
}

/** Fraction of problems a heuristic answers right. */
export function heuristicAccuracy(h: Heuristic, problems: readonly WalkProblem[]): number {
  if (problems.length === 0) return 0;
  return problems.filter((p) => h.answer(p.question) === p.final).length / problems.length;
}

/** The heuristic with the best accuracy on `validation` (ties: the earlier one): chosen without the test split. */
export function bestHeuristic(candidates: readonly Heuristic[], validation: readonly WalkProblem[]): Heuristic {
  let best = candidates[0]!;
  let bestAccuracy = -1;
  for (const h of candidates) {
    const a = heuristicAccuracy(h, validation);
    if (a > bestAccuracy) [best, bestAccuracy] = [h, a];
  }
  return best;
}
