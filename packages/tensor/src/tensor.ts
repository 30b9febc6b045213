import type { Backend, Storage } from './backend.js';
import { type DType, type HostArrayOf, bytesPerElement, sizeOf } from './dtype.js';
import { RRError } from './errors.js';
import type { GradNode } from './autograd/tape.js';
import { track } from './scope.js';
import { releaseStorage, retainStorage } from './storage-lifetime.js';

/**
 * An n-dimensional array on a backend. Contiguous, row-major. Several tensors may share one
 * storage (a reshape or a detach is a new Tensor over the same storage); the storage is freed
 * when the last of them is disposed.
 */
export class Tensor<D extends DType = DType> {
  readonly __isTensor = true;
  readonly shape: readonly number[];
  readonly size: number;
  /** Set by autograd ops when this tensor depends on a tensor that requires a gradient. */
  requiresGrad = false;
  /** How this tensor was computed, for the backward pass (autograd internal). */
  node: GradNode | undefined = undefined;
  #disposed = false;

  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
    shape: readonly number[],
    readonly dtype: D,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    retainStorage(backend, storage, this.size * bytesPerElement(dtype));
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Device -> host copy of the contents. */
  read(): Promise<HostArrayOf<D>> {
    this.assertLive('read');
    return this.backend.read(this) as Promise<HostArrayOf<D>>;
  }

  /** A view with a new shape over the same storage (no gradient tracking; see ops.reshape). */
  view(shape: readonly number[]): Tensor<D> {
    this.assertLive('view');
    const resolved = resolveShape(shape, this.size, this.shape);
    return new Tensor(this.backend, this.storage, resolved, this.dtype);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.node = undefined;
    releaseStorage(this.backend, this.storage);
  }

  assertLive(op: string): void {
    if (this.#disposed) {
      throw new RRError(
        'TENSOR_DISPOSED',
        `${op}: tensor of shape [${this.shape.join(', ')}] was already disposed (by dispose() or by the end of the scope that created it). Return it from the scope or call keep() on it.`,
      );
    }
  }

  toString(): string {
    return `Tensor<${this.dtype}>[${this.shape.join(', ')}] on ${this.backend.name}`;
  }
}

/** Resolves one `-1` in `shape` and checks that the element count matches. */
export function resolveShape(shape: readonly number[], size: number, from: readonly number[]): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0) {
    const rest = sizeOf(out.filter((_, i) => i !== free));
    out[free] = rest === 0 ? 0 : size / rest;
  }
  if (sizeOf(out) !== size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RRError('BAD_SHAPE', `reshape: cannot view [${from.join(', ')}] (${size} elements) as [${shape.join(', ')}].`);
  }
  return out;
}
