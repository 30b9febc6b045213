import { createRequire } from 'node:module';
import { createCpuBackend } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { jsKernel } from './index.js';
import { grid, uniformWords } from './layout.js';

/**
 * The WGSL layout this package binds is gpu.js 2.24.1's. These tests pin both: a gpu.js upgrade
 * that moves a binding or a params member fails here (and every translation checks it again at
 * run time, see layout.ts).
 */
describe('gpu.js layout', () => {
  it('gpu.js is the pinned version', () => {
    const require = createRequire(import.meta.url);
    expect((require('gpu.js/package.json') as { version: string }).version).toBe('2.24.1');
  });

  it('tensors bind in argument order after the params block, then result; numbers are params members', () => {
    const be = createCpuBackend({ threads: 1 });
    const k = jsKernel(
      function mixed(a, s, b, n) {
        return a[this.thread.x] * s + b[this.thread.x + n];
      },
      { integers: ['n'] },
    );
    const x = be.upload([1, 2, 3], [3], 'f32');
    const wgsl = k.wgsl(x, 0.5, x, 0);
    const header = wgsl.slice(0, wgsl.indexOf('var<private>')).trim();
    expect(header).toBe(
      [
        'struct Params {',
        '  outputX : u32,',
        '  outputY : u32,',
        '  outputZ : u32,',
        '  dispatchWidth : u32,',
        '  user_a_dims : vec4<u32>,',
        '  user_b_dims : vec4<u32>,',
        '  user_s : f32,',
        '  user_n : i32,',
        '}',
        '@group(0) @binding(0) var<uniform> params : Params;',
        '@group(0) @binding(1) var<storage, read> user_a : array<f32>;',
        '@group(0) @binding(2) var<storage, read> user_b : array<f32>;',
        '@group(0) @binding(3) var<storage, read_write> result : array<f32>;',
      ].join('\n'),
    );
    expect(wgsl).toContain('@compute @workgroup_size(64, 1, 1)\nfn main(@builtin(global_invocation_id) gid : vec3<u32>) {');
    expect(wgsl).toContain('let flat_index : u32 = gid.x + gid.y * params.dispatchWidth;');
    be.destroy();
  });

  it('uniform words follow the params block member by member', () => {
    const x = { size: 7 };
    const y = { size: 3 };
    expect(uniformWords(5, 64, [x, 0.5, y, 4], ['tensor', 'float', 'tensor', 'integer'])).toEqual([
      ['u32', 5],
      ['u32', 1],
      ['u32', 1],
      ['u32', 64],
      ['u32', 7],
      ['u32', 1],
      ['u32', 1],
      ['u32', 7],
      ['u32', 3],
      ['u32', 1],
      ['u32', 1],
      ['u32', 3],
      ['f32', 0.5],
      ['i32', 4],
    ]);
  });

  it('the grid covers every element and folds into rows past 65535 workgroups', () => {
    for (const n of [1, 63, 64, 65, 65535 * 64, 65535 * 64 + 1, 2 ** 24 + 3, 2 ** 28]) {
      const {
        workgroups: [x, y],
        dispatchWidth,
      } = grid(n, 64);
      expect(x).toBeLessThanOrEqual(65535);
      expect(dispatchWidth).toBe(x * 64);
      expect(x * y * 64).toBeGreaterThanOrEqual(n);
      expect(x * (y - 1) * 64).toBeLessThan(n);
    }
  });
});
