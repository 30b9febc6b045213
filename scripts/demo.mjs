#!/usr/bin/env node
// `pnpm demo`. The retrofitted-recurrence demo (pretrain, surgery, curriculum post-training,
// GSM8K-style sweep) is not built yet; until it lands this runs the CPU matmul benchmark, the
// foundation everything else stands on.
import { run } from '../packages/cli/dist/index.js';

console.log('rr demo: the end-to-end recurrence demo is not built yet; running the CPU matmul benchmark instead.\n');
process.exitCode = await run(['bench', 'matmul', '--backend', 'cpu', '--sizes', '256,512,1024']);
