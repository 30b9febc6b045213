import type { DType, HostArray } from './dtype.js';
import type { Tensor } from './tensor.js';

/**
 * A backend's handle to a tensor's memory. The backend creates it with the first Tensor over it;
 * from then on @rr/tensor owns its lifetime (see storage-lifetime.ts): it counts the Tensors that
 * share it and calls `free` exactly once, when the last of them is disposed.
 */
export interface Storage {
  /** Gives the memory back to the backend. Called by @rr/tensor only: dispose the Tensors instead. */
  free(): void;
}

export type UnaryOp = 'neg' | 'abs' | 'sqrt' | 'rsqrt' | 'square' | 'exp' | 'log' | 'reciprocal' | 'sigmoid' | 'silu' | 'sign';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

export interface MatmulOptions {
  /** `a` is stored as [..., K, M] and used transposed. */
  transA?: boolean;
  /** `b` is stored as [..., N, K] and used transposed (the Linear-layer case: weight [out, in]). */
  transB?: boolean;
  /**
   * The caller knows each product is symmetric (M = N): a Gram matrix X X^T or X^T X, or a
   * product of commuting symmetric matrices such as A A. A backend may then compute only the
   * entries on and above the diagonal and mirror them, about half the multiply-adds. A hint:
   * a backend that ignores it computes the same matrix in full.
   */
  symmetric?: boolean;
}

/** Llama-3 RoPE frequency scaling (`rope_scaling.rope_type = "llama3"` in a Hugging Face config). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface RopeOptions {
  nHeads: number;
  headDim: number;
  theta: number;
  scaling?: Llama3RopeScaling | undefined;
  /** Position of the first token along the sequence axis (a KV-cache decode step starts past 0). */
  offset?: number;
  /** Rotate by minus the angle: the backward of RoPE (the rotation is orthogonal). */
  inverse?: boolean;
}

export interface AttentionOptions {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Softmax scale; 1/sqrt(headDim) when omitted. */
  scale?: number;
  /**
   * How many key/value positions are valid (a KV cache is allocated longer than it is filled).
   * The Tq queries sit at positions kvLength - Tq .. kvLength - 1 and attend causally.
   * Defaults to the key tensor's sequence length.
   */
  kvLength?: number;
}

/** One 4-byte word of a custom kernel's uniform block, in order. */
export type UniformWord = readonly ['u32' | 'i32' | 'f32', number];

/**
 * A kernel written outside rr (see @rr/js-kernels), given in the two forms rr's backends run:
 * backends that keep tensors in host memory call `js`, the WebGPU backend compiles `wgsl`. It
 * reads `inputs` and writes one new output tensor; it never writes its inputs.
 */
export interface CustomKernel {
  /** Names the kernel in errors. */
  readonly name: string;
  /** Writes every element of `out` from the inputs' values (the backend's own arrays: read only). */
  readonly js: (inputs: readonly HostArray[], out: HostArray) => void;
  readonly wgsl: {
    /**
     * A compute shader, entry point `main`. Group 0: `@binding(0)` a uniform block of `uniforms`,
     * then each input as `var<storage, read>`, in order, then the output as
     * `var<storage, read_write>`.
     */
    readonly code: string;
    readonly uniforms: readonly UniformWord[];
    /** Workgroup counts (x, y); each at most 65535, the limit every WebGPU device has. */
    readonly workgroups: readonly [number, number];
  };
}

/**
 * The contract every backend implements (CPU and WebGPU), checked by one conformance suite.
 * Methods take and return raw tensors: no autograd here (see `ops`), and every method validates
 * nothing the ops layer already validated. Layouts are row-major and contiguous:
 * activations [B, T, D]; attention heads interleaved in the last axis ([B, T, H * headDim]) so no
 * transposition copies are needed; linear weights [out, in] as in Hugging Face checkpoints.
 *
 * Only what a backend computes is here. Bookkeeping is @rr/tensor's: a storage is freed through
 * its own `Storage.free` when its last Tensor is disposed, and live storages are counted once for
 * every backend (`memoryStats`), so users see no release or accounting methods they must not call
 * and a new backend has none to get wrong.
 */
