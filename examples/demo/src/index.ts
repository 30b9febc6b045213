export { type DemoConfig, DEMO_CONFIG, TINY_CONFIG } from './config.js';
export { type DemoResult, type DemoRow, type RunDemoOptions, runDemo, makeModelConfig } from './demo.js';
export { renderDemoTable } from './table.js';
export {
  type WalkProblem,
  type WalkOptions,
  type SplitOptions,
  walkProblem,
  makeSplits,
  trainingText,
  TRAINING_PROMPT,
  TRAINING_COMPLETION,
  WALK_ALPHABET,
  WALK_MIN,
  WALK_MAX,
} from './task.js';
export { main } from './cli.js';
export { type ParsedOptions, parseCommandLine } from './args.js';
export { type Series, type ChartSpec, PALETTE, renderLineChart, wrapText } from './chart.js';
export { type Heuristic, heuristics, bestHeuristic, heuristicAccuracy } from './heuristics.js';
export { hardestGain } from './table.js';
