import { mkdirSync, writeFileSync } from 'node:fs';
import { createCpuBackend, noGrad, scope, Rng } from '@rr/tensor';
import { RecurrentLM, initializeWeights } from '@rr/model';
import { retrofit } from '@rr/surgery';
import { MuonWithAdamW, warmupStableDecay } from '@rr/muon';
import { PoissonLognormalSampler, recurrenceCurriculum } from '@rr/curriculum';
import { Trainer, TokenPacker } from '@rr/train';

const E = (k, d) => (process.env[k] !== undefined ? (isNaN(Number(process.env[k])) ? process.env[k] : Number(process.env[k])) : d);
const SEED = E('SEED', 1);
const DIM = E('DIM', 64), L = E('L', 4), FF = E('FF', 4 * DIM), HEADS = E('HEADS', 4);
const KMIN = E('KMIN', 1), KMAX = E('KMAX', 6), TESTK = String(E('TESTK', '2,3,4,5,6')).split(',').map(Number);
const T = E('T', 64), B = E('B', 16);
const PRE = E('PRE', 200), POST = E('POST', 100);
const MLR = E('MLR', 0.02), ALR = E('ALR', 3e-3), PMLR = E('PMLR', MLR), PALR = E('PALR', ALR);
const M = E('M', 4), BPD = E('BPD', 2), PLAN = E('PLAN', '1,2,1'), AINIT = E('AINIT', 'embed'), INITS = E('INITS', 0);
const FMT = E('FMT', 'sym'); const NTEST = E('NTEST', 60);
const THREADS = E('THREADS', 2);
const MODE = E('MODE', 'add-mul');

