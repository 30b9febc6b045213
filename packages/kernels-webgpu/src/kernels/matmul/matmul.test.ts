import { describe, expect, it } from 'vitest';
import { type MatmulCase, NO_ADAPTER, gpu, matmulError } from '../../test-support.js';

/**
 * Every transpose combination, b shared and batched, aligned (vec4) and awkward (scalar) sizes,
 * against the f64 CPU reference. Kept small: each variant compiles a pipeline, which llvmpipe
 * takes a second or two for.
 */
const flags = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

const name = (c: MatmulCase): string =>
  `${c.batch?.length ? `[${c.batch}] ` : ''}${c.transA ? 'aT' : 'a'} x ${c.transB ? 'bT' : 'b'} ${c.bBatched ? 'batched' : 'shared'} b, M ${c.m} K ${c.k} N ${c.n}`;

/** Each flag combination: an aligned batched case, an awkward shared case, an awkward batched one. */
const cases: MatmulCase[] = flags.flatMap(([transA, transB]) => [
  { batch: [2], m: 16, k: 40, n: 20, transA, transB, bBatched: true },
  { batch: [3], m: 13, k: 19, n: 9, transA, transB, aShared: transA },
  { batch: [2, 2], m: 5, k: 11, n: 3, transA, transB, bBatched: true },
]);

/** Shapes at the edges of the register tile (8 x 32 per workgroup) and of the 64 x 64 GPU tile. */
const edges: MatmulCase[] = [
  { m: 1, k: 1, n: 1 },
  { m: 1, k: 64, n: 4 },
  { m: 9, k: 4, n: 33 },
  { m: 65, k: 68, n: 72 },
  { m: 64, k: 17, n: 64, transB: true },
  { batch: [4], m: 3, k: 8, n: 8 },
];

for (const kernel of ['registers', 'tiled'] as const) {
  const be = await gpu({ matmulKernel: kernel });
  describe.skipIf(!be)(`matmul, ${kernel} kernel${be ? '' : `: skipped, ${NO_ADAPTER}`}`, () => {
    for (const c of kernel === 'registers' ? [...cases, ...edges] : cases) {
      it(`f32 ${name(c)}`, async () => {
        expect(await matmulError(be!, c, 'f32')).toBeLessThan(1e-5);
      });
    }
    it.skipIf(!be?.features.f16)(`f16 storage, f32 accumulation (every flag combination)${be?.features.f16 ? '' : ': skipped, no shader-f16'}`, async () => {
      for (const c of cases.filter((_, i) => i % 3 !== 2)) expect(await matmulError(be!, c, 'f16'), name(c)).toBeLessThan(2e-3);
    });
  });
}
