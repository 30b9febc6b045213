import type { Tensor } from '@rr/tensor';

/** The optimizer families of the paper's split (see `assignParamGroup`). */
export type ParamGroup = 'muon' | 'adamw';

/** A trainable tensor and the name its optimizer state is stored under. */
export interface Param {
  /**
   * A stable, unique name: the checkpoint key of the tensor (e.g.
   * 'model.layers.0.self_attn.q_proj.weight'). Optimizer state is keyed by it, so a resumed run
   * finds each parameter's state whatever order the parameters come in.
   */
  readonly name: string;
  /** Updated in place (backend.assign): the model keeps using the same Tensor object. */
  readonly tensor: Tensor;
  /** Forces a group in `MuonWithAdamW`; by default the group follows from the name and shape. */
  readonly group?: ParamGroup;
}

/** Named state tensors: safetensors-ready, keys prefixed by the optimizer ('muon/', 'adamw/'). */
export type OptimizerState = Record<string, Tensor>;

/**
 * What the trainer needs from an optimizer. `grads[i]` is the gradient of `params[i]`.
 *
 * `lrScale` multiplies the optimizer's own learning rate(s): a schedule returns a factor (e.g.
 * warm-up from 0.001 to 1) and one call serves optimizers whose groups have different base rates
 * (Muon 1e-3 and AdamW 5e-5 in the paper). Default 1.
 *
 * `state()` returns tensors the caller owns (dispose them, or let a scope do it, once written);
 * they may share memory with the optimizer's buffers, so write them before the next `step`.
 * `load(state)` copies the values in; after it, steps continue bit-identically to the run that
 * saved the state. `dispose()` frees the optimizer's device buffers (momenta, moments); the
 * optimizer is not used after it.
 */
export interface Optimizer {
  step(params: readonly Param[], grads: readonly Tensor[], lrScale?: number): void;
  state(): OptimizerState;
  load(state: OptimizerState): void;
  dispose(): void;
}
