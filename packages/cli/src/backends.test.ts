import { describe, expect, it } from 'vitest';
import { autoBackendFor, createBackend, formatBackendChoice } from './backends.js';
import { cli } from './testing/cli.js';

const LAVAPIPE = { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', isFallbackAdapter: true };
const GPU = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false };

describe('--backend auto', () => {
  it('chooses WebGPU only on a real GPU', () => {
    expect(autoBackendFor(GPU).backend).toBe('webgpu');
    expect(autoBackendFor(LAVAPIPE)).toEqual({
      backend: 'cpu',
      reason: expect.stringContaining('llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)) emulates a GPU on the CPU'),
    });
    // a software adapter that Dawn does not flag as a fallback adapter is still not a GPU
    expect(autoBackendFor({ ...LAVAPIPE, isFallbackAdapter: false }).backend).toBe('cpu');
    expect(autoBackendFor({ ...GPU, description: 'SwiftShader Device (Subzero)' }).backend).toBe('cpu');
    expect(autoBackendFor(undefined)).toEqual({ backend: 'cpu', reason: '--backend auto: no WebGPU adapter here' });
  });

  it('is the default of every command that computes, declared once', async () => {
    const { buildProgram } = await import('./program.js');
    const withBackend: string[] = [];
    const walk = (c: ReturnType<typeof buildProgram>, path: string[]): void => {
      const option = c.options.find((o) => o.long === '--backend');
      if (option) {
        withBackend.push(path.join(' '));
        expect(option.defaultValue, path.join(' ')).toBe('auto');
        expect(option.argChoices, path.join(' ')).toEqual(['auto', 'cpu', 'webgpu']);
      }
      for (const sub of c.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram(), []);
    expect(withBackend.sort()).toEqual(['bench block', 'bench matmul', 'bench train', 'eval gsm8k run', 'forward', 'generate', 'train']);
  });

  it('reports what it chose, and says so on stderr and in --json', async () => {
    const seen: string[] = [];
    const backend = await createBackend('auto', { onChosen: (c) => seen.push(formatBackendChoice(c)) });
    try {
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(new RegExp(`^rr: backend ${backend.name}( on .+)? \\(--backend auto: .+\\)\\n$`));
    } finally {
      backend.destroy();
    }
    const { out, err, code } = await cli(['bench', 'matmul', '--sizes', '8', '--seconds', '0.01', '--json']);
    expect(code, err).toBe(0);
    const report = JSON.parse(out);
    expect(err).toContain(`rr: backend ${report.backend}`);
    expect(report.adapter === null).toBe(report.backend === 'cpu');
  });

  it('--backend cpu is the CPU backend, without an adapter', async () => {
    const { out, err } = await cli(['bench', 'matmul', '--backend', 'cpu', '--sizes', '8', '--seconds', '0.01', '--json']);
    expect(JSON.parse(out)).toMatchObject({ backend: 'cpu', adapter: null });
    expect(err).toBe('rr: backend cpu (--backend cpu)\n');
  });
});

describe('rr --version', () => {
  it('prints the version of @rr/cli', async () => {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
    for (const flag of ['--version', '-V']) {
      const { out, code } = await cli([flag]);
      expect(code).toBe(0);
      expect(out).toBe(`${version}\n`);
    }
  });
});
