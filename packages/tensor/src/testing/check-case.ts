import type { Backend } from '../backend.js';
import type { FloatDType } from '../dtype.js';
import type { Rng } from '../random/index.js';
import type { Tensor } from '../tensor.js';
import { grad, requireGrad } from '../autograd/tape.js';
import { scope } from '../scope.js';
import { memoryStats } from '../storage-lifetime.js';
import type { ConformanceCase } from './cases.js';
import { directionalDerivative, finiteDifferenceGradient } from './finite-difference.js';
import { drawInputs, normal } from './inputs.js';
import { type OpSet, referenceOps, tensorOps } from './op-set.js';
import type { RefTensor } from './reference.js';
import { relativeError } from './relative-error.js';

/**
 * One case, checked once, on one backend in one dtype. These return measurements rather than
 * asserting, so the same checks serve the vitest suite and tests of the suite itself (a
 * deliberately broken backend must produce large errors).
 *
 * The reference always sees the inputs as the backend stored them (read back after upload), so
 * the rounding of inputs to f32/f16 is not counted as the op's error.
 */

/**
 * The two sides a case is evaluated with. Ops defined outside @rr/tensor (a user kernel) are
 * checked by passing op sets extended with them, and a case whose compute calls the extension.
 */
export interface CaseOpSets {
  tensor: OpSet<Tensor>;
  reference: OpSet<RefTensor>;
}

const BUILT_IN: CaseOpSets = { tensor: tensorOps, reference: referenceOps };

export interface ForwardReport {
  shape: readonly number[];
  expectedShape: readonly number[];
  /** ||out - ref|| / ||ref||. */
  error: number;
  /** Storages alive after the check minus before (should be 0). */
  leaked: number;
}

export interface BackwardReport {
  /** Per differentiable input: relative error of its gradient against finite differences of the reference. */
  inputs: { name: string; error: number; shape: readonly number[]; expectedShape: readonly number[] }[];
  leaked: number;
}

export async function checkForward(backend: Backend, c: ConformanceCase, dtype: FloatDType, rng: Rng, ops: CaseOpSets = BUILT_IN): Promise<ForwardReport> {
  const before = memoryStats(backend).storages;
  const values = drawInputs(c.inputs, rng);
  const { inputs, out } = scope(() => {
    const inputs = uploadInputs(backend, c, dtype, values);
    return { inputs, out: c.compute(ops.tensor, inputs) };
  });
  let report: Omit<ForwardReport, 'leaked'>;
  try {
    const stored = await readAll(inputs);
    const expected = c.compute(ops.reference, asRef(c, stored));
    const actual = Float64Array.from(await out.read());
    report = { shape: out.shape, expectedShape: expected.shape, error: compare(actual, out.shape, expected) };
  } finally {
    for (const t of [...inputs, out]) t.dispose();
  }
  return { ...report, leaked: memoryStats(backend).storages - before };
}

/**
 * loss = sum(out * G) for a random upstream gradient G. The backend's gradients (from `grad`) are
 * compared with differences of the reference's sum(ref_out * G): element by element, or along
 * random directions for medium shapes (see `BackwardCheck`).
 */
export async function checkBackward(backend: Backend, c: ConformanceCase, dtype: FloatDType, rng: Rng, ops: CaseOpSets = BUILT_IN): Promise<BackwardReport> {
  if (c.backward === 'none') throw new Error(`checkBackward: ${c.name} has no gradient to check.`);
  const before = memoryStats(backend).storages;
  const values = drawInputs(c.inputs, rng);
  const wrt = c.inputs.flatMap((spec, i) => (spec.integer ? [] : [i]));
  const { inputs, out, upstream, grads } = scope(() => {
    const inputs = uploadInputs(backend, c, dtype, values);
    const params = wrt.map((i) => requireGrad(inputs[i]!));
    const out = c.compute(ops.tensor, inputs);
    const upstream = backend.upload((c.upstream ?? normal())(rng, out.size, []), out.shape, dtype);
    return { inputs, out, upstream, grads: grad(out, params, upstream) };
  });
  let results: BackwardReport['inputs'];
  try {
    const stored = await readAll(inputs);
    const g = Float64Array.from(await upstream.read());
    const loss = (xs: readonly Float64Array[]): number => dot(c.compute(ops.reference, asRef(c, xs)).data, g);
    const actual = await readAll(grads);
    const expected = c.backward === 'finite-differences' ? finiteDifferenceGradient(loss, stored, { wrt }) : undefined;
    results = wrt.map((i, j) => {
      const spec = c.inputs[i]!;
      const shape = grads[j]!.shape;
      const report = { name: spec.name, shape, expectedShape: spec.shape };
      if (!sameShape(shape, spec.shape)) return { ...report, error: Infinity };
      if (expected) return { ...report, error: relativeError(actual[j]!, expected[j]!) };
      // directional: project the gradient on random directions that move input i only
      const directions = Array.from({ length: DIRECTIONS }, () => rng.fillNormal(new Float64Array(actual[j]!.length)));
      const projected = directions.map((u) => dot(actual[j]!, u));
      const differenced = directions.map((u) =>
        directionalDerivative(
          loss,
          stored,
          stored.map((x, k) => (k === i ? u : new Float64Array(x.length))),
        ),
      );
      return { ...report, error: relativeError(projected, differenced) };
    });
  } finally {
    for (const t of [...inputs, out, upstream, ...grads]) t.dispose();
  }
  return { inputs: results, leaked: memoryStats(backend).storages - before };
}

/** Random directions per input for 'directional' checks: each costs two reference forwards. */
const DIRECTIONS = 4;

/** Uploads drawn values: float inputs in `dtype`, integer inputs (ids, labels) as i32. */
export function uploadInputs(backend: Backend, c: Pick<ConformanceCase, 'inputs'>, dtype: FloatDType, values: readonly Float64Array[]): Tensor[] {
  return c.inputs.map((spec, i) => backend.upload(values[i]!, spec.shape, spec.integer ? 'i32' : dtype));
}

async function readAll(ts: readonly Tensor[]): Promise<Float64Array[]> {
  return Promise.all(ts.map(async (t) => Float64Array.from(await t.read())));
}

/** Views (no copies: finite differences perturb these arrays in place). */
function asRef(c: ConformanceCase, xs: readonly Float64Array[]): RefTensor[] {
  return xs.map((data, i) => ({ shape: c.inputs[i]!.shape, data }));
}

/** A wrong shape is an infinite error, whatever the values. */
function compare(actual: Float64Array, shape: readonly number[], expected: RefTensor): number {
  return sameShape(shape, expected.shape) ? relativeError(actual, expected.data) : Infinity;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
