import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { TINY_BLOCK as TINY } from '../testing/tiny-flags.js';
import { blockStepFlops } from './bench-block.js';

describe('rr bench block', () => {
  it('times forward + backward of one layer and prints one JSON object', async () => {
    const { out, err, code } = await cli(['bench', 'block', ...TINY, '--json']);
    expect(code, err).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({
      backend: 'cpu',
      pool_allocations_per_step: null,
      config: { dim: 32, heads: 4, kv_heads: 2, head_dim: 8, ffn: 48, seq: 16, batch: 2 },
    });
    for (const key of ['tokens_per_s', 'step_ms', 'flops_per_step', 'achieved_gflops'] as const) expect(report[key], key).toBeGreaterThan(0);
    expect(report.steps_ms).toHaveLength(2);
    expect(report.tokens_per_s).toBeCloseTo((2 * 16) / (report.step_ms / 1000), 6);
  });

  it('--profile splits backend time by op kind into forward and backward', async () => {
    const { out, err, code } = await cli(['bench', 'block', ...TINY, '--profile', '--json']);
    expect(code, err).toBe(0);
    const { profile } = JSON.parse(out);
    const row = (op: string) => profile.rows.find((r: { op: string }) => r.op === op);
    expect(row('attention').calls).toEqual({ forward: 1, backward: 0, optimizer: 0 });
    expect(row('attentionBackward').calls).toEqual({ forward: 0, backward: 1, optimizer: 0 });
    expect(row('matmul').calls.forward).toBe(7); // q, k, v, o, gate, up, down
    expect(row('matmul').calls.backward).toBe(14); // input and weight gradient of each
  });

  it('prints text by default', async () => {
    const { out, code, err } = await cli(['bench', 'block', ...TINY]);
    expect(code, err).toBe(0);
    expect(out).toMatch(/Llama block forward \+ backward on cpu/);
    expect(out).toMatch(/tokens\/s/);
  });

  it('counts FLOPs by hand for a small shape', () => {
    // dim 4, 2 heads of 2, 1 kv head, ffn 6: q 16 + k 8 + v 8 + o 16 + MLP 72 = 120 parameters
    const f = blockStepFlops({ dim: 4, heads: 2, kv_heads: 1, head_dim: 2, ffn: 6, seq: 3, batch: 2, dtype: 'f32' });
    expect(f.linear).toBe(6 * 6 * 120);
    expect(f.attention).toBe(12 * 2 * 9 * 4);
  });

  it.each([
    [['--dim', '30', '--heads', '4'], /--dim 30 must be a multiple of --heads 4/],
    [['--dim', '36', '--heads', '4'], /head dim 9 .* must be even/],
    [['--heads', '8', '--kv-heads', '3'], /--heads 8 must be a multiple of --kv-heads 3/],
  ])('rejects inconsistent shapes %j before any work', async (flags, message) => {
    const { err, code } = await cli(['bench', 'block', ...flags]);
    expect(code).toBe(1);
    expect(err).toMatch(message);
  });

  it('has --help', async () => {
    const { out, code } = await cli(['bench', 'block', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--kv-heads/);
  });
});
