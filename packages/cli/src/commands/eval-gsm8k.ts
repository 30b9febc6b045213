import { basename, dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_MAX_NEW_TOKENS,
  GSM8K_VARIANT_NAMES,
  type Gsm8kVariantName,
  PAPER_VARIANT,
  gsm8kVariant,
  type EvaluateProgress,
  TASK_NAMES,
  type TaskName,
  evaluateGsm8k,
  loadGsm8k,
  modelGenerator,
  scoreCompletionsFile,
} from '@rr/eval-gsm8k';
import { loadModel } from '@rr/model';
import { RRError } from '@rr/tensor';
import { type BackendChoice, backendOption, createBackend, formatBackendChoice } from '../backends.js';
import { checkInference } from '../run-limits.js';
import { nonNegativeNumber, positiveInt, positiveIntList } from '../flags.js';
import type { CliIO } from '../program.js';

interface EvalGsm8kFlags {
  model: string;
  data: string;
  out: string;
  variant?: Gsm8kVariantName;
  task?: TaskName;
  shots?: number;
  cue?: boolean;
  fewshot?: string;
  recurrence?: number[];
  limit?: number;
  batch: number;
  maxTokens: number;
  adaptiveExit?: { kl: number };
  seed: number;
  initScale?: number;
  tokenizer?: string;
  backend: string;
  json?: boolean;
}

/** The recurrences a sweep covers when --recurrence is not given (docs/method.md's test-time scaling sweep; r = 1 for a static model). */
const DEFAULT_RECURRENCES = [1, 2, 4, 8, 16, 32];

const taskOption = (): Option => new Option('--task <name>', 'lm-evaluation-harness task').choices([...TASK_NAMES]).default('gsm8k-cot');

/** rr eval gsm8k (the sweep) and rr eval gsm8k score (re-scoring saved completions). */
export function registerEvalCommands(program: Command, io: CliIO): void {
  const evaluate = program.command('eval').description('Evaluate models on benchmarks.');

  // The sweep is gsm8k's default subcommand, so that `rr eval gsm8k --model ...` runs it while
  // `score` keeps its own --task (options on gsm8k itself would swallow score's).
  const gsm8k = evaluate
    .command('gsm8k')
    .description('GSM8K scored exactly as lm-evaluation-harness: a sweep over recurrences (run, the default), or re-scoring saved completions (score).')
    .addHelpText('after', '\nrr eval gsm8k --model DIR --data FILE --out DIR [flags] runs the sweep: see rr eval gsm8k run --help for the flags.\n');

  gsm8k
    .command('run', { isDefault: true })
    .description(
      'Greedy answers at each recurrence, scored as lm-evaluation-harness scores them. Writes samples.jsonl, report.json, accuracy.svg and report.html to --out and prints a Markdown table; rerunning with the same settings resumes.',
    )
    .requiredOption('--model <path>', 'Hugging Face model folder or llama2.c .bin checkpoint')
    .requiredOption('--data <file>', 'GSM8K JSONL, normally the test split')
    .requiredOption('--out <dir>', 'output folder; an existing one is resumed')
    .addOption(
      new Option(
        '--variant <name>',
        `GSM8K variant by its lm-evaluation-harness name (default ${PAPER_VARIANT}, the paper's: gsm8k-cot, 1 shot, the step-by-step cue)`,
      ).choices([...GSM8K_VARIANT_NAMES]),
    )
    .addOption(new Option('--task <name>', "lm-evaluation-harness task, with the harness's defaults for it (instead of --variant)").choices([...TASK_NAMES]))
    .option('--shots <n>', "few-shot exemplars (default: the variant's; 0..8 for gsm8k-cot)", nonNegativeInt)
    .option('--cue', `gsm8k-cot: add "Let's think step by step." after every A:`)
    .option('--no-cue', 'gsm8k-cot: no cue')
    .option('--fewshot <file>', 'gsm8k: the train split the exemplars are drawn from (default: train.jsonl beside --data)')
    .option('--recurrence <list>', `recurrences to evaluate (default: ${DEFAULT_RECURRENCES.join(',')}; 1 for a static model)`, positiveIntList)
    .option('--limit <n>', 'evaluate the first n questions', positiveInt)
    .option('--batch <n>', 'prompts per generation call (logging and resume granularity)', positiveInt, 1)
    .option('--max-tokens <n>', 'new tokens per answer at most', positiveInt, DEFAULT_MAX_NEW_TOKENS)
    .option('--adaptive-exit <kl=x>', 'stop recurring per token once KL between successive steps < x, e.g. kl=5e-4', adaptiveExitFlag)
    .option('--seed <n>', 'initial-state seed', nonNegativeInt, 0)
    .option('--init-scale <x>', 'override the initial-state scale (0 = zeros)', nonNegativeNumber)
    .option('--tokenizer <file>', "tokenizer.json or llama2.c tokenizer .bin (default: the model's own, or beside the checkpoint)")
    .addOption(backendOption())
    .option('--json', 'print report.json instead of the Markdown table')
    .action((o: EvalGsm8kFlags) => evalGsm8kCommand(o, io));

  gsm8k
    .command('score')
    .description(
      'Re-score saved completions without generating: JSONL with "completion" and "target" per line (e.g. samples.jsonl). Prints the extracted answers per line and the accuracy as JSON.',
    )
    .requiredOption('--completions <file>', 'JSONL of completions')
    .addOption(taskOption())
    .action(async (o: { completions: string; task: TaskName }) => {
      io.out(`${JSON.stringify(await scoreCompletionsFile(o.completions, o.task))}\n`);
    });
}

