import { expectInteger } from './errors.js';

/**
 * How one micro-batch runs the recurrent block: `noGrad` iterations first, without recording
 * (their memory is freed as they go), then `withGrad` iterations recorded for backprop. The
 * total recurrence is r = noGrad + withGrad. Truncated backprop through depth s is
 * `{ noGrad: max(r - s, 0), withGrad: min(s, r) }`.
 */
export interface RecurrenceSplit {
  readonly noGrad: number;
  readonly withGrad: number;
}

/**
 * Chooses the recurrence of each training micro-batch. `meanRecurrence` comes from the curriculum
 * (a `Schedule` of the step). Implementations must be a pure function of their configuration and
 * `step`, so that a resumed run draws the same values (the trainer stores no sampler state).
 */
export interface RecurrenceSampler {
  sample(step: number, meanRecurrence: number): RecurrenceSplit;
}

/** Truncated backprop: the last `backpropDepth` of `recurrence` iterations get a gradient. */
export function splitRecurrence(recurrence: number, backpropDepth: number): RecurrenceSplit {
  expectInteger('splitRecurrence', 'recurrence', recurrence, 1);
  expectInteger('splitRecurrence', 'backpropDepth', backpropDepth, 1);
  return { noGrad: Math.max(recurrence - backpropDepth, 0), withGrad: Math.min(backpropDepth, recurrence) };
}

/** At evaluation nothing is differentiated: all r iterations run without gradient. */
export function evaluationSplit(recurrence: number): RecurrenceSplit {
  expectInteger('evaluationSplit', 'recurrence', recurrence, 1);
  return { noGrad: recurrence, withGrad: 0 };
}
