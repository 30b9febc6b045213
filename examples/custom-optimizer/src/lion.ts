import { type Tensor, keep, ops, scope } from '@rr/tensor';
import type { Optimizer, OptimizerState, Param } from '@rr/muon';

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): the update is the sign
 * of an interpolation between momentum and gradient, so every coordinate moves by exactly lr.
 *   u = sign(lerp(m, g, 1 - beta1));  p = p * (1 - lr * wd) - lr * u;  m = lerp(m, g, 1 - beta2)
 * Written against @rr/muon's public `Optimizer` interface only: device ops, one scope per
 * parameter so temporaries are freed, momentum kept across steps, state() for checkpoints.
 */
export class Lion implements Optimizer {
  readonly #momentum = new Map<string, Tensor>();

  constructor(
    readonly lr = 1e-4,
    readonly beta1 = 0.9,
    readonly beta2 = 0.99,
    readonly weightDecay = 0.1,
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
      this.#momentum.get(key.replace(/^lion\/momentum\//, ''))?.dispose();
      this.#momentum.set(key.replace(/^lion\/momentum\//, ''), copy);
    }
  }

  dispose(): void {
    for (const m of this.#momentum.values()) m.dispose();
    this.#momentum.clear();
  }
}
