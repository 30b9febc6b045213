import { RRError, Rng, type Tensor, keep } from '@rr/tensor';
import { ADAPTER, EMBED, FINAL_NORM, LM_HEAD, type ModelConfig, RecurrentLM, S0_STD, layerNames } from '@rr/model';
import { type AdapterInit, initAdapter } from './adapter-init.js';
import { type Plan, type PlanSpec, resolvePlan } from './plan.js';
import { type SurgeryReport, surgeryReport } from './report.js';

export interface RetrofitOptions {
  adapterInit?: AdapterInit;
  /** Multiplies the s0 std (0 = zero initial state). Default 1. */
  initScale?: number;
  s0Std?: number;
  /** Seed for the adapter's random init. */
  seed?: number;
}

export interface Retrofitted {
  model: RecurrentLM;
  plan: Plan;
  /** Base-model index of each stored layer (prelude, block, coda order). */
  origin: number[];
  adapterInit: AdapterInit;
  report: SurgeryReport;
}

/**
 * Cuts a pretrained (static) model into prelude, recurrent block and coda. The kept layers are
 * the base model's own tensors (no copies: training the result trains them), renumbered in
 * prelude-block-coda order; dropped layers are left out. The head is untied: a tied base gets a
 * copy of its embedding as `lm_head`. A fresh adapter joins the state and the prelude output.
 */
export function retrofit(base: RecurrentLM, planSpec: PlanSpec, options: RetrofitOptions = {}): Retrofitted {
  if (base.isRecurrent) {
    throw new RRError('ALREADY_RECURRENT', 'retrofit: the model is already recurrent; retrofit its base (static) model instead.');
  }
  const config = base.config;
  const plan = resolvePlan(planSpec, config.numLayers);
  const origin = [...plan.prelude, ...plan.block, ...plan.coda];
  const initScale = options.initScale ?? 1;
  if (!(initScale >= 0)) throw new RRError('BAD_ARGUMENT', `retrofit: initScale = ${initScale} must be >= 0.`);
  const adapterInit = options.adapterInit ?? 'default';

  const params = new Map<string, Tensor>();
  params.set(EMBED, base.param(EMBED));
  origin.forEach((from, to) => {
    const src = layerNames(from, config.architecture);
    const dst = layerNames(to, config.architecture);
    for (const key of Object.keys(src) as (keyof typeof src)[]) {
      const name = src[key];
      if (name !== undefined) params.set(dst[key]!, base.param(name));
    }
  });
  params.set(FINAL_NORM, base.param(FINAL_NORM));
  const head = base.params.get(LM_HEAD);
  params.set(LM_HEAD, head ?? keep(base.backend.cast(base.param(EMBED), base.param(EMBED).dtype)));
  const dtype = base.param(EMBED).dtype as 'f32' | 'f64';
  params.set(ADAPTER, initAdapter(adapterInit, config.hiddenSize, base.backend, { dtype, rng: Rng.fromSeed(options.seed ?? 0).stream('adapter') }));

  const p = plan.prelude.length;
  const r = plan.block.length;
  const newConfig: ModelConfig = { ...config, numLayers: origin.length, tieWordEmbeddings: false };
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  const model = new RecurrentLM(newConfig, params, {
    prelude: range(0, p),
    block: range(p, r),
    coda: range(p + r, plan.coda.length),
    s0Std: options.s0Std ?? S0_STD,
    initScale,
  });
  return { model, plan, origin, adapterInit, report: surgeryReport(config, plan) };
}
