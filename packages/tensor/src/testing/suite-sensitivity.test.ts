import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { CpuBackend, createCpuBackend } from '../cpu/backend.js';
import { Rng } from '../random/index.js';
import { keep } from '../scope.js';
import { type ConformanceCase, conformanceCases } from './cases.js';
import { checkBackward, checkForward } from './check-case.js';
import { defaultTolerance, unavailableOutcome } from './conformance.js';

/**
 * A conformance suite that passes everything proves nothing until it is seen to fail. Each test
 * here breaks one kernel of a CPU backend in a way a real port could (an ignored option, a
 * scatter that overwrites, a missed free, a small numeric slip) and checks that the case aimed at
 * it fails by a wide margin while a neighbouring case still passes.
 */

const tol = defaultTolerance.f32 as number;
const byName = (prefix: string): ConformanceCase => {
  const c = conformanceCases.find((x) => x.name.startsWith(prefix));
  if (!c) throw new Error(`no conformance case named ${prefix}...`);
  return c;
};
const rng = (): Rng => Rng.fromSeed(7).stream('sensitivity');

let backends: Backend[] = [];
afterEach(() => {
  for (const b of backends) b.destroy();
  backends = [];
});

/** A CPU backend with some methods replaced; `unbroken` reaches the class's own methods on the same instance. */
function broken(patch: (be: CpuBackend, unbroken: CpuBackend) => Partial<Backend>): CpuBackend {
  const be = createCpuBackend();
  backends.push(be);
  const unbroken = new Proxy(be, {
    get: (target, key) => {
      const method: unknown = Reflect.get(CpuBackend.prototype, key);
      return typeof method === 'function' ? method.bind(target) : Reflect.get(target, key);
    },
  });
  return Object.assign(be, patch(be, unbroken));
}

const forwardError = async (be: Backend, name: string): Promise<number> => (await checkForward(be, byName(name), 'f32', rng())).error;
const backwardErrors = async (be: Backend, name: string): Promise<Record<string, number>> =>
  Object.fromEntries((await checkBackward(be, byName(name), 'f32', rng())).inputs.map((g) => [g.name, g.error]));

