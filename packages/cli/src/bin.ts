#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { run } from './program.js';
import { exitWithParent, parentStderrIsTTY, runFilteredChild, wantsFilteredChild } from './stderr-filter.js';

const argv = process.argv.slice(2);
if (wantsFilteredChild(argv)) {
  process.exitCode = await runFilteredChild(fileURLToPath(import.meta.url), argv);
} else {
  // in the filtered child stderr is a pipe to the parent: progress lines follow the parent's terminal
  exitWithParent();
  const tty = parentStderrIsTTY();
  if (tty !== undefined) Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true });
  process.exitCode = await run(argv);
}
