import { RRError, type Tensor } from '@rr/tensor';
import { AdamW, type AdamWOptions } from './adamw.js';
import { Muon, type MuonOptions } from './muon.js';
import type { Optimizer, OptimizerState, Param, ParamGroup } from './optimizer.js';
import { assignParamGroup } from './param-groups.js';
import { checkStepArguments } from './validate.js';

export interface MuonWithAdamWOptions {
  /** Muon's hyperparameters (defaults: docs/method.md, lr 1e-3, wd 1e-4, momentum 0.95). */
  muon?: MuonOptions;
  /** AdamW's hyperparameters (defaults: docs/method.md, lr 5e-5, betas (0.9, 0.95), eps 1e-10, wd 1e-4). */
  adamw?: AdamWOptions;
  /** The group of a parameter that has no explicit `group`; default `assignParamGroup` (the paper's rule). */
  assignGroup?: (name: string, shape: readonly number[]) => ParamGroup;
}

/**
 * The paper's optimizer: Muon for the hidden matrices, AdamW for embeddings, head, norms and
 * biases, each with its own learning rate and weight decay; one `lrScale` (the schedule's
 * factor) scales both. A parameter's `group`, when set, overrides the rule.
 */
export class MuonWithAdamW implements Optimizer {
  readonly muon: Muon;
  readonly adamw: AdamW;
  readonly #assignGroup: (name: string, shape: readonly number[]) => ParamGroup;

  constructor(options: MuonWithAdamWOptions = {}) {
    this.muon = new Muon(options.muon);
    this.adamw = new AdamW(options.adamw);
    this.#assignGroup = options.assignGroup ?? assignParamGroup;
  }

  groupOf(param: Param): ParamGroup {
    const group = param.group ?? this.#assignGroup(param.name, param.tensor.shape);
    if (group !== 'muon' && group !== 'adamw') {
      throw new RRError('BAD_ARGUMENT', `MuonWithAdamW: parameter '${param.name}' has group ${JSON.stringify(group)}; use 'muon' or 'adamw'.`);
    }
    if (group === 'muon' && param.tensor.rank !== 2) {
      throw new RRError(
        'BAD_ARGUMENT',
        `MuonWithAdamW: parameter '${param.name}' (${param.tensor}) is assigned to Muon, which updates matrices only; assign it to 'adamw'.`,
      );
    }
    return group;
  }

  step(params: readonly Param[], grads: readonly Tensor[], lrScale = 1): void {
    checkStepArguments('MuonWithAdamW.step', params, grads, lrScale);
    const split = { muon: { params: [] as Param[], grads: [] as Tensor[] }, adamw: { params: [] as Param[], grads: [] as Tensor[] } };
    params.forEach((param, i) => {
      const part = split[this.groupOf(param)];
      part.params.push(param);
      part.grads.push(grads[i]!);
    });
    this.muon.step(split.muon.params, split.muon.grads, lrScale);
    this.adamw.step(split.adamw.params, split.adamw.grads, lrScale);
  }

  /** Both optimizers' state ('muon/...' and 'adamw/...' keys). */
  state(): OptimizerState {
    return { ...this.muon.state(), ...this.adamw.state() };
  }

  load(state: OptimizerState): void {
    const muon: OptimizerState = {};
    const adamw: OptimizerState = {};
    for (const [key, tensor] of Object.entries(state)) {
      if (key.startsWith('muon/')) muon[key] = tensor;
      else if (key.startsWith('adamw/')) adamw[key] = tensor;
      else {
        throw new RRError(
          'OPTIMIZER_STATE_UNKNOWN_KEY',
          `MuonWithAdamW.load: state key '${key}' belongs to neither Muon ('muon/...') nor AdamW ('adamw/...').`,
          { key },
        );
      }
    }
    this.muon.load(muon);
    this.adamw.load(adamw);
  }

  dispose(): void {
    this.muon.dispose();
    this.adamw.dispose();
  }
}
