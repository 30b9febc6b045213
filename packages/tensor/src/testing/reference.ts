import type { AttentionOptions, BinaryOp, Llama3RopeScaling, MatmulOptions, RopeOptions, UnaryOp } from '../backend.js';

/**
 * The f64 reference: every op's forward as plain loops over Float64Array, written from the op's
 * definition and independently of any backend kernel. Speed is irrelevant (conformance shapes are
 * tiny); what matters is that each function is short enough to check by reading. Backends are
 * compared against these, and reference gradients are finite differences of these.
 *
 * Layouts follow the Backend contract: row-major, contiguous; attention heads interleaved in the
 * last axis ([B, T, H * headDim]); linear weights [out, in].
 */

/** A host tensor in f64: the reference's only data type. Integer inputs (ids, labels) are stored as exact doubles. */
export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function refTensor(shape: readonly number[], data?: ArrayLike<number>): RefTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  if (data) {
    if (data.length !== size) throw new Error(`refTensor: ${data.length} values for shape [${shape.join(', ')}]`);
    out.set(data);
  }
  return { shape: [...shape], data: out };
}

const last = (shape: readonly number[]): number => shape[shape.length - 1]!;
const rows = (t: RefTensor): number => t.data.length / Math.max(last(t.shape), 1);

// ---------------------------------------------------------------------------------------------
// elementwise

const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  reciprocal: (x) => 1 / x,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  silu: (x) => x / (1 + Math.exp(-x)),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
};

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

export function unary(op: UnaryOp, x: RefTensor): RefTensor {
  return { shape: x.shape, data: x.data.map(unaryFns[op]) };
}

/** Equal shapes, or one side with a single element broadcast over the other (the other's shape wins). */
export function binary(op: BinaryOp, a: RefTensor, b: RefTensor): RefTensor {
  const f = binaryFns[op];
  const shape = a.data.length === 1 && b.data.length !== 1 ? b.shape : a.shape;
  const n = Math.max(a.data.length, b.data.length);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(a.data[a.data.length === 1 ? 0 : i]!, b.data[b.data.length === 1 ? 0 : i]!);
  return { shape, data: out };
}

export function affine(x: RefTensor, scale: number, shift: number): RefTensor {
  return { shape: x.shape, data: x.data.map((v) => v * scale + shift) };
}

// ---------------------------------------------------------------------------------------------
// reductions and shape

export function sum(x: RefTensor): RefTensor {
  let s = 0;
  for (const v of x.data) s += v;
  return refTensor([], [s]);
}

export function mean(x: RefTensor): RefTensor {
  return refTensor([], [sum(x).data[0]! / x.data.length]);
}

/** Swaps the last two axes. */
export function transpose(x: RefTensor): RefTensor {
  const r = x.shape.length;
  const m = x.shape[r - 2]!;
  const n = x.shape[r - 1]!;
  const shape = [...x.shape.slice(0, -2), n, m];
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < x.data.length / (m * n); b++) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[b * m * n + j * m + i] = x.data[b * m * n + i * n + j]!;
  }
  return { shape, data: out };
}

/** Concatenation along the last axis. */
export function concat(xs: readonly RefTensor[]): RefTensor {
  const widths = xs.map((x) => last(x.shape));
  const total = widths.reduce((a, b) => a + b, 0);
  const n = rows(xs[0]!);
  const out = new Float64Array(n * total);
  for (let r = 0; r < n; r++) {
    let col = 0;
    xs.forEach((x, i) => {
      for (let c = 0; c < widths[i]!; c++) out[r * total + col + c] = x.data[r * widths[i]! + c]!;
      col += widths[i]!;
    });
  }
  return { shape: [...xs[0]!.shape.slice(0, -1), total], data: out };
}