// ---- task
function problem(rng, k) {
  let v = rng.int(10); const v0 = v; const ops = [];
  for (let i = 0; i < k; i++) {
    const mul = MODE === 'add' ? false : rng.int(2) === 1;
    const d = mul ? [3, 7, 9][rng.int(3)] : 1 + rng.int(9);
    ops.push([mul ? '*' : '+', d]); v = mul ? (v * d) % 10 : (v + d) % 10;
  }
  let q;
  if (FMT === 'sym') q = `${v0}${ops.map(([o, d]) => ` ${o}${d}`).join('')}`;
  else q = `Start at ${v0}, then ${ops.map(([o, d]) => (o === '+' ? `add ${d}` : `times ${d}`)).join(', ')}`;
  return { question: q, final: v, k };
}
class R { constructor(seed) { this.s = seed >>> 0 || 1; } next() { this.s ^= this.s << 13; this.s >>>= 0; this.s ^= this.s >>> 17; this.s ^= this.s << 5; this.s >>>= 0; return this.s / 4294967296; } int(n) { return Math.floor(this.next() * n); } }
const rng = new R(SEED * 7919 + 13);
const train = []; for (let i = 0; i < 30000; i++) train.push(problem(rng, KMIN + rng.int(KMAX - KMIN + 1)));
const trainSet = new Set(train.map((p) => p.question));
const trng = new R(SEED * 104729 + 7);
const test = new Map(); for (const k of TESTK) { const a = []; while (a.length < NTEST) { const p = problem(trng, k); if (!trainSet.has(p.question)) a.push(p); } test.set(k, a); }
const dir = `/tmp/rrexp-${process.pid}`; mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/train.jsonl`, train.map((p) => JSON.stringify(p)).join('\n') + '\n');

// ---- tokenizer
const alphabet = [...new Set(['\n', ...' .,?:+*', ...'0123456789', ...'QASTLabcdefghijklmnopqrstuvwxyz'])];
const tok = { vocabSize: 3 + alphabet.length, bosId: 1, eosId: 2, encode(s, o = {}) { const ids = [...s].map((c) => { const i = alphabet.indexOf(c); if (i < 0) throw new Error('char ' + c); return 3 + i; }); return [...(o.bos ?? true ? [1] : []), ...ids, ...(o.eos ? [2] : [])]; }, decode(ids) { return ids.filter((i) => i >= 3).map((i) => alphabet[i - 3]).join(''); } };
const template = E('TPL', 'Q: {question}\nA: {final}');
const backend = createCpuBackend({ threads: THREADS });
const config = { architecture: 'llama', hiddenSize: DIM, numLayers: L, numHeads: HEADS, numKvHeads: HEADS, headDim: DIM / HEADS, intermediateSize: FF, vocabSize: tok.vocabSize, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false, maxPositionEmbeddings: 1024, bosTokenId: 1, eosTokenId: 2 };

async function evalTF(model, r) {
  const res = {};
  for (const [k, probs] of test) {
    const ids = probs.map((p) => tok.encode(`Q: ${p.question}\nA: `));
    const len = ids[0].length; // same k => same length? (sym fmt yes)
    const groups = new Map(); ids.forEach((x, i) => { const g = groups.get(x.length) ?? []; g.push(i); groups.set(x.length, g); });
    let correct = 0;
    for (const [n, idx] of groups) {
      const logits = noGrad(() => scope(() => model.forward(backend.upload(idx.flatMap((i) => ids[i]), [idx.length, n], 'i32'), { recurrence: r, lastPositionOnly: true, initScale: 0 })));
      const v = await logits.read(); logits.dispose();
      const V = tok.vocabSize;
      idx.forEach((i, b) => { let best = 0; for (let j = 1; j < V; j++) if (v[b * V + j] > v[b * V + best]) best = j; if (tok.decode([best]) === String(probs[i].final)) correct++; });
    }
    res[k] = correct / probs.length;
  }
  return res;
}
const fmt = (o) => Object.entries(o).map(([k, v]) => `k${k}:${(v * 100).toFixed(0)}`).join(' ');
const cpu0 = process.cpuUsage(); const t0 = performance.now();
const el = () => `[${((performance.now() - t0) / 1000).toFixed(0)}s cpu ${((process.cpuUsage(cpu0).user) / 1e6).toFixed(0)}s]`;

function makeTrainer(model, steps, { mlr, alr, sampler, curriculum }) {
  const data = new TokenPacker([{ path: `${dir}/train.jsonl`, template }], tok, T + 1);
  return new Trainer({ model, optimizer: new MuonWithAdamW({ muon: { lr: mlr }, adamw: { lr: alr } }), sampler: sampler ?? { sample: () => ({ noGrad: 0, withGrad: 0 }) }, curriculum: curriculum ?? { at: () => 1 }, lrSchedule: warmupStableDecay({ totalSteps: steps, warmupFraction: 0.05, cooldownFraction: 0.4 }), data, batch: B, seed: SEED });
}
async function run(tr, steps, label, every, evalFn) {
  let ls = 0, n = 0;
  for (let s = 0; s < steps; s++) {
    const m = await tr.trainStep(); ls += m.loss; n++;
    if ((s + 1) % every === 0 || s === steps - 1) { console.log(label, s + 1, 'loss', (ls / n).toFixed(3), 'r', m.r.join(','), el(), evalFn ? fmt(await evalFn()) : ''); ls = 0; n = 0; }
  }
}
const base = new RecurrentLM(config, initializeWeights(config, backend, { seed: SEED }));
await run(makeTrainer(base, PRE, { mlr: PMLR, alr: PALR }), PRE, 'pre', E('EVERY', 50), () => evalTF(base, 1));
// clone static for continuation
const clone = new Map(); for (const [n, t] of base.params) clone.set(n, backend.upload(await t.read(), t.shape, t.dtype));
const stat = new RecurrentLM(config, clone);
const rf = retrofit(base, PLAN, { adapterInit: AINIT, initScale: INITS, seed: SEED });
const rec = rf.model;
const RS = String(E('RS', '1,2,4,8,16')).split(',').map(Number);
const evalRec = async () => { const o = {}; for (const r of RS) o[r] = await evalTF(rec, r); return o; };
if (POST > 0) {
  await run(makeTrainer(rec, POST, { mlr: MLR, alr: ALR, sampler: new PoissonLognormalSampler({ seed: SEED, backpropDepth: BPD }), curriculum: recurrenceCurriculum({ kind: E('CUR', 'linear'), maxMean: M, warmupFraction: E('WF', 0.25), totalSteps: POST }) }), POST, 'rec', E('EVERY2', 50));
  if (E('STATIC', 1)) await run(makeTrainer(stat, POST, { mlr: MLR, alr: ALR }), POST, 'stat', E('EVERY2', 50));
}
const sres = await evalTF(stat, 1);
console.log('STATIC', fmt(sres), 'mean', (Object.values(sres).reduce((a, b) => a + b) / TESTK.length * 100).toFixed(1));
for (const r of RS) { const o = await evalTF(rec, r); console.log('REC r=' + r, fmt(o), 'mean', (Object.values(o).reduce((a, b) => a + b) / TESTK.length * 100).toFixed(1)); }
console.log('done', el());
backend.destroy();
