import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@rr/tensor';
import { PAPER_DATA, type PaperRun } from './paper-recipes.js';

/** What a tiny run reads in place of the paper's models and data. */
export interface TinyInputs {
  /** A small Hugging Face Llama folder (stories260K, 5 layers). */
  model: string;
  /** General text (TinyStories). */
  general: string;
  /** Held-out general text. */
  heldOut: string;
}

/**
 * Math and instruction text for the tiny runs, generated (never GSM8K, which the paper does not
 * train on): seeded two-step arithmetic stories, as worked solutions and as question-answer turns.
 */
export function writeTinyData(dir: string, count = 400): { math: string; instruction: string } {
  const rng = Rng.fromSeed(0).stream('tiny-data');
  const names = ['Lily', 'Tom', 'Mia', 'Ben', 'Sue', 'Max'];
  const things = ['apples', 'stones', 'cards', 'shells', 'books'];
  const problem = (): { question: string; solution: string; answer: number } => {
    const [a, b, c] = [2 + rng.integer(20), 1 + rng.integer(10), 1 + rng.integer(5)];
    const who = names[rng.integer(names.length)]!;
    const what = things[rng.integer(things.length)]!;
    const answer = (a + b) * c;
    return {
      question: `${who} has ${a} ${what} and finds ${b} more. Then ${who} gets ${c} times as many. How many ${what} does ${who} have?`,
      solution: `${a} + ${b} = ${a + b}. ${a + b} * ${c} = ${answer}.`,
      answer,
    };
  };
  const line = (text: string): string => JSON.stringify({ text });
  mkdirSync(dir, { recursive: true });
  const math = join(dir, 'math.jsonl');
  const instruction = join(dir, 'instruction.jsonl');
  writeFileSync(
    math,
    `${Array.from({ length: count }, () => problem())
      .map((p) => line(`${p.question} ${p.solution} The answer is ${p.answer}.`))
      .join('\n')}\n`,
  );
  writeFileSync(
    instruction,
    `${Array.from({ length: count }, () => problem())
      .map((p) => line(`User: ${p.question}\nAssistant: ${p.solution} The answer is ${p.answer}.`))
      .join('\n')}\n`,
  );
  return { math, instruction };
}

/**
 * A paper run at tiny scale with the same shape: the same phases, data mix, curricula (M included),
 * schedules, optimizers and held-out recurrences, but stories260K cut (1,2,1) for the (P,R,C) plan,
 * 4 steps per phase of 4 rows of 64 tokens, and the tiny data in place of the paper's.
 */
export function tinyRecipe(run: PaperRun, inputs: TinyInputs, data: { math: string; instruction: string }, out: string): Record<string, unknown> {
  const paths: Record<string, string> = {
    [PAPER_DATA.general]: inputs.general,
    [PAPER_DATA.math]: data.math,
    [PAPER_DATA.instructMath]: data.math,
    [PAPER_DATA.instructGeneral]: data.instruction,
    [PAPER_DATA.heldOut]: inputs.heldOut,
  };
  const swap = (d: { path: string }): { path: string } => {
    const path = paths[d.path];
    if (!path) throw new Error(`tiny mode: no stand-in for ${d.path}`);
    return { ...d, path };
  };
  const recipe = structuredClone(run.recipe) as {
    model: { path: string; plan?: string };
    phases: {
      steps: number;
      seq: number;
      batch: number;
      gradAccum: number;
      data: { path: string }[];
      eval: { data: { path: string }[]; every: number; batches: number };
    }[];
  } & Record<string, unknown>;
  recipe.out = out;
  recipe.model.path = inputs.model;
  if (recipe.model.plan) recipe.model.plan = '1,2,1';
  for (const p of recipe.phases) {
    Object.assign(p, { steps: 4, seq: 64, batch: 4, gradAccum: 1 });
    p.data = p.data.map(swap);
    p.eval = { ...p.eval, data: p.eval.data.map(swap), every: 4, batches: 1 };
  }
  recipe.checkpoint = { every: 2, keep: 2 };
  return recipe;
}
