import { createCpuBackend, isRRError, memoryStats, scope } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { Muon } from './muon.js';
import { newtonSchulz5 } from './newton-schulz.js';
import { seededTensor } from './test-model.js';

describe('Muon', () => {
  it('uses the docs/method.md defaults', () => {
    const muon = new Muon();
    expect([muon.lr, muon.weightDecay, muon.momentum, muon.nesterov, muon.newtonSchulzSteps, muon.updateScale]).toEqual([
      1e-3,
      1e-4,
      0.95,
      true,
      5,
      'aspect-ratio',
    ]);
  });

  it('updates the parameter in place and frees every temporary', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const param = { name: 'w', tensor: seededTensor(cpu, [6, 4], 'f32', 'w') };
    const before = await param.tensor.read();
    const muon = new Muon({ lr: 0.01 });
    scope(() => muon.step([param], [seededTensor(cpu, [6, 4], 'f32', 'g', 0)]));
    // param + one momentum buffer
    const live = memoryStats(cpu).storages;
    expect(live).toBe(2);
    for (let step = 1; step < 4; step++) scope(() => muon.step([param], [seededTensor(cpu, [6, 4], 'f32', 'g', step)]));
    expect(memoryStats(cpu).storages).toBe(live);
    expect(param.tensor.disposed).toBe(false);
    expect(await param.tensor.read()).not.toEqual(before);
    muon.dispose();
    expect(memoryStats(cpu).storages).toBe(1);
    cpu.destroy();
  });

  it('with lr 1 and no decay, the first step is -newtonSchulz5(G) * scale (momentum starts at zero)', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    for (const [updateScale, rows, cols, scale] of [
      ['aspect-ratio', 6, 4, Math.sqrt(6 / 4)],
      ['aspect-ratio', 4, 6, 1],
      ['adamw-rms', 4, 6, 0.2 * Math.sqrt(6)],
    ] as const) {
      const p = cpu.zeros([rows, cols], 'f64');
      const g = seededTensor(cpu, [rows, cols], 'f64', 'g');
      // Nesterov on a zero buffer: buf = 0.05 G, u = lerp(G, buf, 0.95) = 0.0975 G, and NS5 is
      // scale-invariant: the update is NS5(G) (up to the 1e-7 in the normalisation).
      new Muon({ lr: 1, weightDecay: 0, updateScale }).step([{ name: 'p', tensor: p }], [g]);
      const want = await newtonSchulz5(g).read();
      const got = await p.read();
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(-scale * want[i]!, 6);
    }
    cpu.destroy();
  });

  it('applies decoupled weight decay p *= 1 - lr * wd before the update', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const p = cpu.full([2, 3], 2, 'f64');
    new Muon({ lr: 0.5, weightDecay: 0.1 }).step([{ name: 'p', tensor: p }], [cpu.zeros([2, 3], 'f64')]);
    expect(Array.from(await p.read())).toEqual(new Array(6).fill(2 * (1 - 0.05)));
    cpu.destroy();
  });

  it('without Nesterov orthogonalizes the momentum buffer itself', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const run = async (nesterov: boolean): Promise<Float64Array> => {
      const p = cpu.zeros([4, 6], 'f64');
      const muon = new Muon({ lr: 1, weightDecay: 0, nesterov });
      for (const step of [0, 1]) scope(() => muon.step([{ name: 'p', tensor: p }], [seededTensor(cpu, [4, 6], 'f64', 'g', step)]));
      return (await p.read()) as Float64Array;
    };
    expect(await run(true)).not.toEqual(await run(false));
    cpu.destroy();
  });

  it('rejects parameters that are not matrices, and mismatched gradients', () => {
    const cpu = createCpuBackend({ threads: 1 });
    const muon = new Muon();
    expect(() => muon.step([{ name: 'model.norm.weight', tensor: cpu.zeros([8], 'f32') }], [cpu.zeros([8], 'f32')])).toThrow(
      /parameter 'model.norm.weight' is Tensor<f32>\[8\] on cpu; Muon updates matrices only/,
    );
    try {
      muon.step([{ name: 'w', tensor: cpu.zeros([2, 3], 'f32') }], [cpu.zeros([3, 2], 'f32')]);
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'SHAPE_MISMATCH')).toBe(true);
      expect(String(e)).toMatch(/the gradient of 'w' is Tensor<f32>\[3, 2\]/);
    }
    expect(() => muon.step([{ name: 'w', tensor: cpu.zeros([2, 3], 'f32') }], [])).toThrow(/1 parameters but 0 gradients/);
    expect(() => new Muon({ momentum: 1 })).toThrow(/momentum = 1 must be a number in \[0, 1\)/);
    expect(() => new Muon({ updateScale: 'spectral' as 'adamw-rms' })).toThrow(/updateScale = "spectral"/);
    cpu.destroy();
  });
});
