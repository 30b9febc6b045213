import { type Tensor, createCpuBackend, grad, ops, requireGrad, scope } from '@rr/tensor';
import { expect, it } from 'vitest';
import { GRAD_CLIP_MAX_NORM, MuonWithAdamW, type Param, clipGradNorm, warmupStableDecay } from './index.js';

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