async function evalGsm8kCommand(o: EvalGsm8kFlags, io: CliIO): Promise<void> {
  const samples = await loadGsm8k(o.data);
  const variant = o.variant ?? (o.task === undefined ? PAPER_VARIANT : undefined);
  const task = o.task ?? gsm8kVariant(variant!).task;
  const fewshotPool = task === 'gsm8k' ? await loadGsm8k(o.fewshot ?? join(dirname(o.data), 'train.jsonl')) : undefined;
  let chosen: BackendChoice | undefined;
  const backend = await createBackend(o.backend, {
    onChosen: (c) => {
      chosen = c;
      io.err(formatBackendChoice(c));
    },
  });
  const controller = new AbortController();
  const onSigint = (): void => {
    io.err('\nrr eval gsm8k: interrupted; finishing the batch (rerun the same command to resume)...\n');
    controller.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  try {
    const { model, tokenizer } = loadModel(o.model, backend, o.tokenizer ? { tokenizerPath: o.tokenizer } : {});
    if (!tokenizer)
      throw new RRError('TOKENIZER_MISSING', `${o.model}: no tokenizer found (tokenizer.json, or a llama2.c tokenizer.bin); pass --tokenizer FILE.`);
    const recurrences = o.recurrence ?? (model.isRecurrent ? DEFAULT_RECURRENCES : [1]);
    checkInference({
      model,
      modelPath: o.model,
      positions: o.maxTokens + 1,
      what: `--max-tokens ${o.maxTokens} after a prompt of at least one token`,
      recurrences,
      cachePositions: Math.max(model.config.maxPositionEmbeddings, o.maxTokens + 1),
    });
    if (!model.isRecurrent && o.adaptiveExit) {
      throw new RRError(
        'BAD_FLAG',
        `--adaptive-exit: ${o.model} is a static model (no recurrent block), so there is no recurrence to exit from; drop the flag.`,
      );
    }
    const generator = modelGenerator(model, tokenizer, { seed: o.seed, initScale: o.initScale });
    const tty = process.stderr.isTTY === true;
    const eta = etaClock();
    const result = await evaluateGsm8k({
      generator,
      samples,
      variant,
      task: o.task,
      shots: o.shots,
      cue: o.cue,
      fewshotPool,
      recurrences,
      limit: o.limit,
      batch: o.batch,
      maxNewTokens: o.maxTokens,
      adaptiveExit: o.adaptiveExit,
      generatorSettings: { model: resolve(o.model), seed: o.seed, init_scale: o.initScale ?? null },
      outDir: o.out,
      model: basename(resolve(o.model)),
      signal: controller.signal,
      onProgress: (p) =>
        io.err(
          tty
            ? `\r${progressLine(p, eta(p))}\x1b[K`
            : `${JSON.stringify({ recurrence: p.recurrence, done: p.done, total: p.total, tokens_per_s: p.tokensPerS })}\n`,
        ),
    });
    if (tty) io.err('\r\x1b[K');
    const { truncatedPrompts } = generator.stats();
    if (truncatedPrompts > 0) {
      io.err(
        `rr eval gsm8k: ${truncatedPrompts} prompts were longer than the model's context of ${model.config.maxPositionEmbeddings} positions minus --max-tokens and kept only their end (as lm-evaluation-harness does); fewer --shots avoid that.\n`,
      );
    }
    io.err(`rr eval gsm8k: ${result.generated} answers generated, ${result.resumed} resumed from ${result.files.samples}; report in ${result.files.html}\n`);
    io.out(o.json ? `${JSON.stringify({ ...result.report, backend: chosen!.backend, adapter: chosen!.adapter })}\n` : result.markdown);
  } finally {
    process.off('SIGINT', onSigint);
    backend.destroy();
  }
}

function progressLine(p: EvaluateProgress, etaSeconds: number): string {
  const rate = p.tokensPerS === null ? '-' : p.tokensPerS.toFixed(1);
  return `gsm8k r = ${p.recurrence}: ${p.done}/${p.total} questions, ${rate} tok/s, ETA ${Math.round(etaSeconds)} s for this r`;
}

/**
 * Seconds left at the current recurrence, at this run's pace at it: per recurrence because a larger
 * r is slower per token, and without the resumed questions, which took no time.
 */
function etaClock(): (p: EvaluateProgress) => number {
  let recurrence = -1;
  let since = performance.now();
  let last = since;
  return (p) => {
    const now = performance.now();
    if (p.recurrence !== recurrence) {
      // this recurrence began when the previous one reported its last batch
      recurrence = p.recurrence;
      since = last;
    }
    last = now;
    const generated = p.done - p.resumed;
    return generated > 0 ? ((now - since) / 1000 / generated) * (p.total - p.done) : 0;
  };
}

/** "kl=5e-4" -> { kl: 5e-4 }: the only exit criterion so far, named so others can join. */
function adaptiveExitFlag(value: string): { kl: number } {
  const match = /^kl=(.+)$/.exec(value.trim());
  const kl = match ? Number(match[1]) : Number.NaN;
  if (!(Number.isFinite(kl) && kl > 0)) throw new InvalidArgumentError(`"${value}" is not kl=THRESHOLD with a positive threshold (e.g. kl=5e-4).`);
  return { kl };
}

function nonNegativeInt(value: string): number {
  return value.trim() === '0' ? 0 : positiveInt(value);
}
