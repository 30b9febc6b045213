// Writes rr retrofits in the Huginn format, with rr's own logits beside them, for check.py to
// compare against the authors' PyTorch modeling code. Run after `pnpm build`:
//   node tools/huginn-torch-check/export.mjs OUT_DIR [stories260K-hf folder, default fixtures/models/stories260K-hf]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng, createCpuBackend } from '../../packages/tensor/dist/index.js';
import { RecurrentLM, expectedTensors, loadModel } from '../../packages/model/dist/index.js';
import { retrofit, saveRetrofitted } from '../../packages/surgery/dist/index.js';

const out = resolve(process.argv[2] ?? 'runs/huginn-torch-check');
const stories = process.argv[3] ?? join(process.env.RR_SHARED_DATA ?? new URL('../../fixtures', import.meta.url).pathname, 'models/stories260K-hf');
const backend = createCpuBackend({ threads: 1 });
const RECURRENCES = [1, 2, 4];

/** A model with random weights, norms included (all-ones norms would hide a swapped norm). */
function randomModel(config, seed) {
  const rng = Rng.fromSeed(seed);
  const params = new Map();
  for (const [name, shape] of expectedTensors(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = shape.length === 1 ? rng.fillUniform(new Float32Array(size), 0.5, 1.5) : rng.fillNormal(new Float32Array(size), 0, 0.3);
    params.set(name, backend.upload(values, shape, 'f32'));
  }
  return new RecurrentLM(config, params);
}

const small = {
  hiddenSize: 32,
  numLayers: 5,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 48,
  vocabSize: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 128,
  bosTokenId: 1,
  eosTokenId: 2,
};
const cases = [
  ['stories260K-llama', () => loadModel(stories, backend).model],
  [
    'random-llama3-rope-scaling',
    () =>
      randomModel(
        {
          ...small,
          architecture: 'llama',
          ropeTheta: 500000,
          ropeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8 },
        },
        1,
      ),
  ],
  ['random-olmo2', () => randomModel({ ...small, architecture: 'olmo2' }, 2)],
];

for (const [name, build] of cases) {
  const base = build();
  const r = retrofit(base, '1,2,1', { seed: 4 });
  const dir = join(out, name);
  await saveRetrofitted(dir, r, { format: 'huginn', force: true });
  // rr's logits from the exported folder as rr reads it back, zero initial state (deterministic)
  const model = loadModel(dir, backend).model;
  const tokens = Array.from({ length: 24 }, (_, i) => (1 + 7 * i * i + 3 * i) % model.config.vocabSize);
  const logits = {};
  for (const rec of RECURRENCES) {
    const input = backend.upload(Int32Array.from(tokens), [1, tokens.length], 'i32');
    const t = model.forward(input, { recurrence: rec, initScale: 0 });
    logits[rec] = Array.from(await t.read());
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rr_logits.json'), JSON.stringify({ tokens, vocab: model.config.vocabSize, logits }));
  console.log(`${dir}: ${model.config.architecture} (1,2,1), logits at r = ${RECURRENCES.join(', ')}`);
}
backend.destroy();
