import { type Backend, Rng, type Tensor, createCpuBackend, isRRError } from '@rr/tensor';
import { createWebGPUBackend } from '@rr/kernels-webgpu';
import type { Param } from '@rr/muon';
import { afterAll, describe, expect, it } from 'vitest';
import { Lion } from './lion.js';
import { KernelLion } from './lion-kernel.js';

/**
 * Both Lions against Lion's rule computed by hand (f64, on the host), and the JS-kernel Lion
 * against the hand-written one over 10 steps, on the CPU and on WebGPU (lavapipe on CI).
 */
const LR = 1e-3;
const BETA1 = 0.9;
const BETA2 = 0.99;
const WD = 0.1;
const SHAPES = [[16, 24], [40]];

const seed = Math.floor(Math.random() * 2 ** 32);
const rng = Rng.fromSeed(seed);

async function gpu(): Promise<Backend | undefined> {
  try {
    const be = await createWebGPUBackend();
    afterAll(() => be.destroy());
    return be;
  } catch (e) {
    if (isRRError(e, 'WEBGPU_NO_ADAPTER') && process.env.CI !== 'true') return undefined;
    throw e;
  }
}
const cpu = createCpuBackend({ threads: 1 });
afterAll(() => cpu.destroy());
const backends: [string, Backend | undefined][] = [
  ['cpu', cpu],
  ['webgpu', await gpu()],
];

const draw = (shape: number[]): Float32Array => Float32Array.from(rng.fillNormal(new Float64Array(shape.reduce((a, b) => a * b, 1))));

/** Lion's rule, one step, in f64: p and m updated in place. */
function lionByHand(p: Float64Array, m: Float64Array, g: ArrayLike<number>, lr: number): void {
  for (let i = 0; i < p.length; i++) {
    const c = m[i]! + (1 - BETA1) * (g[i]! - m[i]!);
    p[i] = p[i]! * (1 - lr * WD) - lr * Math.sign(c);
    m[i] = m[i]! + (1 - BETA2) * (g[i]! - m[i]!);
  }
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

const momentum = async (opt: Lion, name: string): Promise<Float32Array> => {
  const state = opt.state();
  const m = state[`lion/momentum/${name}`]!;
  const values = (await m.read()) as Float32Array;
  for (const t of Object.values(state)) t.dispose();
  return values;
};

describe.each(backends)(`Lion on %s (seed ${seed})`, (_name, backend) => {
  const skip = backend === undefined;
  const be = backend!;
  const params = (values: Float32Array[]): Param[] => values.map((v, i) => ({ name: `w${i}`, tensor: be.upload(v, SHAPES[i]!, 'f32') }));

  it.skipIf(skip).each([
    ['hand-written', () => new Lion(LR, BETA1, BETA2, WD)],
    ['JS kernel', () => new KernelLion(LR, BETA1, BETA2, WD)],
  ] as const)(`${skip ? 'skipped: no WebGPU adapter: ' : ''}%s: two steps equal Lion's rule computed by hand`, async (_, make) => {
    const initial = SHAPES.map(draw);
    const grads = [SHAPES.map(draw), SHAPES.map(draw)];
    const ps = params(initial);
    const opt = make();
    const p64 = initial.map((v) => Float64Array.from(v));
    const m64 = SHAPES.map((s) => new Float64Array(s.reduce((a, b) => a * b, 1)));
    for (const g of grads) {
      const gs = g.map((v, i) => be.upload(v, SHAPES[i]!, 'f32'));
      opt.step(ps, gs);
      gs.forEach((t) => t.dispose());
      g.forEach((v, i) => lionByHand(p64[i]!, m64[i]!, v, LR));
    }
    for (const [i, p] of ps.entries()) {
      const got = await p.tensor.read();
      // the update moved every coordinate (a Lion that did nothing fails here)
      expect(relativeError(got, initial[i]!)).toBeGreaterThan(1e-4);
      expect(relativeError(got, p64[i]!)).toBeLessThan(1e-6);
      expect(relativeError(await momentum(opt, p.name), m64[i]!)).toBeLessThan(1e-6);
      p.tensor.dispose();
    }
    opt.dispose();
  });

  it.skipIf(skip)(`${skip ? 'skipped: no WebGPU adapter: ' : ''}the JS-kernel Lion equals the hand-written Lion within 1e-6 for 10 steps`, async () => {
    const initial = SHAPES.map(draw);
    const [a, b] = [params(initial), params(initial)];
    const [handWritten, kernel] = [new Lion(LR, BETA1, BETA2, WD), new KernelLion(LR, BETA1, BETA2, WD)];
    for (let step = 0; step < 10; step++) {
      const gs: Tensor[] = SHAPES.map((s) => be.upload(draw(s), s, 'f32'));
      handWritten.step(a, gs);
      kernel.step(b, gs);
      gs.forEach((t) => t.dispose());
    }
    for (let i = 0; i < SHAPES.length; i++) {
      const want = await a[i]!.tensor.read();
      expect(relativeError(await b[i]!.tensor.read(), want), `parameter w${i}`).toBeLessThan(1e-6);
      expect(relativeError(await momentum(kernel, `w${i}`), await momentum(handWritten, `w${i}`)), `momentum of w${i}`).toBeLessThan(1e-6);
      expect(relativeError(want, initial[i]!)).toBeGreaterThan(1e-3);
    }
    [...a, ...b].forEach((p) => p.tensor.dispose());
    handWritten.dispose();
    kernel.dispose();
  });
});
