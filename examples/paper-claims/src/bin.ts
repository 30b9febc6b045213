#!/usr/bin/env node
// `pnpm claims`: the command line of the claims suite (src/cli.ts holds it, importable for tests).
import { main } from './cli.js';

process.exitCode = await main();
