import { describe, expect, it } from 'vitest';
import type { AttentionOptions } from '../backend.js';
import { Rng } from '../random/index.js';
import * as ref from './reference.js';
import { type RefTensor, refTensor } from './reference.js';
import { relativeError } from './relative-error.js';

/**
 * The reference is the oracle, so it is tested against things that do not share its code: values
 * worked out by hand, and mathematical identities (an inverse rotation undoes a rotation, GQA
 * equals MHA with repeated kv heads, a decode step equals the last row of a full pass).
 */

const rng = Rng.fromSeed(20240611);
const randn = (shape: number[]): RefTensor => refTensor(shape, rng.fillNormal(new Float64Array(shape.reduce((a, b) => a * b, 1))));
const close = (a: RefTensor, b: RefTensor, tol = 1e-12): void => {
  expect(a.shape).toEqual(b.shape);
  expect(relativeError(a.data, b.data)).toBeLessThanOrEqual(tol);
};

describe('reference elementwise and shape ops', () => {
  it('computes hand-checked values', () => {
    const x = refTensor([4], [-2, -0.5, 0.25, 4]);
    expect([...ref.unary('sign', x).data]).toEqual([-1, -1, 1, 1]);
    expect([...ref.unary('sqrt', refTensor([2], [4, 0.25])).data]).toEqual([2, 0.5]);
    expect([...ref.unary('rsqrt', refTensor([1], [4])).data]).toEqual([0.5]);
    expect(ref.unary('sigmoid', refTensor([1], [0])).data[0]).toBe(0.5);
    expect(ref.unary('silu', refTensor([1], [1])).data[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect([...ref.affine(x, 2, 1).data]).toEqual([-3, 0, 1.5, 9]);
    expect(ref.sum(x).data[0]).toBe(1.75);
    expect(ref.mean(x).shape).toEqual([]);
  });

  it('broadcasts a single element from either side, keeping the full shape', () => {
    const a = refTensor([2, 2], [1, 2, 3, 4]);
    const s = refTensor([], [10]);
    expect(ref.binary('sub', s, a)).toEqual(refTensor([2, 2], [9, 8, 7, 6]));
    expect(ref.binary('div', a, refTensor([1], [2]))).toEqual(refTensor([2, 2], [0.5, 1, 1.5, 2]));
    expect(ref.binary('max', a, refTensor([], [2.5])).data).toEqual(new Float64Array([2.5, 2.5, 3, 4]));
  });

  it('transposes the last two axes, and slices undo a concat', () => {
    const x = refTensor([1, 2, 3], [1, 2, 3, 4, 5, 6]);
    expect(ref.transpose(x)).toEqual(refTensor([1, 3, 2], [1, 4, 2, 5, 3, 6]));
    const parts = [randn([2, 3, 2]), randn([2, 3, 4]), randn([2, 3, 1])];
    const joined = ref.concat(parts);
    expect(joined.shape).toEqual([2, 3, 7]);
    close(ref.slice(joined, 0, 2), parts[0]!, 0);
    close(ref.slice(joined, 2, 6), parts[1]!, 0);
    close(ref.slice(joined, 6, 7), parts[2]!, 0);
  });
});

describe('reference matmul', () => {
  it('multiplies a hand-checked example', () => {
    const a = refTensor([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = refTensor([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(ref.matmul(a, b)).toEqual(refTensor([2, 2], [58, 64, 139, 154]));
  });

  it('treats transA/transB as multiplying by the explicit transpose, shared and batched', () => {
    const a = randn([2, 3, 5]);
    const b = randn([5, 4]);
    const expected = ref.matmul(a, b);
    close(ref.matmul(ref.transpose(a), b, { transA: true }), expected);
    close(ref.matmul(a, ref.transpose(b), { transB: true }), expected);
    // a shared b is the same as b repeated per batch entry
    const repeated = refTensor([2, 5, 4], [...b.data, ...b.data]);
    close(ref.matmul(a, repeated), expected);
    close(ref.matmul(ref.transpose(a), ref.transpose(repeated), { transA: true, transB: true }), expected);
  });
});

describe('reference rmsnorm, swiglu, embedding', () => {
  it('rmsnorm with unit weight gives rows of mean square ms / (ms + eps)', () => {
    const x = randn([3, 6]);
    const eps = 0.5;
    const y = ref.rmsnorm(x, refTensor([6], [1, 1, 1, 1, 1, 1]), eps);
    for (let r = 0; r < 3; r++) {
      const row = (t: RefTensor): number[] => [...t.data.subarray(r * 6, r * 6 + 6)];
      const ms = row(x).reduce((s, v) => s + v * v, 0) / 6;
      expect(row(y).reduce((s, v) => s + v * v, 0) / 6).toBeCloseTo(ms / (ms + eps), 12);
    }
  });

  it('swiglu is x * sigmoid(x) * up', () => {
    expect(ref.swiglu(refTensor([1], [2]), refTensor([1], [3])).data[0]).toBeCloseTo((2 * 3) / (1 + Math.exp(-2)), 14);
  });

  it('embedding copies table rows, repeated ids included', () => {
    const table = refTensor([3, 2], [0, 1, 10, 11, 20, 21]);
    expect(ref.embedding(refTensor([2, 2], [2, 0, 2, 1]), table)).toEqual(refTensor([2, 2, 2], [20, 21, 0, 1, 20, 21, 10, 11]));
  });
});

describe('reference rope', () => {
  const options = { nHeads: 2, headDim: 8, theta: 10000 };

  it('rotates pair (i, i + half) of each head by position * invFreq[i]', () => {
    // one head of 4: pairs (0, 2) and (1, 3); at position 1 they turn by 1 and 1e4^(-1/2) = 0.01 rad
    const x = refTensor([1, 2, 4], [1, 2, 3, 4, 1, 2, 3, 4]);
    const y = ref.rope(x, { nHeads: 1, headDim: 4, theta: 10000 });
    expect([...y.data.subarray(0, 4)]).toEqual([1, 2, 3, 4]); // position 0: identity
    const [c0, s0, c1, s1] = [Math.cos(1), Math.sin(1), Math.cos(0.01), Math.sin(0.01)];
    const expected = [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0, 4 * c1 + 2 * s1];
    expected.forEach((v, i) => expect(y.data[4 + i]).toBeCloseTo(v, 14));
  });

  it('is undone by the inverse rotation and preserves norms', () => {
    const x = randn([2, 5, 16]);
    const y = ref.rope(x, { ...options, offset: 3 });
    close(ref.rope(y, { ...options, offset: 3, inverse: true }), x);
    expect(Math.hypot(...y.data)).toBeCloseTo(Math.hypot(...x.data), 12);
  });

  it('an offset shifts positions: rope at offset o, time t equals rope at offset 0, time o + t', () => {
    const x = randn([1, 6, 16]);
    const full = ref.rope(x, options);
    const tail = ref.rope(refTensor([1, 2, 16], x.data.subarray(4 * 16)), { ...options, offset: 4 });
    close(tail, refTensor([1, 2, 16], full.data.subarray(4 * 16)));
  });

  it('scores depend only on relative position: <rope(q, m), rope(k, n)> = <rope(q, m + d), rope(k, n + d)>', () => {
    const q = randn([1, 1, 8]);
    const k = randn([1, 1, 8]);
    const one = { nHeads: 1, headDim: 8, theta: 10000 };
    const score = (m: number, n: number): number => {
      const a = ref.rope(q, { ...one, offset: m }).data;
      const b = ref.rope(k, { ...one, offset: n }).data;
      return a.reduce((s, v, i) => s + v * b[i]!, 0);
    };
    expect(score(9, 2)).toBeCloseTo(score(29, 22), 10);
  });
});

describe('reference attention', () => {
  /** 4 query heads over 2 kv heads of 3. */
  const gqa: AttentionOptions = { nHeads: 4, nKvHeads: 2, headDim: 3 };

  it('the first query can only see the first key: its output is v[0]', () => {
    const q = randn([1, 3, 6]);
    const k = randn([1, 3, 6]);
    const v = randn([1, 3, 6]);
    const { out, lse } = ref.attention(q, k, v, { nHeads: 2, nKvHeads: 2, headDim: 3 });
    expect([...out.data.subarray(0, 6)]).toEqual([...v.data.subarray(0, 6)]);
    // lse of query 0, head 0 is its single scaled score
    const score = (q.data[0]! * k.data[0]! + q.data[1]! * k.data[1]! + q.data[2]! * k.data[2]!) / Math.sqrt(3);
    expect(lse.shape).toEqual([1, 2, 3]);
    expect(lse.data[0]).toBeCloseTo(score, 14);
  });

  it('with zero queries every visible key weighs the same: output i is the mean of v[0..i]', () => {
    const v = randn([1, 3, 2]);
    const { out } = ref.attention(refTensor([1, 3, 2]), randn([1, 3, 2]), v, { nHeads: 1, nKvHeads: 1, headDim: 2 });
    expect(out.data[4]).toBeCloseTo((v.data[0]! + v.data[2]! + v.data[4]!) / 3, 14);
    expect(out.data[5]).toBeCloseTo((v.data[1]! + v.data[3]! + v.data[5]!) / 3, 14);
    expect(out.data[3]).toBeCloseTo((v.data[1]! + v.data[3]!) / 2, 14);
  });

  it('GQA equals MHA on kv heads repeated for each query head of their group', () => {
    const q = randn([2, 4, 12]);
    const k = randn([2, 4, 6]);
    const v = randn([2, 4, 6]);
    // kv head layout [h0 h1] -> [h0 h0 h1 h1] (query heads 0, 1 read kv head 0; 2, 3 read 1)
    const repeat = (t: RefTensor): RefTensor => {
      const out = new Float64Array(t.data.length * 2);
      for (let r = 0; r < t.data.length / 6; r++) {
        for (let h = 0; h < 4; h++) out.set(t.data.subarray(r * 6 + Math.floor(h / 2) * 3, r * 6 + Math.floor(h / 2) * 3 + 3), r * 12 + h * 3);
      }
      return refTensor([2, 4, 12], out);
    };
    const grouped = ref.attention(q, k, v, gqa);
    const full = ref.attention(q, repeat(k), repeat(v), { nHeads: 4, nKvHeads: 4, headDim: 3 });
    close(grouped.out, full.out);
    close(grouped.lse, full.lse);
  });

  it('a KV-cache step (Tq queries at the end of kvLength filled slots) equals the last rows of a full pass', () => {
    const [s, kvLength, tq] = [7, 5, 2];
    const q = randn([1, kvLength, 12]);
    const k = randn([1, s, 6]);
    const v = randn([1, s, 6]);
    const firstRows = (t: RefTensor, n: number): RefTensor => refTensor([1, n, 6], t.data.subarray(0, n * 6));
    const full = ref.attention(q, firstRows(k, kvLength), firstRows(v, kvLength), gqa);
    const step = ref.attention(refTensor([1, tq, 12], q.data.subarray((kvLength - tq) * 12)), k, v, { ...gqa, kvLength });
    close(step.out, refTensor([1, tq, 12], full.out.data.subarray((kvLength - tq) * 12)));
    // lse [1, H, Tq] vs the last Tq columns of [1, H, kvLength]
    const lastLse = Array.from({ length: 4 }, (_, h) => [...full.lse.data.subarray(h * kvLength + kvLength - tq, (h + 1) * kvLength)]).flat();
    close(step.lse, refTensor([1, 4, tq], lastLse));
  });
});

describe('reference cross-entropy', () => {
  it('uniform logits cost log V per counted row; ignored rows count neither in the sum nor in the mean', () => {
    const logits = refTensor([3, 4], [0, 0, 0, 0, 1, 1, 1, 1, 0, 9, 0, 0]);
    const { loss, lse } = ref.crossEntropy(logits, refTensor([3], [2, 0, -100]));
    expect(loss.data[0]).toBeCloseTo(Math.log(4), 14);
    expect(lse.data[1]).toBeCloseTo(1 + Math.log(4), 14);
    expect(lse.data[2]).toBeCloseTo(Math.log(3 + Math.exp(9)), 12);
  });

  it('is the mean of -log softmax[label]', () => {
    const logits = randn([2, 5]);
    const { loss } = ref.crossEntropy(logits, refTensor([2], [4, 1]), -1);
    const nll = (r: number, label: number): number => {
      const row = [...logits.data.subarray(r * 5, r * 5 + 5)];
      return -Math.log(Math.exp(row[label]!) / row.reduce((s, x) => s + Math.exp(x), 0));
    };
    expect(loss.data[0]).toBeCloseTo((nll(0, 4) + nll(1, 1)) / 2, 13);
  });
});
