import { isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import type { KernelContext } from '../kernel.js';
import { rowShards } from './shards.js';

/** Only `limits` is read by rowShards. */
const withLimits = (maxStorageBufferBindingSize: number, minStorageBufferOffsetAlignment: number): KernelContext =>
  ({ limits: { maxStorageBufferBindingSize, minStorageBufferOffsetAlignment } }) as unknown as KernelContext;

describe('rowShards', () => {
  it('is one whole shard when everything fits', () => {
    expect(rowShards(withLimits(1 << 27, 256), 'op', 1000, [{ rowElements: 2048, dtype: 'f32' }])).toEqual([{ start: 0, count: 1000, whole: true }]);
  });

  it('covers every row once, each binding within the limit and each offset aligned', () => {
    const operands = [
      { rowElements: 50257, dtype: 'f16' as const }, // an odd row in f16: 100514 bytes
      { rowElements: 1, dtype: 'i32' as const },
    ];
    const limit = 16 << 20;
    const shards = rowShards(withLimits(limit, 256), 'op', 1000, operands);
    expect(shards.length).toBeGreaterThan(1);
    let next = 0;
    for (const s of shards) {
      expect(s.start).toBe(next);
      next += s.count;
      for (const o of operands) {
        const bytesPerRow = o.rowElements * (o.dtype === 'f16' ? 2 : 4);
        expect((s.start * bytesPerRow) % 256).toBe(0);
        expect(s.count * bytesPerRow).toBeLessThanOrEqual(limit);
      }
    }
    expect(next).toBe(1000);
  });

  it('starts shards on multiples of the quantum', () => {
    const shards = rowShards(withLimits(4096, 16), 'op', 100, [{ rowElements: 24, dtype: 'f32' }], 32);
    expect(shards.map((s) => s.start)).toEqual([0, 32, 64, 96]);
  });

  it('says which limit to raise when not even one aligned group of rows fits', () => {
    try {
      rowShards(withLimits(1024, 256), 'crossEntropy', 64, [{ rowElements: 600, dtype: 'f32' }]);
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'WEBGPU_BINDING_TOO_LARGE')).toBe(true);
      expect((e as Error).message).toContain('maxStorageBufferBindingSize');
    }
  });
});
