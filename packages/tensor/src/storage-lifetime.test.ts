import { afterAll, describe, expect, it } from 'vitest';
import type { Storage } from './backend.js';
import { createCpuBackend } from './cpu/backend.js';
import { memoryStats } from './storage-lifetime.js';
import { Tensor } from './tensor.js';

const a = createCpuBackend({ threads: 1 });
const b = createCpuBackend({ threads: 1 });
afterAll(() => {
  a.destroy();
  b.destroy();
});

/** A storage that only counts how often it is freed. */
const countingStorage = (): Storage & { frees: number } => ({
  frees: 0,
  free() {
    this.frees++;
  },
});

describe('storage lifetime', () => {
  it('frees a storage once, when the last tensor over it is disposed', () => {
    const storage = countingStorage();
    const t = new Tensor(a, storage, [2, 3], 'f32');
    const view = t.view([6]);
    t.dispose();
    expect(storage.frees).toBe(0);
    view.dispose();
    view.dispose();
    t.dispose();
    expect(storage.frees).toBe(1);
  });

  it('counts each live storage once, with the bytes of its first tensor, per backend', () => {
    const before = { a: memoryStats(a), b: memoryStats(b) };
    const x = a.zeros([2, 3], 'f64');
    const view = x.view([3, 2]);
    const y = b.upload([1, 2], [2], 'i32');
    expect(memoryStats(a)).toEqual({ storages: before.a.storages + 1, bytes: before.a.bytes + 6 * 8 });
    expect(memoryStats(b)).toEqual({ storages: before.b.storages + 1, bytes: before.b.bytes + 2 * 4 });
    x.dispose();
    expect(memoryStats(a).storages).toBe(before.a.storages + 1);
    view.dispose();
    y.dispose();
    expect(memoryStats(a)).toEqual(before.a);
    expect(memoryStats(b)).toEqual(before.b);
  });
});
