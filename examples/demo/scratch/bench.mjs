import { createCpuBackend, noGrad, scope, ops, Rng } from '@rr/tensor';
import { RecurrentLM, initializeWeights, generate } from '@rr/model';
import { retrofit } from '@rr/surgery';
import { MuonWithAdamW, AdamW } from '@rr/muon';
import { Trainer } from '@rr/train';

const threads = Number(process.env.THREADS ?? 2);
const backend = createCpuBackend({ threads });
const dim = Number(process.env.DIM ?? 64), L = Number(process.env.L ?? 4);
const config = { architecture: 'llama', hiddenSize: dim, numLayers: L, numHeads: 4, numKvHeads: 4, headDim: dim / 4, intermediateSize: dim * 4, vocabSize: 40, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false, maxPositionEmbeddings: 512, bosTokenId: 1, eosTokenId: 2 };
const base = new RecurrentLM(config, initializeWeights(config, backend, { seed: 1 }));
const B = Number(process.env.B ?? 16), T = Number(process.env.T ?? 64);
const fakeData = { rowLength: T + 1, async next(n) { const a = new Int32Array(n * (T + 1)); for (let i = 0; i < a.length; i++) a[i] = 3 + (i * 7) % 30; return a; } };
async function time(model, label, r) {
  const opt = new MuonWithAdamW({});
  const tr = new Trainer({ model, optimizer: opt, sampler: { sample: () => ({ noGrad: r.n, withGrad: r.k }) }, curriculum: { at: () => r.n + r.k }, lrSchedule: { at: () => 1 }, data: fakeData, batch: B });
  await tr.trainStep();
  const t0 = performance.now(); const N = 3;
  for (let i = 0; i < N; i++) await tr.trainStep();
  const s = (performance.now() - t0) / 1000 / N;
  console.log(label, 'step', s.toFixed(3), 's', ((B * T) / s).toFixed(0), 'tok/s');
}
await time(base, `static L=${L}`, { n: 0, k: 0 });
const rf = retrofit(base, process.env.PLAN ?? '1,2,1', { adapterInit: 'embed', initScale: 0 });
for (const [n, k] of [[0, 1], [0, 4], [4, 4], [0, 8], [6,2]]) await time(rf.model, `rec n=${n} k=${k}`, { n, k });
// generation
const tok = { vocabSize: 40, bosId: 1, eosId: 2, encode: (s) => [1, ...[...s].map((c) => 3 + (c.charCodeAt(0) % 30))], decode: (ids) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('') };
for (const r of [1, 4, 16]) {
  const t0 = performance.now();
  const g = await generate(rf.model, tok, ['Q: 3+4*7+5*3 mod 10, left to right?\nA:'], { maxNewTokens: 20, recurrence: r });
  console.log('gen r', r, ((performance.now() - t0) / 20).toFixed(1), 'ms/token');
}
backend.destroy();
