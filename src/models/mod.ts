/**
 * Models: the tfjs backend (wasm with a faster BatchMatMul, cpu fallback), the model families
 * (`mlp`, `linear`, `baseline`, `gbdt`, `random_forest`, registered in `families/`; the trees in `trees/`) behind one `BaseModel` interface, the project's own seeded
 * training loop with early stopping and class weights, progress reporting, and model files.
 *
 * @module
 */
export {
  BACKEND_NAMES,
  DEFAULT_INIT_BACKEND_OPTIONS,
  ensureBackend,
  findWasmDirectory,
  initBackend,
  installBatchMatMulPatch,
  isBatchMatMulPatched,
  removeBatchMatMulPatch,
} from "./backend.ts";
export type { BackendName, InitBackendOptions } from "./backend.ts";
export { argmaxRows, BaseModel, DEFAULT_PREDICT_OPTIONS, MODEL_TASKS } from "./base_model.ts";
export type { ModelFamily, ModelTask, PredictOptions, Targets } from "./base_model.ts";
export {
  ACTIVATIONS,
  DEFAULT_MLP_OPTIONS,
  DenseNetworkModel,
  MLP_PARAMS,
  MlpModel,
} from "./mlp.ts";
export type { Activation, DenseNetworkSpec, MlpOptions, MlpParams } from "./mlp.ts";
export {
  DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS,
  DENSE_KERNEL_API_VERSION,
  DenseForwardKernel,
  DenseTrainKernel,
  KERNEL_ACTIVATIONS,
  KERNEL_BLOCK_ROWS,
  planDenseNetwork,
  TRAIN_KERNEL_ACTIVATIONS,
} from "./kernels/mod.ts";
export type {
  DenseForwardKernelOptions,
  DenseKernelLayer,
  DenseKernelPlan,
  DensePlanResult,
  DenseTrainKernelOptions,
  DenseTrainShape,
  KernelActivation,
  KernelOptimizerName,
  TrainKernelActivation,
} from "./kernels/mod.ts";
export { DEFAULT_LINEAR_OPTIONS, LINEAR_PARAMS, LinearModel } from "./linear.ts";
export type { LinearOptions, LinearParams } from "./linear.ts";
export { BASELINE_PARAMS, BaselineModel, DEFAULT_BASELINE_OPTIONS } from "./baseline.ts";
export type { BaselineOptions, BaselineParams } from "./baseline.ts";
export { GBDT_PARAMS, GbdtModel, treeFeatureImportance } from "./trees/mod.ts";
export type { GbdtOptions, GbdtParams, TreeFeatureImportance } from "./trees/mod.ts";
export { RANDOM_FOREST_PARAMS, RandomForestModel } from "./trees/mod.ts";
export type { OutOfBagScore, RandomForestOptions, RandomForestParams } from "./trees/mod.ts";
export {
  hasModelFamily,
  modelFamily,
  modelFamilyNames,
  registerModelFamily,
} from "./families/mod.ts";
export type { ModelFamilyEntry, ModelFamilyOptions } from "./families/mod.ts";
export { PromotionRefusedError, RegistryLockedError, TrainingDivergedError } from "../errors.ts";
export type { LockHolder } from "../errors.ts";
export { createModel, DEFAULT_CREATE_MODEL_OPTIONS, loadModel } from "./factory.ts";
export type { CreateModelOptions } from "./factory.ts";
export {
  balancedClassWeights,
  classWeightsFromConfig,
  DEFAULT_FIT_OPTIONS,
  drawDropoutMask,
  evaluateNetwork,
  evaluateNetworkRows,
  fitOptionsFromConfig,
  kernelsCannotTrain,
  OPTIMIZER_NAMES,
  TRAINING_ENGINES,
  trainNetwork,
} from "./train.ts";
export type {
  BatchLogs,
  DenseLayerVariables,
  DropoutMasks,
  EarlyStoppingOptions,
  EpochLogs,
  FitOptions,
  NetworkFitOptions,
  OptimizerName,
  TrainableNetwork,
  TrainBeginInfo,
  TrainingCallbacks,
  TrainingEngineName,
  TrainingHistory,
  TrainingMetricName,
} from "./train.ts";
export {
  createProgressReporter,
  DEFAULT_PROGRESS_REPORTER_OPTIONS,
  formatDuration,
} from "./progress.ts";
export type { ProgressReporterOptions } from "./progress.ts";
export {
  fileSystemHandler,
  MODEL_ARTIFACT_VERSION,
  MODEL_FILES,
  readModelParams,
  writeModelParams,
} from "./storage.ts";
export type { ModelParams } from "./storage.ts";
// -- evaluate, predict and registry (exports added below this line)
export { evaluateModel, evaluateModelRows, metricValue } from "./evaluate.ts";
export {
  DEFAULT_WINDOW_ROWS,
  isRowSource,
  matrixRowSource,
  rowFileSource,
  RowFileWriter,
  sliceMatrix,
  sliceTargets,
} from "./row_source.ts";
export type { RowFile, RowSource } from "./row_source.ts";
export type { SplitMetrics } from "./evaluate.ts";
export {
  DEFAULT_PERMUTATION_IMPORTANCE_OPTIONS,
  featureGroups,
  permutationImportance,
} from "./importance.ts";
export type {
  FeatureGroup,
  FeatureImportance,
  PermutationImportanceOptions,
  PermutationImportanceResult,
} from "./importance.ts";
export {
  assertProjectLayout,
  assertRunId,
  checkPromotionGate,
  compareRuns,
  createRunId,
  DEFAULT_GATE_OPTIONS,
  DEFAULT_LIST_RUNS_OPTIONS,
  DEFAULT_PROMOTE_OPTIONS,
  DEFAULT_REGISTRY_LOCK_OPTIONS,
  DEFAULT_ROLLBACK_OPTIONS,
  DEFAULT_SELECT_BEST_RUN_OPTIONS,
  fetchRunFolder,
  flattenConfig,
  isPartialName,
  listProductionProjects,
  listPublishedRunIds,
  listRunIds,
  listRuns,
  LOCK_FILE,
  PARTIAL_PREFIX,
  PRODUCTION_POINTER_FILE,
  PRODUCTION_RUNS_DIR,
  profileName,
  projectProductionDir,
  promoteRun,
  PROMOTION_LOG_FILE,
  PROMOTIONS_PREFIX,
  publishRunFolder,
  readProduction,
  readProductionPointer,
  readPromotionLog,
  readRunFolder,
  readRunMetrics,
  registryMirrorDir,
  resolveProductionDir,
  rollbackProduction,
  RUN_FORMAT_VERSION,
  selectBestRun,
  verifyArtifacts,
  withRegistryLock,
  writeRunFolder,
  writeRunRecord,
} from "./registry/mod.ts";
export type {
  ConfigDifference,
  GateOptions,
  GateResult,
  GateRun,
  ListRunsOptions,
  MetricDifference,
  MetricValues,
  ProductionPointer,
  ProductionRun,
  PromoteOptions,
  PromotionAction,
  PromotionLogEntry,
  PromotionResult,
  RegistryLockOptions,
  RollbackOptions,
  RunComparison,
  RunMetricsFile,
  RunRecord,
  RunSummary,
  SelectBestRunOptions,
  SplitMetricValues,
} from "./registry/mod.ts";
export { isUnlistedArtifact, RUN_ARTIFACTS, runArtifactPath } from "./run_catalog.ts";
export type {
  ChecksumRule,
  FeaturesFile,
  MetricsFile,
  ReportsFile,
  RunArtifact,
  RunArtifactName,
  SplitFile,
} from "./run_catalog.ts";
export { CATEGORY_SPLIT_FAMILIES, trainingStepName, TREE_FAMILIES } from "./training_step.ts";
export type { TrainingStepName } from "./training_step.ts";
