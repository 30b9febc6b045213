/**
 * @rr/tensor/testing: the backend conformance suite and the tools it is built from, for any
 * package that implements or checks a Backend. `vitest` is an optional peer dependency needed
 * only by `defineBackendConformance`.
 */
export { defineBackendConformance, defaultTolerance, unavailableOutcome, type ConformanceOptions, type Tolerance } from './conformance.js';
export { conformanceCases, llamaBlockCase, tinyLanguageModelCase, type ConformanceCase, type BackwardCheck } from './cases.js';
export { checkForward, checkBackward, uploadInputs, type CaseOpSets, type ForwardReport, type BackwardReport } from './check-case.js';
export * as reference from './reference.js';
export { refTensor, type RefTensor } from './reference.js';
export { tensorOps, referenceOps, type OpSet } from './op-set.js';
export { finiteDifferenceGradient, finiteDifferenceGradientAsync, directionalDerivative, type FiniteDifferenceOptions } from './finite-difference.js';
export { relativeError } from './relative-error.js';
export * from './inputs.js';
export * from './llama-block.js';
export {
  fixturesDir,
  fixture,
  missingFixtures,
  fixturesOutcome,
  describeWithFixtures,
  itWithFixtures,
  FIXTURES_MISSING,
  sharedDataDir,
  SHARED_DATA_MISSING,
} from './fixtures.js';
