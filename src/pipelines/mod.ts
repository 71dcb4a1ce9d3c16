/**
 * The pipelines: the training job (data stages, features, model, run record), opening recorded
 * runs, re-evaluating and reproducing them, and the jobs of the work queue (study trials and
 * prediction partitions run by `deno task worker`). Tasks and notebooks call these.
 *
 * @module
 */
export { prepareData, runTraining, STAGE_CACHE_DIR } from "./training_pipeline.ts";
export type {
  PrepareDataOptions,
  PreparedData,
  TrainingResult,
  TrainingRunOptions,
} from "./training_pipeline.ts";
export {
  buildTargets,
  codeVersion,
  configSlice,
  DATASETS,
  defineNode,
  evaluateSplits,
  fitFeatures,
  fitModel,
  nodesToRun,
  orderNodes,
  pipelineGraph,
  pipelineStatus,
  planPipeline,
  rawInputColumns,
  runPipeline,
  TRAINING_NODES,
} from "./nodes/mod.ts";
export type {
  DatasetName,
  Datasets,
  FitModelOptions,
  FittedFeatures,
  Lineage,
  NodeContext,
  NodeLineage,
  PipelineNode,
  PipelineResult,
  PipelineStatusOptions,
  PlannedNode,
  RunMetrics,
  RunPipelineOptions,
} from "./nodes/mod.ts";
export { CACHE_ENTRY_FILE, listCacheEntries, pruneCache } from "./cache/mod.ts";
export type {
  CacheEntry,
  CacheEntrySummary,
  PruneCacheOptions,
  PruneCacheResult,
} from "./cache/mod.ts";
export { cacheKeysInUse } from "./cache_usage.ts";
export type { CacheUsage } from "./cache_usage.ts";
export {
  featureMatrixForRun,
  loadRunArtifacts,
  openRun,
  PRODUCTION,
  targetsForRun,
  transformForRun,
} from "./run_artifacts.ts";
export type { RunArtifacts, RunLocations } from "./run_artifacts.ts";
export { evaluateRun } from "./evaluation.ts";
export { DEFAULT_EXPORT_RUN_SPLIT_OPTIONS, exportRunSplit, SPLITS_DIR } from "./split_export.ts";
export type { ExportRunSplitOptions, RunSplitExport } from "./split_export.ts";
export type { EvaluateRunOptions, RunEvaluation } from "./evaluation.ts";
export { reproduceRun } from "./reproduce.ts";
export type { Reproduction } from "./reproduce.ts";
export {
  buildRunReport,
  buildRunsPage,
  collectRunsPage,
  DEFAULT_RUN_REPORT_OPTIONS,
  DEFAULT_RUNS_PAGE_OPTIONS,
  DEFAULT_WRITE_RUN_REPORT_OPTIONS,
  DEFAULT_WRITE_RUNS_PAGE_OPTIONS,
  loadRunReportInput,
  RUNS_PAGE_TRAINING_KEYS,
  writeRunReport,
  writeRunsPage,
} from "./report.ts";
export type {
  MetricsBySplit,
  RunReportInput,
  RunReportOptions,
  RunReports,
  RunsPageInput,
  RunsPageOptions,
  RunsPageRun,
  RunsPageStudy,
  WriteRunReportOptions,
  WriteRunsPageOptions,
  WrittenRunReport,
} from "./report.ts";
export { checkDrift, parsePartition, predictFile, scoreRows } from "./inference_pipeline.ts";
export { predictOnQueue } from "./queue_predict.ts";
export type { PredictOnQueueOptions } from "./queue_predict.ts";
export { runQueueWorker } from "./queue_worker.ts";
export type { QueueWorkerOptions } from "./queue_worker.ts";
export { QUEUE_CODE_FOLDERS, QUEUE_PROTOCOL_VERSION, queueCodeVersion } from "./queue_jobs.ts";
export { driftOfColumns } from "./drift_of_columns.ts";
export type {
  InputPartition,
  PredictFileOptions,
  PredictionSummary,
  RowProblem,
  ScoredRows,
} from "./inference_pipeline.ts";
export {
  applyTrialParams,
  BEST_CONFIG_FILE,
  CLASSIFICATION_ONLY_SEARCH_KEYS,
  createStudyId,
  crossValidate,
  DEFAULT_CROSS_VALIDATE_OPTIONS,
  DEFAULT_RANDOM_TRIALS,
  DEFAULT_RUN_STUDY_OPTIONS,
  DEFAULT_SAMPLE_TRIALS_OPTIONS,
  FAMILY_KEY,
  familyTrialParams,
  formatTrialParams,
  listStudyIds,
  MAX_GRID_TRIALS,
  rankTrials,
  readStudy,
  runStudy,
  sampleTrials,
  SEARCH_STRATEGIES,
  searchSpaceForTask,
  STUDY_FILE,
  STUDY_FORMAT_VERSION,
} from "./tune/mod.ts";
export type {
  CrossValidateOptions,
  CrossValidation,
  IgnoredTrialParam,
  RunStudyOptions,
  SampleTrialsOptions,
  SearchSpace,
  SearchStrategy,
  StudyProgress,
  StudyRecord,
  StudyResult,
  StudyStatus,
  TrialResult,
  TrialSpec,
} from "./tune/mod.ts";
export {
  describeInputKind,
  labelsFromProbabilities,
  MAX_RANGE_MULTIPLE,
  refusalLimits,
  tooFarProblem,
  trainingRange,
} from "./scoring_rules.ts";
export type { LabelledProbabilities } from "./scoring_rules.ts";
export {
  columnsToFrame,
  compileRowScorer,
  DEFAULT_COMPILE_ROW_SCORER_OPTIONS,
  rowsToColumns,
  rowsToFrame,
} from "./row_scorer.ts";
export type {
  CompileRowScorerOptions,
  RowFallback,
  RowPredictions,
  RowScoreOutcome,
  RowScorer,
  RowScores,
} from "./row_scorer.ts";
