/**
 * deno-mlops: the public surface that notebooks, scripts and the tasks import.
 *
 * An explicit list of names, grouped by task: what the notebooks, the README and the
 * `deno task` entry points use. Everything else stays behind its folder's `mod.ts`
 * (`src/models/mod.ts`, `src/viz/mod.ts`, …), which tests and library code import directly.
 * Adding a name is one line in its group.
 *
 * ```ts
 * import { loadConfig, prepareData, runTraining, plotHistogram, show } from "../src/mod.ts";
 * ```
 *
 * @module
 */

// -- Config and logging: load the typed config (files, profile, --set overrides) and set up logs.
export { loadConfig } from "./config/mod.ts";
export type { LoadConfigOptions } from "./config/mod.ts";
export type { LoadedConfig } from "./config/mod.ts";
export type { ModelConfig } from "./config/mod.ts";
export { captureLogs } from "./utils/mod.ts";
export { setupLogging } from "./utils/mod.ts";

// -- Data: load, validate, clean and split a dataset; check incoming data for drift.
export { checkDrift } from "./pipelines/mod.ts";
export { prepareData } from "./pipelines/mod.ts";
export { cleanFrame } from "./data/mod.ts";
export { formatCleaningReport } from "./data/mod.ts";
export { formatDriftSummary } from "./data/mod.ts";
export { formatValidationReport } from "./data/mod.ts";
export { loadDataset } from "./data/mod.ts";
export { pullDatasets } from "./data/mod.ts";
export { readManifest } from "./data/mod.ts";
export { proposalToYaml } from "./data/mod.ts";
export { proposeProfile } from "./data/mod.ts";
export { proposeProfileForFile } from "./data/mod.ts";
export { validate } from "./data/mod.ts";
export type { CleaningReport } from "./data/mod.ts";

// -- Features: derived features, fitted transformers and selection.
export { addDerivedFeatures } from "./features/mod.ts";
export { FeaturePipeline } from "./features/mod.ts";
export { FeatureSelector } from "./features/mod.ts";
export { fitFeatures } from "./pipelines/mod.ts";
export type { DerivedFeature } from "./config/mod.ts";

// -- Models and training: create, fit and evaluate a model; train and record a run; search.
export { createProgressReporter } from "./models/mod.ts";
export { evaluateSplits } from "./pipelines/mod.ts";
export { fitModel } from "./pipelines/mod.ts";
export { initBackend } from "./models/mod.ts";
export { metricValue } from "./models/mod.ts";
export { formatTrialParams } from "./pipelines/mod.ts";
export { runStudy } from "./pipelines/mod.ts";
export { runTraining } from "./pipelines/mod.ts";
export { SEARCH_STRATEGIES } from "./pipelines/mod.ts";
export type { SearchStrategy } from "./pipelines/mod.ts";
export type { StudyResult } from "./pipelines/mod.ts";
export type { TrialResult } from "./pipelines/mod.ts";
export { Random } from "./utils/mod.ts";
export { rocCurve } from "./utils/mod.ts";
export type { RocCurve } from "./utils/mod.ts";

// -- The pipeline as nodes: what a run would take from the stage cache, and its graph.
export { pipelineGraph } from "./pipelines/mod.ts";
export { pipelineStatus } from "./pipelines/mod.ts";
export { runPipeline } from "./pipelines/mod.ts";
export { TRAINING_NODES } from "./pipelines/mod.ts";
export type { Lineage } from "./pipelines/mod.ts";
// -- Runs and registry: list, compare, evaluate, reproduce, report, promote and roll back runs.
export { checkPromotionGate } from "./models/mod.ts";
export { compareRuns } from "./models/mod.ts";
export { listRuns } from "./models/mod.ts";
export { profileName } from "./models/mod.ts";
export { projectProductionDir } from "./models/mod.ts";
export { promoteRun } from "./models/mod.ts";
export { readProduction } from "./models/mod.ts";
export { readProductionPointer } from "./models/mod.ts";
export { readRunMetrics } from "./models/mod.ts";
export { rollbackProduction } from "./models/mod.ts";
export type { ProductionPointer } from "./models/mod.ts";
export type { PromotionResult } from "./models/mod.ts";
export type { RunComparison } from "./models/mod.ts";
export type { RunRecord } from "./models/mod.ts";
export type { RunSummary } from "./models/mod.ts";
export { evaluateRun } from "./pipelines/mod.ts";
export { reproduceRun } from "./pipelines/mod.ts";
export { writeRunReport } from "./pipelines/mod.ts";
export { writeRunsPage } from "./pipelines/mod.ts";

// -- Prediction and serving: open a run (or production) for inference and score a file.
export { openRun } from "./pipelines/mod.ts";
export { predictFile } from "./pipelines/mod.ts";
export { PRODUCTION } from "./pipelines/mod.ts";

// -- Charts: vega-lite specs for data and results (show them with `show`).
export { plotBox } from "./viz/mod.ts";
export { plotConfusionMatrix } from "./viz/mod.ts";
export { plotCorrelation } from "./viz/mod.ts";
export { plotCounts } from "./viz/mod.ts";
export { plotFeatureScores } from "./viz/mod.ts";
export { plotHistogram } from "./viz/mod.ts";
export { plotLearningCurves } from "./viz/mod.ts";
export { plotMissingValues } from "./viz/mod.ts";
export { plotPairGrid } from "./viz/mod.ts";
export { plotRocCurves } from "./viz/mod.ts";
export { plotRunComparison } from "./viz/mod.ts";
export { plotScatter } from "./viz/mod.ts";
export { plotTargetOverTime } from "./viz/mod.ts";
export { trainingObjective } from "./viz/mod.ts";
export { trainingStepName } from "./models/mod.ts";
// The theme's primary colour, for marks a notebook cell draws itself.
export { PRIMARY } from "./viz/mod.ts";
export type { RunMetric } from "./viz/mod.ts";

// -- Notebook helpers: display, live training curves, reloading src/, and the headless runner.
export { checkNotebookParameters } from "./notebook/mod.ts";
export { columnRoles } from "./notebook/mod.ts";
export { rankNumericColumns } from "./notebook/mod.ts";
export { ratioCandidates } from "./notebook/mod.ts";
export { rowsWithMissing } from "./notebook/mod.ts";
export { targetByCategory } from "./notebook/mod.ts";
export { targetBySplit } from "./notebook/mod.ts";
export { plotTestResults } from "./notebook/mod.ts";
export { formatJson } from "./notebook/mod.ts";
export { liveTrainingDisplay } from "./notebook/mod.ts";
export { parseParameterArgs } from "./notebook/mod.ts";
export { readNotebookParameters } from "./notebook/mod.ts";
export { reloadSrc } from "./notebook/mod.ts";
export { resolveNotebooks } from "./notebook/mod.ts";
export { runNotebook } from "./notebook/mod.ts";
export { show } from "./notebook/mod.ts";
export { showRun } from "./notebook/mod.ts";
export { showTable } from "./notebook/mod.ts";
export type { NotebookResult } from "./notebook/mod.ts";

// -- Errors: the typed errors callers can handle, each message saying how to fix it.
export { ArtifactError } from "./errors.ts";
export { ConfigError } from "./errors.ts";
export { DataValidationError } from "./errors.ts";
export { didYouMean } from "./errors.ts";
export { NotFittedError } from "./errors.ts";
export { SchemaMismatchError } from "./errors.ts";
