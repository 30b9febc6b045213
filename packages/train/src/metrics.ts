import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** One optimizer step's numbers, as written to metrics.jsonl. */
export interface StepMetrics {
  step: number;
  phase: string;
  loss: number;
  lr_scale: number;
  mean_recurrence: number;
  /** Recurrence of each micro-batch (n + k). */
  r: number[];
  grad_norm: number;
  /** Training FLOPs of this step (METHOD.md: 2 D (3 N1 + N2) per micro-batch; static 6 N D). */
  flops: number;
  /** Training FLOPs so far: the phase's in a Trainer, the whole run's in runRecipe's metrics. */
  total_flops: number;
  tokens_per_s: number;
  elapsed_s: number;
}

export interface EvalMetrics {
  step: number;
  phase: string;
  eval_loss: number;
  recurrence: number;
}

/** Appends JSON lines (one write per line: a crash loses at most the line being written). */
export class MetricsLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  write(record: StepMetrics | EvalMetrics | Record<string, unknown>): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }
}
