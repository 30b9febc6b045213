import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsError, makeDirectory, writeFileAtomically } from '@rr/tensor';

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
  /** Training FLOPs of this step (docs/method.md: 2 D (3 N1 + N2) per micro-batch; static 6 N D). */
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
    makeDirectory(dirname(path), 'run folder');
  }

  write(record: StepMetrics | EvalMetrics | Record<string, unknown>): void {
    try {
      appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    } catch (e) {
      throw fsError(e, this.path, 'append to');
    }
  }

  /**
   * Keeps only the records of steps up to `step` (none when undefined): a resumed run repeats the
   * steps after its checkpoint, and their first lines, written before the stop, must not stay
   * twice. A torn last line (a kill mid-write) goes too. Rewritten atomically.
   */
  truncateAfter(step: number | undefined): void {
    if (!existsSync(this.path)) return;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      throw fsError(e, this.path, 'read');
    }
    const kept = text.split('\n').filter((line) => {
      if (step === undefined || line.trim() === '') return false;
      try {
        const record = JSON.parse(line) as { step?: unknown };
        return typeof record.step === 'number' && record.step <= step;
      } catch {
        return false;
      }
    });
    const out = kept.map((l) => `${l}\n`).join('');
    if (out !== text) writeFileAtomically(this.path, (append) => append(Buffer.from(out, 'utf8')));
  }
}
