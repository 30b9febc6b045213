import { type Tensor, nograd as ng, scope } from '@rr/tensor';
import { ADAMW_DEFAULTS } from './defaults.js';
import type { Optimizer, OptimizerState, Param } from './optimizer.js';
import { StateSlots } from './state-slots.js';
import { checkHyperparameter, checkStepArguments } from './validate.js';

export interface AdamWOptions {
  /** Base learning rate (multiplied by `step`'s lrScale); default 5e-5. */
  lr?: number;
  /** (beta1, beta2); default (0.9, 0.95). */
  betas?: readonly [number, number];
  /** Added to sqrt(v_hat); default 1e-10 (the paper's AdamW-only baseline uses 1e-8). */
  eps?: number;
  /** Decoupled weight decay: p *= 1 - lr * weightDecay each step; default 1e-4. */
  weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter), with bias correction and decoupled weight decay:
 *
 *   m = lerp(m, g, 1 - beta1);  v = lerp(v, g^2, 1 - beta2)
 *   p *= 1 - lr * wd;  p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *
 * beta1^t and beta2^t are kept per parameter as device scalars, updated by one multiplication per
 * step, rather than as a host step count: the whole state is then tensors, `load` is a plain copy
 * with no device read, and the update needs no host round trip.
 */
export class AdamW implements Optimizer {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly #slots = new StateSlots('adamw', ['exp_avg', 'exp_avg_sq', 'beta1_power', 'beta2_power']);

  constructor(options: AdamWOptions = {}) {
    const o = { ...ADAMW_DEFAULTS, ...options };
    this.lr = checkHyperparameter('AdamW', 'lr', o.lr, 0, Infinity);
    this.betas = [checkHyperparameter('AdamW', 'betas[0]', o.betas[0], 0, 1, false), checkHyperparameter('AdamW', 'betas[1]', o.betas[1], 0, 1, false)];
    this.eps = checkHyperparameter('AdamW', 'eps', o.eps, 0, Infinity);
    this.weightDecay = checkHyperparameter('AdamW', 'weightDecay', o.weightDecay, 0, Infinity);
  }

  step(params: readonly Param[], grads: readonly Tensor[], lrScale = 1): void {
    checkStepArguments('AdamW.step', params, grads, lrScale);
    const lr = this.lr * lrScale;
    params.forEach((param, i) => scope(() => this.#update(param, grads[i]!, lr)));
  }

  #update(param: Param, grad: Tensor, lr: number): void {
    const p = param.tensor;
    const [beta1, beta2] = this.betas;
    const slot = (kind: string, shape: readonly number[], initial: number): Tensor =>
      this.#slots.get(kind, param, shape, () => p.backend.full(shape, initial, p.dtype));
    const m = slot('exp_avg', p.shape, 0);
    const v = slot('exp_avg_sq', p.shape, 0);
    const beta1Power = slot('beta1_power', [], 1);
    const beta2Power = slot('beta2_power', [], 1);

    ng.assign(m, ng.lerp(m, grad, 1 - beta1));
    ng.assign(v, ng.lerp(v, ng.square(grad), 1 - beta2));
    ng.assign(beta1Power, ng.scale(beta1Power, beta1));
    ng.assign(beta2Power, ng.scale(beta2Power, beta2));

    const correction1 = ng.affine(beta1Power, -1, 1); // 1 - beta1^t
    const sqrtCorrection2 = ng.sqrt(ng.affine(beta2Power, -1, 1)); // sqrt(1 - beta2^t)
    const denominator = ng.affine(ng.div(ng.sqrt(v), sqrtCorrection2), 1, this.eps);
    const update = ng.div(ng.div(m, correction1), denominator);
    const decayed = ng.scale(p, 1 - lr * this.weightDecay);
    ng.assign(p, ng.sub(decayed, ng.scale(update, lr)));
  }

  /** Per parameter stepped so far: 'adamw/{exp_avg,exp_avg_sq,beta1_power,beta2_power}/<name>'. */
  state(): OptimizerState {
    return this.#slots.views();
  }

  load(state: OptimizerState): void {
    this.#slots.load(state, 'AdamW.load');
  }

  /** Frees the moment buffers. */
  dispose(): void {
    this.#slots.dispose();
  }
}
