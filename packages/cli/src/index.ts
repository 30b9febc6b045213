export { run, buildProgram } from './program.js';
export { benchBlock, blockStepFlops, type BlockBenchConfig, type BlockBenchReport } from './commands/bench-block.js';
export { benchMatmul, type MatmulBenchResult, type MatmulBenchReport } from './commands/bench-matmul.js';
export { createBackend, BACKENDS } from './backends.js';
