import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

async function cli(args: string[]): Promise<{ out: string; code: number }> {
  let out = '';
  const program = buildProgram((s) => (out += s)).exitOverride();
  program.commands.forEach((c) => c.exitOverride().commands.forEach((cc) => cc.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) })));
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out, code: 0 };
  } catch (e) {
    return { out: out + String((e as Error).message), code: (e as { exitCode?: number }).exitCode ?? 1 };
  }
}

describe('rr bench matmul', () => {
  it('prints the JSON report the issue specifies', async () => {
    const { out, code } = await cli(['bench', 'matmul', '--backend', 'cpu', '--sizes', '16,33', '--seconds', '0.01', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({ backend: 'cpu', op: 'matmul' });
    expect(report.results.map((r: { m: number }) => r.m)).toEqual([16, 33]);
    for (const r of report.results) {
      expect(r.n).toBe(r.m);
      expect(r.k).toBe(r.m);
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.ms).toBeGreaterThan(0);
    }
  });

  it('prints a table by default', async () => {
    const { out } = await cli(['bench', 'matmul', '--sizes', '8', '--seconds', '0.01']);
    expect(out).toMatch(/GFLOP\/s/);
  });

  it('rejects bad flags with a message naming the flag', async () => {
    const sizes = await cli(['bench', 'matmul', '--sizes', '256,abc']);
    expect(sizes.code).not.toBe(0);
    expect(sizes.out).toMatch(/--sizes/);
    const backend = await cli(['bench', 'matmul', '--backend', 'tpu']);
    expect(backend.code).not.toBe(0);
    expect(backend.out).toMatch(/--backend/);
  });

  it('has --help on every command', async () => {
    for (const args of [['--help'], ['bench', '--help'], ['bench', 'matmul', '--help']]) {
      const { out } = await cli(args);
      expect(out).toMatch(/Usage: rr/);
    }
  });
});
