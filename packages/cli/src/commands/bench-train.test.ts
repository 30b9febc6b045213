import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from '../testing/cli.js';
import { TINY_LAYER } from '../testing/tiny-flags.js';
import { NO_TORCH, hasTorch } from '../testing/torch.js';
import { DEFAULT_TRAIN_BENCH, type TrainBenchConfig, trainStepFlops } from './bench-train.js';

/** The tiny layer in a recurrent model of two prelude, block and coda layers, r = 2, one timed step. */
const TINY = [...TINY_LAYER, '--ffn', '64', '--vocab', '64', '--recurrence', '2', '--steps', '1'];

describe('rr bench train', () => {
  it('times a tiny config and prints one JSON object with positive figures', async () => {
    const { out, err, code } = await cli(['bench', 'train', ...TINY, '--no-peer', '--json']);
    expect(code, err).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({
      backend: 'cpu',
      peer_tokens_per_s: null,
      ratio: null,
      peer: null,
      peer_note: expect.stringContaining('--no-peer'),
      config: { dim: 32, heads: 4, kv_heads: 2, head_dim: 8, ffn: 64, vocab: 64, seq: 16, batch: 2, plan: [2, 2, 2], no_grad_steps: 0, grad_steps: 2 },
    });
    for (const key of ['tokens_per_s', 'step_ms', 'flops_per_step', 'achieved_gflops'] as const) {
      expect(report[key], key).toBeGreaterThan(0);
    }
    expect(report.steps_ms).toHaveLength(1);
    expect(report.rounds).toEqual([{ tokens_per_s: report.tokens_per_s, peer_tokens_per_s: null, ratio: null }]);
    expect(report.flops_per_step).toBe(report.flops.linear + report.flops.attention + report.flops.newton_schulz);
  });

  it('--profile splits backend time by op kind into forward, backward and optimizer', async () => {
    const { out, err, code } = await cli(['bench', 'train', ...TINY, '--no-peer', '--profile', '--json']);
    expect(code, err).toBe(0);
    const { profile } = JSON.parse(out);
    expect(profile.steps).toBe(1);
    const row = (op: string) => profile.rows.find((r: { op: string }) => r.op === op);
    // the model's matmuls run in all three phases (Newton-Schulz in the optimizer's)
    for (const phase of ['forward', 'backward', 'optimizer']) {
      expect(row('matmul').calls[phase], phase).toBeGreaterThan(0);
      expect(profile.phase_ms[phase], phase).toBeGreaterThan(0);
    }
    expect(row('crossEntropy').calls).toEqual({ forward: 1, backward: 0, optimizer: 0 });
    expect(row('crossEntropyBackward').calls).toEqual({ forward: 0, backward: 1, optimizer: 0 });
    expect(row('attentionBackward').calls.forward).toBe(0);
    const { out: table } = await cli(['bench', 'train', ...TINY, '--no-peer', '--profile']);
    expect(table).toMatch(/matmul +[\d.]+ +[\d.]+ +[\d.]+/);
    expect(table).toMatch(/between ops/);
  });

  it('prints a table by default', async () => {
    const { out, code, err } = await cli(['bench', 'train', ...TINY, '--no-peer']);
    expect(code, err).toBe(0);
    expect(out).toMatch(/tokens\/s/);
    expect(out).toMatch(/GFLOP\/step/);
    expect(out).toMatch(/PyTorch +skipped \(--no-peer\)/);
  });

  it.each([
    [['--dim', '30', '--heads', '4'], /--dim 30 must be a multiple of --heads 4/],
    [['--dim', '36', '--heads', '4'], /head dim 9 .* must be even/],
    [['--heads', '8', '--kv-heads', '3'], /--heads 8 must be a multiple of --kv-heads 3/],
  ])('rejects inconsistent shapes %j before any work', async (flags, message) => {
    const { err, code } = await cli(['bench', 'train', ...flags, '--no-peer']);
    expect(code).toBe(1);
    expect(err).toMatch(message);
    expect(err).toMatch(/BAD_FLAG/);
  });

  it.each([
    ['--steps', '0'],
    ['--rounds', '0'],
    ['--recurrence', '-1'],
    ['--seq', '1.5'],
    ['--backend', 'tpu'],
  ])('rejects %s %s', async (flag, value) => {
    const { err, code } = await cli(['bench', 'train', flag, value, '--no-peer']);
    expect(code).not.toBe(0);
    expect(err).toMatch(/invalid|not a positive integer/i);
  });
});

