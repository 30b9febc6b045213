import { badArgument, expectInteger, expectNumberIn } from './errors.js';
import { type RecurrenceSampler, type RecurrenceSplit, splitRecurrence } from './recurrence-sampler.js';
import { StepRandom } from './step-random.js';

export interface PoissonLognormalSamplerOptions {
  /** Any safe integer; with the step it determines every draw. */
  seed: number;
  /** Iterations that get a gradient (s); default 8. Means below it use s = m. */
  backpropDepth?: number;
  /**
   * Spread of the log-normal rate; default 0.5. 0 makes r - 1 plain Poisson(m). At most 2: the
   * Poisson draw costs O(tau), and beyond that the tail of tau (m * e^(2 sigma z)) stops being a
   * curriculum and becomes the occasional absurd recurrence.
   */
  sigma?: number;
}

/**
 * The paper's recurrence sampler (docs/method.md section 2). For a mean m and backprop depth s
 * (s = m when m < s):
 *
 *   t = max(m - s, 0);  mu = ln(t + s) - sigma^2 / 2       (so E[tau] = m)
 *   tau ~ LogNormal(mu, sigma);  r = Poisson(tau) + 1      (so E[r] = m + 1)
 *   n = max(r - s, 0) without gradient;  k = min(s, r) with gradient
 *
 * The heavy-tailed r trains the model on recurrences well beyond the mean while the gradient
 * memory stays bounded by s. Each (seed, step) gives the same draw in any process, with no state.
 */
export class PoissonLognormalSampler implements RecurrenceSampler {
  readonly seed: number;
  readonly backpropDepth: number;
  readonly sigma: number;

  constructor(options: PoissonLognormalSamplerOptions) {
    const where = 'PoissonLognormalSampler';
    if (typeof options !== 'object' || options === null) throw badArgument(where, 'options', options, 'an object { seed, backpropDepth?, sigma? }');
    if (typeof options.seed !== 'number' || !Number.isSafeInteger(options.seed)) {
      throw badArgument(where, 'seed', options.seed, 'a safe integer');
    }
    this.seed = options.seed;
    this.backpropDepth = expectInteger(where, 'backpropDepth', options.backpropDepth ?? 8, 1);
    this.sigma = expectNumberIn(where, 'sigma', options.sigma ?? 0.5, 0, 2);
  }

  sample(step: number, meanRecurrence: number): RecurrenceSplit {
    const where = 'PoissonLognormalSampler.sample';
    expectInteger(where, 'step', step, 0);
    const m = expectInteger(where, 'meanRecurrence', meanRecurrence, 1);
    const s = Math.min(this.backpropDepth, m);
    const t = Math.max(m - s, 0);
    const mu = Math.log(t + s) - (this.sigma * this.sigma) / 2;
    const random = new StepRandom(this.seed, step);
    const tau = random.logNormal(mu, this.sigma);
    const r = random.poisson(tau) + 1;
    return splitRecurrence(r, s);
  }
}
