import type { Tensor } from '@rr/tensor';
import type { GpuContext } from '../context.js';
import type { TensorRange } from '../kernel.js';

/**
 * Elementwise work on tensors larger than one storage binding: the flat index range is cut into
 * chunks that each fit a binding, and the kernel runs once per chunk over TensorRange bindings.
 * Kernels need not know: within a chunk they see ordinary arrays of `length` elements.
 *
 * Chunk lengths are multiples of 256 elements, so every chunk starts at a multiple of 512 bytes
 * for 2- and 4-byte types, a multiple of any minStorageBufferOffsetAlignment (at most 256).
 */
export function forEachChunk(ctx: GpuContext, n: number, maxBytesPerElement: number, fn: (offset: number, length: number) => void): void {
  const chunk = chunkLength(ctx, n, maxBytesPerElement);
  for (let offset = 0; offset < n; offset += chunk) fn(offset, Math.min(chunk, n - offset));
}

/** Elements per chunk (n itself when everything fits one binding). */
export function chunkLength(ctx: GpuContext, n: number, maxBytesPerElement: number): number {
  return n * maxBytesPerElement <= ctx.bindingLimit ? n : Math.floor(ctx.bindingLimit / maxBytesPerElement / 256) * 256;
}

/** `t` itself when the range is all of it, else a TensorRange binding. */
export function part(t: Tensor, offset: number, length: number): Tensor | TensorRange {
  return offset === 0 && length === t.size ? t : { tensor: t, offset, length };
}

/**
 * The smallest binding of `t` that covers elements [first, end) and starts at an allowed offset:
 * the start is rounded down to the binding alignment, and `base` says where `first` sits in it.
 */
export function alignedRange(ctx: GpuContext, t: Tensor, first: number, end: number, bytesPerElement: number): { binding: Tensor | TensorRange; base: number } {
  const align = ctx.bindingAlignment / bytesPerElement;
  const offset = Math.floor(first / align) * align;
  return { binding: part(t, offset, end - offset), base: first - offset };
}