export interface Backend {
  readonly name: string;
  /** dtypes this backend can store and compute in. */
  readonly dtypes: readonly DType[];

  // ---- memory ----
  upload(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor;
  zeros(shape: readonly number[], dtype: DType): Tensor;
  full(shape: readonly number[], value: number, dtype: DType): Tensor;
  read(t: Tensor): Promise<HostArray>;
  /** dst <- src, in place (same shape and dtype): optimizer updates. */
  assign(dst: Tensor, src: Tensor): void;
  /** Writes src into dst at `start` along `axis`, in place: KV-cache appends. */
  writeRange(dst: Tensor, src: Tensor, axis: number, start: number): void;
  cast(x: Tensor, dtype: DType): Tensor;

  // ---- elementwise ----
  unary(op: UnaryOp, x: Tensor): Tensor;
  /** Same shapes, or one side with a single element broadcast over the other. */
  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor;
  /** x * scale + shift with host scalars. */
  affine(x: Tensor, scale: number, shift: number): Tensor;

  // ---- reductions and shape ----
  /** Sum of all elements, shape []. */
  sum(x: Tensor): Tensor;
  /** Swaps the last two axes. */
  transpose(x: Tensor): Tensor;
  /** Concatenation along the last axis. */
  concat(xs: readonly Tensor[]): Tensor;
  /** x[..., start:end] along the last axis. */
  slice(x: Tensor, start: number, end: number): Tensor;

  // ---- linear algebra ----
  /** [..., M, K] x [K, N] (shared weight) or [..., M, K] x [..., K, N] (batched) -> [..., M, N]. */
  matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;

  // ---- model ops: forward and backward kernels side by side ----
  /** ids [...] (i32) into table [V, D] -> [..., D]. */
  embedding(ids: Tensor, table: Tensor): Tensor;
  /** Scatter-add of dy [..., D] into a [vocabSize, D] gradient. */
  embeddingBackward(ids: Tensor, dy: Tensor, vocabSize: number): Tensor;
  /** y = x / rms(x) * w over the last axis. */
  rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor;
  rmsnormBackward(x: Tensor, weight: Tensor, dy: Tensor, eps: number): { dx: Tensor; dWeight: Tensor };
  /** Rotary embedding, Hugging Face rotate-half layout, on x [B, T, nHeads * headDim]. */
  rope(x: Tensor, options: RopeOptions): Tensor;
  /** silu(gate) * up. */
  swiglu(gate: Tensor, up: Tensor): Tensor;
  swigluBackward(gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor };
  /**
   * Causal grouped-query attention. q [B, Tq, Hq * Dh], k and v [B, S, Hkv * Dh] ->
   * out [B, Tq, Hq * Dh] and the softmax log-sum-exp per query, lse [B, Hq, Tq] (kept for backward).
   */
  attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor };
  attentionBackward(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dOut: Tensor, options: AttentionOptions): { dq: Tensor; dk: Tensor; dv: Tensor };
  /**
   * Mean cross-entropy of logits [..., V] (N rows) against labels [...] (N, i32), skipping labels
   * equal to ignoreIndex: loss [] and the log-sum-exp per row, lse [N]. The backward returns
   * dLogits in the logits' shape.
   */
  crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex: number): { loss: Tensor; lse: Tensor };
  crossEntropyBackward(logits: Tensor, labels: Tensor, lse: Tensor, dLoss: Tensor, ignoreIndex: number): Tensor;

  // ---- user kernels (optional: a backend without it cannot run @rr/js-kernels) ----
  /** Runs a custom kernel over `inputs` into a new tensor of `output`'s shape and dtype. */
  runCustomKernel?(kernel: CustomKernel, inputs: readonly Tensor[], output: { shape: readonly number[]; dtype: DType }): Tensor;

  // ---- lifecycle ----
  /** Resolves when all submitted work is complete. */
  sync(): Promise<void>;
  destroy(): void;
}
