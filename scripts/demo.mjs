#!/usr/bin/env node
// `pnpm demo`: the retrofitted-recurrence demo (examples/demo): pretrain a small Llama on a task
// where depth matters, retrofit it, post-train it with the recurrence curriculum and Muon, and
// sweep test-time recurrence with the GSM8K harness. Arguments pass through (`pnpm demo --help`).
import { existsSync } from 'node:fs';

const entry = new URL('../examples/demo/dist/index.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('rr demo: examples/demo is not built; run ./scripts/setup.sh (or pnpm build) first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
