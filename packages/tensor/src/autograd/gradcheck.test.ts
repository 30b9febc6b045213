import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu/backend.js';
import * as ops from '../ops/index.js';
import { Rng } from '../random/index.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { type ConformanceCase, conformanceCases } from '../testing/cases.js';
import { uploadInputs } from '../testing/check-case.js';
import { finiteDifferenceGradientAsync } from '../testing/finite-difference.js';
import { type InputSpec, drawInputs, ids, input, integerInput, labels, normal } from '../testing/inputs.js';
import { type BlockWeights, blockWeightInputs, blockWeights, llamaBlock, tinyLlama } from '../testing/llama-block.js';
import { type OpSet, tensorOps } from '../testing/op-set.js';
import { relativeError } from '../testing/relative-error.js';
import { detach, grad, noGrad, requireGrad } from './tape.js';

/**
 * The classic gradcheck, on the CPU backend in f64: each op's backward (its gradient rule and
 * backward kernel) against central differences of the SAME op's forward on the same backend. It
 * needs no reference, so it also holds the backward to whatever the forward does; the conformance
 * suite then ties the forward to the reference. In f64 the only error left is the differencing
 * (~1e-9), so the bound is tight.
 */

const TOLERANCE = 1e-6;
const be = createCpuBackend();
afterAll(() => be.destroy());

/** sum(f(xs) * G) through the backend's own forward, unrecorded. */
async function ownLoss(run: (xs: readonly Float64Array[]) => Tensor, xs: readonly Float64Array[], upstream: Float64Array): Promise<number> {
  const out = scope(() => noGrad(() => run(xs)));
  try {
    const y = Float64Array.from(await out.read());
    return y.reduce((s, v, i) => s + v * upstream[i]!, 0);
  } finally {
    out.dispose();
  }
}

/** Gradients from `grad` (loss = sum(out * G)) and from central differences of the same forward. */
async function gradcheck(specs: readonly InputSpec[], run: (inputs: readonly Tensor[]) => Tensor, rng: Rng): Promise<Record<string, number>> {
  const values = drawInputs(specs, rng);
  const wrt = specs.flatMap((s, i) => (s.integer ? [] : [i]));
  const upload = (xs: readonly Float64Array[]): Tensor[] => uploadInputs(be, { inputs: specs }, 'f64', xs);
  const { upstream, grads } = scope(() => {
    const inputs = upload(values);
    for (const i of wrt) requireGrad(inputs[i]!);
    const out = run(inputs);
    const upstream = rng.fillNormal(new Float64Array(out.size));
    return {
      upstream,
      grads: grad(
        out,
        wrt.map((i) => inputs[i]!),
        be.upload(upstream, out.shape, 'f64'),
      ),
    };
  });
  const analytic = await Promise.all(grads.map((g) => g.read()));
  grads.forEach((g) => g.dispose());
  const numeric = await finiteDifferenceGradientAsync((xs) => ownLoss((v) => run(upload(v)), xs, upstream), values, { wrt });
  return Object.fromEntries(wrt.map((i, j) => [specs[i]!.name, relativeError(analytic[j]!, numeric[j]!)]));
}

describe('gradcheck: each op against its own forward (cpu, f64)', () => {
  // medium-size rows are covered by the conformance suite; element-wise differences there would be slow
  const cases = conformanceCases.filter((c: ConformanceCase) => c.backward === 'finite-differences');
  for (const c of cases) {
    it(c.name, async () => {
      const seed = Math.floor(Math.random() * 2 ** 32);
      const errors = await gradcheck(c.inputs, (xs) => c.compute(tensorOps, xs), Rng.fromSeed(seed));
      for (const [name, error] of Object.entries(errors)) expect(error, `d/d${name} (seed ${seed})`).toBeLessThan(TOLERANCE);
    });
  }
});

/**
 * Retrofitted recurrence (docs/method.md section 1): one step is x = adapter(concat([s, e])); s = block(x).
 * Truncated backprop runs the first steps under noGrad, detaches, and records the last ones; the
 * gradient must then be exactly that of the recorded steps with the earlier state held constant.
 */
