import { RRError, type Tensor, nograd as ng, scope } from '@rr/tensor';
import { MUON_DEFAULTS } from './defaults.js';
import { newtonSchulz5 } from './newton-schulz.js';
import type { Optimizer, OptimizerState, Param } from './optimizer.js';
import { StateSlots } from './state-slots.js';
import { checkHyperparameter, checkStepArguments } from './validate.js';

/**
 * How the orthogonalized update is scaled for a rows x cols matrix:
 * - 'aspect-ratio': max(1, rows / cols)^0.5 (Keller Jordan's Muon, the paper's choice);
 * - 'adamw-rms': 0.2 * sqrt(max(rows, cols)) (Moonlight), which gives the update the RMS of a
 *   typical AdamW update so that AdamW's learning rate and weight decay carry over.
 */
export type MuonUpdateScale = 'aspect-ratio' | 'adamw-rms';

export interface MuonOptions {
  /** Base learning rate (multiplied by `step`'s lrScale); default 1e-3. */
  lr?: number;
  /** Decoupled weight decay: p *= 1 - lr * weightDecay each step; default 1e-4. */
  weightDecay?: number;
  /** beta of the momentum buffer; default 0.95. */
  momentum?: number;
  /** Nesterov momentum (orthogonalize lerp(G, buf, beta) instead of buf); default true. */
  nesterov?: boolean;
  /** Newton-Schulz iterations; default 5. */
  newtonSchulzSteps?: number;
  /** default 'aspect-ratio'. */
  updateScale?: MuonUpdateScale;
}

/**
 * Muon: momentum, then the update is orthogonalized (all its singular values pushed to ~1) so
 * that every direction of a weight matrix moves at a similar rate. For each matrix parameter p
 * with gradient G (rows x cols):
 *
 *   buf = lerp(buf, G, 1 - beta);  u = lerp(G, buf, beta)      (Nesterov)
 *   u = newtonSchulz5(u) * scale(rows, cols)
 *   p *= 1 - lr * wd;  p -= lr * u
 *
 * Matrices only: embeddings, the LM head, norms and biases belong to AdamW (`MuonWithAdamW`).
 * Each parameter's update runs in its own scope (its temporaries are freed before the next);
 * the momentum buffers are kept; the parameter is overwritten in place.
 */
export class Muon implements Optimizer {
  readonly lr: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly newtonSchulzSteps: number;
  readonly updateScale: MuonUpdateScale;
  readonly #slots = new StateSlots('muon', ['momentum']);

  constructor(options: MuonOptions = {}) {
    const o = { ...MUON_DEFAULTS, ...options };
    this.lr = checkHyperparameter('Muon', 'lr', o.lr, 0, Infinity);
    this.weightDecay = checkHyperparameter('Muon', 'weightDecay', o.weightDecay, 0, Infinity);
    this.momentum = checkHyperparameter('Muon', 'momentum', o.momentum, 0, 1, false);
    if (typeof o.nesterov !== 'boolean') throw new RRError('BAD_ARGUMENT', `Muon: nesterov = ${String(o.nesterov)} must be true or false.`);
    this.nesterov = o.nesterov;
    this.newtonSchulzSteps = checkHyperparameter('Muon', 'newtonSchulzSteps', o.newtonSchulzSteps, 0, 100);
    if (!Number.isInteger(this.newtonSchulzSteps)) {
      throw new RRError('BAD_ARGUMENT', `Muon: newtonSchulzSteps = ${this.newtonSchulzSteps} must be an integer.`);
    }
    if (o.updateScale !== 'aspect-ratio' && o.updateScale !== 'adamw-rms') {
      throw new RRError('BAD_ARGUMENT', `Muon: updateScale = ${JSON.stringify(o.updateScale)} must be 'aspect-ratio' or 'adamw-rms'.`);
    }
    this.updateScale = o.updateScale;
  }

  step(params: readonly Param[], grads: readonly Tensor[], lrScale = 1): void {
    checkStepArguments('Muon.step', params, grads, lrScale);
    for (const param of params) {
      if (param.tensor.rank !== 2) {
        throw new RRError(
          'SHAPE_MISMATCH',
          `Muon.step: parameter '${param.name}' is ${param.tensor}; Muon updates matrices only. Use MuonWithAdamW, which gives vectors, embeddings and the head to AdamW.`,
        );
      }
    }
    const lr = this.lr * lrScale;
    params.forEach((param, i) => scope(() => this.#update(param, grads[i]!, lr)));
  }

  #update(param: Param, grad: Tensor, lr: number): void {
    const p = param.tensor;
    const [rows, cols] = p.shape as [number, number];
    const buffer = this.#slots.get('momentum', param, p.shape, () => ng.zerosLike(p));
    ng.assign(buffer, ng.lerp(buffer, grad, 1 - this.momentum));
    const direction = this.nesterov ? ng.lerp(grad, buffer, this.momentum) : buffer;
    const orthogonal = newtonSchulz5(direction, { steps: this.newtonSchulzSteps });
    const scale = this.updateScale === 'aspect-ratio' ? Math.sqrt(Math.max(1, rows / cols)) : 0.2 * Math.sqrt(Math.max(rows, cols));
    const decayed = ng.scale(p, 1 - lr * this.weightDecay);
    ng.assign(p, ng.sub(decayed, ng.scale(orthogonal, lr * scale)));
  }

  /** 'muon/momentum/<name>' per parameter stepped so far. */
  state(): OptimizerState {
    return this.#slots.views();
  }

  load(state: OptimizerState): void {
    this.#slots.load(state, 'Muon.load');
  }

  /** Frees the momentum buffers. */
  dispose(): void {
    this.#slots.dispose();
  }
}
