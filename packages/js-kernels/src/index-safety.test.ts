import { type Backend, type Tensor, isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { F32_EXACT_INTEGERS, jsKernel } from './index.js';
import { grid, uniformWords } from './layout.js';
import { NO_ADAPTER, backends } from './test-support.js';

/**
 * Past 2^24 elements an index held in an f32 reads the wrong element (f32(16777217) is
 * 16777216). gpu.js keeps `const i = this.thread.x` in an f32; the translation gives it an i32
 * twin, and kernels whose index still goes through an f32 are refused at such sizes.
 */
const window = jsKernel(
  function window(a, start) {
    const i = this.thread.x + start;
    return a[i];
  },
  { integers: ['start'], output: () => [256] },
);

const halve = jsKernel(function halve(a) {
  return a[Math.floor(this.thread.x / 2)];
});

const N = F32_EXACT_INTEGERS + 128;
const START = N - 256;

/** j mod 4093 at j: neighbours differ, so a read one element off shows. */
function pattern(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = j % 4093;
  return out;
}

function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): number {
  for (let j = 0; j < want.length; j++) if (got[j] !== want[j]) return j;
  return -1;
}

describe.each(await backends())('indices past 2^24 on $name', ({ name, backend }) => {
  const be = backend as Backend;
  const skip = backend === undefined;
  const values = pattern(N);
  const wanted = values.slice(START, START + 256);

  it.skipIf(skip)(`${skip ? `skipped: ${NO_ADAPTER}` : `an index kept in a const reads elements ${START}..${N - 1} right`}`, async () => {
    const a = be.upload(values, [N], 'f32');
    const out = window(a, START);
    expect(firstMismatch(await out.read(), wanted)).toBe(-1);
    if (name === 'webgpu') {
      // the kernel as gpu.js wrote it (no i32 twin) reads the wrong elements past 2^24: the check above can fail
      const raw = window
        .wgsl(a, START)
        .replace(/\nlet rr_int_i : i32 = [^;]*;/, '')
        .replaceAll('rr_int_i', 'i32(user_i)');
      const { workgroups, dispatchWidth } = grid(256, 64);
      const kernel = {
        name: 'window as gpu.js wrote it',
        js: () => {},
        wgsl: { code: raw, uniforms: uniformWords(256, dispatchWidth, [a, START], ['tensor', 'integer']), workgroups },
      };
      const wrong = be.runCustomKernel!(kernel, [a], { shape: [256], dtype: 'f32' });
      expect(firstMismatch(await wrong.read(), wanted)).toBe(F32_EXACT_INTEGERS + 1 - START);
      wrong.dispose();
    }
    for (const t of [a, out]) t.dispose();
  });

  it.skipIf(skip)('a kernel whose index goes through f32 runs below 2^24 and is refused above, naming the line', async () => {
    const small = pattern(1001);
    const halved = await halve(be.upload(small, [1001], 'f32')).read();
    expect(Array.from(halved)).toEqual(Array.from(small, (_, j) => small[Math.floor(j / 2)]));
    const large: Tensor = be.zeros([N], 'f32');
    try {
      halve(large);
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'JS_KERNEL_FLOAT_INDEX'), String(e)).toBe(true);
      expect((e as Error).message).toContain('`return a[Math.floor(this.thread.x / 2)];`');
    }
    large.dispose();
  });
});

describe('the translation', () => {
  it('gives a decayed index variable an i32 twin and indexes with it', async () => {
    const [{ backend }] = await backends();
    const wgsl = window.wgsl(backend!.zeros([1], 'f32'), 0);
    expect(wgsl).toContain('var user_i : f32 = f32((i32(threadGid.x)+params.user_start));\nlet rr_int_i : i32 = (i32(threadGid.x)+params.user_start);');
    expect(wgsl).toContain('get_user_a(0, 0, rr_int_i)');
    expect(wgsl).not.toContain('i32(user_i)');
  });

  it('leaves a reassigned index variable in f32, and reports the array it indexes', async () => {
    const [{ backend }] = await backends();
    const shifted = jsKernel(function shifted(a) {
      let j = this.thread.x;
      j = j + 1;
      return a[j];
    });
    const x = backend!.upload([1, 2, 3, 4], [4], 'f32');
    expect(shifted.wgsl(x)).not.toContain('rr_int_j');
    expect(Array.from(await shifted(x).read()).slice(0, 3)).toEqual([2, 3, 4]);
    const large = backend!.zeros([N], 'f32');
    expect(() => shifted(large)).toThrow(/indexes a \(`return a\[j\];`\) through an f32 value/);
    for (const t of [x, large]) t.dispose();
  });
});
