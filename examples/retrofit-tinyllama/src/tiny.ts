import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAPER_DATA, type PaperRun } from './paper-recipes.js';

/** What a tiny run reads in place of the paper's models and data. */
export interface TinyInputs {
  /** A small Hugging Face Llama folder (stories260K, 5 layers). */
  model: string;
  /** General text (TinyStories). */
  general: string;
  /** Held-out general text. */
  heldOut: string;
  /** SVAMP.json: arithmetic word problems, rendered into the math and instruction sources. */
  svamp: string;
}

/**
 * Math and instruction text for the tiny runs, from SVAMP (never GSM8K, which the paper does not
 * train on): the first half as worked equations, the second half as question-answer turns.
 */
export function writeTinyData(inputs: TinyInputs, dir: string): { math: string; instruction: string } {
  const problems = JSON.parse(readFileSync(inputs.svamp, 'utf8')) as { Body: string; Question: string; Equation: string; Answer: number }[];
  const half = Math.floor(problems.length / 2);
  const line = (text: string): string => JSON.stringify({ text });
  mkdirSync(dir, { recursive: true });
  const math = join(dir, 'math.jsonl');
  const instruction = join(dir, 'instruction.jsonl');
  writeFileSync(math, problems.slice(0, half).map((p) => line(`${p.Body}. ${p.Question} ${p.Equation} = ${p.Answer}`)).join('\n') + '\n');
  writeFileSync(instruction, problems.slice(half).map((p) => line(`User: ${p.Body}. ${p.Question}\nAssistant: ${p.Equation} = ${p.Answer}. The answer is ${p.Answer}.`)).join('\n') + '\n');
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
    phases: { steps: number; seq: number; batch: number; gradAccum: number; data: { path: string }[]; eval: { data: { path: string }[]; every: number; batches: number } }[];
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
