import { RRError, type Tensor, keep, nograd as ng } from '@rr/tensor';
import type { OptimizerState } from './optimizer.js';

/**
 * An optimizer's state tensors, keyed '<prefix>/<kind>/<parameter name>' (e.g.
 * 'muon/momentum/model.layers.0.mlp.up_proj.weight'). Slashes cannot clash with the dots of
 * parameter names, so a checkpoint holding several optimizers' state splits back unambiguously.
 *
 * Slots are created outside every scope (`keep`): they live from the first step until `dispose`,
 * while everything else an optimizer step computes is freed by the step's scope.
 */
export class StateSlots {
  readonly #slots = new Map<string, Tensor>();

  constructor(
    readonly prefix: string,
    readonly kinds: readonly string[],
  ) {}

  key(kind: string, paramName: string): string {
    return `${this.prefix}/${kind}/${paramName}`;
  }

  /**
   * The `kind` slot of a parameter; created by `init` on first use. A slot that was loaded from a
   * checkpoint must fit the parameter it now serves.
   */
  get(kind: string, param: { name: string; tensor: Tensor }, shape: readonly number[], init: () => Tensor): Tensor {
    const key = this.key(kind, param.name);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = keep(init());
      this.#slots.set(key, slot);
      return slot;
    }
    const fits =
      slot.backend === param.tensor.backend && slot.dtype === param.tensor.dtype && slot.rank === shape.length && slot.shape.every((d, i) => d === shape[i]);
    if (!fits) {
      throw new RRError(
        'OPTIMIZER_STATE_MISMATCH',
        `optimizer state '${key}' is ${slot} but parameter '${param.name}' is ${param.tensor}: the state was saved for another model or dtype. Start the optimizer fresh, or resume from a matching checkpoint.`,
        { key },
      );
    }
    return slot;
  }

  /** Views of every slot (new Tensor objects over the same memory, so the caller may dispose them). */
  views(): OptimizerState {
    const out: OptimizerState = {};
    for (const [key, slot] of this.#slots) out[key] = slot.view(slot.shape);
    return out;
  }

  /**
   * Replaces all slots with copies of `state`'s tensors. Every key must be one of this optimizer's
   * ('<prefix>/<kind>/<name>' with a known kind), and each parameter must have every kind.
   */
  load(state: OptimizerState, where: string): void {
    const byParam = new Map<string, Set<string>>();
    for (const key of Object.keys(state)) {
      const parsed = this.#parse(key);
      if (!parsed) {
        throw new RRError(
          'OPTIMIZER_STATE_UNKNOWN_KEY',
          `${where}: state key '${key}' is not one of this optimizer's (expected '${this.prefix}/{${this.kinds.join(',')}}/<parameter name>'). Was the checkpoint written by another optimizer?`,
          { key },
        );
      }
      const kinds = byParam.get(parsed.name) ?? new Set<string>();
      kinds.add(parsed.kind);
      byParam.set(parsed.name, kinds);
    }
    for (const [name, kinds] of byParam) {
      const missing = this.kinds.filter((k) => !kinds.has(k));
      if (missing.length > 0) {
        throw new RRError(
          'OPTIMIZER_STATE_INCOMPLETE',
          `${where}: state for parameter '${name}' lacks ${missing.map((k) => `'${this.key(k, name)}'`).join(', ')}.`,
          { name, missing },
        );
      }
    }
    const copies = new Map<string, Tensor>();
    for (const [key, src] of Object.entries(state)) {
      src.assertLive(`${where} ('${key}')`);
      const copy = keep(ng.clone(src));
      copies.set(key, copy);
    }
    this.dispose();
    for (const [key, copy] of copies) this.#slots.set(key, copy);
  }

  dispose(): void {
    for (const slot of this.#slots.values()) slot.dispose();
    this.#slots.clear();
  }

  #parse(key: string): { kind: string; name: string } | undefined {
    if (!key.startsWith(`${this.prefix}/`)) return undefined;
    const rest = key.slice(this.prefix.length + 1);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) return undefined;
    const kind = rest.slice(0, slash);
    return this.kinds.includes(kind) ? { kind, name: rest.slice(slash + 1) } : undefined;
  }
}
