import { RRError } from '@rr/tensor';

/** Which base-model layers become prelude, recurrent block and coda (indices into the base model). */
export interface Plan {
  prelude: number[];
  block: number[];
  coda: number[];
}

export type PlanSpec = string | readonly [number, number, number] | Plan;

/**
 * `(P, R, C)` shorthand — prelude = the first P layers, coda = the last C, block = the R layers just
 * before the coda (docs/method.md's rule; the middle is dropped) — or explicit index lists.
 * Strings: "4,8,4", or "0-3/10-17/18-21" (ranges or comma lists, parts separated by "/").
 */
export function resolvePlan(spec: PlanSpec, numLayers: number): Plan {
  const plan = typeof spec === 'string' ? parsePlanString(spec) : spec;
  const resolved = Array.isArray(plan) ? fromShorthand(plan as [number, number, number], numLayers) : (plan as Plan);
  validatePlan(resolved, numLayers, describe(spec));
  return { prelude: [...resolved.prelude], block: [...resolved.block], coda: [...resolved.coda] };
}

function describe(spec: PlanSpec): string {
  return typeof spec === 'string' ? `"${spec}"` : JSON.stringify(spec);
}

function parsePlanString(s: string): readonly [number, number, number] | Plan {
  const trimmed = s.trim();
  if (trimmed.includes('/')) {
    const parts = trimmed.split('/');
    if (parts.length !== 3) throw bad(s, 'explicit plans have three parts: prelude/block/coda, e.g. 0-3/10-17/18-21');
    const [prelude, block, coda] = parts.map((p) => parseIndexList(p, s)) as [number[], number[], number[]];
    return { prelude, block, coda };
  }
  const nums = trimmed
    .replace(/^\(|\)$/g, '')
    .split(',')
    .map((x) => x.trim());
  if (nums.length !== 3 || nums.some((x) => !/^\d+$/.test(x)))
    throw bad(s, 'use P,R,C (e.g. 4,8,4) or explicit lists prelude/block/coda (e.g. 0-3/10-17/18-21)');
  return nums.map(Number) as unknown as readonly [number, number, number];
}

function parseIndexList(part: string, whole: string): number[] {
  if (part.trim() === '') return [];
  const out: number[] = [];
  for (const item of part.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) throw bad(whole, `"${item}" is not an index or a range like 10-17`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw bad(whole, `range ${item} runs backwards`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function fromShorthand([p, r, c]: readonly [number, number, number], numLayers: number): Plan {
  for (const [name, v] of [
    ['P', p],
    ['R', r],
    ['C', c],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw bad(`(${p},${r},${c})`, `${name} = ${v} must be a non-negative integer`);
  }
  if (p + r + c > numLayers) throw bad(`(${p},${r},${c})`, `P + R + C = ${p + r + c} exceeds the model's ${numLayers} layers`);
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  return { prelude: range(0, p), block: range(numLayers - c - r, r), coda: range(numLayers - c, c) };
}

function validatePlan(plan: Plan, numLayers: number, spec: string): void {
  if (plan.block.length === 0) throw bad(spec, 'the recurrent block is empty; it needs at least one layer');
  const seen = new Map<number, string>();
  for (const part of ['prelude', 'block', 'coda'] as const) {
    const list = plan[part];
    if (!Array.isArray(list)) throw bad(spec, `${part} must be a list of layer indices`);
    list.forEach((i, j) => {
      if (!Number.isInteger(i) || i < 0 || i >= numLayers) throw bad(spec, `${part} layer ${i} is out of range [0, ${numLayers})`);
      if (seen.has(i)) throw bad(spec, `layer ${i} is in both ${seen.get(i)} and ${part}`);
      if (j > 0 && i <= list[j - 1]!) throw bad(spec, `${part} indices must increase (${list[j - 1]} then ${i})`);
      seen.set(i, part);
    });
  }
  const last = (xs: number[]): number => (xs.length ? xs[xs.length - 1]! : -1);
  const first = (xs: number[]): number => (xs.length ? xs[0]! : Infinity);
  if (last(plan.prelude) >= first(plan.block) || last(plan.block) >= first(plan.coda)) {
    throw bad(spec, 'parts must keep the base model order: prelude layers before block layers before coda layers');
  }
}

function bad(spec: string, why: string): RRError {
  return new RRError('BAD_PLAN', `plan ${spec}: ${why}.`);
}

/** Base-model layers the plan drops. */
export function droppedLayers(plan: Plan, numLayers: number): number[] {
  const kept = new Set([...plan.prelude, ...plan.block, ...plan.coda]);
  return Array.from({ length: numLayers }, (_, i) => i).filter((i) => !kept.has(i));
}
