import { expectInteger } from './errors.js';
import { type RecurrenceSampler, type RecurrenceSplit, splitRecurrence } from './recurrence-sampler.js';

/**
 * The same recurrence r at every step, ignoring the curriculum's mean: the static baseline,
 * benchmarks, and debugging. By default every iteration gets a gradient; pass `backpropDepth`
 * to truncate (n = max(r - s, 0), k = min(s, r)) as the Poisson-lognormal sampler does.
 */
export class FixedSampler implements RecurrenceSampler {
  readonly recurrence: number;
  readonly backpropDepth: number;

  constructor(recurrence: number, options: { backpropDepth?: number } = {}) {
    this.recurrence = expectInteger('FixedSampler', 'recurrence', recurrence, 1);
    this.backpropDepth = expectInteger('FixedSampler', 'backpropDepth', options.backpropDepth ?? recurrence, 1);
  }

  sample(step: number, _meanRecurrence?: number): RecurrenceSplit {
    expectInteger('FixedSampler.sample', 'step', step, 0);
    return splitRecurrence(this.recurrence, this.backpropDepth);
  }
}
