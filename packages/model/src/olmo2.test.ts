import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, createCpuBackend, ops, scope } from '@rr/tensor';
import { initializeWeights } from './init.js';
import { decoderLayer } from './layer.js';
import { layerNames } from './names.js';
import { RecurrentLM } from './recurrent-lm.js';
import { tinyConfig } from './test-config.js';

const backend = createCpuBackend({ threads: 1 });
afterAll(() => backend.destroy());

const config = tinyConfig({ architecture: 'olmo2', numLayers: 2, ropeTheta: 500000 });

describe('OLMo-2 layers', () => {
  it('are post-norm with QK-norm over the full projections', async () => {
    const params = initializeWeights(config, backend, { seed: 5, std: 0.2 });
    // non-trivial norm weights so that a misplaced norm shows
    for (const [_name, t] of params)
      if (t.rank === 1)
        backend.assign(
          t,
          backend.upload(
            Array.from({ length: t.size }, (_, i) => 0.5 + i / t.size),
            t.shape,
            'f32',
          ),
        );
    const names = layerNames(0, 'olmo2');
    expect(names.qNorm).toBe('model.layers.0.self_attn.q_norm.weight');
    const w = (n: string): Tensor => params.get(n)!;
    const [got, want] = scope(() => {
      const x = backend.upload(
        Array.from({ length: 2 * 3 * 16 }, (_, i) => Math.sin(i)),
        [2, 3, 16],
        'f32',
      );
      const lin = (t: Tensor, n: string): Tensor => ops.matmul(t, w(n), { transB: true });
      const rope = { theta: config.ropeTheta, headDim: 4 };
      const q = ops.rope(ops.rmsnorm(lin(x, names.q), w(names.qNorm!), 1e-6), { ...rope, nHeads: 4 });
      const k = ops.rope(ops.rmsnorm(lin(x, names.k), w(names.kNorm!), 1e-6), { ...rope, nHeads: 2 });
      const a = ops.attention(q, k, lin(x, names.v), { nHeads: 4, nKvHeads: 2, headDim: 4 });
      const h = ops.add(x, ops.rmsnorm(lin(a, names.o), w(names.attnNorm), 1e-6));
      const m = lin(ops.swiglu(lin(h, names.gate), lin(h, names.up)), names.down);
      return [decoderLayer(x, w, names, config), ops.add(h, ops.rmsnorm(m, w(names.mlpNorm), 1e-6))];
    });
    const a = await got!.read();
    const b = await want!.read();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('a whole OLMo-2 model runs forward', async () => {
    const model = new RecurrentLM(config, initializeWeights(config, backend, { seed: 1 }));
    const logits = scope(() => model.forward(backend.upload([1, 5, 9], [1, 3], 'i32')));
    expect(logits.shape).toEqual([1, 3, 32]);
    expect(Array.from(await logits.read()).every(Number.isFinite)).toBe(true);
  });
});
