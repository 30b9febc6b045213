/**
 * @rr/muon: the Optimizer interface, Muon, AdamW, the paper's parameter groups, gradient
 * clipping and the warmup-stable-decay learning-rate schedule, on any rr Backend.
 */
export type { Optimizer, OptimizerState, Param, ParamGroup } from './optimizer.js';
export { Muon, type MuonOptions, type MuonUpdateScale } from './muon.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { MuonWithAdamW, type MuonWithAdamWOptions } from './muon-with-adamw.js';
export { newtonSchulz5, type NewtonSchulzOptions } from './newton-schulz.js';
export { assignParamGroup, isEmbeddingOrHead } from './param-groups.js';
export { clipGradNorm } from './clip-grad-norm.js';
export { warmupStableDecay, type WarmupStableDecayOptions } from './lr-schedule.js';
export {
  MUON_DEFAULTS,
  ADAMW_DEFAULTS,
  NEWTON_SCHULZ_COEFFICIENTS,
  NEWTON_SCHULZ_EPS,
  GRAD_CLIP_MAX_NORM,
  WSD_MIN_FACTOR,
} from './defaults.js';
