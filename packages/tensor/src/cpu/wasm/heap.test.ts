import { describe, expect, it } from 'vitest';
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
});
