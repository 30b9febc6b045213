import { createCpuBackend, isRRError, scope } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';

describe('AdamW', () => {
  // Two steps by hand: p0 = [1, -2], g1 = [0.5, -1], g2 = [-0.25, 2], lr 0.1, betas (0.9, 0.95),
  // eps 1e-8, wd 0.1.
  // step 1: m = 0.1 g1 = [0.05, -0.1]; v = 0.05 g1^2 = [0.0125, 0.05]; 1 - b1 = 0.1, 1 - b2 = 0.05;
  //   m_hat = [0.5, -1], sqrt(v_hat) = [0.5, 1]: update = [1, -1] (up to eps);
  //   p1 = 0.99 p0 - 0.1 [1, -1] = [0.89, -1.88]  (exactly [0.890000002, -1.880000001] with eps)
  // step 2: m = 0.9 m + 0.1 g2 = [0.02, 0.11]; v = 0.95 v + 0.05 g2^2 = [0.015, 0.2475];
  //   1 - b1^2 = 0.19, 1 - b2^2 = 0.0975; m_hat = [0.105263, 0.578947];
  //   sqrt(v_hat) = sqrt([0.153846, 2.538462]) = [0.392232, 1.593255]; update = [0.268370, 0.363374];
  //   p2 = 0.99 p1 - 0.1 update = [0.881100 - 0.026837, -1.861200 - 0.036337] = [0.854263, -1.897537]
  const expected = [
    [0.890000002, -1.880000001],
    [0.8542630578558273, -1.897537395809663],
  ];

  for (const [dtype, digits] of [
    ['f64', 12],
    ['f32', 6],
  ] as const) {
    it(`matches the hand-computed two-step example (${dtype})`, async () => {
      const cpu = createCpuBackend({ threads: 1 });
      const p = cpu.upload([1, -2], [2], dtype);
      const adamw = new AdamW({ lr: 0.1, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
      const grads = [
        [0.5, -1],
        [-0.25, 2],
      ];
      for (const [i, g] of grads.entries()) {
        scope(() => adamw.step([{ name: 'p', tensor: p }], [cpu.upload(g, [2], dtype)]));
        const got = await p.read();
        expect(got[0]).toBeCloseTo(expected[i]![0]!, digits);
        expect(got[1]).toBeCloseTo(expected[i]![1]!, digits);
      }
      adamw.dispose();
      cpu.destroy();
    });
  }

  it('scales the learning rate by lrScale (a zero scale leaves p unchanged)', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const p = cpu.upload([1, -2], [2], 'f64');
    const adamw = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    scope(() => adamw.step([{ name: 'p', tensor: p }], [cpu.upload([0.5, -1], [2], 'f64')], 0));
    expect(Array.from(await p.read())).toEqual([1, -2]);
    cpu.destroy();
  });

  it('uses the docs/method.md defaults', () => {
    const adamw = new AdamW();
    expect([adamw.lr, adamw.betas, adamw.eps, adamw.weightDecay]).toEqual([5e-5, [0.9, 0.95], 1e-10, 1e-4]);
  });

  it('keeps exp_avg, exp_avg_sq and the beta powers per parameter', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const adamw = new AdamW({ betas: [0.9, 0.95] });
    const p = cpu.upload([1, 2, 3], [3], 'f64');
    for (let i = 0; i < 2; i++) scope(() => adamw.step([{ name: 'norm.weight', tensor: p }], [cpu.full([3], 1, 'f64')]));
    const state = adamw.state();
    expect(Object.keys(state).sort()).toEqual([
      'adamw/beta1_power/norm.weight',
      'adamw/beta2_power/norm.weight',
      'adamw/exp_avg/norm.weight',
      'adamw/exp_avg_sq/norm.weight',
    ]);
    expect((await state['adamw/beta1_power/norm.weight']!.read())[0]).toBeCloseTo(0.81, 15);
    expect((await state['adamw/beta2_power/norm.weight']!.read())[0]).toBeCloseTo(0.9025, 15);
    for (const t of Object.values(state)) t.dispose();
    cpu.destroy();
  });

  it('rejects bad hyperparameters', () => {
    expect(() => new AdamW({ betas: [1, 0.95] })).toThrow(/betas\[0\] = 1 must be a number in \[0, 1\)/);
    expect(() => new AdamW({ lr: -1 })).toThrow(/lr = -1/);
    try {
      new AdamW({ eps: Number.NaN });
    } catch (e) {
      expect(isRRError(e, 'BAD_ARGUMENT')).toBe(true);
    }
  });
});
