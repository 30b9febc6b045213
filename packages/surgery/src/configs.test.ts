import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { Rng, type Tensor, createCpuBackend, keep } from '@rr/tensor';
import { RecurrentLM, expectedTensors, layerNames, parseHfConfig } from '@rr/model';
import { retrofit } from './retrofit.js';
import { describeWithFixtures, fixture } from '@rr/tensor/testing';

const backend = createCpuBackend();
afterAll(() => backend.destroy());

/**
 * A random-weight model of the real config's shapes whose tensors are distinct Tensor objects over
 * one random storage per distinct shape: identity checks and parameter counts need real shapes
 * and distinct objects, not 4 GB of distinct weights.
 */
function sharedStorageModel(config: ReturnType<typeof parseHfConfig>): RecurrentLM {
  const rng = Rng.fromSeed(7);
  const storages = new Map<string, Tensor>();
  const params = new Map<string, Tensor>();
  for (const [name, shape] of expectedTensors(config, { head: !config.tieWordEmbeddings })) {
    const key = shape.join('x');
    let storage = storages.get(key);
    if (!storage) {
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      // a random block tiled over the tensor: random weights at memcpy speed for the 1 GB embedding
      const block = rng.stream(key).fillNormal(new Float32Array(Math.min(values.length, 1 << 16)), 0, 0.02);
      for (let i = 0; i < values.length; i += block.length) values.set(block.subarray(0, Math.min(block.length, values.length - i)), i);
      storage = keep(backend.upload(values, shape, 'f32'));
      storages.set(key, storage);
    }
    params.set(name, keep(storage.view(shape)));
  }
  return new RecurrentLM(config, params);
}

const cases = [
  {
    file: 'tinyllama-1.1b.config.json',
    plan: '4,8,4',
    prelude: [0, 1, 2, 3],
    block: [10, 11, 12, 13, 14, 15, 16, 17],
    coda: [18, 19, 20, 21],
    dropped: [4, 5, 6, 7, 8, 9],
  },
  { file: 'llama-3.2-1b.config.json', plan: '4,6,4', prelude: [0, 1, 2, 3], block: [6, 7, 8, 9, 10, 11], coda: [12, 13, 14, 15], dropped: [4, 5] },
];

describeWithFixtures(
  'surgery on the real configs',
  cases.map((c) => `configs/${c.file}`),
  () => {
    for (const c of cases) {
      it(`${c.file} with plan (${c.plan}) keeps docs/method.md's layers`, () => {
        const config = parseHfConfig(JSON.parse(readFileSync(fixture(`configs/${c.file}`), 'utf8')), c.file);
        const base = sharedStorageModel(config);
        const r = retrofit(base, c.plan);
        expect(r.plan).toEqual({ prelude: c.prelude, block: c.block, coda: c.coda });
        expect(r.report.dropped).toEqual(c.dropped);
        const origin = [...c.prelude, ...c.block, ...c.coda];
        origin.forEach((from, to) => {
          const src = layerNames(from, config.architecture);
          const dst = layerNames(to, config.architecture);
          for (const key of ['q', 'k', 'v', 'o', 'gate', 'up', 'down', 'attnNorm', 'mlpNorm'] as const) {
            expect(r.model.params.get(dst[key]), `${dst[key]} is base ${src[key]}`).toBe(base.params.get(src[key]));
          }
        });
        for (const d of c.dropped) {
          const dropped = base.params.get(layerNames(d, config.architecture).q);
          expect([...r.model.params.values()]).not.toContain(dropped);
        }
        const p = r.report.parameters;
        expect(p.prelude + p.block + p.coda + p.adapter + p.embedding + p.normAndHead).toBe(p.total);
        console.log(c.file, JSON.stringify(p));
      });
    }
  },
);
