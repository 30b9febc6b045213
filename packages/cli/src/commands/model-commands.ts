import { type Command, Option } from 'commander';
import { ADAPTER_INITS } from '@rr/surgery';
import { backendOption, formatBackendChoice } from '../backends.js';
import type { CliIO } from '../program.js';
import { nonNegativeNumber, positiveInt, tokenList } from '../flags.js';
import { forwardCommand } from './forward.js';
import { generateCommand } from './generate.js';
import { formatSurgeryReport, surgeryCommand } from './surgery.js';

/** rr surgery / generate / forward. */
export function registerModelCommands(program: Command, io: CliIO): void {
  const out = io.out;
  const onBackend = (c: Parameters<typeof formatBackendChoice>[0]): void => io.err(formatBackendChoice(c));
  program
    .command('surgery')
    .description('Retrofit a pretrained model into a recurrent one: prelude, recurrent block, coda.')
    .requiredOption('--model <path>', 'Hugging Face model folder or llama2.c .bin checkpoint')
    .requiredOption('--plan <plan>', 'P,R,C (e.g. 4,8,4) or explicit lists prelude/block/coda (e.g. 0-3/10-17/18-21)')
    .requiredOption('--out <dir>', 'output folder (written atomically)')
    .addOption(new Option('--adapter-init <kind>', 'adapter initialisation').choices([...ADAPTER_INITS]).default('default'))
    .option('--init-scale <x>', 'scale of the initial-state std (0 = zeros)', nonNegativeNumber, 1)
    .option('--seed <n>', 'seed of the adapter init', positiveIntOrZero, 0)
    .option('--tokenizer <file>', "tokenizer.json or llama2.c tokenizer .bin (default: the model's own, or beside the checkpoint)")
    .addOption(
      new Option(
        '--format <layout>',
        "folder layout: rr (Hugging Face names + an rr section) or huginn (the authors' RavenForCausalLM release format, for their PyTorch code)",
      )
        .choices(['rr', 'huginn'])
        .default('rr'),
    )
    .option('--force', 'replace an existing output folder')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      const report = await surgeryCommand(o);
      out(o.json ? `${JSON.stringify(report)}\n` : formatSurgeryReport(report));
    });

  program
    .command('generate')
    .description('Generate text from a prompt (greedy by default) at a chosen recurrence.')
    .requiredOption('--model <path>', 'model folder or llama2.c .bin')
    .addOption(backendOption())
    .option('--prompt <text>', 'prompt text (BOS is added)', '')
    .option('--max-tokens <n>', 'new tokens at most', positiveInt, 128)
    .option('--recurrence <r>', 'recurrence r (recurrent models)', positiveInt, 1)
    .option('--temperature <t>', '0 = greedy', nonNegativeNumber, 0)
    .option('--seed <n>', 'sampling and initial-state seed', positiveIntOrZero, 0)
    .option('--init-scale <x>', 'override the initial-state scale (0 = zeros)', nonNegativeNumber)
    .option('--stop <text...>', 'stop strings')
    .option('--no-cache', 'recompute the prefix for every token (no KV cache)')
    .option('--tokenizer <file>', "tokenizer.json or llama2.c tokenizer .bin (default: the model's own)")
    .option('--allow-extrapolation', "allow prompt + new tokens beyond the model's max_position_embeddings")
    .option('--json', 'print {"text","tokens","stoppedBy","tokensPerSecond","backend","adapter"}')
    .action(async (o) => {
      const stream = !o.json && process.stdout.isTTY;
      const result = await generateCommand({ ...o, maxTokens: o.maxTokens, stop: o.stop ?? [], onToken: stream ? (t) => out(t) : undefined, onBackend });
      if (o.json) out(`${JSON.stringify(result)}\n`);
      else if (stream) out('\n');
      else out(`${result.text}\n`);
    });

  program
    .command('forward')
    .description('Print the logits of the last position for given token ids (debugging and parity).')
    .requiredOption('--model <path>', 'model folder or llama2.c .bin')
    .requiredOption('--tokens <ids>', 'comma-separated token ids, e.g. 1,403,407', tokenList)
    .addOption(backendOption())
    .option('--recurrence <r>', 'recurrence r', positiveInt, 1)
    .option('--init-scale <x>', 'initial-state scale (0 = zeros, deterministic)', nonNegativeNumber)
    .option('--tokenizer <file>', "tokenizer.json or llama2.c tokenizer .bin (default: the model's own)")
    .option('--allow-extrapolation', "allow more tokens than the model's max_position_embeddings")
    .option('--json', 'print {"logits": [...], "backend", "adapter"}')
    .action(async (o) => {
      const { logits, backend, adapter } = await forwardCommand({ ...o, onBackend });
      if (o.json) out(`${JSON.stringify({ logits, backend, adapter })}\n`);
      else {
        const top = logits
          .map((v, i) => [v, i] as const)
          .sort((a, b) => b[0] - a[0])
          .slice(0, 10);
        out(`${logits.length} logits; top 10:\n${top.map(([v, i]) => `  ${String(i).padStart(6)} ${v.toFixed(5)}`).join('\n')}\n`);
      }
    });
}

function positiveIntOrZero(value: string): number {
  return value === '0' ? 0 : positiveInt(value);
}
