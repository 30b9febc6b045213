import { Rng, type Tensor } from '@rr/tensor';
import {
  type ConformanceCase,
  type OpSet,
  type RefTensor,
  checkBackward,
  checkForward,
  defaultTolerance,
  input,
  normal,
  referenceOps,
  tensorOps,
} from '@rr/tensor/testing';
import { describe, expect, it } from 'vitest';
import { jsKernel } from './index.js';
import { NO_ADAPTER, backends } from './test-support.js';

/**
 * A custom activation written as JS kernels (GELU, tanh form, with its gradient kernel) checked
 * by the conformance suite's own checks, on every backend: the forward against an f64 formula
 * written independently, the gradient that `grad` returns through the kernel's gradient kernel
 * against finite differences of that formula.
 */
const gelu = jsKernel(
  function gelu(x) {
    const v = x[this.thread.x];
    return 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
  },
  {
    gradient: [
      function geluGradient(x, dy) {
        const v = x[this.thread.x];
        const t = Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v));
        const dInner = 0.7978845608028654 * (1 + 3 * 0.044715 * v * v);
        return dy[this.thread.x] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
      },
    ],
  },
);

/** The reference: GELU's definition in f64, not the kernel's code. */
function geluReference(x: RefTensor): RefTensor {
  const c = Math.sqrt(2 / Math.PI);
  return { shape: x.shape, data: x.data.map((v) => (v / 2) * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))) };
}

type WithGelu<T> = OpSet<T> & { gelu(x: T): T };
const ops = {
  tensor: { ...tensorOps, gelu } as WithGelu<Tensor>,
  reference: { ...referenceOps, gelu: geluReference } as WithGelu<RefTensor>,
};

const cases: ConformanceCase[] = [
  {
    name: 'js kernel: gelu',
    group: 'js-kernels',
    inputs: [input('x', [3, 7], normal(2))],
    backward: 'finite-differences',
    compute: <T>(o: OpSet<T>, [x]: readonly T[]) => (o as WithGelu<T>).gelu(x!),
  },
  // inside a composite: the gradient flows through the kernel into built-in ops and back
  {
    name: 'js kernel: gelu(x) * w + x',
    group: 'js-kernels',
    inputs: [input('x', [4, 5]), input('w', [4, 5])],
    backward: 'finite-differences',
    compute: <T>(o: OpSet<T>, [x, w]: readonly T[]) => o.binary('add', o.binary('mul', (o as WithGelu<T>).gelu(x!), w!), x!),
  },
];

const seed = (): number => Math.floor(Math.random() * 2 ** 32);

describe.each(await backends())('custom activation on $name', ({ backend }) => {
  const skip = backend === undefined;
  const dtypes = backend?.dtypes.filter((d): d is 'f32' | 'f64' => d === 'f32' || d === 'f64') ?? ['f32'];
  for (const dtype of dtypes) {
    for (const c of cases) {
      const tolerance = defaultTolerance[dtype];
      const bound = typeof tolerance === 'number' ? { forward: tolerance, backward: tolerance } : tolerance;
      it.skipIf(skip)(`${skip ? `skipped: ${NO_ADAPTER}: ` : ''}${c.name} [${dtype}] forward`, async () => {
        const s = seed();
        const r = await checkForward(backend!, c, dtype, Rng.fromSeed(s).stream(c.name, dtype, 'forward'), ops);
        expect(r.shape).toEqual(r.expectedShape);
        expect(r.error, `seed ${s}`).toBeLessThan(bound.forward);
        expect(r.leaked).toBe(0);
      });
      it.skipIf(skip)(`${skip ? `skipped: ${NO_ADAPTER}: ` : ''}${c.name} [${dtype}] backward`, async () => {
        const s = seed();
        const r = await checkBackward(backend!, c, dtype, Rng.fromSeed(s).stream(c.name, dtype, 'backward'), ops);
        for (const g of r.inputs) {
          expect(g.shape).toEqual(g.expectedShape);
          expect(g.error, `d/d${g.name}, seed ${s}`).toBeLessThan(bound.backward);
        }
        expect(r.leaked).toBe(0);
      });
    }
  }
});
