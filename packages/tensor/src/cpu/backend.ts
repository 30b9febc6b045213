import { availableParallelism } from 'node:os';
import type { AttentionOptions, Backend, BinaryOp, CustomKernel, MatmulOptions, RopeOptions, Storage, UnaryOp } from '../backend.js';
import { type DType, type HostArray, allocHost, sizeOf } from '../dtype.js';
import { RRError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkAllocation, checkAssign, checkCast, checkUpload, checkWriteRange } from '../validate.js';
import * as attn from './kernels/attention.js';
import * as ce from './kernels/cross-entropy.js';
import * as ew from './kernels/elementwise.js';
import * as emb from './kernels/embedding.js';
import { matmulPlain, type MatmulShape } from './kernels/matmul.js';
import * as norm from './kernels/rmsnorm.js';
import { rope } from './kernels/rope.js';
import * as shapeK from './kernels/shape.js';
import * as glu from './kernels/swiglu.js';
import type { FloatArray } from './kernels/types.js';
import { WasmHeap, heapOf } from './wasm/heap.js';
import { type WasmMatmul, createWasmMatmul, matmulReservedBytes, wasmMatmulAvailable } from './wasm/matmul.js';
import { fusedAttention, fusedAttentionBackward, fusedAttentionFits } from './wasm/attention.js';

/** A CPU tensor's memory: a host array, for f32 a block of the WebAssembly heap where there is one. */
class CpuStorage implements Storage {
  constructor(public data: HostArray) {}

  free(): void {
    const data = this.data;
    if (data instanceof Float32Array) heapOf(data)?.free(data);
    // the heap hands the block to the next tensor: a stale reference must see an empty array, not its values
    this.data = new Float32Array(0);
  }
}

export interface CpuBackendOptions {
  /** Threads for matmul (the calling thread + workers). Default: all cores; 1 = no workers. */
  threads?: number;
  /** Use the WebAssembly SIMD matmul for f32 (default true where supported). */
  wasm?: boolean;
}

const DTYPES: readonly DType[] = ['f32', 'f64', 'i32', 'u32'];
const DTYPE_ADVICE = ' (use f32; f16/bf16 weights are converted to f32 when loaded)';

