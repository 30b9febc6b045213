import { describe, expect, it } from 'vitest';
import * as ew from '../kernels/elementwise.js';
import * as norm from '../kernels/rmsnorm.js';
import { rope } from '../kernels/rope.js';
import { WasmHeap, blockBytes, heapOf } from './heap.js';
import { createWasmMatmul, matmulReservedBytes, wasmMatmulAvailable } from './matmul.js';

const rand = (len: number): Float32Array => Float32Array.from({ length: len }, () => Math.random() * 2 - 1);

describe('blockBytes', () => {
  it('rounds up to a size class with at most 25% slack above 256 bytes', () => {
    for (let bytes = 1; bytes < 1 << 20; bytes = Math.ceil(bytes * 1.37) + 3) {
      const block = blockBytes(bytes);
      expect(block).toBeGreaterThanOrEqual(bytes);
      expect(block % 64).toBe(0);
      if (bytes > 256) expect(block / bytes).toBeLessThanOrEqual(1.25);
      expect(blockBytes(block)).toBe(block);
    }
  });
});

describe.runIf(wasmMatmulAvailable())('WasmHeap', () => {
  it('hands out zeroed views, reuses freed blocks of the same class, and grows', () => {
    const heap = new WasmHeap(4096);
    const a = heap.alloc(1000)!;
    expect(heapOf(a)).toBe(heap);
    expect(heap.address(a)).toBe(a.byteOffset);
    expect(a.byteOffset).toBeGreaterThanOrEqual(4096);
    a.fill(7);
    heap.free(a);
    const b = heap.alloc(990)!; // same size class: the block comes back, zeroed
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b.every((x) => x === 0)).toBe(true);
    const big = heap.alloc(1 << 20)!; // beyond the first pages: the memory grows, old views stay valid
    big[big.length - 1] = 3;
    b[0] = 5;
    expect(b[0]).toBe(5);
    expect(heap.address(big)).toBeDefined();
    expect(heap.address(new Float32Array(4))).toBeUndefined();
    expect(heapOf(new Float32Array(4))).toBeUndefined();
  });

  it('matmul reads operands in the heap in place and gives what it gives on copied ones', () => {
    const threads = 2;
    const heap = new WasmHeap(matmulReservedBytes(threads));
    const mm = createWasmMatmul({ threads, heap });
    try {
      const [m, n, k] = [67, 45, 33];
      const a = rand(m * k);
      const b = rand(n * k);
      const outJs = new Float32Array(m * n);
      mm.run({ a, b, out: outJs, batch: 1, m, n, k, transA: false, transB: true, bBatched: false });
      const [ah, bh, outH] = [heap.alloc(m * k)!, heap.alloc(n * k)!, heap.alloc(m * n)!];
      ah.set(a);
      bh.set(b);
      mm.run({ a: ah, b: bh, out: outH, batch: 1, m, n, k, transA: false, transB: true, bBatched: false });
      expect(Array.from(outH)).toEqual(Array.from(outJs));
      // accumulate into a result in the heap
      mm.run({ a: ah, b, out: outH, batch: 1, m, n, k, transA: false, transB: true, bBatched: false, accumulate: true });
      for (let i = 0; i < m * n; i++) expect(outH[i]).toBeCloseTo(2 * outJs[i]!, 4);
    } finally {
      mm.destroy();
    }
  });

  it('expShift matches Math.exp to ~1 ulp of an f32 argument on random rows of every length mod 4, at any offset, and returns their sum', () => {
    const heap = new WasmHeap(4096);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 31, 64, 257]) {
      for (const offset of [0, 1, 3]) {
        const block = heap.alloc(n + offset + 2)!;
        const x = block.subarray(offset, offset + n);
        for (let i = 0; i < n; i++) x[i] = (Math.random() * 2 - 1) * 40;
        const scale = 0.3 + Math.random();
        const shift = (Math.random() * 2 - 1) * 10;
        const ref = Array.from(x, (v) => Math.exp(v * scale - shift));
        const input = Float32Array.from(x);
        block[offset + n] = 1234; // just past the row: left alone
        const sum = heap.expShift(block, offset, offset + n, scale, shift);
        // the argument is computed in f32: scale and shift rounded to f32, x * scale and then - shift
        // each rounded (half an ulp of their magnitudes), which exp turns into relative error; then
        // ~1 ulp of polynomial and store
        const bounds = Array.from(input, (v) => 6e-7 + (2 * Math.abs(v * scale) + Math.abs(shift) + Math.abs(v * scale - shift)) * 6e-8);
        for (let i = 0; i < n; i++) expect(Math.abs(x[i]! - ref[i]!) / ref[i]!).toBeLessThan(bounds[i]!);
        expect(Math.abs(sum - ref.reduce((a, b) => a + b, 0)) / sum).toBeLessThan(Math.max(...bounds));
        expect(block[offset + n]).toBe(1234);
        heap.free(block);
      }
    }
    expect(() => heap.expShift(new Float32Array(4), 0, 4, 1, 0)).toThrow(/not a view into this heap/);
    expect(() => heap.expShift(heap.alloc(4)!, 1, 5, 1, 0)).toThrow(/not within 4 elements/);
  });

  it('swiglu and its backward match the f64 formulas on random inputs of every length mod 4', () => {
    const heap = new WasmHeap(4096);
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    for (const n of [1, 3, 4, 6, 33, 256]) {
      const [g, u, dy, out, dg, du] = [0, 1, 2, 3, 4, 5].map(() => heap.alloc(n)!) as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      for (const x of [g, u, dy]) for (let i = 0; i < n; i++) x[i] = (Math.random() * 2 - 1) * 12;
      heap.swiglu(g, u, out);
      heap.swigluBackward(g, u, dy, dg, du);
      for (let i = 0; i < n; i++) {
        const s = sig(g[i]!);
        // relative to the size of the terms: 1 + g (1 - s) cancels near g = -1.28
        const close = (got: number, want: number, size: number): void => expect(Math.abs(got - want)).toBeLessThan(2e-6 * size + 1e-30);
        close(out[i]!, g[i]! * s * u[i]!, Math.abs(g[i]! * s * u[i]!));
        close(dg[i]!, dy[i]! * u[i]! * s * (1 + g[i]! * (1 - s)), Math.abs(dy[i]! * u[i]! * s) * (1 + Math.abs(g[i]! * (1 - s))));
        close(du[i]!, dy[i]! * g[i]! * s, Math.abs(dy[i]! * g[i]! * s));
      }
    }
    expect(() => heap.swiglu(new Float32Array(4), new Float32Array(4), new Float32Array(4))).toThrow(/not a view into this heap/);
  });

  // The kernels take the heap path for operands in the heap and the TypeScript loops for
  // ordinary arrays: the same random inputs through both.
  const random = (n: number, scale = 3): Float32Array => Float32Array.from({ length: n }, () => (Math.random() * 2 - 1) * scale);
  const inHeap = (heap: WasmHeap, x: Float32Array): Float32Array => {
    const view = heap.alloc(x.length)!;
    view.set(x);
    return view;
  };
  /** Largest difference relative to the largest value: dx cancels to near zero in places. */
  const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, what: string, terms = 0): void => {
    expect(got.length).toBe(want.length);
    let worst = 0;
    let size = terms;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      size = Math.max(size, Math.abs(want[i]!));
    }
    if (!(worst <= tolerance * size)) expect.fail(`${what}: largest difference ${worst} against largest value ${size}`);
  };

  it('binary ops and affine in the heap give exactly what the TypeScript loops give, at every length mod 4', () => {
    const heap = new WasmHeap(4096);
    for (const n of [1, 3, 4, 7, 64, 1001]) {
      const a = random(n);
      const b = random(n);
      const ha = inHeap(heap, a);
      const hb = inHeap(heap, b);
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        const got = ew.binary(op, ha, hb);
        expect(heapOf(got)).toBe(heap);
        expect(Array.from(got)).toEqual(Array.from(ew.binary(op, a, b)));
      }
      // coefficients that are not f32 numbers: rounded once, like the f64 arithmetic of the loop
      expect(Array.from(ew.affine(ha, 3.4445, -0.1))).toEqual(Array.from(ew.affine(a, 3.4445, -0.1)));
    }
  });

  it('rope in the heap gives exactly what the TypeScript loop gives (odd and even half widths, offset, inverse)', () => {
    const heap = new WasmHeap(4096);
    for (const [batch, seq, nHeads, headDim] of [
      [2, 5, 3, 6],
      [1, 7, 2, 16],
      [3, 4, 1, 2],
      [2, 33, 4, 32],
    ] as const) {
      const x = random(batch * seq * nHeads * headDim);
      for (const options of [
        { nHeads, headDim, theta: 10000 },
        { nHeads, headDim, theta: 500000, offset: 11, inverse: true },
      ]) {
        const got = rope(inHeap(heap, x), [batch, seq, nHeads * headDim], options);
        expect(heapOf(got)).toBe(heap);
        expect(Array.from(got)).toEqual(Array.from(rope(x, [batch, seq, nHeads * headDim], options)));
      }
    }
  });

  it('rmsnorm and its backward in the heap match the TypeScript kernels on random rows of every width mod 4', () => {
    const heap = new WasmHeap(4096);
    for (const [rows, d, eps] of [
      [1, 1, 1e-5],
      [3, 6, 0.5],
      [5, 8, 1e-6],
      [17, 35, 1e-5],
      [64, 256, 1e-5],
    ] as const) {
      const x = random(rows * d);
      const w = random(d, 1);
      const dy = random(rows * d);
      const y = norm.rmsnorm(inHeap(heap, x), inHeap(heap, w), eps);
      expect(heapOf(y)).toBe(heap);
      expectClose(y, norm.rmsnorm(x, w, eps), 1e-5, `rmsnorm [${rows}, ${d}]`);
      const got = norm.rmsnormBackward(inHeap(heap, x), inHeap(heap, w), inHeap(heap, dy), eps);
      const want = norm.rmsnormBackward(x, w, dy, eps);
      // dx = r dy w - x c cancels (completely at d = 1): measured against the size of r dy w
      let terms = 0;
      for (let row = 0; row < rows; row++) {
        let ss = 0;
        for (let j = 0; j < d; j++) ss += x[row * d + j]! ** 2;
        const r = 1 / Math.sqrt(ss / d + eps);
        for (let j = 0; j < d; j++) terms = Math.max(terms, Math.abs(r * dy[row * d + j]! * w[j]!));
      }
      expectClose(got.dx, want.dx, 1e-5, `rmsnorm dx [${rows}, ${d}]`, terms);
      expectClose(got.dw, want.dw, 1e-5, `rmsnorm dw [${rows}, ${d}]`);
    }
  });
});
