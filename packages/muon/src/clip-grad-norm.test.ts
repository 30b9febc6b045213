import { createCpuBackend, memoryStats } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { clipGradNorm } from './clip-grad-norm.js';

describe('clipGradNorm', () => {
  it('scales all gradients together when their global norm exceeds maxNorm', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const a = cpu.upload([3, 0], [2], 'f64');
    const b = cpu.upload([0, 0, 4, 0], [2, 2], 'f64');
    const norm = clipGradNorm([a, b], 1);
    expect(norm.shape).toEqual([]);
    expect((await norm.read())[0]).toBe(5);
    const factor = 1 / (5 + 1e-6);
    expect(Array.from(await a.read())).toEqual([3 * factor, 0]);
    expect(Array.from(await b.read())).toEqual([0, 0, 4 * factor, 0]);
    cpu.destroy();
  });

  it('leaves gradients under the threshold unchanged', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const g = cpu.upload([0.3, -0.4], [2], 'f32');
    expect((await clipGradNorm([g], 1).read())[0]).toBeCloseTo(0.5, 6);
    expect(Array.from(await g.read())).toEqual(Array.from(new Float32Array([0.3, -0.4])));
    cpu.destroy();
  });

  it('scales a buffer shared by two gradients once', async () => {
    const cpu = createCpuBackend({ threads: 1 });
    const g = cpu.upload([6, 8], [2], 'f64');
    const alias = g.view([2]);
    const norm = clipGradNorm([g, alias], 1);
    expect((await norm.read())[0]).toBeCloseTo(Math.sqrt(200), 12); // both count towards the norm
    expect((await g.read())[0]).toBeCloseTo(6 / Math.sqrt(200), 6);
    cpu.destroy();
  });

  it('frees its temporaries: only the returned norm survives', () => {
    const cpu = createCpuBackend({ threads: 1 });
    const grads = [cpu.full([64], 1, 'f32'), cpu.full([8, 8], 2, 'f32')];
    const before = memoryStats(cpu).storages;
    clipGradNorm(grads, 1);
    expect(memoryStats(cpu).storages).toBe(before + 1);
    cpu.destroy();
  });

  it('rejects bad arguments', () => {
    const cpu = createCpuBackend({ threads: 1 });
    expect(() => clipGradNorm([], 1)).toThrow(/no gradients/);
    expect(() => clipGradNorm([cpu.zeros([2], 'f32')], 0)).toThrow(/maxNorm = 0 must be a finite number > 0/);
    expect(() => clipGradNorm([cpu.zeros([2], 'f32'), cpu.zeros([2], 'f64')], 1)).toThrow(/one dtype on one backend/);
    cpu.destroy();
  });
});
