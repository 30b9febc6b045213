import { type HostArray, createCpuBackend, isRRError, memoryStats, scope } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { MuonWithAdamW } from './muon-with-adamw.js';
import type { OptimizerState, Param } from './optimizer.js';
import { seededGrads, tinyLlamaParams } from './test-model.js';

async function readAll(params: readonly Param[]): Promise<HostArray[]> {
  return Promise.all(params.map((p) => p.tensor.read()));
}

describe('MuonWithAdamW', () => {
  it("splits a Llama by the paper rule and keeps each group's state under its own keys", () => {
    const cpu = createCpuBackend({ threads: 1 });
    const params = tinyLlamaParams(cpu, 'f32');
    const optimizer = new MuonWithAdamW();
    scope(() => optimizer.step(params, seededGrads(params, 0)));
    const keys = scope(() => Object.keys(optimizer.state()));
    const stateOf = (prefix: string): string[] => keys.flatMap((k) => (k.startsWith(prefix) ? [k.slice(prefix.length)] : [])).sort();
    const paramsLike = (pattern: RegExp): string[] => params.flatMap((p) => (pattern.test(p.name) ? [p.name] : [])).sort();
    expect(stateOf('muon/momentum/')).toEqual(paramsLike(/_proj|adapter/));
    expect(stateOf('adamw/exp_avg/')).toEqual(paramsLike(/norm|embed|lm_head/));
    expect(optimizer.muon.lr).toBe(1e-3);
    expect(optimizer.adamw.lr).toBe(5e-5);
    cpu.destroy();
  });

  it('honours an explicit group and a custom rule', () => {
    const cpu = createCpuBackend({ threads: 1 });
    const w = cpu.zeros([4, 4], 'f32');
    const optimizer = new MuonWithAdamW({ assignGroup: () => 'adamw' });
    expect(optimizer.groupOf({ name: 'a.q_proj.weight', tensor: w })).toBe('adamw');
    expect(optimizer.groupOf({ name: 'a.q_proj.weight', tensor: w, group: 'muon' })).toBe('muon');
    expect(() => optimizer.groupOf({ name: 'n.weight', tensor: cpu.zeros([4], 'f32'), group: 'muon' })).toThrow(
      /assigned to Muon, which updates matrices only/,
    );
    cpu.destroy();
  });

  it('allocates state once and frees every temporary of a step', () => {
    const cpu = createCpuBackend({ threads: 1 });
    const params = tinyLlamaParams(cpu, 'f32');
    const optimizer = new MuonWithAdamW();
    scope(() => optimizer.step(params, seededGrads(params, 0)));
    const muonCount = params.filter((p) => optimizer.groupOf(p) === 'muon').length;
    const adamwCount = params.length - muonCount;
    expect(memoryStats(cpu).storages).toBe(params.length + muonCount + 4 * adamwCount);
    const live = memoryStats(cpu);
    for (let step = 1; step < 4; step++) scope(() => optimizer.step(params, seededGrads(params, step), 0.5));
    expect(memoryStats(cpu)).toEqual(live);
    optimizer.dispose();
    expect(memoryStats(cpu).storages).toBe(params.length);
    cpu.destroy();
  });

  for (const dtype of ['f32', 'f64'] as const) {
    it(`continues bit-identically after a state save and load (${dtype})`, async () => {
      const cpu = createCpuBackend({ threads: 1 });
      const params = tinyLlamaParams(cpu, dtype);
      const original = new MuonWithAdamW();
      for (let step = 0; step < 3; step++) scope(() => original.step(params, seededGrads(params, step), 0.7));

      // A checkpoint: state and parameters go to the host and come back as fresh tensors.
      const saved = await scope(() => original.state());
      const host = Object.fromEntries(await Promise.all(Object.entries(saved).map(async ([k, t]) => [k, { data: await t.read(), shape: t.shape }] as const)));
      for (const t of Object.values(saved)) t.dispose();
      const resumedParams: Param[] = await Promise.all(
        params.map(async (p) => ({ name: p.name, tensor: cpu.upload(await p.tensor.read(), p.tensor.shape, dtype) })),
      );
      const resumed = new MuonWithAdamW();
      scope(() => {
        const uploaded: OptimizerState = {};
        for (const [k, v] of Object.entries(host)) uploaded[k] = cpu.upload(v.data, v.shape, dtype);
        resumed.load(uploaded);
      });

      for (let step = 3; step < 6; step++) {
        scope(() => original.step(params, seededGrads(params, step), 0.7));
        scope(() => resumed.step(resumedParams, seededGrads(resumedParams, step), 0.7));
      }
      const a = await readAll(params);
      const b = await readAll(resumedParams);
      for (let i = 0; i < a.length; i++) expect(Buffer.from(b[i]!.buffer).equals(Buffer.from(a[i]!.buffer)), params[i]!.name).toBe(true);
      const stateA = await scope(() => original.state());
      const stateB = await scope(() => resumed.state());
      expect(Object.keys(stateB).sort()).toEqual(Object.keys(stateA).sort());
      for (const key of Object.keys(stateA)) {
        expect(Buffer.from((await stateB[key]!.read()).buffer).equals(Buffer.from((await stateA[key]!.read()).buffer)), key).toBe(true);
      }
      cpu.destroy();
    });
  }

  it('rejects state that is not its own or does not fit', () => {
    const cpu = createCpuBackend({ threads: 1 });
    const optimizer = new MuonWithAdamW();
    const expectCode = (fn: () => void, code: string, message: RegExp): void => {
      try {
        fn();
        expect.unreachable();
      } catch (e) {
        expect(isRRError(e, code), String(e)).toBe(true);
        expect(String(e)).toMatch(message);
      }
    };
    expectCode(() => optimizer.load({ 'lion/m/w': cpu.zeros([2, 2], 'f32') }), 'OPTIMIZER_STATE_UNKNOWN_KEY', /'lion\/m\/w' belongs to neither Muon/);
    expectCode(
      () => optimizer.load({ 'muon/velocity/w': cpu.zeros([2, 2], 'f32') }),
      'OPTIMIZER_STATE_UNKNOWN_KEY',
      /expected 'muon\/\{momentum\}\/<parameter name>'/,
    );
    expectCode(() => optimizer.load({ 'adamw/exp_avg/n': cpu.zeros([2], 'f32') }), 'OPTIMIZER_STATE_INCOMPLETE', /'n' lacks 'adamw\/exp_avg_sq\/n'/);
    optimizer.load({ 'muon/momentum/w': cpu.zeros([3, 2], 'f32') });
    expectCode(
      () => optimizer.step([{ name: 'w', tensor: cpu.zeros([2, 3], 'f32') }], [cpu.zeros([2, 3], 'f32')]),
      'OPTIMIZER_STATE_MISMATCH',
      /'muon\/momentum\/w' is Tensor<f32>\[3, 2\] on cpu but parameter 'w' is Tensor<f32>\[2, 3\]/,
    );
    cpu.destroy();
  });

  it('load copies: the caller may dispose what it passed in', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const optimizer = new MuonWithAdamW();
    const momentum = cpu.full([2, 2], 3, 'f32');
    optimizer.load({ 'muon/momentum/w': momentum });
    momentum.dispose();
    const state = optimizer.state();
    expect(Array.from(await state['muon/momentum/w']!.read())).toEqual([3, 3, 3, 3]);
    state['muon/momentum/w']!.dispose(); // a view: the optimizer's buffer stays
    expect(Array.from(await optimizer.state()['muon/momentum/w']!.read())).toEqual([3, 3, 3, 3]);
    cpu.destroy();
  });
});
