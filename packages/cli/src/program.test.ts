import { describe, expect, it } from 'vitest';
import { cli } from './testing/cli.js';

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
    expect(sizes.err).toMatch(/--sizes/);
    const backend = await cli(['bench', 'matmul', '--backend', 'tpu']);
    expect(backend.code).not.toBe(0);
    expect(backend.err).toMatch(/--backend/);
  });
});

describe('--help', () => {
  it('exists on every command', async () => {
    const { buildProgram } = await import('./program.js');
    const paths: string[][] = [];
    const walk = (c: ReturnType<typeof buildProgram>, path: string[]): void => {
      paths.push([...path, '--help']);
      for (const sub of c.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram(), []);
    expect(paths.length).toBeGreaterThan(4);
    for (const args of paths) {
      const { out, code } = await cli(args);
      expect(code, args.join(' ')).toBe(0);
      expect(out, args.join(' ')).toMatch(/Usage: rr/);
    }
  });
});