describe('trainStepFlops', () => {
  it('counts the default config by hand', () => {
    const f = trainStepFlops(DEFAULT_TRAIN_BENCH);
    const layer = 256 * 256 + 2 * 128 * 256 + 256 * 256 + 3 * 688 * 256; // q, k, v, o, gate, up, down
    const applied = 2 + 2 * 4 + 2; // prelude + block x r + coda
    const tokens = 4 * 256;
    expect(f.linear).toBe(6 * tokens * (applied * layer + 4 * 256 * 512 + 512 * 256));
    expect(f.attention).toBe(3 * 4 * 4 * 256 * 256 * 256 * applied);
    const ns = (m: number, n: number): number => 5 * (4 * m * m * n + 2 * m ** 3);
    expect(f.newton_schulz).toBe(6 * (2 * ns(256, 256) + 2 * ns(128, 256) + 3 * ns(256, 688)) + ns(256, 512));
  });

  it('counts steps without gradient as forward only', () => {
    const recorded: TrainBenchConfig = { ...DEFAULT_TRAIN_BENCH, no_grad_steps: 0, grad_steps: 4 };
    const mixed: TrainBenchConfig = { ...DEFAULT_TRAIN_BENCH, no_grad_steps: 3, grad_steps: 1 };
    const a = trainStepFlops(recorded);
    const b = trainStepFlops(mixed);
    // three block passes drop from 6 to 2 FLOPs per parameter per token, attention from 3x to 1x
    expect(b.linear).toBeLessThan(a.linear);
    expect(b.attention).toBe(a.attention - 3 * 2 * 2 * (4 * 4 * 256 * 256 * 256));
    expect(b.newton_schulz).toBe(a.newton_schulz);
  });
});

describe.skipIf(!hasTorch)(`the PyTorch peer${hasTorch ? '' : ` (${NO_TORCH})`}`, () => {
  it('runs tools/bench_train_torch.py on the tiny config', () => {
    const script = fileURLToPath(new URL('../../../../tools/bench_train_torch.py', import.meta.url));
    const config = { dim: 32, heads: 4, kv_heads: 2, ffn: 64, vocab: 64, seq: 16, batch: 2, grad_steps: 2, steps: 1 };
    const out = execFileSync('/usr/bin/python3', [script, JSON.stringify(config)], { encoding: 'utf8', timeout: 300_000 });
    const result = JSON.parse(out.trim());
    expect(result.tokens_per_s).toBeGreaterThan(0);
    expect(result.step_ms).toBeGreaterThan(0);
    expect(result.threads).toBe(2); // the script's default
    expect(result.torch).toMatch(/^\d+\.\d+/);
  });

  it('--rounds alternates rr and the peer and reports the median of the rounds', async () => {
    const { out, err, code } = await cli(['bench', 'train', ...TINY, '--rounds', '3', '--json']);
    expect(code, err).toBe(0);
    const report = JSON.parse(out);
    expect(report.steps_ms).toHaveLength(3);
    expect(report.rounds).toHaveLength(3);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    for (const r of report.rounds) expect(r.ratio).toBeCloseTo(r.tokens_per_s / r.peer_tokens_per_s, 10);
    expect(report.ratio).toBe(median(report.rounds.map((r: { ratio: number }) => r.ratio)));
    expect(report.peer_tokens_per_s).toBe(median(report.rounds.map((r: { peer_tokens_per_s: number }) => r.peer_tokens_per_s)));
    expect(report.peer.tokens_per_s).toBe(report.peer_tokens_per_s);
  });

  it('the CLI reports the peer and the ratio in the same run', async () => {
    const { out, err, code } = await cli(['bench', 'train', ...TINY, '--json']);
    expect(code, err).toBe(0);
    const report = JSON.parse(out);
    expect(report.peer_tokens_per_s).toBeGreaterThan(0);
    expect(report.ratio).toBeCloseTo(report.tokens_per_s / report.peer_tokens_per_s, 10);
  });
});