/** x[..., start:end] along the last axis. */
export function slice(x: RefTensor, start: number, end: number): RefTensor {
  const w = last(x.shape);
  const n = rows(x);
  const out = new Float64Array(n * (end - start));
  for (let r = 0; r < n; r++) for (let c = start; c < end; c++) out[r * (end - start) + c - start] = x.data[r * w + c]!;
  return { shape: [...x.shape.slice(0, -1), end - start], data: out };
}

// ---------------------------------------------------------------------------------------------
// linear algebra

/**
 * op(a) [..., M, K] times op(b) [K, N] (a 2-D b is shared by every batch entry) or [..., K, N]
 * (batched like a). op transposes the last two axes when the flag is set.
 */
export function matmul(a: RefTensor, b: RefTensor, options: MatmulOptions = {}): RefTensor {
  const A = options.transA ? transpose(a) : a;
  const B = options.transB ? transpose(b) : b;
  const [m, k] = A.shape.slice(-2) as [number, number];
  const n = last(B.shape);
  const batch = A.data.length / (m * k);
  const bStride = B.shape.length === 2 ? 0 : k * n;
  const out = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += A.data[p * m * k + i * k + l]! * B.data[p * bStride + l * n + j]!;
        out[p * m * n + i * n + j] = s;
      }
    }
  }
  return { shape: [...A.shape.slice(0, -2), m, n], data: out };
}

// ---------------------------------------------------------------------------------------------
// model ops

/** y = x / sqrt(mean(x^2) + eps) * w over the last axis. */
export function rmsnorm(x: RefTensor, weight: RefTensor, eps: number): RefTensor {
  const d = last(x.shape);
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < rows(x); r++) {
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x.data[r * d + c]! ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let c = 0; c < d; c++) out[r * d + c] = x.data[r * d + c]! * inv * weight.data[c]!;
  }
  return { shape: x.shape, data: out };
}

/**
 * RoPE inverse frequencies theta^(-2i / headDim), with Llama-3 scaling re-derived here from its
 * definition rather than copied: count how many full turns frequency i makes over the original
 * context, turns = original * f / (2 pi). Slow frequencies (turns < lowFreqFactor) are divided by
 * `factor`; fast ones (turns > highFreqFactor) are kept; in between the result blends linearly in
 * turns from f / factor to f. (Hugging Face phrases the same rule with wavelengths 2 pi / f.)
 */
export function ropeFrequencies(headDim: number, theta: number, scaling?: Llama3RopeScaling): Float64Array {
  const out = new Float64Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) {
    const f = theta ** ((-2 * i) / headDim);
    if (!scaling) {
      out[i] = f;
      continue;
    }
    const turns = (scaling.originalMaxPositionEmbeddings * f) / (2 * Math.PI);
    const s = Math.min(1, Math.max(0, (turns - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor)));
    out[i] = (1 - s) * (f / scaling.factor) + s * f;
  }
  return out;
}

/**
 * Hugging Face rotate-half RoPE on x [B, T, nHeads * headDim]: in each head, element i of the
 * first half pairs with element i of the second half and the pair turns by angle
 * (offset + t) * invFreq[i]; `inverse` turns by minus that angle.
 */
export function rope(x: RefTensor, options: RopeOptions): RefTensor {
  const { nHeads, headDim } = options;
  const half = headDim / 2;
  const [batch, time] = x.shape as [number, number];
  const inv = ropeFrequencies(headDim, options.theta, options.scaling);
  const sign = options.inverse ? -1 : 1;
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      for (let h = 0; h < nHeads; h++) {
        const base = (b * time + t) * nHeads * headDim + h * headDim;
        for (let i = 0; i < half; i++) {
          const angle = sign * ((options.offset ?? 0) + t) * inv[i]!;
          const x1 = x.data[base + i]!;
          const x2 = x.data[base + half + i]!;
          out[base + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
          out[base + half + i] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
        }
      }
    }
  }
  return { shape: x.shape, data: out };
}

/** silu(gate) * up. */
export function swiglu(gate: RefTensor, up: RefTensor): RefTensor {
  return { shape: gate.shape, data: gate.data.map((g, i) => (g / (1 + Math.exp(-g))) * up.data[i]!) };
}

