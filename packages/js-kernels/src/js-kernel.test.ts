import { RRError, Rng, isRRError } from '@rr/tensor';
import { describe, expect, it } from 'vitest';
import { jsKernel } from './index.js';
import { NO_ADAPTER, backends, relativeError } from './test-support.js';

const lerpSign = jsKernel(function lerpSign(p, m, g, lr, w) {
  const i = this.thread.x;
  const c = m[i] + w * (g[i] - m[i]);
  return p[i] - lr * Math.sign(c);
});

const rowSum = jsKernel(
  function rowSum(a, n) {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[this.thread.x * n + k];
    return s;
  },
  { integers: ['n'], output: (a, n) => [(a as { size: number }).size / (n as number)] },
);

const reverse = jsKernel(function reverse(x) {
  return x[this.output.x - 1 - this.thread.x];
});

const seed = Math.floor(Math.random() * 2 ** 32);
const rng = Rng.fromSeed(seed);

describe.each(await backends())('js kernels on $name', ({ name, backend }) => {
  const be = backend!;
  const skip = backend === undefined;
  it.skipIf(skip)(
    `${skip ? `skipped: ${NO_ADAPTER}` : 'an elementwise kernel with numbers'} matches the f64 formula on fresh inputs (seed ${seed})`,
    async () => {
      const n = 1000 + rng.integer(100);
      const [p, m, g] = [0, 1, 2].map(() => rng.fillNormal(new Float64Array(n)));
      const [tp, tm, tg] = [p, m, g].map((v) => be.upload(v!, [n], 'f32'));
      const out = await lerpSign(tp!, tm!, tg!, 0.01, 0.1).read();
      const stored = await Promise.all([tp!, tm!, tg!].map((t) => t.read()));
      const want = stored[0]!.map((pv, i) => pv - 0.01 * Math.sign(stored[1]![i]! + 0.1 * (stored[2]![i]! - stored[1]![i]!)));
      expect(relativeError(out, want)).toBeLessThan(1e-6);
    },
  );

  it.skipIf(skip)('a small-loop kernel with an integer argument (row sums)', async () => {
    const rows = 37;
    const cols = 5 + rng.integer(20);
    const a = rng.fillNormal(new Float64Array(rows * cols));
    const t = be.upload(a, [rows, cols], 'f32');
    const stored = await t.read();
    const out = rowSum(t, cols);
    expect(out.shape).toEqual([rows]);
    const want = Array.from({ length: rows }, (_, r) => Array.from(stored.slice(r * cols, (r + 1) * cols)).reduce((x, y) => x + y, 0));
    expect(relativeError(await out.read(), want)).toBeLessThan(1e-6);
  });

  it.skipIf(skip)('assign reads the target while it writes it (ping-pong): an in-place reversal', async () => {
    const values = Array.from({ length: 301 }, (_, i) => i + 0.5);
    const x = be.upload(values, [301], 'f32');
    reverse.assign(x, x);
    expect(Array.from(await x.read())).toEqual([...values].reverse());
  });

  it.skipIf(skip)('refuses tensors of different backends or dtypes, and wrong argument counts', () => {
    const x = be.upload([1, 2], [2], 'f32');
    expect(() => reverse(x, x)).toThrow(/takes 1 arguments/);
    expect(() => lerpSign(x, x, x, 1, Number.NaN)).toThrow(/finite/);
    expect(() => rowSum(x, 1.5)).toThrow(/integer/);
    const ids = be.upload([1, 2], [2], 'i32');
    expect(() => reverse(ids)).toThrow(RRError);
  });
});

describe('gradients', () => {
  it('a kernel without a gradient kernel refuses a tensor that requires one, and runs under noGrad', async () => {
    const { createCpuBackend, noGrad, requireGrad } = await import('@rr/tensor');
    const be = createCpuBackend({ threads: 1 });
    const x = requireGrad(be.upload([1, 2, 3], [3], 'f32'));
    expect(() => reverse(x)).toThrow(/JS_KERNEL_NO_GRADIENT|argument x requires a gradient/);
    expect(Array.from(await noGrad(() => reverse(x)).read())).toEqual([3, 2, 1]);
    be.destroy();
  });
});

describe('kernels gpu.js cannot translate', () => {
  const cpu = () => import('@rr/tensor').then((m) => m.createCpuBackend({ threads: 1 }));

  const kernels = {
    objects: jsKernel(function objects(a) {
      const v = a[this.thread.x];
      const o = { x: 1 };
      return v + o.x;
    }),
    undefinedName: jsKernel(function undefinedName(a) {
      const v = a[this.thread.x];
      return v + missing;
    }),
    strings: jsKernel(function strings(a) {
      const v = a[this.thread.x];
      const s = 'text';
      return v + s.length;
    }),
    properties: jsKernel(function properties(a) {
      const v = a[this.thread.x];
      return v + a.length;
    }),
  };

  it.each([
    ['objects', 3, 'const o = { x: 1 };'],
    ['undefinedName', 3, 'return v + missing;'],
    ['strings', 3, 'const s = '],
    ['properties', 3, 'return v + a.length;'],
  ] as const)('%s: an RRError naming line %i and quoting it', async (name, line, text) => {
    const be = await cpu();
    try {
      kernels[name](be.upload([1], [1], 'f32'));
      expect.unreachable();
    } catch (e) {
      expect(isRRError(e, 'JS_KERNEL_COMPILE'), String(e)).toBe(true);
      expect((e as Error).message).toContain(`line ${line} of the kernel (\`${text}`);
      expect((e as Error).message).toMatch(/defined at .*js-kernel\.test\.ts:\d+/);
    } finally {
      be.destroy();
    }
  });

  it('a call to a function outside the kernel is named', async () => {
    const be = await cpu();
    const k = jsKernel(function outside(a) {
      return helper(a[this.thread.x]);
    });
    expect(() => k(be.upload([1], [1], 'f32'))).toThrow(/line 2 of the kernel \(`return helper\(a\[this\.thread\.x\]\);`\)/);
    be.destroy();
  });

  it('an arrow function is refused: it has no this.thread', () => {
    expect(() => jsKernel((() => 1) as never)).toThrow(/function name\(a, b\)/);
  });

  it('Math.random is refused (it would differ between backends)', async () => {
    const be = await cpu();
    const k = jsKernel(function noisy(a) {
      return a[this.thread.x] + Math.random();
    });
    expect(() => k(be.upload([1], [1], 'f32'))).toThrow(/Math\.random/);
    be.destroy();
  });
});

function helper(v: number): number {
  return v;
}
declare const missing: number;
