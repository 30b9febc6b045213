import { RRError, type DType, type Tensor, bytesPerElement } from '@rr/tensor';
import type { KernelContext, TensorRange } from '../kernel.js';

/**
 * Sharding for tensors larger than one storage binding (128 MiB by default; the logits of a
 * 4k-token batch over a 128k vocabulary are 2 GiB in f32, a 128k x 2048 embedding table 1 GiB).
 * A row-wise kernel runs once per shard of consecutive rows, binding only that shard of each
 * operand. Shard starts are multiples of what makes every operand's byte offset a multiple of
 * `minStorageBufferOffsetAlignment`; when everything fits, there is one shard and whole tensors
 * are bound (no ranges at all), which is the common case.
 */
export interface RowShard {
  /** First row of the shard. */
  readonly start: number;
  readonly count: number;
  /** True when the shard is every row: bind whole tensors. */
  readonly whole: boolean;
}

export interface ShardOperand {
  /** Elements per row of this operand. */
  readonly rowElements: number;
  readonly dtype: DType;
}

/**
 * Splits `rows` rows so that each operand's slice fits one binding. `quantum` forces shard starts
 * to a multiple of it (kernels whose own blocking spans rows, e.g. 32-row partial sums).
 */
export function rowShards(ctx: KernelContext, what: string, rows: number, operands: readonly ShardOperand[], quantum = 1): RowShard[] {
  const limit = ctx.limits.maxStorageBufferBindingSize;
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const rowBytes = operands.map((o) => o.rowElements * bytesPerElement(o.dtype));
  const widest = Math.max(1, ...rowBytes);
  if (rows * widest <= limit) return [{ start: 0, count: rows, whole: true }];
  let step = quantum;
  for (const b of rowBytes) if (b > 0) step = lcm(step, align / gcd(b, align));
  const perShard = Math.floor(limit / widest / step) * step;
  if (perShard === 0) {
    throw new RRError(
      'WEBGPU_BINDING_TOO_LARGE',
      `${what}: a shard of ${step} rows (${step * widest} bytes) exceeds maxStorageBufferBindingSize (${limit} bytes); request a larger limit from the adapter.`,
      { limit, rowBytes: widest, step },
    );
  }
  const shards: RowShard[] = [];
  for (let start = 0; start < rows; start += perShard) shards.push({ start, count: Math.min(perShard, rows - start), whole: false });
  return shards;
}

/** The slice of `t` covering a shard's rows (the whole tensor when the shard is everything). */
export function shardOf(t: Tensor, rowElements: number, shard: RowShard): Tensor | TensorRange {
  if (shard.whole) return t;
  return { tensor: t, offset: shard.start * rowElements, length: shard.count * rowElements };
}

/**
 * Elementwise work over `n` elements of operands stored as `dtypes`: shards of single-element
 * rows, so that a kernel run once per shard sees ordinary arrays of `count` elements.
 */
export function elementShards(ctx: KernelContext, what: string, n: number, dtypes: readonly DType[]): RowShard[] {
  return rowShards(
    ctx,
    what,
    n,
    dtypes.map((dtype) => ({ rowElements: 1, dtype })),
  );
}

/**
 * The smallest binding of `t` that covers elements [first, end) and starts at an allowed offset:
 * the start is rounded down to the binding alignment, and `base` says where `first` sits in it.
 */
export function alignedRange(ctx: KernelContext, t: Tensor, first: number, end: number): { binding: Tensor | TensorRange; base: number } {
  const align = ctx.limits.minStorageBufferOffsetAlignment / bytesPerElement(t.dtype);
  const offset = Math.floor(first / align) * align;
  return { binding: offset === 0 && end === t.size ? t : { tensor: t, offset, length: end - offset }, base: first - offset };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
