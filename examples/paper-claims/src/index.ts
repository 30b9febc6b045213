export { type ClaimResult, type SeedResult, type SuiteResult, VARIANTS, type Variant, runSeed, runSuite, verdicts, lossSpikes } from './claims.js';
export { FULL_SCALE, TINY_SCALE, type Scale } from './scale.js';
export { type Summary, type Verdict, greaterThan, summarize } from './verdict.js';
export { renderClaimsHtml, writeClaimsReport } from './report.js';
export { accuracyByRecurrence, adaptiveExit, digitLogProbs, postTrain, pretrain } from './pipeline.js';
export { main } from './cli.js';
