import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { NO_TORCH, hasTorch } from '../testing/torch.js';

describe('rr bench matmul --peer', () => {
  it('refuses a peer on the other kind of backend, naming the backend to use', async () => {
    const torch = await cli(['bench', 'matmul', '--backend', 'webgpu', '--peer', 'torch', '--sizes', '8']);
    expect(torch.code).not.toBe(0);
    expect(torch.err).toMatch(/--peer torch compares CPU libraries.*--backend cpu/);
    const tfjs = await cli(['bench', 'matmul', '--backend', 'cpu', '--peer', 'tfjs', '--sizes', '8']);
    expect(tfjs.code).not.toBe(0);
    expect(tfjs.err).toMatch(/--peer tfjs compares WebGPU implementations.*--backend webgpu/);
  });

  it.skipIf(!hasTorch)(`--backend cpu --peer torch times PyTorch on as many threads and reports the ratio${hasTorch ? '' : ` (${NO_TORCH})`}`, async () => {
    const { out, err, code } = await cli([
      'bench',
      'matmul',
      '--backend',
      'cpu',
      '--threads',
      '1',
      '--peer',
      'torch',
      '--sizes',
      '16,40',
      '--seconds',
      '0.01',
      '--json',
    ]);
    expect(code, err).toBe(0);
    const r = JSON.parse(out);
    expect(r.threads).toBe(1);
    expect(r.peer.name).toBe('PyTorch');
    expect(r.peer.version).toMatch(/^\d+\.\d+.*, 1 thread$/);
    expect(r.peer.results.map((p: { m: number }) => p.m)).toEqual([16, 40]);
    r.results.forEach((ours: { gflops: number; ratio: number }, i: number) => {
      expect(r.peer.results[i].gflops).toBeGreaterThan(0);
      expect(ours.ratio).toBeCloseTo(ours.gflops / r.peer.results[i].gflops, 10);
    });
  });
});
