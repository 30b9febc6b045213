import type { Command } from 'commander';
import { type EvalMetrics, type StepMetrics, formatFlops, loadRecipe, runRecipe } from '@rr/train';
import { type BackendChoice, backendOption, createBackend, formatBackendChoice } from '../backends.js';
import { availableMemory } from '../run-limits.js';
import type { CliIO } from '../program.js';

/** rr train: runs a recipe with progress on a TTY (JSON lines otherwise); SIGINT checkpoints and stops. */
export function registerTrainCommands(program: Command, io: CliIO): void {
  program
    .command('train')
    .description('Post-train a (retrofitted) model from a JSON recipe; checkpoints every N steps and on Ctrl-C.')
    .requiredOption('--recipe <file>', 'recipe JSON (see @rr/train README)')
    .option('--resume', "continue from the run folder's latest checkpoint")
    .option('--force', 'start over in a run folder that already holds a run (its checkpoints and metrics are deleted)')
    .addOption(backendOption())
    .option('--json', 'print metrics as JSON lines (the default when stdout is not a TTY)')
    .action(async (o: { recipe: string; resume?: boolean; force?: boolean; backend: string; json?: boolean }) => {
      const recipe = loadRecipe(o.recipe);
      let chosen: BackendChoice | undefined;
      const backend = await createBackend(o.backend, {
        onChosen: (c) => {
          chosen = c;
          io.err(formatBackendChoice(c));
        },
      });
      const controller = new AbortController();
      const onSigint = (): void => {
        io.err('\nrr train: interrupted; finishing the step and writing a checkpoint (Ctrl-C again to abandon it)...\n');
        controller.abort();
        process.off('SIGINT', onSigint);
      };
      process.on('SIGINT', onSigint);
      const json = o.json || !process.stdout.isTTY;
      const started = performance.now();
      try {
        const summary = await runRecipe(recipe, {
          backend,
          resume: o.resume,
          force: o.force,
          memoryBytes: availableMemory(),
          signal: controller.signal,
          onStep: (m, total) => (json ? io.out(`${JSON.stringify(m)}\n`) : io.err(`\r${progressLine(m, total, started)}\x1b[K`)),
          onEval: (m) => (json ? io.out(`${JSON.stringify(m)}\n`) : io.err(`\n${evalLine(m)}\n`)),
        });
        if (!json) io.err('\n');
        if (!json)
          for (const m of summary.mix)
            io.err(
              `data mix [${m.phase}]: ${m.sources.map((s) => `${s.source} ${(s.documentShare * 100).toFixed(1)}% of documents (asked ${(s.weight * 100).toFixed(1)}%), ${(s.tokenShare * 100).toFixed(1)}% of tokens`).join('; ')}\n`,
            );
        const done = {
          done: !summary.interrupted,
          steps: summary.steps,
          last_loss: summary.lastLoss,
          flops: summary.flops,
          model: summary.modelDir,
          out: recipe.out,
          backend: chosen!.backend,
          adapter: chosen!.adapter,
          data_mix: summary.mix,
        };
        if (!json) io.err(`training FLOPs: ${formatFlops(summary.flops)} (docs/method.md's accounting, the whole run)\n`);
        io.out(
          json
            ? `${JSON.stringify(done)}\n`
            : summary.interrupted
              ? `stopped; resume with: rr train --recipe ${o.recipe} --resume\n`
              : `trained model: ${summary.modelDir}\n`,
        );
      } finally {
        process.off('SIGINT', onSigint);
        backend.destroy();
      }
    });
}

function progressLine(m: StepMetrics, total: number, started: number): string {
  const elapsed = (performance.now() - started) / 1000;
  const eta = (elapsed / Math.max(1, m.step)) * (total - m.step);
  return `step ${m.step}/${total} [${m.phase}] loss ${m.loss.toFixed(4)} r ${m.r.join(',')} (m ${m.mean_recurrence}) lr x${m.lr_scale.toFixed(3)} |g| ${m.grad_norm.toFixed(3)} FLOPs ${formatFlops(m.total_flops)} ${m.tokens_per_s.toFixed(0)} tok/s ETA ${eta.toFixed(0)}s`;
}

function evalLine(m: EvalMetrics): string {
  return `eval step ${m.step} [${m.phase}] held-out loss ${m.eval_loss.toFixed(4)} at r = ${m.recurrence}`;
}
