/**
 * @rr/curriculum: how deep a recurrent-depth model runs at each training step.
 * Pure numbers, no tensors, no dependencies.
 */
export { type RecurrenceSampler, type RecurrenceSplit, splitRecurrence, evaluationSplit } from './recurrence-sampler.js';
export { PoissonLognormalSampler, type PoissonLognormalSamplerOptions } from './poisson-lognormal-sampler.js';
export { FixedSampler } from './fixed-sampler.js';
export {
  type Schedule,
  type RecurrenceCurriculumKind,
  type RecurrenceCurriculumOptions,
  RECURRENCE_CURRICULUM_KINDS,
  recurrenceCurriculum,
} from './recurrence-curriculum.js';
export { StepRandom } from './step-random.js';
export { CurriculumError } from './errors.js';
