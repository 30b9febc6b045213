import { type RecurrenceSampler, type RecurrenceSplit, type Schedule, splitRecurrence } from '@rr/curriculum';

/**
 * A user-written sampler: r uniform in [1, 2m - 1] (mean m, like the paper's sampler but without
 * its heavy tail), drawn from a hash of (seed, step) so that a resumed run draws the same r, with
 * at most `backpropDepth` recorded steps (truncated backprop), like PoissonLognormalSampler.
 */
export class UniformRecurrenceSampler implements RecurrenceSampler {
  constructor(
    readonly seed: number,
    readonly backpropDepth = 4,
  ) {}

  sample(step: number, meanRecurrence: number): RecurrenceSplit {
    const span = 2 * Math.max(1, Math.round(meanRecurrence)) - 1;
    const r = 1 + (hash(this.seed, step) % span);
    return splitRecurrence(r, this.backpropDepth);
  }
}

/** A user-written curriculum: the mean recurrence doubles every `every` steps up to `max`. */
export class DoublingSchedule implements Schedule {
  constructor(
    readonly every: number,
    readonly max: number,
  ) {}

  at(step: number): number {
    return Math.min(this.max, 2 ** Math.floor(step / this.every));
  }
}

/** A small integer hash (xorshift-multiply) of (seed, step): stateless, so resumes agree. */
function hash(seed: number, step: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
