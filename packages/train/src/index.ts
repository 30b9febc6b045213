export { type DataSource, type Document, readDocuments, formatOf, checkSource, sourceFiles } from './data/documents.js';
export { TokenPacker, type DataPosition, type PackedRows, type PackerOptions, type MixShare, type MixBy, type StreamPosition, START } from './data/packer.js';
export { MixSchedule } from './data/mix-schedule.js';
export { Trainer, evaluateLoss, type TrainerOptions, type BatchSource } from './trainer.js';
export type { Schedule } from '@rr/curriculum';
export { type StepMetrics, type EvalMetrics, MetricsLog } from './metrics.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  loadLatestCheckpoint,
  listCheckpoints,
  type TrainerState,
  type LoadedCheckpoint,
  type HostTensor,
} from './checkpoint.js';
export { recipeSchema, loadRecipe, parseRecipe, type Recipe, type PhaseRecipe } from './recipe.js';
export { runRecipe, type RunOptions, type RunSummary, EVAL_RECURRENCES } from './run-recipe.js';
export { partParams, trainingFlops, stepsForBudget, formatFlops, type PartParams, type FlopsCountable } from './flops.js';
