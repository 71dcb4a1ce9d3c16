/**
 * Hyperparameter search with cross-validation: sample trials from the `search` section of
 * `config/model_config.yaml`, score each trial by k-fold cross-validation on the training split
 * (in parallel on Web Workers), keep a resumable study folder, and record the best configuration
 * as a normal run.
 *
 * How a trial is scored. Its config is the base config with the trial's values set at their
 * dotted paths. The training split (never validation or test) is cut into `folds` folds,
 * stratified by the target for classification and plain k-fold for regression, with a seed
 * derived from the study seed, so every trial of a study is scored on the same folds. For each
 * fold the feature pipeline is fitted on the other folds only, the model trains with the
 * configured `training` settings (epochs, batch size, seed) and early stopping on the
 * validation split (the training loss when the validation split is empty), and the primary
 * metric (`registry.primary_metric`) is computed on the held-out fold. Neither the scored fold
 * nor the test split steers training. A trial's result depends only on the config, its values
 * and the study seed, never on the number of workers or the order in which trials finish.
 *
 * The best trial is then refitted by {@link runTraining} exactly as `deno task train --set ...`
 * would (train split, early stopping on validation), evaluated once on the test split, and
 * recorded as a normal run that `study.json` links to.
 *
 * With `queue` ({@link RunStudyOptions.queue}) the trials run as jobs on the Redis work queue,
 * scored by `deno task worker` processes on any machines with the same `scoreTrial`; results
 * land in the same `study.json`, so the leaderboard is the local study's.
 *
 * @module
 */
export {
  applyTrialParams,
  CLASSIFICATION_ONLY_SEARCH_KEYS,
  DEFAULT_RANDOM_TRIALS,
  DEFAULT_SAMPLE_TRIALS_OPTIONS,
  FAMILY_KEY,
  familyTrialParams,
  formatTrialParams,
  MAX_GRID_TRIALS,
  sampleTrials,
  SEARCH_STRATEGIES,
  searchSpaceForTask,
} from "./search_space.ts";
export type {
  IgnoredTrialParam,
  SampleTrialsOptions,
  SearchSpace,
  SearchStrategy,
  TrialSpec,
} from "./search_space.ts";
export { crossValidate, DEFAULT_CROSS_VALIDATE_OPTIONS } from "./cross_validation.ts";
export type { CrossValidateOptions, CrossValidation } from "./cross_validation.ts";
export {
  BEST_CONFIG_FILE,
  createStudyId,
  listStudyIds,
  rankTrials,
  readStudy,
  STUDY_FILE,
  STUDY_FORMAT_VERSION,
} from "./study_store.ts";
export type { StudyRecord, StudyStatus, TrialResult } from "./study_store.ts";
export { PreparedDataCache, scoreTrial } from "./trial_pool.ts";
export type { TrialJob, TrialOutcome } from "./trial_pool.ts";
export { DEFAULT_RUN_STUDY_OPTIONS, runStudy } from "./study.ts";
export type { RunStudyOptions, StudyProgress, StudyResult } from "./study.ts";