describe('the conformance checks catch broken kernels', () => {
  it('rope that ignores the position offset', async () => {
    const be = broken((_, cpu) => ({ rope: (x, o) => cpu.rope(x, { ...o, offset: 0 }) }));
    expect(await forwardError(be, 'rope: offset 7')).toBeGreaterThan(100 * tol);
    expect(await forwardError(be, 'rope: theta 1e4')).toBeLessThan(tol);
  });

  it('rope without Llama-3 frequency scaling', async () => {
    const be = broken((_, cpu) => ({ rope: (x, o) => cpu.rope(x, { ...o, scaling: undefined }) }));
    expect(await forwardError(be, 'rope: Llama-3 scaling (all bands)')).toBeGreaterThan(100 * tol);
  });

  it('attention that ignores kvLength (attends to unfilled cache slots)', async () => {
    const be = broken((_, cpu) => ({ attention: (q, k, v, o) => cpu.attention(q, k, v, { ...o, kvLength: undefined }) }));
    expect(await forwardError(be, 'attention: KV cache chunk')).toBeGreaterThan(100 * tol);
    expect(await forwardError(be, 'attention: GQA, Hq 4 / Hkv 2, T = S = 5')).toBeLessThan(tol);
  });

  it('swiglu with sigmoid in place of silu', async () => {
    const be = broken((b) => ({ swiglu: (g, u) => b.binary('mul', b.unary('sigmoid', g), u) }));
    expect(await forwardError(be, 'swiglu: [2, 3, 6]')).toBeGreaterThan(100 * tol);
  });

  it('a matmul off by 1e-4 relative, ten times the f32 tolerance', async () => {
    const be = broken((b, cpu) => ({ matmul: (x, y, o) => b.affine(cpu.matmul(x, y, o), 1 + 1e-4, 0) }));
    expect(await forwardError(be, 'matmul: a x bT, b shared')).toBeGreaterThan(5 * tol);
  });

  it('an f64 matmul that secretly computes in f32', async () => {
    const be = broken((b, cpu) => ({ matmul: (x, y, o) => b.cast(cpu.matmul(b.cast(x, 'f32'), b.cast(y, 'f32'), o), x.dtype) }));
    const { forward } = defaultTolerance.f64 as { forward: number };
    expect((await checkForward(be, byName('matmul: a x b, b shared'), 'f64', rng())).error).toBeGreaterThan(100 * forward);
  });

  it('an rmsnorm backward with a slightly wrong weight gradient fails only the backward', async () => {
    const be = broken((b, cpu) => ({
      rmsnormBackward: (x, w, dy, eps) => {
        const { dx, dWeight } = cpu.rmsnormBackward(x, w, dy, eps);
        return { dx, dWeight: b.affine(dWeight, 1 + 1e-3, 0) };
      },
    }));
    expect(await forwardError(be, 'rmsnorm: [2, 3, 8]')).toBeLessThan(tol);
    const errors = await backwardErrors(be, 'rmsnorm: [2, 3, 8]');
    expect(errors.x).toBeLessThan(tol);
    expect(errors.w).toBeGreaterThan(10 * tol);
  });

  it('an embedding backward that overwrites rows instead of accumulating repeated ids', async () => {
    const be = broken((b) => ({
      embeddingBackward: (ids, dy, vocab) => {
        const dim = dy.shape.at(-1)!;
        const [idv, dyv] = [b.readSync(ids), b.readSync(dy)];
        const out = new Float64Array(vocab * dim);
        idv.forEach((id, r) => out.set(dyv.subarray(r * dim, (r + 1) * dim), id * dim));
        return b.upload(out, [vocab, dim], dy.dtype);
      },
    }));
    expect((await backwardErrors(be, 'embedding: ids [2, 5] into [4, 3], repeated ids')).table).toBeGreaterThan(100 * tol);
  });

  it('a cross-entropy that averages over ignored rows too', async () => {
    const be = broken((b, cpu) => ({
      crossEntropy: (logits, labels, ignoreIndex) => {
        // relabel ignored rows as class 0 and count them: what a kernel without the ignore test computes
        const fixed = b.upload(
          b.readSync(labels).map((y) => (y === ignoreIndex ? 0 : y)),
          labels.shape,
          'i32',
        );
        return cpu.crossEntropy(logits, fixed, ignoreIndex);
      },
    }));
    expect(await forwardError(be, 'crossEntropy: logits [2, 4, 7], ignoreIndex -100, some labels ignored')).toBeGreaterThan(100 * tol);
  });

  it('a transpose that returns the wrong shape', async () => {
    const be = broken((_, cpu) => ({ transpose: (x) => cpu.transpose(x).view(x.shape) }));
    const r = await checkForward(be, byName('shape: transpose [3, 5]'), 'f32', rng());
    expect(r.shape).not.toEqual(r.expectedShape);
    expect(r.error).toBe(Infinity);
  });

  it('a kernel that leaks a storage on every call', async () => {
    const be = broken((b, cpu) => ({
      matmul: (x, y, o) => {
        keep(b.zeros([1], 'f32'));
        return cpu.matmul(x, y, o);
      },
    }));
    expect((await checkForward(be, byName('matmul: a x b, b shared'), 'f32', rng())).leaked).toBe(1);
  });

  it('the medium-size directional gradient check catches a 1e-3 error in one attention input gradient', async () => {
    const be = broken((b, cpu) => ({
      attentionBackward: (...args) => {
        const g = cpu.attentionBackward(...args);
        return { ...g, dk: b.affine(g.dk, 1 + 1e-3, 0) };
      },
    }));
    const errors = await backwardErrors(be, 'attention: T = S = 70');
    expect(errors.q).toBeLessThan(tol);
    expect(errors.k).toBeGreaterThan(10 * tol);
  });
});

describe('an unavailable backend', () => {
  it('is a visible skip locally and a failure on CI', () => {
    const local = unavailableOutcome('webgpu', 'no adapter', false);
    expect(local.fail).toBe(false);
    expect(local.title).toContain('no adapter');
    const ci = unavailableOutcome('webgpu', 'no adapter', true);
    expect(ci.fail).toBe(true);
    expect(ci.message).toContain('CI=true');
  });
});