/**
 * The CPU backend: plain TypeScript for every op (the reference the WebGPU backend is tested
 * against) and WebAssembly SIMD with worker threads for f32 matmul, where the FLOPs are. f32
 * tensors live in the matmul's WebAssembly memory (`WasmHeap`), so the SIMD kernels (matmul,
 * attention's softmax, SwiGLU) read and write them in place; the TypeScript kernels see them as
 * ordinary Float32Arrays. Supports f64 so that gradient checks can run in double precision.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly dtypes = DTYPES;
  readonly threads: number;
  #wasm: WasmMatmul | undefined;
  #wasmWanted: boolean;
  /** Where f32 tensors live when the SIMD matmul is used: its own memory, so operands need no copies. */
  #heap: WasmHeap | undefined;
  #destroyed = false;

  constructor(options: CpuBackendOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1) {
      throw new RRError('BAD_ARGUMENT', `cpu backend: threads = ${options.threads} must be a positive integer.`);
    }
    this.#wasmWanted = (options.wasm ?? true) && wasmMatmulAvailable();
    if (this.#wasmWanted) this.#heap = new WasmHeap(matmulReservedBytes(this.threads));
  }

  /** A zeroed array for a new tensor: f32 in the WebAssembly heap where there is one (and room). */
  #alloc(dtype: DType, size: number): HostArray {
    return (dtype === 'f32' ? this.#heap?.alloc(size) : undefined) ?? allocHost(dtype, size);
  }

  // ---- memory ----

  #wrap(data: HostArray, shape: readonly number[], dtype: DType): Tensor {
    if (this.#destroyed) throw new RRError('BACKEND_DESTROYED', 'cpu backend: used after destroy(); create a new backend.');
    return new Tensor(this, new CpuStorage(data), shape, dtype);
  }

  #data<T extends HostArray = FloatArray>(t: Tensor): T {
    t.assertLive('cpu backend');
    return (t.storage as CpuStorage).data as T;
  }

  upload(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
    checkUpload(this, data, shape, dtype, DTYPE_ADVICE);
    const host = this.#alloc(dtype, data.length);
    host.set(data);
    return this.#wrap(host, shape, dtype);
  }

  zeros(shape: readonly number[], dtype: DType): Tensor {
    return this.#full(shape, 0, dtype, 'zeros');
  }

  full(shape: readonly number[], value: number, dtype: DType): Tensor {
    return this.#full(shape, value, dtype, 'full');
  }

  /** zeros and full, each named in its own errors; new arrays are already zero. */
  #full(shape: readonly number[], value: number, dtype: DType, op: string): Tensor {
    checkAllocation(this, shape, dtype, op, DTYPE_ADVICE);
    const data = this.#alloc(dtype, sizeOf(shape));
    if (value !== 0) data.fill(value);
    return this.#wrap(data, shape, dtype);
  }

  async read(t: Tensor): Promise<HostArray> {
    return this.#data<HostArray>(t).slice();
  }

  /** Synchronous read (CPU only): the same as `await t.read()` without the promise. */
  readSync(t: Tensor): HostArray {
    return this.#data<HostArray>(t).slice();
  }

  assign(dst: Tensor, src: Tensor): void {
    checkAssign(dst, src);
    this.#data<HostArray>(dst).set(this.#data<HostArray>(src));
  }

  writeRange(dst: Tensor, src: Tensor, axis: number, start: number): void {
    checkWriteRange(dst, src, axis, start);
    shapeK.writeRange(this.#data<HostArray>(dst), dst.shape, this.#data<HostArray>(src), src.shape, axis, start);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    checkCast(this, x, dtype, DTYPE_ADVICE);
    const out = this.#alloc(dtype, x.size);
    out.set(this.#data<HostArray>(x));
    return this.#wrap(out, x.shape, dtype);
  }

  // ---- elementwise, reductions, shape ----

  unary(op: UnaryOp, x: Tensor): Tensor {
    return this.#wrap(ew.unary(op, this.#data(x)), x.shape, x.dtype);
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    return this.#wrap(ew.binary(op, this.#data(a), this.#data(b)), a.size >= b.size ? a.shape : b.shape, a.dtype);
  }

  affine(x: Tensor, scale: number, shift: number): Tensor {
    return this.#wrap(ew.affine(this.#data(x), scale, shift), x.shape, x.dtype);
  }

  sum(x: Tensor): Tensor {
    const out = allocHost(x.dtype, 1);
    out[0] = ew.sum(this.#data(x));
    return this.#wrap(out, [], x.dtype);
  }

  transpose(x: Tensor): Tensor {
    const s = [...x.shape];
    [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1]!, s[s.length - 2]!];
    return this.#wrap(shapeK.transpose(this.#data<HostArray>(x), x.shape), s, x.dtype);
  }

  concat(xs: readonly Tensor[]): Tensor {
    const widths = xs.map((x) => x.shape[x.rank - 1]!);
    const lead = xs[0]!.shape.slice(0, -1);
    const data = shapeK.concat(
      xs.map((x) => this.#data<HostArray>(x)),
      widths,
      sizeOf(lead),
    );
    return this.#wrap(data, [...lead, widths.reduce((a, b) => a + b, 0)], xs[0]!.dtype);
  }

  slice(x: Tensor, start: number, end: number): Tensor {
    const data = shapeK.slice(this.#data<HostArray>(x), x.shape[x.rank - 1]!, start, end);
    return this.#wrap(data, [...x.shape.slice(0, -1), end - start], x.dtype);
  }

  // ---- matmul ----

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const transA = options.transA ?? false;
    const transB = options.transB ?? false;
    const m = a.shape[a.rank - (transA ? 1 : 2)]!;
    const k = a.shape[a.rank - (transA ? 2 : 1)]!;
    const n = b.shape[b.rank - (transB ? 2 : 1)]!;
    const bBatched = b.rank > 2;
    // a shared b with an untransposed a: the batch folds into the rows of one big matmul
    const fold = !bBatched && !transA;
    const batchShape = a.shape.slice(0, -2);
    const batch = sizeOf(batchShape);
    // folded rows are one tall matrix, no longer square products
    const symmetric = (options.symmetric ?? false) && !(fold && batch > 1);
    const s: MatmulShape = fold
      ? { batch: 1, m: m * batch, n, k, transA, transB, bBatched: false, symmetric }
      : { batch, m, n, k, transA, transB, bBatched, symmetric };
    const out = this.#alloc(a.dtype, batch * m * n) as FloatArray;
    const ad = this.#data(a);
    const bd = this.#data(b);
    const wasm = this.#wasmFor(ad);
    if (wasm) wasm.run({ a: ad as Float32Array, b: bd as Float32Array, out: out as Float32Array, ...s });
    else matmulPlain(ad, bd, out, s);
    return this.#wrap(out, [...batchShape, m, n], a.dtype);
  }

  #wasmFor(a: FloatArray): WasmMatmul | undefined {
    if (!this.#wasmWanted || !(a instanceof Float32Array)) return undefined;
    this.#wasm ??= createWasmMatmul({ threads: this.threads, heap: this.#heap });
    return this.#wasm;
  }

  // ---- model ops ----

  embedding(ids: Tensor, table: Tensor): Tensor {
    const [vocab, dim] = table.shape as [number, number];
    return this.#wrap(emb.embedding(this.#data<Int32Array>(ids), this.#data(table), vocab, dim), [...ids.shape, dim], table.dtype);
  }

  embeddingBackward(ids: Tensor, dy: Tensor, vocabSize: number): Tensor {
    const dim = dy.shape[dy.rank - 1]!;
    return this.#wrap(emb.embeddingBackward(this.#data<Int32Array>(ids), this.#data(dy), vocabSize, dim), [vocabSize, dim], dy.dtype);
  }

  rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor {
    return this.#wrap(norm.rmsnorm(this.#data(x), this.#data(weight), eps), x.shape, x.dtype);
  }

  rmsnormBackward(x: Tensor, weight: Tensor, dy: Tensor, eps: number): { dx: Tensor; dWeight: Tensor } {
    const { dx, dw } = norm.rmsnormBackward(this.#data(x), this.#data(weight), this.#data(dy), eps);
    return { dx: this.#wrap(dx, x.shape, x.dtype), dWeight: this.#wrap(dw, weight.shape, weight.dtype) };
  }

  rope(x: Tensor, options: RopeOptions): Tensor {
    return this.#wrap(rope(this.#data(x), x.shape, options), x.shape, x.dtype);
  }

  swiglu(gate: Tensor, up: Tensor): Tensor {
    return this.#wrap(glu.swiglu(this.#data(gate), this.#data(up)), gate.shape, gate.dtype);
  }

  swigluBackward(gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
    const r = glu.swigluBackward(this.#data(gate), this.#data(up), this.#data(dy));
    return { dGate: this.#wrap(r.dGate, gate.shape, gate.dtype), dUp: this.#wrap(r.dUp, up.shape, up.dtype) };
  }

  #attentionDims(q: Tensor, k: Tensor, o: AttentionOptions): attn.AttentionDims {
    return {
      batch: q.shape[0]!,
      tq: q.shape[1]!,
      s: k.shape[1]!,
      kvLength: o.kvLength ?? k.shape[1]!,
      nHeads: o.nHeads,
      nKvHeads: o.nKvHeads,
      headDim: o.headDim,
      scale: o.scale ?? 1 / Math.sqrt(o.headDim),
    };
  }

  /**
   * Attention runs on the fused WebAssembly kernels (wasm/attention.ts) when its f32 operands live
   * in the heap, which this answers with the pool and the operands typed as f32; otherwise (f64,
   * or no WebAssembly) it runs on the row-by-row reference in kernels/.
   */
  #fusedAttention<T extends FloatArray[]>(d: attn.AttentionDims, xs: T): { pool: WasmMatmul; xs: { [K in keyof T]: Float32Array } } | undefined {
    if (!xs.every((x): x is Float32Array => x instanceof Float32Array)) return undefined;
    const pool = this.#wasmFor(xs[0]!);
    return pool && fusedAttentionFits(pool, d, ...xs) ? { pool, xs: xs as { [K in keyof T]: Float32Array } } : undefined;
  }

  attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor } {
    const d = this.#attentionDims(q, k, options);
    const xs: [FloatArray, FloatArray, FloatArray] = [this.#data(q), this.#data(k), this.#data(v)];
    const fused = this.#fusedAttention(d, xs);
    const r = fused ? fusedAttention(fused.pool, ...fused.xs, d) : attn.attention(...xs, d);
    return { out: this.#wrap(r.out, q.shape, q.dtype), lse: this.#wrap(r.lse, [d.batch, d.nHeads, d.tq], q.dtype) };
  }

  attentionBackward(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    out: Tensor,
    lse: Tensor,
    dOut: Tensor,
    options: AttentionOptions,
  ): { dq: Tensor; dk: Tensor; dv: Tensor } {
    const d = this.#attentionDims(q, k, options);
    const xs: [FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray] = [
      this.#data(q),
      this.#data(k),
      this.#data(v),
      this.#data(out),
      this.#data(lse),
      this.#data(dOut),
    ];
    const fused = this.#fusedAttention(d, xs);
    const r = fused ? fusedAttentionBackward(fused.pool, ...fused.xs, d) : attn.attentionBackward(...xs, d);
    return { dq: this.#wrap(r.dq, q.shape, q.dtype), dk: this.#wrap(r.dk, k.shape, k.dtype), dv: this.#wrap(r.dv, v.shape, v.dtype) };
  }

  crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex: number): { loss: Tensor; lse: Tensor } {
    const vocab = logits.shape[logits.rank - 1]!;
    const r = ce.crossEntropy(this.#data(logits), this.#data<Int32Array>(labels), vocab, ignoreIndex);
    const loss = allocHost(logits.dtype, 1);
    loss[0] = r.loss;
    return { loss: this.#wrap(loss, [], logits.dtype), lse: this.#wrap(r.lse, [labels.size], logits.dtype) };
  }

  crossEntropyBackward(logits: Tensor, labels: Tensor, lse: Tensor, dLoss: Tensor, ignoreIndex: number): Tensor {
    const vocab = logits.shape[logits.rank - 1]!;
    const d = ce.crossEntropyBackward(this.#data(logits), this.#data<Int32Array>(labels), this.#data(lse), this.#data(dLoss)[0]!, vocab, ignoreIndex);
    return this.#wrap(d, logits.shape, logits.dtype);
  }

  // ---- user kernels ----

  /** Runs the kernel's JavaScript form over the tensors' own arrays (no copies). */
  runCustomKernel(kernel: CustomKernel, inputs: readonly Tensor[], output: { shape: readonly number[]; dtype: DType }): Tensor {
    checkAllocation(this, output.shape, output.dtype, kernel.name, DTYPE_ADVICE);
    const out = allocHost(output.dtype, sizeOf(output.shape));
    kernel.js(
      inputs.map((t) => this.#data<HostArray>(t)),
      out,
    );
    return this.#wrap(out, output.shape, output.dtype);
  }

  // ---- lifecycle ----

  async sync(): Promise<void> {}

  destroy(): void {
    this.#wasm?.destroy();
    this.#wasm = undefined;
    this.#destroyed = true;
  }
}

export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}
