import { RRError } from '@rr/tensor';
import { WSD_MIN_FACTOR } from './defaults.js';

export interface WarmupStableDecayOptions {
  /** Optimizer steps in the run (or phase: the schedule restarts per phase). */
  totalSteps: number;
  /** Fraction of the steps spent warming up (the paper: 0.0025-0.005). */
  warmupFraction: number;
  /** Fraction of the steps spent decaying at the end (the paper: 0.6-0.9). */
  cooldownFraction: number;
  /** Where the warm-up starts and the decay ends, as a fraction of the peak; default 0.001. */
  minFactor?: number;
  /** The plateau value; default 1, so `at` is the factor to pass as `Optimizer.step`'s lrScale. */
  peak?: number;
}

/**
 * Warmup-stable-decay: with W = round(warmupFraction * T) and C = round(cooldownFraction * T)
 * (C capped at T - W),
 *
 *   step < W:          min + (1 - min) * step / W            (linear, from min at step 0)
 *   W <= step < T - C: 1
 *   T - C <= step:     min + (1 - min) * (1 + cos(pi * q)) / 2, q = min(1, (step - (T - C)) / C)
 *
 * times `peak`, so the decay reaches min at step T (one past the last step) and stays there.
 * The long plateau lets a run be extended or branched before the decay, which a cosine schedule
 * over the whole run does not. The result is a `Schedule` of @rr/curriculum by its shape (this
 * package does not depend on that one).
 */
export function warmupStableDecay(options: WarmupStableDecayOptions): { at(step: number): number } {
  const where = 'warmupStableDecay';
  const { totalSteps, warmupFraction, cooldownFraction } = options;
  const minFactor = options.minFactor ?? WSD_MIN_FACTOR;
  const peak = options.peak ?? 1;
  if (!(Number.isSafeInteger(totalSteps) && totalSteps >= 1)) throw bad(where, 'totalSteps', totalSteps, 'an integer >= 1');
  if (!(warmupFraction >= 0 && warmupFraction <= 1)) throw bad(where, 'warmupFraction', warmupFraction, 'a number in [0, 1]');
  if (!(cooldownFraction >= 0 && cooldownFraction <= 1)) throw bad(where, 'cooldownFraction', cooldownFraction, 'a number in [0, 1]');
  if (warmupFraction + cooldownFraction > 1) {
    throw new RRError(
      'BAD_ARGUMENT',
      `${where}: warmupFraction + cooldownFraction = ${warmupFraction + cooldownFraction} exceeds 1; warm-up and cool-down cannot overlap.`,
    );
  }
  if (!(minFactor >= 0 && minFactor <= 1)) throw bad(where, 'minFactor', minFactor, 'a number in [0, 1]');
  if (!(Number.isFinite(peak) && peak >= 0)) throw bad(where, 'peak', peak, 'a finite number >= 0');

  const warmupSteps = Math.round(warmupFraction * totalSteps);
  const cooldownSteps = Math.min(Math.round(cooldownFraction * totalSteps), totalSteps - warmupSteps);
  const decayStart = totalSteps - cooldownSteps;
  return {
    at(step: number): number {
      if (!(Number.isSafeInteger(step) && step >= 0)) throw bad('warmupStableDecay.at', 'step', step, 'an integer >= 0');
      let factor = 1;
      if (step < warmupSteps) {
        factor = minFactor + ((1 - minFactor) * step) / warmupSteps;
      } else if (step >= decayStart) {
        const q = cooldownSteps === 0 ? 1 : Math.min(1, (step - decayStart) / cooldownSteps);
        factor = minFactor + ((1 - minFactor) * (1 + Math.cos(Math.PI * q))) / 2;
      }
      return peak * factor;
    },
  };
}

function bad(where: string, argument: string, value: unknown, requirement: string): RRError {
  return new RRError('BAD_ARGUMENT', `${where}: ${argument} = ${String(value)} must be ${requirement}.`, { argument, value });
}
