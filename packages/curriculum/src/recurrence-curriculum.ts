import { CurriculumError, badArgument, expectInteger, expectNumberIn } from './errors.js';

/** A value as a function of the optimizer step: the mean recurrence, a learning rate, ... */
export interface Schedule {
  at(step: number): number;
}

/** How the mean recurrence grows during the warm-up (docs/method.md section 2). */
export const RECURRENCE_CURRICULUM_KINDS = ['linear', '1-sqrt', 'constant'] as const;
export type RecurrenceCurriculumKind = (typeof RECURRENCE_CURRICULUM_KINDS)[number];

export interface RecurrenceCurriculumOptions {
  /** 'linear': f(p) = p; '1-sqrt': f(p) = 1 - sqrt(1 - p) (slow start); 'constant': always M. */
  kind: RecurrenceCurriculumKind;
  /** M, the mean recurrence after the warm-up (the paper uses 4, 8, 16 or 32). */
  maxMean: number;
  /** Fraction of training over which the mean grows to M (0.25 linear, 0.75 1-sqrt in the paper). Ignored by 'constant'. */
  warmupFraction?: number;
  /** Optimizer steps in the run (or the phase: the curriculum restarts per phase). */
  totalSteps: number;
}

/**
 * The curriculum on the mean recurrence:
 *
 *   m = max(1, ceil(M * f(p))),   p = min(1, step / ceil(warmupFraction * totalSteps))
 *
 * Starting shallow lets the retrofitted model first learn to use a few iterations, which costs
 * less compute per step than training at M from the start. A zero-length warm-up gives M at once.
 */
export function recurrenceCurriculum(options: RecurrenceCurriculumOptions): Schedule {
  const where = 'recurrenceCurriculum';
  if (typeof options !== 'object' || options === null) throw badArgument(where, 'options', options, 'an object { kind, maxMean, warmupFraction, totalSteps }');
  const { kind } = options;
  if (!RECURRENCE_CURRICULUM_KINDS.includes(kind)) {
    throw new CurriculumError(
      'BAD_ARGUMENT',
      `${where}: kind = ${JSON.stringify(kind)} is not one of ${RECURRENCE_CURRICULUM_KINDS.map((k) => `'${k}'`).join(', ')}.`,
      { argument: 'kind', value: kind },
    );
  }
  const maxMean = expectInteger(where, 'maxMean', options.maxMean, 1);
  const totalSteps = expectInteger(where, 'totalSteps', options.totalSteps, 1);
  if (kind === 'constant') return { at: (step) => (checkStep(step), maxMean) };

  if (options.warmupFraction === undefined) throw badArgument(where, 'warmupFraction', undefined, `a number in [0, 1] for kind '${kind}'`);
  const warmupFraction = expectNumberIn(where, 'warmupFraction', options.warmupFraction, 0, 1);
  const warmupSteps = Math.ceil(warmupFraction * totalSteps);
  const growth = kind === 'linear' ? linear : oneMinusSqrt;
  return {
    at(step: number): number {
      checkStep(step);
      if (step >= warmupSteps) return maxMean; // also covers a zero-length warm-up
      return Math.max(1, Math.ceil(snapToInteger(growth(step, warmupSteps, maxMean))));
    },
  };
}

/** M * p, as one division of integers so that an exact quotient (a whole mean) stays exact. */
function linear(step: number, warmupSteps: number, maxMean: number): number {
  return (maxMean * step) / warmupSteps;
}

function oneMinusSqrt(step: number, warmupSteps: number, maxMean: number): number {
  return maxMean * (1 - Math.sqrt(1 - step / warmupSteps));
}

/**
 * ceil jumps at integers, so a value that should be exactly 16 but rounds to 16.000000000000004
 * would give 17. Values within 1e-9 of an integer are taken to be that integer (a true M * f(p)
 * that close to an integer without being one would need a warm-up of ~1e9 steps).
 */
function snapToInteger(x: number): number {
  const nearest = Math.round(x);
  return Math.abs(x - nearest) < 1e-9 ? nearest : x;
}

function checkStep(step: number): void {
  expectInteger('Schedule.at', 'step', step, 0);
}
