import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmulPlain } from '../kernels/matmul.js';
import { createWasmMatmul, wasmMatmulAvailable, type MatmulArgs, type WasmMatmul, type WasmMatmulPool } from './matmul.js';

function rand(len: number): Float32Array {
  const x = new Float32Array(len);
  for (let i = 0; i < len; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

/** f64 triple loop straight from the layout definitions of MatmulArgs. */
function reference(args: MatmulArgs): Float64Array {
  const { a, b, out, batch, m, n, k, transA, transB, bBatched, accumulate } = args;
  const ref = new Float64Array(batch * m * n);
  for (let e = 0; e < batch; e++) {
    const ao = e * m * k;
    const bo = bBatched ? e * k * n : 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = accumulate ? out[(e * m + i) * n + j] : 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = transB ? b[bo + j * k + p] : b[bo + p * n + j];
          s += av * bv;
        }
        ref[(e * m + i) * n + j] = s;
      }
    }
  }
  return ref;
}

function relError(got: Float32Array, ref: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (got[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  bBatched: boolean;
  accumulate: boolean;
}

function check(mm: WasmMatmul, c: Case): void {
  const a = rand(c.batch * c.m * c.k);
  const b = rand((c.bBatched ? c.batch : 1) * c.k * c.n);
  const out = rand(c.batch * c.m * c.n); // garbage unless accumulating
  const args: MatmulArgs = { ...c, a, b, out };
  const ref = reference(args);
  mm.run(args);
  const err = relError(out, ref);
  if (!(err < 1e-5)) expect.fail(`${JSON.stringify(c)}: relative error ${err}`);
}

const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 65],
  [130, 67, 129],
  [1, 40, 300], // m = 1: a row vector times a matrix
  [1, 257, 64],
  [64, 1, 33], // n = 1
  [2, 16, 1], // k = 1
  [31, 48, 300], // k spans two KC blocks
  [129, 300, 40], // n spans two NC blocks, m two MC blocks
  [5, 37, 263], // few rows (B read in place), ragged k tail after a full KC block
  [16, 100, 50],
  [2, 3, 2],
];
const flags = [false, true];

