import { type Backend, RRError, type Rng, type Tensor, keep } from '@rr/tensor';

/**
 * The adapter maps concat([s, e]) (2h) to h; stored [h, 2h] like every Linear weight.
 * - default: uniform(-1/sqrt(2h), 1/sqrt(2h)), PyTorch's Linear init, as the reference code leaves it
 * - state:   [I | 0], x = s
 * - embed:   [0 | I], x = e (with s0 = 0 and r = 1 the retrofitted model equals the pruned static one)
 * - sum:     [I | I], x = s + e (the paper's "Add" ablation)
 */
export const ADAPTER_INITS = ['default', 'state', 'embed', 'sum'] as const;
export type AdapterInit = (typeof ADAPTER_INITS)[number];

export function initAdapter(kind: AdapterInit, hidden: number, backend: Backend, options: { dtype: 'f32' | 'f64'; rng: Rng }): Tensor {
  const w = new Float64Array(hidden * 2 * hidden);
  const identityAt = (column: number): void => {
    for (let i = 0; i < hidden; i++) w[i * 2 * hidden + column + i] = 1;
  };
  switch (kind) {
    case 'default': {
      const bound = 1 / Math.sqrt(2 * hidden);
      options.rng.fillUniform(w, -bound, bound);
      break;
    }
    case 'state':
      identityAt(0);
      break;
    case 'embed':
      identityAt(hidden);
      break;
    case 'sum':
      identityAt(0);
      identityAt(hidden);
      break;
    default:
      throw new RRError('BAD_ADAPTER_INIT', `adapter init ${JSON.stringify(kind)} is unknown; use one of ${ADAPTER_INITS.join(', ')}.`);
  }
  return keep(backend.upload(w, [hidden, 2 * hidden], options.dtype));
}
