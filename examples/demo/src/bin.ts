#!/usr/bin/env node
// `pnpm demo`: the command line of the demo (src/cli.ts holds it, importable for tests).
import { main } from './cli.js';

process.exitCode = await main();
