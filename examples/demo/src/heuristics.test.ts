import { describe, expect, it } from 'vitest';
import { Rng } from '@rr/tensor';
import { bestHeuristic, heuristicAccuracy, heuristics } from './heuristics.js';
import { type WalkProblem, walkProblem } from './task.js';

const problem = (question: string, final: number): WalkProblem => ({
  question,
  answer: `#### ${final}`,
  moves: (question.match(/[+-]\d/g) ?? []).length,
  final,
});

describe('heuristics', () => {
  const [clampedSum, last1, last2] = heuristics([problem('1+1', 2), problem('5+2', 7), problem('0+2', 2)]);

  it('compute their rules by hand', () => {
    // 8+3-2+1: no walls 10 -> clamped 9 (the walk says 8)
    expect(clampedSum!.answer('8+3-2+1')).toBe(9);
    // last move +1 from 4 -> 5; last two: 4 -2 +1 -> 3
    expect(last1!.answer('8+3-2+1')).toBe(5);
    expect(last2!.answer('8+3-2+1')).toBe(3);
    // the most frequent training answer
    expect(
      heuristics([problem('1+1', 2), problem('5+2', 7), problem('0+2', 2)])
        .at(-1)!
        .answer('9-9'),
    ).toBe(2);
  });

  it('the clamped sum is right on every walk that never hits a wall early, and the best is chosen on the given split', () => {
    const rng = Rng.fromSeed(4);
    const walks = Array.from({ length: 300 }, (_, i) => walkProblem(rng, 1 + (i % 2), { maxStep: 3 }));
    expect(
      heuristicAccuracy(
        clampedSum!,
        walks.filter((p) => p.moves === 1),
      ),
    ).toBe(1);
    const best = bestHeuristic(heuristics(walks), walks);
    for (const h of heuristics(walks)) expect(heuristicAccuracy(best, walks)).toBeGreaterThanOrEqual(heuristicAccuracy(h, walks));
  });
});
