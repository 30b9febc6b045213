import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, createCpuBackend, detach, grad, keep, noGrad, ops, requireGrad, scope } from '@rr/tensor';
import { ADAPTER, EMBED, FINAL_NORM, LM_HEAD, RecurrentLM, decoderLayer, layerNames, loadModel } from '@rr/model';
import { retrofit } from './retrofit.js';
import { saveRetrofitted } from './save.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

const backend = createCpuBackend();
afterAll(() => backend.destroy());

async function maxAbsDiff(a: Tensor, b: Tensor): Promise<number> {
  const x = await a.read();
  const y = await b.read();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describeWithFixtures('retrofitting stories260K', ['models/stories260K-hf'], () => {
  const hfDir = (): string => fixture('models/stories260K-hf');
  const tokens = (): Tensor => backend.upload([1, 403, 407, 261, 378, 11, 42, 7, 300, 9], [2, 5], 'i32');

  it('plan (1,2,1) keeps prelude 0, block 2-3, coda 4 and drops layer 1', () => {
    const { model } = loadModel(hfDir(), backend);
    const r = retrofit(model, '1,2,1', { adapterInit: 'embed', initScale: 0 });
    expect(r.plan).toEqual({ prelude: [0], block: [2, 3], coda: [4] });
    expect(r.origin).toEqual([0, 2, 3, 4]);
    expect(r.report.dropped).toEqual([1]);
    expect(r.model.depth(4)).toBe(1 + 2 * 4 + 1);
  });

  it('embed adapter, zero state, r = 1 reproduces the static model with layer 1 removed', async () => {
    const { model } = loadModel(hfDir(), backend);
    const r = retrofit(model, '1,2,1', { adapterInit: 'embed', initScale: 0 });
    const pruned = new RecurrentLM(model.config, model.params, { prelude: [0, 2, 3, 4], block: [], coda: [], s0Std: 0, initScale: 0 });
    const [a, b] = scope(() => [r.model.forward(tokens(), { recurrence: 1 }), pruned.forward(tokens())]);
    expect(await maxAbsDiff(a!, b!)).toBeLessThan(1e-5);
  });

  it('sum adapter, r = 2 equals coda(B(B(e) + e)) with B = layers 2-3, computed by hand', async () => {
    const { model } = loadModel(hfDir(), backend);
    const r = retrofit(model, '1,2,1', { adapterInit: 'sum', initScale: 0 });
    const c = model.config;
    const w = (n: string): Tensor => model.param(n);
    const layer = (x: Tensor, i: number): Tensor => decoderLayer(x, w, layerNames(i, c.architecture), c);
    const B = (x: Tensor): Tensor => layer(layer(x, 2), 3);
    const [got, want] = scope(() => {
      const e = layer(ops.embedding(tokens(), w(EMBED)), 0);
      const s = B(ops.add(B(e), e));
      const logits = ops.matmul(ops.rmsnorm(layer(s, 4), w(FINAL_NORM), c.rmsNormEps), w(EMBED), { transB: true });
      return [r.model.forward(tokens(), { recurrence: 2 }), logits];
    });
    expect(await maxAbsDiff(got!, want!)).toBeLessThan(1e-5);
  });

  it('keeps the base tensors themselves (identity), unties the head and adds an adapter', () => {
    const { model } = loadModel(hfDir(), backend);
    const r = retrofit(model, '1,2,1');
    const kept = [0, 2, 3, 4];
    kept.forEach((from, to) => {
      const src = layerNames(from, 'llama');
      const dst = layerNames(to, 'llama');
      expect(r.model.params.get(dst.q)).toBe(model.params.get(src.q));
      expect(r.model.params.get(dst.down)).toBe(model.params.get(src.down));
    });
    expect(r.model.params.get(EMBED)).toBe(model.params.get(EMBED));
    expect(r.model.params.get(LM_HEAD)).not.toBe(model.params.get(EMBED));
    expect(r.model.params.get(ADAPTER)!.shape).toEqual([64, 128]);
  });

  it('saves a folder that loads back bit-identically, and refuses to overwrite', async () => {
    const { model } = loadModel(hfDir(), backend);
    const r = retrofit(model, '1,2,1', { seed: 3 });
    const root = mkdtempSync(join(tmpdir(), 'rr-surgery-'));
    try {
      const out = join(root, 'recurrent');
      await saveRetrofitted(out, r, { tokenizerFiles: loadModel(hfDir(), backend).tokenizerFiles });
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(config.rr.origin).toEqual([0, 2, 3, 4]);
      expect(config.num_hidden_layers).toBe(4);
      const back = loadModel(out, backend).model;
      expect(back.structure).toMatchObject({ prelude: [0], block: [1, 2], coda: [3] });
      for (const [name, t] of r.model.params) expect(await back.param(name).read()).toEqual(await t.read());
      await expect(saveRetrofitted(out, r)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
      expect(readdirSync(root)).toEqual(['recurrent']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('gradients reach prelude, adapter, block and coda through the recorded steps only', async () => {
    const { model: base } = loadModel(hfDir(), backend, { dtype: 'f64' });
    const { model } = retrofit(base, '1,2,1', { initScale: 0, seed: 1 });
    const names = [layerNames(0, 'llama').q, ADAPTER, layerNames(1, 'llama').up, layerNames(2, 'llama').o, layerNames(3, 'llama').gate];
    const params = names.map((n) => requireGrad(model.param(n)));
    const labels = backend.upload([403, 407, 261, 378, 11, 42, 7, 300, 9, 2], [2, 5], 'i32');
    const ids = backend.upload([1, 403, 407, 261, 378, 11, 42, 7, 300, 9], [2, 5], 'i32');
    const loss = (logits: Tensor): Tensor => ops.crossEntropy(logits, labels);
    const truncated = scope(() => grad(loss(model.forward(ids, { noGradSteps: 2, gradSteps: 1 })), params).map(keep));
    // by hand: two steps under noGrad, detach, one recorded step
    const c = model.config;
    const w = (n: string): Tensor => model.param(n);
    const layer = (x: Tensor, i: number): Tensor => decoderLayer(x, w, layerNames(i, 'llama'), c);
    const step = (s: Tensor, e: Tensor): Tensor => layer(layer(ops.matmul(ops.concat([s, e]), w(ADAPTER), { transB: true }), 1), 2);
    const manual = scope(() => {
      const e = layer(ops.embedding(ids, w(EMBED)), 0);
      const sN = noGrad(() => step(step(backend.zeros(e.shape, e.dtype), e), e));
      const s = step(detach(sN), e);
      const logits = ops.matmul(ops.rmsnorm(layer(s, 3), w(FINAL_NORM), c.rmsNormEps), w(LM_HEAD), { transB: true });
      return grad(loss(logits), params).map(keep);
    });
    const full = scope(() => grad(loss(model.forward(ids, { gradSteps: 3 })), params).map(keep));
    for (let i = 0; i < names.length; i++) {
      const g = (await truncated[i]!.read()) as Float64Array;
      expect(Math.max(...g.map(Math.abs)), `${names[i]} gets a gradient`).toBeGreaterThan(0);
      expect(await maxAbsDiff(truncated[i]!, manual[i]!), names[i]).toBeLessThan(1e-12);
      if (names[i] !== layerNames(3, 'llama').gate) {
        expect(await maxAbsDiff(truncated[i]!, full[i]!), `${names[i]}: no-grad steps must not contribute`).toBeGreaterThan(1e-9);
      }
    }
  });
});

describe('bad plans', () => {
  const numLayers = 22;
  it.each([
    ['0,0,0', 'empty'],
    ['4,20,4', 'exceeds'],
    ['0-3/3-10/18-21', 'both'],
    ['0-3/10-30/31', 'out of range'],
    ['0-3//18-21', 'block is empty'],
    ['4,x,4', 'P,R,C'],
    ['0-3/10-17', 'three parts'],
    ['10-12/0-3/18-21', 'order'],
  ])('%s is refused (%s)', async (spec, message) => {
    const { resolvePlan } = await import('./plan.js');
    expect(() => resolvePlan(spec, numLayers)).toThrowError(expect.objectContaining({ code: 'BAD_PLAN', message: expect.stringContaining(message) }));
  });

  it('the paper plans resolve to METHOD.md table', async () => {
    const { resolvePlan } = await import('./plan.js');
    expect(resolvePlan('4,8,4', 22)).toEqual({ prelude: [0, 1, 2, 3], block: [10, 11, 12, 13, 14, 15, 16, 17], coda: [18, 19, 20, 21] });
    expect(resolvePlan('4,6,4', 16)).toEqual({ prelude: [0, 1, 2, 3], block: [6, 7, 8, 9, 10, 11], coda: [12, 13, 14, 15] });
    expect(resolvePlan('2,4,2', 16)).toEqual({ prelude: [0, 1], block: [10, 11, 12, 13], coda: [14, 15] });
    expect(resolvePlan([4, 8, 4], 22)).toEqual(resolvePlan('0-3/10-17/18-21', 22));
  });
});

describeWithFixtures('failed surgery leaves nothing behind', ['models/stories260K-hf'], () => {
  it('no partial output folder when writing fails', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rr-surgery-fail-'));
    try {
      const { model } = loadModel(fixture('models/stories260K-hf'), backend);
      const r = retrofit(model, '1,2,1');
      r.model.params.get(ADAPTER)!.dispose(); // reading it will fail mid-save
      const out = join(root, 'out');
      await expect(saveRetrofitted(out, r)).rejects.toMatchObject({ code: 'TENSOR_DISPOSED' });
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