describe('gradcheck: a two-step recurrence with truncated backprop', () => {
  const c = tinyLlama;
  const [batch, time] = [1, 3];
  interface Params<T> {
    table: T;
    block: BlockWeights<T>;
    adapter: T;
    lmHead: T;
  }
  const paramSpecs: InputSpec[] = [
    input('table', [c.vocab, c.dim]),
    ...blockWeightInputs(c),
    input('adapter', [c.dim, 2 * c.dim], normal(1 / Math.sqrt(2 * c.dim))),
    input('lmHead', [c.vocab, c.dim], normal(1 / Math.sqrt(c.dim))),
  ];
  const dataSpecs: InputSpec[] = [
    integerInput('tokens', [batch, time], ids(c.vocab)),
    integerInput('labels', [batch, time], labels(c.vocab, -100, 0)),
    input('s0', [batch, time, c.dim], normal(0.5)),
  ];
  const index = (name: string): number => paramSpecs.findIndex((s) => s.name === name);
  const asParams = <T>(xs: readonly T[]): Params<T> => ({
    table: xs[index('table')]!,
    block: blockWeights(xs, index('attnNorm')),
    adapter: xs[index('adapter')]!,
    lmHead: xs[index('lmHead')]!,
  });
  const step = <T>(o: OpSet<T>, s: T, e: T, p: Params<T>): T => llamaBlock(o, o.matmul(o.concat([s, e]), p.adapter, { transB: true }), p.block, c);

  type Mode = 'noGrad + detach' | 'recorded + detach' | 'noGrad only' | 'both recorded';
  /**
   * Two steps; `firstState` replaces step 1's output by a constant (the truncated function).
   * Returns step 1's output and the state step 2 actually received (detached or not).
   */
  function loss(mode: Mode, p: Params<Tensor>, data: Tensor[], firstState?: Tensor): { loss: Tensor; s1: Tensor; fed: Tensor } {
    const [tokens, labelIds, s0] = data as [Tensor, Tensor, Tensor];
    const e = ops.embedding(tokens, p.table);
    const s1 = firstState ?? (mode.startsWith('noGrad') ? noGrad(() => step(tensorOps, s0, e, p)) : step(tensorOps, s0, e, p));
    const fed = mode.endsWith('detach') ? detach(s1) : s1;
    const s2 = step(tensorOps, fed, e, p);
    return { loss: ops.crossEntropy(ops.matmul(s2, p.lmHead, { transB: true }), labelIds), s1, fed };
  }

  const seed = Math.floor(Math.random() * 2 ** 32);
  const rng = Rng.fromSeed(seed);
  const params = drawInputs(paramSpecs, rng);
  const data = drawInputs(dataSpecs, rng);
  const upload = (specs: InputSpec[], xs: readonly Float64Array[]): Tensor[] => uploadInputs(be, { inputs: specs }, 'f64', xs);

  /** Gradients of every parameter by `grad` in the given mode, step 1's state, and whether the graph reaches step 1. */
  async function analytic(mode: Mode): Promise<{ grads: Float64Array[]; s1: Float64Array; step1Recorded: boolean; step2SeesStep1: boolean }> {
    const r = scope(() => {
      const p = upload(paramSpecs, params).map((t) => requireGrad(t));
      const { loss: l, s1, fed } = loss(mode, asParams(p), upload(dataSpecs, data));
      return { grads: grad(l, p), s1, step1Recorded: s1.node !== undefined, step2SeesStep1: fed.requiresGrad };
    });
    const grads = await Promise.all(r.grads.map(async (g) => Float64Array.from(await g.read())));
    const s1 = Float64Array.from(await r.s1.read());
    [...r.grads, r.s1].forEach((t) => t.dispose());
    return { grads, s1, step1Recorded: r.step1Recorded, step2SeesStep1: r.step2SeesStep1 };
  }

  /** Central differences of the loss over every parameter, with step 1's state free or held at `s1`. */
  function numeric(s1?: Float64Array): Promise<Float64Array[]> {
    return finiteDifferenceGradientAsync(
      async (xs) => {
        const l = scope(() =>
          noGrad(() => {
            const frozen = s1 && be.upload(s1, [batch, time, c.dim], 'f64');
            return loss('both recorded', asParams(upload(paramSpecs, xs)), upload(dataSpecs, data), frozen).loss;
          }),
        );
        const [value] = await l.read();
        l.dispose();
        return value!;
      },
      params.map((x) => x.slice()),
    );
  }

  const worstError = (a: Float64Array[], b: Float64Array[]): number => Math.max(...a.map((g, i) => relativeError(g, b[i]!)));

  it('noGrad records nothing, detach cuts the graph, and the gradient is that of the last step alone', async () => {
    const truncated = await analytic('noGrad + detach');
    expect(truncated.step1Recorded).toBe(false);
    expect(truncated.step2SeesStep1).toBe(false);
    const expected = await numeric(truncated.s1);
    expect(worstError(truncated.grads, expected), `seed ${seed}`).toBeLessThan(TOLERANCE);

    // the same truncation reached by detaching a recorded step, or by noGrad alone
    const detached = await analytic('recorded + detach');
    expect(detached.step1Recorded).toBe(true);
    expect(detached.step2SeesStep1).toBe(false);
    expect(worstError(detached.grads, truncated.grads)).toBeLessThan(1e-12);
    expect(worstError((await analytic('noGrad only')).grads, truncated.grads)).toBeLessThan(1e-12);
  });

  it('with both steps recorded the gradient includes the path through step 1, and differs from the truncated one', async () => {
    const full = await analytic('both recorded');
    expect(full.step2SeesStep1).toBe(true);
    expect(worstError(full.grads, await numeric()), `seed ${seed}`).toBeLessThan(TOLERANCE);
    // the block and adapter weights act in both steps: truncation must change their gradients
    const truncated = await analytic('noGrad + detach');
    const differ = (name: string): number => relativeError(truncated.grads[index(name)]!, full.grads[index(name)]!);
    expect(differ('wq'), `seed ${seed}`).toBeGreaterThan(1e-3);
    expect(differ('adapter'), `seed ${seed}`).toBeGreaterThan(1e-3);
    // the LM head only acts after the last step: its gradient is the same either way
    expect(differ('lmHead')).toBeLessThan(1e-12);
  });
});
