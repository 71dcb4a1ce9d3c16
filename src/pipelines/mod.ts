/**
 * The pipelines: the training job (data stages, features, model, run record), opening recorded
 * runs, re-evaluating and reproducing them. Tasks and notebooks call these.
 *
 * @module
 */
export {
  buildTargets,
  fitFeatures,
  prepareData,
  rawInputColumns,
  runTraining,
} from "./training_pipeline.ts";
export type {
  FittedFeatures,
  PreparedData,
  RunMetrics,
  TrainingResult,
  TrainingRunOptions,
} from "./training_pipeline.ts";
export {
  featureMatrixForRun,
  loadRunArtifacts,
  openRunArtifacts,
  targetsForRun,
  transformForRun,
} from "./run_artifacts.ts";
export type { RunArtifacts } from "./run_artifacts.ts";
export { evaluateRun } from "./evaluation.ts";
export type { EvaluateRunOptions, RunEvaluation } from "./evaluation.ts";
export { reproduceRun } from "./reproduce.ts";
export type { Reproduction } from "./reproduce.ts";
export {
  checkDrift,
  openRunForInference,
  predictFile,
  PRODUCTION,
  scoreRows,
} from "./inference_pipeline.ts";
export type {
  PredictFileOptions,
  PredictionSummary,
  RowProblem,
  ScoredRows,
} from "./inference_pipeline.ts";