describe.runIf(wasmMatmulAvailable())('wasm matmul', () => {
  const instances: WasmMatmul[] = [];
  afterAll(() => instances.forEach((x) => x.destroy()));
  const make = (threads: number): WasmMatmulPool => {
    const mm = createWasmMatmul({ threads });
    instances.push(mm);
    return mm;
  };

  for (const threads of [1, 2]) {
    describe(`threads=${threads}`, () => {
      const mm = make(threads);
      // Workers start asynchronously; wait so the multi-threaded path is exercised.
      beforeAll(async () => {
        expect(await mm.ready()).toBe(threads);
      });

      it('reports its thread count', () => {
        expect(mm.threads).toBe(threads);
      });

      it('matches f64 reference: all shapes x transposes', () => {
        for (const [m, n, k] of shapes)
          for (const transA of flags) for (const transB of flags) check(mm, { batch: 1, m, n, k, transA, transB, bBatched: true, accumulate: false });
      });

      it('strided batches (entries apart in a larger buffer) match the plain reference, gaps untouched', () => {
        for (const transA of flags)
          for (const transB of flags)
            for (const accumulate of flags) {
              const [batch, m, n, k] = [3, 9, 21, 13];
              const s = { batch, m, n, k, transA, transB, bBatched: true, accumulate, aStride: m * k + 5, bStride: k * n + 3, cStride: m * n + 7 };
              const a = rand(batch * s.aStride);
              const b = rand(batch * s.bStride);
              const out = rand(batch * s.cStride);
              const ref = Float64Array.from(out);
              matmulPlain(a, b, ref, s);
              mm.run({ ...s, a, b, out });
              const err = relError(out, ref);
              if (!(err < 1e-5)) expect.fail(`${JSON.stringify(s)}: relative error ${err}`);
            }
      });

      it('batched, with per-entry and shared B, with accumulate', () => {
        for (const [m, n, k] of [
          [3, 5, 7],
          [17, 33, 65],
          [1, 20, 30],
        ] as const)
          for (const transA of flags)
            for (const transB of flags)
              for (const bBatched of flags) for (const accumulate of flags) check(mm, { batch: 3, m, n, k, transA, transB, bBatched, accumulate });
      });

      it('large enough to be split across threads', () => {
        for (const transA of flags)
          for (const transB of flags) {
            check(mm, { batch: 1, m: 130, n: 200, k: 96, transA, transB, bBatched: true, accumulate: false });
            check(mm, { batch: 4, m: 33, n: 70, k: 64, transA, transB, bBatched: false, accumulate: true });
            check(mm, { batch: 5, m: 40, n: 48, k: 70, transA, transB, bBatched: true, accumulate: false });
          }
        // Wide linear layer: many column chunks, weight stored [n, k].
        check(mm, { batch: 2, m: 7, n: 1000, k: 120, transA: false, transB: true, bBatched: false, accumulate: false });
      });

      it('symmetric products (Gram matrices, powers of a symmetric matrix) computed by halves match the full reference', () => {
        // sizes below, at and above one row chunk; batched; strided output left untouched between entries
        for (const [batch, m, k] of [
          [1, 5, 7],
          [1, 70, 33],
          [1, 257, 100],
          [2, 130, 64],
        ] as const) {
          const x = rand(batch * m * k);
          for (const [transA, transB] of [
            [false, true],
            [true, false],
          ] as const) {
            const dims = transA ? { m: k, n: k, k: m } : { m, n: m, k };
            const out = rand(batch * dims.m * dims.n + 3);
            const args: MatmulArgs = { a: x, b: x, out, batch, ...dims, transA, transB, bBatched: true, symmetric: true };
            const tail = Array.from(out.subarray(batch * dims.m * dims.n));
            const ref = reference({ ...args, symmetric: false });
            mm.run(args);
            const err = relError(out.subarray(0, ref.length), ref);
            if (!(err < 1e-5)) expect.fail(`gram ${JSON.stringify({ batch, ...dims, transA })}: relative error ${err}`);
            expect(Array.from(out.subarray(ref.length))).toEqual(tail);
            // the Gram matrix squared: a symmetric operand on both sides
            const gram = Float32Array.from(out.subarray(0, ref.length));
            const square = new Float32Array(gram.length);
            const sq: MatmulArgs = {
              a: gram,
              b: gram,
              out: square,
              batch,
              m: dims.m,
              n: dims.m,
              k: dims.m,
              transA: false,
              transB: false,
              bBatched: true,
              symmetric: true,
            };
            const sqRef = reference({ ...sq, symmetric: false });
            mm.run(sq);
            const sqErr = relError(square, sqRef);
            if (!(sqErr < 1e-5)) expect.fail(`gram squared ${dims.m}: relative error ${sqErr}`);
            // the plain path takes the same hint
            const plain = new Float64Array(gram.length);
            matmulPlain(gram, gram, plain, sq);
            expect(relError(Float32Array.from(plain), sqRef)).toBeLessThan(1e-6);
          }
        }
      });

      it('random shapes and flags', () => {
        const dim = () => 1 + Math.floor(Math.random() ** 2 * 90);
        for (let t = 0; t < 40; t++) {
          check(mm, {
            batch: 1 + Math.floor(Math.random() * 3),
            m: dim(),
            n: dim(),
            k: dim(),
            transA: Math.random() < 0.5,
            transB: Math.random() < 0.5,
            bBatched: Math.random() < 0.5,
            accumulate: Math.random() < 0.5,
          });
        }
      });

      it('reads inputs that are views into larger buffers', () => {
        const m = 9;
        const n = 21;
        const k = 13;
        const a = rand(m * k + 5).subarray(5);
        const b = rand(k * n + 3).subarray(3);
        const out = new Float32Array(m * n + 1).subarray(1);
        const args: MatmulArgs = { a, b, out, batch: 1, m, n, k, transA: false, transB: true, bBatched: true };
        const ref = reference(args);
        mm.run(args);
        expect(relError(out, ref)).toBeLessThan(1e-5);
      });

      it('handles k = 0 and empty outputs', () => {
        const out = new Float32Array([1, 2, 3, 4]);
        const base = { a: new Float32Array(0), b: new Float32Array(0), out, batch: 1, m: 2, n: 2, k: 0 };
        mm.run({ ...base, transA: false, transB: false, bBatched: true, accumulate: true });
        expect(Array.from(out)).toEqual([1, 2, 3, 4]);
        mm.run({ ...base, transA: false, transB: false, bBatched: true });
        expect(Array.from(out)).toEqual([0, 0, 0, 0]);
        mm.run({ ...base, b: new Float32Array(6), m: 0, k: 3, transA: false, transB: false, bBatched: true });
        expect(Array.from(out)).toEqual([0, 0, 0, 0]);
      });

      it('accepts longer arrays and ignores the excess', () => {
        const a = rand(5 * 6 + 3);
        const b = rand(6 * 4 + 2);
        const out = new Float32Array(5 * 4 + 2).fill(7);
        const args: MatmulArgs = { a, b, out, batch: 1, m: 5, n: 4, k: 6, transA: false, transB: false, bBatched: true };
        const ref = reference(args);
        mm.run(args);
        expect(relError(out.subarray(0, 20), ref)).toBeLessThan(1e-5);
        expect(Array.from(out.subarray(20))).toEqual([7, 7]);
      });

      it('rejects arrays that are too short', () => {
        const args: MatmulArgs = {
          a: new Float32Array(5),
          b: new Float32Array(6),
          out: new Float32Array(6),
          batch: 1,
          m: 2,
          n: 3,
          k: 3,
          transA: false,
          transB: false,
          bBatched: true,
        };
        expect(() => mm.run(args)).toThrow(RangeError);
      });
    });
  }

  it('grows its memory between calls and reuses it', async () => {
    const mm = make(2);
    await mm.ready();
    check(mm, { batch: 1, m: 8, n: 8, k: 8, transA: false, transB: false, bBatched: true, accumulate: false });
    check(mm, { batch: 2, m: 300, n: 260, k: 270, transA: false, transB: true, bBatched: true, accumulate: false });
    check(mm, { batch: 1, m: 9, n: 9, k: 9, transA: true, transB: false, bBatched: true, accumulate: true });
  });

  it('rejects a bad thread count', () => {
    expect(() => createWasmMatmul({ threads: 0 })).toThrow(RangeError);
    expect(() => createWasmMatmul({ threads: 1.5 })).toThrow(RangeError);
  });

  it('destroy() is idempotent and further use throws', () => {
    const mm = createWasmMatmul({ threads: 2 });
    mm.destroy();
    mm.destroy();
    const args: MatmulArgs = {
      a: new Float32Array(1),
      b: new Float32Array(1),
      out: new Float32Array(1),
      batch: 1,
      m: 1,
      n: 1,
      k: 1,
      transA: false,
      transB: false,
      bBatched: true,
    };
    expect(() => mm.run(args)).toThrow(/destroy/);
  });
});
