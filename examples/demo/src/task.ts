import { RRError, Rng } from '@rr/tensor';
import type { Gsm8kSample } from '@rr/eval-gsm8k';

/**
 * The demo's task: a walk on the digits 0..9 with walls. A token starts on a digit and makes a
 * chain of moves (`+3` = three steps up, `-7` = seven steps down); a move that would leave 0..9
 * stops at the wall. The question is the chain written compactly, `5+3-7+4`, and the answer is
 * where the token ends: 5 -> 8 -> 1 -> 5, so 5.
 *
 * Why depth matters: the walls make the walk sequential. Without them the answer would be a sum
 * (5 + 3 - 7 + 4), which a transformer can compute in parallel in one attention layer. With them,
 * every move depends on where the previous one ended (`8+3` stops at 9, so the next `-7` lands on
 * 2, not 4), so tracking the token through k moves takes k dependent steps, i.e. depth. The sum
 * shortcut stays wrong whenever a wall was hit before the end. Yet the task is learnable by a tiny
 * model in minutes, because it has partial credit: knowing only the last move already narrows
 * the answer (after `-7` the token is at 0, 1 or 2), and every further move tracked backwards
 * narrows it more, so accuracy grows gradually with the number of moves a model can follow, and
 * gradient descent gets a signal long before the whole chain is solved. (Modular arithmetic
 * chains, by contrast, give no signal until every step is right, and do not train in minutes.)
 *
 * The number of moves is the difficulty knob.
 */
export interface WalkProblem extends Gsm8kSample {
  /** Number of moves: the difficulty. */
  readonly moves: number;
  /** The end position (the number after `####`). */
  readonly final: number;
}

export interface WalkOptions {
  /** Largest step of one move (1..9); default 5. */
  readonly maxStep?: number;
}

/** Digits of the walk: 0..9. */
export const WALK_MIN = 0;
export const WALK_MAX = 9;

/** One problem with `moves` moves, drawn from `rng`. */
export function walkProblem(rng: Rng, moves: number, options: WalkOptions = {}): WalkProblem {
  const maxStep = options.maxStep ?? 5;
  if (!Number.isInteger(moves) || moves < 1) throw new RRError('BAD_ARGUMENT', `walkProblem: moves = ${moves} must be an integer >= 1.`);
  if (!Number.isInteger(maxStep) || maxStep < 1 || maxStep > 9)
    throw new RRError('BAD_ARGUMENT', `walkProblem: maxStep = ${maxStep} must be an integer from 1 to 9.`);
  const start = WALK_MIN + rng.integer(WALK_MAX - WALK_MIN + 1);
  let at = start;
  let question = `${start}`;
  const steps: string[] = [];
  for (let i = 0; i < moves; i++) {
    const size = 1 + rng.integer(maxStep);
    const down = rng.integer(2) === 1;
    const raw = down ? at - size : at + size;
    const next = Math.max(WALK_MIN, Math.min(WALK_MAX, raw));
    const move = `${down ? '-' : '+'}${size}`;
    question += move;
    steps.push(`${at}${move} = ${raw}${raw === next ? '' : `, stopped at ${next}`}.`);
    at = next;
  }
  return { question, answer: `${steps.join(' ')}\n#### ${at}`, moves, final: at };
}

/**
 * A training document is the gsm8k-cot prompt (0-shot, no cue) and the direct answer. The prompt
 * part is not scored (completion-only loss): the questions are random, so predicting their
 * characters teaches nothing and would drown the answers' gradient.
 */
export const TRAINING_PROMPT = 'Q: {question}\nA:';
export const TRAINING_COMPLETION = ' {final}';

/** A training document's two parts, rendered from TRAINING_PROMPT and TRAINING_COMPLETION. */
export function trainingParts(problem: Pick<WalkProblem, 'question' | 'final'>): { prompt: string; completion: string } {
  return {
    prompt: TRAINING_PROMPT.replace('{question}', problem.question),
    completion: TRAINING_COMPLETION.replace('{final}', String(problem.final)),
  };
}

/** The whole training document, prompt and answer. */
export function trainingText(problem: Pick<WalkProblem, 'question' | 'final'>): string {
  const { prompt, completion } = trainingParts(problem);
  return prompt + completion;
}

/** Every character the questions, prompts and training texts use (the char tokenizer's alphabet). */
export const WALK_ALPHABET = '0123456789+-QA:\n ';

export interface SplitOptions {
  readonly seed: number;
  /** Training problems, each with a move count drawn uniformly from `trainMoves`. */
  readonly trainSize: number;
  /** Inclusive range of move counts in training. */
  readonly trainMoves: readonly [number, number];
  /** Test move counts; `testPerMoves` problems each, in blocks of equal difficulty. */
  readonly testMoves: readonly number[];
  readonly testPerMoves: number;
  readonly maxStep?: number;
}

/**
 * Train, validation and test splits from one seed. Validation and test are drawn first, each from
 * its own stream, with the same difficulties; the training problems skip any of their questions, so
 * none is ever trained on. Choices (settings, the heuristic) are made on validation, never on test.
 */
export function makeSplits(options: SplitOptions): { train: WalkProblem[]; validation: WalkProblem[]; test: WalkProblem[] } {
  const [lo, hi] = options.trainMoves;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) {
    throw new RRError('BAD_ARGUMENT', `makeSplits: trainMoves = [${lo}, ${hi}] must be integers with 1 <= min <= max.`);
  }
  const root = Rng.fromSeed(options.seed);
  const heldOut = (name: string): WalkProblem[] => {
    const rng = root.stream(name);
    const out: WalkProblem[] = [];
    for (const moves of options.testMoves) {
      for (let i = 0; i < options.testPerMoves; i++) out.push(walkProblem(rng, moves, options));
    }
    return out;
  };
  const test = heldOut('walk-test');
  const validation = heldOut('walk-validation');
  const held = new Set([...test, ...validation].map((p) => p.question));
  const trainRng = root.stream('walk-train');
  const train: WalkProblem[] = [];
  let attempts = 0;
  while (train.length < options.trainSize) {
    if (++attempts > options.trainSize * 20 + 1000) {
      throw new RRError(
        'BAD_ARGUMENT',
        `makeSplits: cannot draw ${options.trainSize} training problems outside the test set with moves ${lo}..${hi}; allow more moves or fewer problems.`,
      );
    }
    const p = walkProblem(trainRng, lo + trainRng.integer(hi - lo + 1), options);
    if (!held.has(p.question)) train.push(p);
  }
  return { train, validation, test };
}