/** Row lookup: ids [...] into table [V, D] -> [..., D]. */
export function embedding(ids: RefTensor, table: RefTensor): RefTensor {
  const d = table.shape[1]!;
  const out = new Float64Array(ids.data.length * d);
  ids.data.forEach((id, r) => out.set(table.data.subarray(id * d, id * d + d), r * d));
  return { shape: [...ids.shape, d], data: out };
}

/**
 * Causal grouped-query attention. q [B, Tq, Hq * Dh]; k, v [B, S, Hkv * Dh], of which the first
 * kvLength positions are valid. Query i sits at absolute position p = kvLength - Tq + i and
 * attends to keys 0..p; query head h reads kv head floor(h / (Hq / Hkv)). Returns out
 * [B, Tq, Hq * Dh] and the log-sum-exp of each query's scaled scores, lse [B, Hq, Tq].
 */
export function attention(q: RefTensor, k: RefTensor, v: RefTensor, options: AttentionOptions): { out: RefTensor; lse: RefTensor } {
  const { nHeads, nKvHeads, headDim: dh } = options;
  const [batch, tq] = q.shape as [number, number];
  const s = k.shape[1]!;
  const kvLength = options.kvLength ?? s;
  const scale = options.scale ?? 1 / Math.sqrt(dh);
  const group = nHeads / nKvHeads;
  const out = new Float64Array(q.data.length);
  const lse = new Float64Array(batch * nHeads * tq);
  const qAt = (b: number, t: number, h: number, d: number): number => q.data[(b * tq + t) * nHeads * dh + h * dh + d]!;
  const kvAt = (x: RefTensor, b: number, t: number, h: number, d: number): number => x.data[(b * s + t) * nKvHeads * dh + h * dh + d]!;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < nHeads; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < tq; i++) {
        const pos = kvLength - tq + i;
        const scores: number[] = [];
        for (let j = 0; j <= pos; j++) {
          let dot = 0;
          for (let d = 0; d < dh; d++) dot += qAt(b, i, h, d) * kvAt(k, b, j, kvh, d);
          scores.push(dot * scale);
        }
        const top = Math.max(...scores);
        const z = scores.reduce((acc, x) => acc + Math.exp(x - top), 0);
        const logZ = top + Math.log(z);
        lse[(b * nHeads + h) * tq + i] = logZ;
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          for (let j = 0; j <= pos; j++) acc += Math.exp(scores[j]! - logZ) * kvAt(v, b, j, kvh, d);
          out[(b * tq + i) * nHeads * dh + h * dh + d] = acc;
        }
      }
    }
  }
  return { out: { shape: q.shape, data: out }, lse: refTensor([batch, nHeads, tq], lse) };
}

/**
 * Cross-entropy of logits [..., V] against labels [...]: the mean over rows whose label is not
 * ignoreIndex of (logsumexp(row) - row[label]). lse [N] is every row's log-sum-exp. With every
 * row ignored the mean is taken as 0 (PyTorch returns NaN); the conformance cases never do that.
 */
export function crossEntropy(logits: RefTensor, labels: RefTensor, ignoreIndex = -100): { loss: RefTensor; lse: RefTensor } {
  const v = last(logits.shape);
  const n = rows(logits);
  const lse = new Float64Array(n);
  let total = 0;
  let counted = 0;
  for (let r = 0; r < n; r++) {
    const row = logits.data.subarray(r * v, r * v + v);
    const top = Math.max(...row);
    lse[r] = top + Math.log(row.reduce((acc, x) => acc + Math.exp(x - top), 0));
    const label = labels.data[r]!;
    if (label === ignoreIndex) continue;
    total += lse[r]! - row[label]!;
    counted++;
  }
  return { loss: refTensor([], [counted === 0 ? 0 : total / counted]), lse: refTensor([n], lse) };
}
