/**
 * Every optimizer constant of docs/method.md section 2 in one place, so that a reader can check them
 * against the method in one glance and a recipe can override them by name.
 */

/** Muon: every matrix except embeddings and the LM head. */
export const MUON_DEFAULTS = {
  lr: 1e-3,
  weightDecay: 1e-4,
  momentum: 0.95,
  nesterov: true,
  newtonSchulzSteps: 5,
  updateScale: 'aspect-ratio',
} as const;

/** (a, b, c) of the quintic Newton-Schulz iteration X <- a X + (b A + c A^2) X, A = X X^T. */
export const NEWTON_SCHULZ_COEFFICIENTS = [3.4445, -4.775, 2.0315] as const;

/** Added to the Frobenius norm before Newton-Schulz divides by it (a zero gradient stays zero). */
export const NEWTON_SCHULZ_EPS = 1e-7;

/**
 * AdamW for the rest (embeddings, LM head, norms, biases) when training with Muon. The AdamW-only
 * baseline of the paper uses eps 1e-8 instead of 1e-10 (pass it explicitly).
 */
export const ADAMW_DEFAULTS = {
  lr: 5e-5,
  betas: [0.9, 0.95] as const,
  eps: 1e-10,
  weightDecay: 1e-4,
} as const;

/** Global gradient-norm clipping threshold. */
export const GRAD_CLIP_MAX_NORM = 1.0;

/** Warmup-stable-decay: the learning rate starts and ends at this fraction of its peak. */
export const WSD_MIN_FACTOR = 0.001;
