import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import type { FloatDType } from '../dtype.js';
import { Rng } from '../random/index.js';
import { type ConformanceCase, conformanceCases } from './cases.js';
import { checkBackward, checkForward } from './check-case.js';
import { defineMemoryChecks } from './memory-checks.js';

/**
 * The one conformance suite every backend runs (CPU, WebGPU, ...):
 *
 *   defineBackendConformance('cpu', () => createCpuBackend());
 *
 * registers, for each float dtype and each row of `conformanceCases`, a forward test (backend vs
 * the f64 reference) and, for differentiable rows, a backward test (gradients from `grad` vs
 * central finite differences of the reference), plus memory checks. Every test draws fresh
 * inputs; a failure prints its seed, and RR_CONFORMANCE_SEED=<seed> replays it.
 *
 * A backend that is not available here (`create` returns null or undefined: no GPU adapter, say)
 * is registered as one skipped test whose title gives the reason, never left out silently. On CI
 * (`CI=true`) an unavailable backend is a failure instead: CI is where we promise it runs.
 */
export interface ConformanceOptions {
  /** Dtypes to test; default: every float dtype the backend lists that has a default tolerance. */
  dtypes?: FloatDType[];
  /** Relative-error bounds per dtype, overriding `defaultTolerance`. */
  tolerance?: Partial<Record<FloatDType, number>>;
  /** Why the backend may be unavailable (shown in the skip title), e.g. 'no WebGPU adapter on this machine'. */
  skipReason?: string;
  /** Runs only the cases for which this returns true (e.g. a 1-thread variant that only needs matmul). */
  filter?: (c: ConformanceCase) => boolean;
}

/**
 * ||out - ref|| / ||ref|| bounds. f32 and f16 are the project's targets (DESIGN.md); bf16 keeps 8
 * mantissa bits and gets a proportionally looser bound; f64 is limited by the finite-difference
 * reference gradient (~1e-9), not by the backend.
 */
export const defaultTolerance: Readonly<Record<FloatDType, number>> = {
  f32: 1e-5,
  f16: 2e-3,
  bf16: 2e-2,
  f64: 1e-7,
};

export function defineBackendConformance(
  label: string,
  create: () => Backend | Promise<Backend | null | undefined> | null | undefined,
  options: ConformanceOptions = {},
): void {
  describe(`backend conformance: ${label}`, async () => {
    let backend: Backend | null | undefined;
    try {
      backend = await create();
    } catch (error) {
      // a backend that throws while being created is broken, not unavailable
      it(`creating the ${label} backend`, () => {
        throw error;
      });
      return;
    }
    if (!backend) {
      registerUnavailable(label, options.skipReason ?? 'create() returned no backend');
      return;
    }
    const be = backend;
    afterAll(() => be.destroy());

    const cases = conformanceCases.filter(options.filter ?? (() => true));
    for (const dtype of options.dtypes ?? defaultDTypes(be)) {
      describe(dtype, () => {
        if (!be.dtypes.includes(dtype)) {
          it.skip(`skipped: ${label} does not support ${dtype} (it lists ${be.dtypes.join(', ')})`, () => {});
          return;
        }
        const tolerance = options.tolerance?.[dtype] ?? defaultTolerance[dtype];
        for (const c of cases) defineCaseTests(be, c, dtype, tolerance);
      });
    }
    describe('memory', () => defineMemoryChecks(() => be, (options.dtypes ?? defaultDTypes(be))[0] ?? 'f32'));
  });
}

function defineCaseTests(backend: Backend, c: ConformanceCase, dtype: FloatDType, tolerance: number): void {
  it(`${c.name} / forward`, async () => {
    const seed = freshSeed();
    const r = await checkForward(backend, c, dtype, Rng.fromSeed(seed).stream(c.name, dtype, 'forward'));
    const where = `${c.name} [${dtype}] forward (${replay(seed)})`;
    expect(r.shape, `${where}: output shape`).toEqual(r.expectedShape);
    expect(r.error, `${where}: relative error vs the f64 reference`).toBeLessThan(tolerance);
    expect(r.leaked, `${where}: storages leaked`).toBe(0);
  });
  if (!c.differentiable) return;
  it(`${c.name} / backward`, async () => {
    const seed = freshSeed();
    const r = await checkBackward(backend, c, dtype, Rng.fromSeed(seed).stream(c.name, dtype, 'backward'));
    const where = `${c.name} [${dtype}] backward (${replay(seed)})`;
    for (const g of r.inputs) {
      expect(g.shape, `${where}: shape of d/d${g.name}`).toEqual(g.expectedShape);
      expect(g.error, `${where}: relative error of d/d${g.name} vs finite differences of the reference`).toBeLessThan(tolerance);
    }
    expect(r.leaked, `${where}: storages leaked`).toBe(0);
  });
}

function registerUnavailable(label: string, reason: string): void {
  if (globalThis.process?.env?.CI === 'true') {
    it(`${label} backend is unavailable on CI`, () => {
      throw new Error(`backend conformance: ${label} is unavailable (${reason}), and CI=true requires every backend to run.`);
    });
  } else {
    it.skip(`skipped: ${label} backend unavailable (${reason})`, () => {});
  }
}

function defaultDTypes(backend: Backend): FloatDType[] {
  return (Object.keys(defaultTolerance) as FloatDType[]).filter((d) => backend.dtypes.includes(d));
}

/** A new seed per test unless RR_CONFORMANCE_SEED pins one (to replay a failure). */
function freshSeed(): number {
  const pinned = globalThis.process?.env?.RR_CONFORMANCE_SEED;
  if (pinned !== undefined && pinned !== '') return Number(pinned);
  return Math.floor(Math.random() * 2 ** 32);
}

const replay = (seed: number): string => `seed ${seed}; replay with RR_CONFORMANCE_SEED=${seed}`;
