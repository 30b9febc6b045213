import { type Tensor, createCpuBackend, grad, keep, ops, requireGrad, scope } from '@rr/tensor';
import { expect, it } from 'vitest';
import { GRAD_CLIP_MAX_NORM, MuonWithAdamW, type Optimizer, type OptimizerState, type Param, clipGradNorm, warmupStableDecay } from './index.js';

// The README's snippets, kept running.

it('README: a training step with MuonWithAdamW, clipping and the WSD schedule', async () => {
  const cpu = createCpuBackend();
  const params: Param[] = [
    { name: 'model.embed_tokens.weight', tensor: requireGrad(cpu.upload([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2], 'f32')) },
    { name: 'model.layers.0.mlp.up_proj.weight', tensor: requireGrad(cpu.upload([0.5, -0.1, 0.2, 0.3], [2, 2], 'f32')) },
  ];
  const optimizer = new MuonWithAdamW(); // Muon lr 1e-3 for the matrix, AdamW lr 5e-5 for the embedding
  const schedule = warmupStableDecay({ totalSteps: 100, warmupFraction: 0.01, cooldownFraction: 0.8 });
  const ids = cpu.upload([0, 2, 1], [3], 'i32');
  const labels = cpu.upload([2, 0, 1], [3], 'i32');

  const losses: number[] = [];
  for (let step = 0; step < 5; step++) {
    const loss = scope(() => {
      const [embed, up] = params.map((p) => p.tensor) as [Tensor, Tensor];
      const hidden = ops.matmul(ops.embedding(ids, embed), up, { transB: true });
      const l = ops.crossEntropy(ops.matmul(hidden, embed, { transB: true }), labels); // tied head
      const grads = grad(l, [embed, up]);
      clipGradNorm(grads, GRAD_CLIP_MAX_NORM);
      optimizer.step(params, grads, schedule.at(step));
      return l;
    });
    losses.push((await loss.read())[0]!);
    loss.dispose();
  }
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(Object.keys(optimizer.state()).some((k) => k.startsWith('muon/momentum/model.layers.0'))).toBe(true);
  cpu.destroy();
});

/** Lion (Chen et al. 2023): the sign of an interpolated momentum; one buffer per parameter. */
class Lion implements Optimizer {
  readonly #momentum = new Map<string, Tensor>();

  constructor(
    private readonly lr = 1e-4,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.99,
    private readonly weightDecay = 0.1,
  ) {}

  step(params: readonly Param[], grads: readonly Tensor[], lrScale = 1): void {
    const lr = this.lr * lrScale;
    params.forEach(({ name, tensor: p }, i) =>
      scope(() => {
        const be = p.backend;
        const g = grads[i]!;
        let m = this.#momentum.get(name);
        if (!m) this.#momentum.set(name, (m = keep(be.zeros(p.shape, p.dtype))));
        const direction = be.unary('sign', ops.lerp(m, g, 1 - this.beta1));
        be.assign(p, be.binary('sub', be.affine(p, 1 - lr * this.weightDecay, 0), be.affine(direction, lr, 0)));
        be.assign(m, ops.lerp(m, g, 1 - this.beta2));
      }),
    );
  }

  state(): OptimizerState {
    return Object.fromEntries([...this.#momentum].map(([name, m]) => [`lion/momentum/${name}`, m.view(m.shape)]));
  }

  load(state: OptimizerState): void {
    for (const [key, t] of Object.entries(state)) {
      const copy = keep(t.backend.zeros(t.shape, t.dtype));
      t.backend.assign(copy, t);
      this.#momentum.set(key.replace(/^lion\/momentum\//, ''), copy);
    }
  }
}

it('README: a user-written optimizer (Lion) through the public interface', async () => {
  const cpu = createCpuBackend({ threads: 1 });
  const w = cpu.upload([1, -1, 0.5, 2], [2, 2], 'f32');
  const optimizer: Optimizer = new Lion(0.1, 0.9, 0.99, 0);
  optimizer.step([{ name: 'w', tensor: w }], [cpu.upload([0.3, -0.2, 0, 5], [2, 2], 'f32')]);
  // first step: m = 0, c = 0.1 g, p -= 0.1 sign(g)
  expect(Array.from(await w.read())).toEqual(Array.from(new Float32Array([0.9, -0.9, 0.5, 1.9])));
  const restored = new Lion(0.1, 0.9, 0.99, 0);
  restored.load(optimizer.state());
  expect(Object.keys(restored.state())).toEqual(['lion/momentum/w']);
  cpu.destroy();
});
