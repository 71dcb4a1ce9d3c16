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
 * @module
 */
import { isAbsolute, relative } from "node:path";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { ArtifactError, ConfigError, DataValidationError, didYouMean } from "../errors.ts";
import type { ConfigIssue } from "../errors.ts";
import {
  configToYaml,
  loadConfig,
  parseConfig,
  parseKeyPath,
  setAtKeyPath,
} from "../config/mod.ts";
import type { Config, LoadedConfig, SearchConfig } from "../config/mod.ts";
import { kFold, stratifiedKFold } from "../data/mod.ts";
import type { Fold } from "../data/mod.ts";
import {
  createModel,
  evaluateModel,
  fitOptionsFromConfig,
  initBackend,
  metricValue,
} from "../models/mod.ts";
import type { TrainingCallbacks } from "../models/mod.ts";
import {
  canonicalJson,
  getProjectLogger,
  METRIC_DIRECTIONS,
  pathExists,
  Random,
} from "../utils/mod.ts";
import type { Logger, MetricDirection, MetricName } from "../utils/mod.ts";
import { fitFeatures, prepareData, runTraining } from "./training_pipeline.ts";
import type { PreparedData, TrainingResult } from "./training_pipeline.ts";

// ---------------------------------------------------------------- sampling

/** How trials are chosen from the search space. */
export const SEARCH_STRATEGIES = ["grid", "random"] as const;

/** A search strategy: `grid` (every combination, in a fixed order) or `random` (seeded draws). */
export type SearchStrategy = (typeof SEARCH_STRATEGIES)[number];

/** One hyperparameter's search space: a list of values, or a numeric range. */
export type SearchSpace = SearchConfig[string];

/** Trials a random search runs when `trials` is not given. */
export const DEFAULT_RANDOM_TRIALS = 20;

/** Most combinations a grid search enumerates without an explicit `trials` cap. */
export const MAX_GRID_TRIALS = 10_000;

/** One trial to run: its index, its seed and the config values it sets. */
export interface TrialSpec {
  /** The trial index, from 0, in sampling order. */
  id: number;
  /** `new Random(studySeed).derive("trial-<id>")`: the seed its random values were drawn from. */
  seed: number;
  /** The value of each search key (a dotted config path), in the order of the search space. */
  params: Record<string, unknown>;
}

/** Options of {@link sampleTrials}. */
export interface SampleTrialsOptions {
  /**
   * `grid` enumerates every combination (the first key changing slowest); `random` draws each
   * value independently from its list (uniformly) or range (in its scale).
   * @default "random"
   */
  strategy?: SearchStrategy;
  /**
   * How many trials: a cap for `grid`, the number of draws for `random`; `null` means every
   * combination for `grid` and {@link DEFAULT_RANDOM_TRIALS} for `random`.
   * @default null
   */
  trials?: number | null;
  /**
   * The study seed; trial `i` draws from `new Random(seed).derive("trial-" + i)`.
   * @default 42
   */
  seed?: number;
  /**
   * Values a grid search takes from each range: evenly spaced in the range's scale, ends
   * included (an integer range with fewer integers takes them all).
   * @default 5
   */
  gridPoints?: number;
}

/** Defaults of {@link SampleTrialsOptions}. */
export const DEFAULT_SAMPLE_TRIALS_OPTIONS: Readonly<Required<SampleTrialsOptions>> = {
  strategy: "random",
  trials: null,
  seed: 42,
  gridPoints: 5,
};

/**
 * Lists the trials of a search: every grid combination in a fixed order, or seeded random draws.
 *
 * Grid: the keys are taken in the order of the search space and the first key changes slowest;
 * a range contributes `gridPoints` values evenly spaced in its scale (log: geometric), rounded
 * to integers when `integer` is set; `trials` keeps the first combinations. Random: the value of
 * key `k` in trial `i` is drawn from `new Random(new Random(trialSeed).derive(k))`, where
 * `trialSeed = new Random(seed).derive("trial-" + i)`, so it depends on nothing but the seed, the
 * trial index and the key. A list value is chosen uniformly; a range value uniformly in its
 * scale (log: uniform in log space), as an integer when `integer` is set, and continuous values
 * are rounded to 6 significant digits so they read and copy well.
 *
 * @param search the search space: `config.search`, keyed by dotted config path
 * @param options the strategy, the number of trials, the seed and the grid resolution
 * @returns the trials, by index
 * @throws {ConfigError} naming `search.<key>` for an empty space, an empty list, a range whose
 *   low is not below its high, a log range with low <= 0, an integer range holding no integer,
 *   or overlapping keys; and for an unknown strategy or a bad `trials` or `gridPoints`
 * @example
 * ```ts
 * sampleTrials({ "training.learning_rate": [0.01, 0.1], "model.params.dropout": [0, 0.2] }, {
 *   strategy: "grid",
 * }).map((t) => t.params);
 * // [{ lr 0.01, dropout 0 }, { lr 0.01, dropout 0.2 }, { lr 0.1, dropout 0 }, { lr 0.1, dropout 0.2 }]
 * ```
 */
export function sampleTrials(search: SearchConfig, options: SampleTrialsOptions = {}): TrialSpec[] {
  const { strategy, trials, seed, gridPoints } = { ...DEFAULT_SAMPLE_TRIALS_OPTIONS, ...options };
  checkStrategy(strategy);
  if (trials !== null && (!Number.isSafeInteger(trials) || trials < 1)) {
    throw new ConfigError(
      `Cannot sample trials: "trials" is ${JSON.stringify(trials)}, expected a positive integer`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ConfigError(
      `Cannot sample trials: the seed is ${JSON.stringify(seed)}, expected a non-negative integer`,
    );
  }
  if (!Number.isSafeInteger(gridPoints) || gridPoints < 2) {
    throw new ConfigError(
      `Cannot sample trials: "gridPoints" is ${
        JSON.stringify(gridPoints)
      }, expected an integer of at least 2`,
    );
  }
  const keys = checkSearchSpace(search);
  const studyRng = new Random(seed);
  const trialSeed = (i: number) => studyRng.derive(`trial-${i}`);

  if (strategy === "random") {
    const count = trials ?? DEFAULT_RANDOM_TRIALS;
    return Array.from({ length: count }, (_, id) => {
      const seedOfTrial = trialSeed(id);
      const keyRng = new Random(seedOfTrial);
      const params: Record<string, unknown> = {};
      for (const key of keys) {
        params[key] = drawValue(search[key]!, new Random(keyRng.derive(key)));
      }
      return { id, seed: seedOfTrial, params };
    });
  }

  const axes = keys.map((key) => gridValues(search[key]!, gridPoints));
  const total = axes.reduce((product, values) => product * values.length, 1);
  if (trials === null && total > MAX_GRID_TRIALS) {
    throw new ConfigError(
      `Cannot enumerate the grid: it has ${total} combinations, more than ${MAX_GRID_TRIALS}; cap it with --trials N, shorten the lists, or use --strategy random`,
    );
  }
  const count = Math.min(trials ?? total, total);
  return Array.from({ length: count }, (_, id) => {
    const params: Record<string, unknown> = {};
    // Mixed-radix decoding of the index: the last key changes fastest.
    let rest = id;
    const picks = new Array<number>(keys.length);
    for (let j = keys.length - 1; j >= 0; j--) {
      const size = axes[j]!.length;
      picks[j] = rest % size;
      rest = Math.floor(rest / size);
    }
    keys.forEach((key, j) => {
      params[key] = structuredClone(axes[j]![picks[j]!]);
    });
    return { id, seed: trialSeed(id), params };
  });
}

/**
 * Formats a trial's values for tables and chart labels: `name=value` pairs, each key shortened
 * to its last segment when that is unambiguous.
 *
 * @param params the trial's values, keyed by dotted config path
 * @returns e.g. `hidden_units=[32,16] learning_rate=0.00312 dropout=0.1`
 * @example
 * ```ts
 * formatTrialParams({ "training.learning_rate": 0.0031234, "model.params.dropout": 0.1 });
 * // "learning_rate=0.003123 dropout=0.1"
 * ```
 */
export function formatTrialParams(params: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(params);
  const last = keys.map((key) => {
    const segments = parseKeyPath(key);
    const tail = segments[segments.length - 1];
    return typeof tail === "string" ? tail : key;
  });
  return keys.map((key, i) => {
    const short = last.filter((name) => name === last[i]).length === 1 ? last[i]! : key;
    return `${short}=${formatValue(params[key])}`;
  }).join(" ");
}

/**
 * Returns a copy of `config` with each search value set at its dotted path, validated.
 *
 * @param config the base config
 * @param params values keyed by dotted config path (`model.params.hidden_units`,
 *   `cleaning.nulls."Body Mass (g)".strategy`, `model.params.hidden_units[1]`)
 * @returns the trial's config
 * @throws {ConfigError} when a path cannot be set or the result is not a valid config
 * @example
 * ```ts
 * const trialConfig = applyTrialParams(config, { "training.learning_rate": 0.003 });
 * ```
 */
export function applyTrialParams(
  config: Config,
  params: Readonly<Record<string, unknown>>,
): Config {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(params)) setAtPath(copy, key, value);
  return parseConfig(copy);
}

// ---------------------------------------------------------------- cross-validation

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions {
  /**
   * Number of folds, at least 2; for classification at most the row count of the smallest
   * class in the training split.
   * @default config.split.folds
   */
  folds?: number | null;
  /**
   * Seed of the fold assignment.
   * @default config.split.seed
   */
  seed?: number | null;
  /**
   * The prepared data of `config` (from `prepareData`), to skip loading it again.
   * @default null (prepared here)
   */
  data?: PreparedData | null;
  /**
   * Stops training between batches; the promise then rejects with `signal.reason`.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Where data and backend messages go.
   * @default the "tune" project logger
   */
  logger?: Logger;
}

/** Defaults of {@link CrossValidateOptions}. */
export const DEFAULT_CROSS_VALIDATE_OPTIONS: Readonly<
  Required<Omit<CrossValidateOptions, "signal" | "logger">>
> = { folds: null, seed: null, data: null };

/** The scores of one configuration across folds. */
export interface CrossValidation {
  /** The metric scored (`registry.primary_metric`). */
  metric: string;
  /** The metric on each held-out fold, in fold order. */
  fold_scores: number[];
  /** Mean of the fold scores. */
  mean: number;
  /** Sample standard deviation of the fold scores (n - 1 in the denominator). */
  std: number;
}

/**
 * Scores a config by k-fold cross-validation on its training split.
 *
 * Folds are stratified by the target for classification (`stratifiedKFold`) and plain for
 * regression (`kFold`). For each fold the feature pipeline is fitted on the fold's training part
 * only, the model trains with the `training` settings and early stopping on the validation split
 * (on the training loss when it is empty), and `registry.primary_metric` is computed on the
 * held-out part. The test split is not used.
 *
 * @param config the config to score
 * @param options folds, fold seed, prepared data, abort signal and logger
 * @returns the fold scores, their mean and standard deviation
 * @throws {DataValidationError} when a class has fewer training rows than folds
 * @throws {ConfigError} when the primary metric does not fit the task
 * @throws {TrainingDivergedError} when the loss becomes NaN or infinite
 * @throws when `signal` aborts: its `reason`
 * @example
 * ```ts
 * const cv = await crossValidate(config, { folds: 5 });
 * console.log(`${cv.metric} ${cv.mean.toFixed(4)} ± ${cv.std.toFixed(4)}`);
 * ```
 */
export async function crossValidate(
  config: Config,
  options: CrossValidateOptions = {},
): Promise<CrossValidation> {
  const settings = { ...DEFAULT_CROSS_VALIDATE_OPTIONS, ...options };
  const logger = options.logger ?? getProjectLogger("tune");
  const k = settings.folds ?? config.split.folds;
  const seed = settings.seed ?? config.split.seed;
  const metric = primaryMetricOf(config);
  const data = settings.data ?? await prepareData(config, logger);
  const folds = foldsOf(data.train, config, k, seed);
  await initBackend(config.training.backend, { logger });
  const { task, target } = config.data;
  const scores: number[] = [];
  for (const [index, fold] of folds.entries()) {
    options.signal?.throwIfAborted();
    const part = {
      train: takeFrameRows(data.train, fold.train),
      val: data.val,
      test: takeFrameRows(data.train, fold.val),
    };
    const features = fitFeatures(part, config);
    const classes = features.y.train.kind === "classification" ? features.y.train.classes : [];
    const model = createModel(config.model, {
      task,
      inputDim: features.names.length,
      classes,
      seed: config.training.seed,
    });
    try {
      await model.fit(features.x.train, features.y.train, {
        ...fitOptionsFromConfig(config.training, features.y.train),
        ...(features.x.val.rows > 0
          ? { validation: { x: features.x.val, y: features.y.val } }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const score = metricValue(evaluateModel(model, features.x.test, features.y.test), metric);
      if (score === null) {
        throw new DataValidationError(
          `Cannot score fold ${
            index + 1
          } of ${k}: "${metric}" is undefined on its ${fold.val.length} held-out rows of "${target}"; choose another registry.primary_metric or fewer folds`,
        );
      }
      scores.push(score);
    } finally {
      model.dispose();
    }
  }
  const { mean, std } = meanAndStd(scores);
  return { metric, fold_scores: scores, mean, std };
}

// ---------------------------------------------------------------- studies

/** Name of the study record inside a study folder. */
export const STUDY_FILE = "study.json";

/** Name of the best trial's full config inside a study folder (what the final run used). */
export const BEST_CONFIG_FILE = "best_config.yaml";

/** Version of the `study.json` layout. */
export const STUDY_FORMAT_VERSION = 1;

/** Where a study stands. */
export type StudyStatus = "running" | "interrupted" | "finished";

/** The outcome of one trial, as kept in `study.json`. */
export interface TrialResult {
  /** The trial index, from 0. */
  id: number;
  /** The values it set, keyed by dotted config path. */
  params: Record<string, unknown>;
  /** The trial's derived seed (see {@link TrialSpec}). */
  seed: number;
  /** `ok`, or `failed` when training diverged or the config could not be scored. */
  status: "ok" | "failed";
  /** The primary metric on each held-out fold, in fold order; empty when failed. */
  fold_scores: number[];
  /** Mean of `fold_scores`; `null` when failed. */
  mean: number | null;
  /** Sample standard deviation of `fold_scores`; `null` when failed. */
  std: number | null;
  /** Wall-clock seconds the trial took. */
  seconds: number;
  /** Why it failed: the error's name and message. */
  error?: string;
}

/** `study.json`: everything a study did, rewritten after every trial. */
export interface StudyRecord {
  format_version: number;
  /** The study id, also its folder name under `registry.experiments_dir`. */
  id: string;
  /** ISO time the study started. */
  created: string;
  /** ISO time of the last write. */
  updated: string;
  status: StudyStatus;
  /** `project.name`. */
  project: string;
  /** sha256 of the base config (the `hash` of `loadConfig`); a resume must match it. */
  config_hash: string;
  /** The metric trials are ranked by and its direction. */
  primary_metric: string;
  direction: MetricDirection;
  /** The search space searched. */
  search: SearchConfig;
  strategy: SearchStrategy;
  /** Trials planned (after the grid cap). */
  trials_planned: number;
  /** Values per range in a grid search. */
  grid_points: number;
  folds: number;
  /** The study seed: trial seeds and the fold seed derive from it. */
  seed: number;
  /** `new Random(seed).derive("folds")`: the seed of the fold assignment. */
  fold_seed: number;
  /** Finished trials (ok and failed), by id. */
  trials: TrialResult[];
  /** Ids of the `ok` trials, best first (by mean in the metric's direction, ties by id). */
  leaderboard: number[];
  /** The best trial, or `null` while none succeeded. */
  best: { trial: number; params: Record<string, unknown>; mean: number; std: number } | null;
  /**
   * The run that refitted the best trial (its folder relative to the project root when inside
   * it), with its primary metric on validation and test; `null` before it is recorded.
   */
  final_run: { id: string; dir: string; val: number | null; test: number | null } | null;
}

/** Progress passed to {@link RunStudyOptions.onTrial}. */
export interface StudyProgress {
  /** Trials finished, this one included (earlier sessions of a resumed study too). */
  done: number;
  /** Trials planned. */
  total: number;
  /** The study id. */
  studyId: string;
}

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  /**
   * Trials to run: a cap for grid, the number of draws for random; `null`: every grid
   * combination, or {@link DEFAULT_RANDOM_TRIALS} random draws. On resume: the study's.
   * @default null
   */
  trials?: number | null;
  /**
   * The search strategy. On resume: the study's.
   * @default "random"
   */
  strategy?: SearchStrategy;
  /**
   * Cross-validation folds. On resume: the study's.
   * @default config.split.folds
   */
  folds?: number | null;
  /**
   * The study seed. On resume: the study's.
   * @default config.project.seed
   */
  seed?: number | null;
  /**
   * Values per range in a grid search. On resume: the study's.
   * @default 5
   */
  gridPoints?: number;
  /**
   * Web Workers running trials side by side; `0` runs them one after another in this thread.
   * @default navigator.hardwareConcurrency
   */
  workers?: number;
  /**
   * The id (folder name) of a new study.
   * @default "study-<UTC time>-<project>-<config hash>"
   */
  studyId?: string | null;
  /**
   * The id of an interrupted study to continue: its finished trials are kept, the rest run.
   * @default null
   */
  resume?: string | null;
  /**
   * Stops the study: running trials are abandoned, `study.json` is written with status
   * `interrupted` and the result returned.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Called after each trial is recorded in `study.json`.
   * @default undefined
   */
  onTrial?: (trial: TrialResult, progress: StudyProgress) => void;
  /**
   * Refit the best trial as a recorded run and evaluate it on the test split.
   * @default true
   */
  refit?: boolean;
  /**
   * Training hooks of the final run (progress bars, live charts).
   * @default {}
   */
  callbacks?: TrainingCallbacks;
  /**
   * The profile file, root-relative, recorded in the final run's `run.json`.
   * @default null
   */
  profile?: string | null;
  /**
   * Where study messages go.
   * @default the "tune" project logger
   */
  logger?: Logger;
}

/**
 * Defaults of {@link RunStudyOptions}; `null` folds and seed come from the config, and `workers`
 * defaults to `navigator.hardwareConcurrency`.
 */
export const DEFAULT_RUN_STUDY_OPTIONS: Readonly<
  Required<Omit<RunStudyOptions, "signal" | "onTrial" | "logger" | "workers">>
> = {
  trials: null,
  strategy: "random",
  folds: null,
  seed: null,
  gridPoints: 5,
  studyId: null,
  resume: null,
  refit: true,
  callbacks: {},
  profile: null,
};

/** The outcome of {@link runStudy}. */
export interface StudyResult {
  /** The study id. */
  id: string;
  /** The study folder. */
  dir: string;
  /** `finished`, or `interrupted` when the signal stopped it. */
  status: StudyStatus;
  /** The study record as written to `study.json`. */
  record: StudyRecord;
  /** The `ok` trials, best first (ties by id). */
  leaderboard: TrialResult[];
  /** The failed trials, by id. */
  failed: TrialResult[];
  /** The final run recorded by this call (dispose its model), or `null`. */
  final: TrainingResult | null;
}

/**
 * Runs (or resumes) a hyperparameter study and records the best configuration as a run.
 *
 * Trials come from {@link sampleTrials} on `config.search`; each is scored by
 * {@link crossValidate} on the training split, in parallel on `workers` Web Workers that each
 * start the tfjs backend once. A trial whose training diverges (NaN loss) or whose config cannot
 * be scored is recorded as failed with its reason and the study goes on. The study folder
 * `<registry.experiments_dir>/<study-id>/` holds `study.json`, rewritten atomically after every
 * trial, so an interrupted study loses only the trials that were running; `resume` continues it.
 * The best trial (by mean fold score in the metric's direction, ties by trial id) is refitted
 * with {@link runTraining} on the training split with early stopping on validation, evaluated
 * once on test and recorded as a normal run; its full config is kept as `best_config.yaml`.
 *
 * @param loaded the base config (from `loadConfig`)
 * @param options trials, strategy, folds, seed, workers, study id or resume, signal and hooks
 * @returns the study id, folder, status, record, leaderboard and final run
 * @throws {ConfigError} for a bad search space or option, a trial config that does not
 *   validate, or a resume whose config or settings differ from the study's
 * @throws {DataValidationError} when a class has fewer training rows than folds
 * @throws {ArtifactError} when the study folder cannot be written or the resumed one read
 * @example
 * ```ts
 * const study = await runStudy(await loadConfig(), { strategy: "random", trials: 20, folds: 5 });
 * console.log(study.leaderboard[0], study.record.final_run?.id);
 * ```
 */
export async function runStudy(
  loaded: LoadedConfig,
  options: RunStudyOptions = {},
): Promise<StudyResult> {
  const { config, root } = loaded;
  const logger = options.logger ?? getProjectLogger("tune");
  const settings = { ...DEFAULT_RUN_STUDY_OPTIONS, ...options };
  const workers = options.workers ?? navigator.hardwareConcurrency;
  if (!Number.isSafeInteger(workers) || workers < 0) {
    throw new ConfigError(
      `Cannot run the study: "workers" is ${
        JSON.stringify(workers)
      }, expected 0 (this thread) or a positive integer`,
    );
  }
  const experimentsDir = config.registry.experiments_dir;
  const metric = primaryMetricOf(config);
  const direction = METRIC_DIRECTIONS[metric as MetricName];

  let record: StudyRecord;
  let dir: string;
  if (settings.resume !== null) {
    record = await readStudy(experimentsDir, settings.resume);
    dir = `${experimentsDir}/${record.id}`;
    checkResume(record, loaded, options);
  } else {
    const folds = settings.folds ?? config.split.folds;
    const seed = settings.seed ?? config.project.seed;
    checkFoldOption(folds);
    const id = settings.studyId ?? createStudyId(new Date(), config.project.name, loaded.hash);
    checkStudyId(id);
    const now = new Date().toISOString();
    record = {
      format_version: STUDY_FORMAT_VERSION,
      id,
      created: now,
      updated: now,
      status: "running",
      project: config.project.name,
      config_hash: loaded.hash,
      primary_metric: metric,
      direction,
      search: config.search,
      strategy: settings.strategy,
      trials_planned: 0,
      grid_points: settings.gridPoints,
      folds,
      seed,
      fold_seed: new Random(seed).derive("folds"),
      trials: [],
      leaderboard: [],
      best: null,
      final_run: null,
    };
    dir = `${experimentsDir}/${id}`;
  }

  const specs = sampleTrials(config.search, {
    strategy: record.strategy,
    trials: settings.resume !== null ? record.trials_planned : settings.trials,
    seed: record.seed,
    gridPoints: record.grid_points,
  });
  record.trials_planned = specs.length;
  checkSearchValues(config, config.search);
  const trialConfigs = new Map(specs.map((spec) => [spec.id, trialConfig(config, spec)]));
  for (const done of record.trials) {
    const spec = specs[done.id];
    if (spec === undefined || canonicalJson(spec.params) !== canonicalJson(done.params)) {
      throw new ArtifactError(
        `Cannot resume study "${record.id}": trial ${done.id} in "${dir}/${STUDY_FILE}" does not match the trials its search space gives; the file was edited, start a new study`,
      );
    }
  }

  // The folds are checked once here, so a bad --folds fails before any worker starts.
  const cache = new PreparedDataCache(logger);
  const baseData = await cache.get(config);
  foldsOf(baseData.train, config, record.folds, record.fold_seed);

  if (settings.resume === null) {
    record.id = await createStudyFolder(experimentsDir, record, settings.studyId === null);
    dir = `${experimentsDir}/${record.id}`;
  }
  const writer = new StudyWriter(dir);
  record.status = "running";
  await writer.write(record);
  logger.info("Study {id}: {todo} of {total} trials to run on {workers} worker(s)", {
    id: record.id,
    todo: specs.length - record.trials.length,
    total: specs.length,
    workers,
  });
  const threads = config.training.threads;
  if (threads > 1 && Math.max(workers, 1) * threads > navigator.hardwareConcurrency) {
    logger.warn(
      "Each trial trains on {threads} threads (training.threads) and {workers} trial(s) run at once: " +
        "{total} threads on {cores} cores, which slows every trial; set training.threads to 1 for the search",
      {
        threads,
        workers,
        total: Math.max(workers, 1) * threads,
        cores: navigator.hardwareConcurrency,
      },
    );
  }

  const done = new Set(record.trials.map((t) => t.id));
  const queue = specs.filter((spec) => !done.has(spec.id));
  const onResult = async (result: TrialResult) => {
    record.trials = [...record.trials.filter((t) => t.id !== result.id), result]
      .sort((a, b) => a.id - b.id);
    rankStudy(record);
    await writer.write(record);
    options.onTrial?.(result, {
      done: record.trials.length,
      total: specs.length,
      studyId: record.id,
    });
  };
  const job: TrialJob = { folds: record.folds, foldSeed: record.fold_seed };
  const workerUrl = workerModuleUrl();
  if (workers > 0 && workerUrl === null && queue.length > 0) {
    logger.warn(
      "The tune worker module is gone (src/ was reloaded from a temporary copy); running trials in this thread",
    );
  }
  if (workers > 0 && workerUrl !== null) {
    await runOnWorkers(queue, trialConfigs, job, {
      workers: Math.min(workers, queue.length),
      url: workerUrl,
      onResult,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } else {
    for (const spec of queue) {
      if (options.signal?.aborted) break;
      const outcome = await runTrialInline(spec, trialConfigs.get(spec.id)!, job, cache, {
        logger,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (outcome === null) break;
      await onResult(outcome);
    }
  }

  const interrupted = () => finishInterrupted(record, dir, writer, logger);
  if (options.signal?.aborted) return await interrupted();

  let final: TrainingResult | null = null;
  if (settings.refit && record.best !== null && record.final_run === null) {
    const bestConfig = trialConfigs.get(record.best.trial)!;
    const snapshot = `${dir}/${BEST_CONFIG_FILE}`;
    await writeFileAtomic(snapshot, configToYaml(bestConfig, root));
    const finalLoaded = await loadConfig({ root, snapshot });
    logger.info("Refitting trial {trial} ({params}) as a run", {
      trial: record.best.trial,
      params: formatTrialParams(record.best.params),
    });
    try {
      final = await runTraining(finalLoaded, {
        callbacks: settings.callbacks,
        profile: settings.profile,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // Either way the trials are kept and a resume retries the refit.
      const stopped = await interrupted();
      if (options.signal?.aborted) return stopped;
      throw error;
    }
    const runDir = final.dir ?? `${experimentsDir}/${final.id}`;
    const fromRoot = relative(root, runDir);
    record.final_run = {
      id: final.id,
      dir: fromRoot.startsWith("..") || isAbsolute(fromRoot) ? runDir : fromRoot,
      val: final.record.primary.val,
      test: final.record.primary.test,
    };
  }
  record.status = "finished";
  await writer.write(record);
  return studyResult(record, dir, "finished", final);
}

/**
 * Reads a study's `study.json`.
 *
 * @param experimentsDir the experiments folder (`registry.experiments_dir`)
 * @param id the study id
 * @returns the study record
 * @throws {ArtifactError} when the id is not a plain name, the study does not exist (naming the
 *   closest study id), or its `study.json` cannot be read
 * @example
 * ```ts
 * const study = await readStudy("models/experiments", "study-20261127-074512-penguins-1a2b3c4d");
 * study.leaderboard[0]; // the best trial's id
 * ```
 */
export async function readStudy(experimentsDir: string, id: string): Promise<StudyRecord> {
  checkStudyId(id);
  const path = `${experimentsDir}/${id}/${STUDY_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      const known = await listStudyIds(experimentsDir);
      throw new ArtifactError(
        `Cannot open study "${id}": no "${STUDY_FILE}" in "${experimentsDir}/${id}"${
          didYouMean(id, known)
        }; ${
          known.length > 0
            ? `studies there: ${known.slice(0, 5).map((s) => `"${s}"`).join(", ")}`
            : "no study exists there yet"
        }`,
        { cause },
      );
    }
    throw new ArtifactError(`Cannot open study "${id}": "${path}" cannot be read`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(`Cannot open study "${id}": "${path}" is not valid JSON`, { cause });
  }
  const study = parsed as Partial<StudyRecord> | null;
  if (
    study === null || typeof study !== "object" || study.format_version !== STUDY_FORMAT_VERSION ||
    study.id !== id || !Array.isArray(study.trials)
  ) {
    throw new ArtifactError(
      `Cannot open study "${id}": "${path}" is not a study record of format ${STUDY_FORMAT_VERSION}`,
    );
  }
  return parsed as StudyRecord;
}

/**
 * Lists the ids of the studies in an experiments folder (folders holding a `study.json`), newest
 * first.
 *
 * @param experimentsDir the experiments folder
 * @returns study ids; empty when the folder does not exist
 * @throws {ArtifactError} when the folder exists but cannot be read
 * @example
 * ```ts
 * const [latest] = await listStudyIds("models/experiments");
 * ```
 */
export async function listStudyIds(experimentsDir: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(experimentsDir)) {
      if (!entry.isDirectory || !STUDY_ID_PATTERN.test(entry.name)) continue;
      try {
        await Deno.stat(`${experimentsDir}/${entry.name}/${STUDY_FILE}`);
        ids.push(entry.name);
      } catch {
        // Not a study folder (a run, or a study that never wrote its record).
      }
    }
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return [];
    throw new ArtifactError(`Cannot list studies in "${experimentsDir}"`, { cause });
  }
  return ids.sort().reverse();
}

/**
 * Returns a study id: `study-`, the UTC time, the project name and the start of the config hash.
 *
 * @param date when the study started
 * @param project the project name, reduced to safe characters
 * @param configHash the base config's hash
 * @returns e.g. `study-20261127-074512-penguins-1a2b3c4d`
 * @example
 * ```ts
 * createStudyId(new Date("2026-11-27T07:45:12Z"), "penguins", "1a2b3c4d99"); // "study-20261127-074512-penguins-1a2b3c4d"
 * ```
 */
export function createStudyId(date: Date, project: string, configHash: string): string {
  const stamp = date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const name = project.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "study";
  return `study-${stamp}-${name.slice(0, 40)}-${configHash.slice(0, 8)}`;
}

/**
 * Orders trials as the leaderboard does: `ok` trials by mean score in the metric's direction,
 * ties by trial id; failed trials are left out.
 *
 * @param trials finished trials
 * @param metric the metric they were scored with (a key of `METRIC_DIRECTIONS`)
 * @returns the `ok` trials, best first
 * @throws {ConfigError} when the metric is unknown
 * @example
 * ```ts
 * rankTrials(study.trials, "f1_macro")[0]?.params;
 * ```
 */
export function rankTrials(trials: readonly TrialResult[], metric: string): TrialResult[] {
  const direction = directionOf(metric);
  return trials.filter((t) => t.status === "ok" && t.mean !== null).sort((a, b) => {
    const difference = direction === "max" ? b.mean! - a.mean! : a.mean! - b.mean!;
    return difference !== 0 ? difference : a.id - b.id;
  });
}

// ---------------------------------------------------------------- trial execution (shared with the worker)

/** What every trial of a study shares: the fold count and the fold seed. */
export interface TrialJob {
  /** Cross-validation folds. */
  folds: number;
  /** Seed of the fold assignment. */
  foldSeed: number;
}

/** A trial's scores or its failure, without its id and params (see {@link TrialResult}). */
export type TrialOutcome = Omit<TrialResult, "id" | "params" | "seed">;

/**
 * Prepared data by the config sections that shape it, so trials that only change the model or
 * training share one load of the data.
 *
 * @example
 * ```ts
 * const cache = new PreparedDataCache(getProjectLogger("tune"));
 * const data = await cache.get(trialConfig); // loaded once for every trial with the same data config
 * ```
 */
export class PreparedDataCache {
  readonly #logger: Logger;
  #key: string | null = null;
  #data: PreparedData | null = null;

  /** @param logger where data messages go */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Returns the prepared data of `config`, loading it when its data sections differ from the
   * last config's.
   *
   * @param config the config
   * @returns the prepared splits
   * @throws {ArtifactError | DataValidationError | SchemaMismatchError} as `prepareData`
   */
  async get(config: Config): Promise<PreparedData> {
    const key = canonicalJson({
      data: config.data,
      validation: config.validation,
      cleaning: config.cleaning,
      split: config.split,
      derived: config.features.derived,
    });
    if (this.#key !== key || this.#data === null) {
      this.#data = null;
      this.#data = await prepareData(config, this.#logger);
      this.#key = key;
    }
    return this.#data;
  }
}

/**
 * Scores one trial's config and turns any failure into a `failed` outcome with its reason.
 *
 * @param config the trial's config
 * @param job the folds and fold seed
 * @param cache prepared data shared between trials
 * @param options abort signal and logger
 * @returns the outcome; a failure when training diverged or the config could not be scored
 * @throws when `signal` aborts: its `reason`
 * @example
 * ```ts
 * const outcome = await scoreTrial(config, { folds: 5, foldSeed: 1 }, new PreparedDataCache(logger), {});
 * ```
 */
export async function scoreTrial(
  config: Config,
  job: TrialJob,
  cache: PreparedDataCache,
  options: { signal?: AbortSignal; logger?: Logger },
): Promise<TrialOutcome> {
  const started = performance.now();
  const seconds = () => Number(((performance.now() - started) / 1000).toFixed(3));
  try {
    const data = await cache.get(config);
    const cv = await crossValidate(config, {
      folds: job.folds,
      seed: job.foldSeed,
      data,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return {
      status: "ok",
      fold_scores: cv.fold_scores,
      mean: cv.mean,
      std: cv.std,
      seconds: seconds(),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      status: "failed",
      fold_scores: [],
      mean: null,
      std: null,
      seconds: seconds(),
      error: reason,
    };
  }
}

// ---------------------------------------------------------------- private: sampling helpers

const STUDY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkStrategy(strategy: string): asserts strategy is SearchStrategy {
  if (!(SEARCH_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ConfigError(
      `Cannot sample trials: unknown strategy "${strategy}"${
        didYouMean(strategy, SEARCH_STRATEGIES)
      }; use one of ${SEARCH_STRATEGIES.map((s) => `"${s}"`).join(" | ")}`,
    );
  }
}

function searchIssue(key: string, message: string): ConfigIssue {
  return { file: "<search>", line: 0, column: 0, path: `search.${key}`, message };
}

function searchError(key: string, action: string, detail: string): ConfigError {
  return new ConfigError(`Cannot ${action} "search.${key}": ${detail}`, [
    searchIssue(key, detail),
  ]);
}

/** Checks the search space; returns its keys in order. */
function checkSearchSpace(search: SearchConfig): string[] {
  if (search === null || typeof search !== "object" || Array.isArray(search)) {
    throw new ConfigError(
      `Cannot sample trials: the search space is ${
        Array.isArray(search) ? "a list" : String(search)
      }, expected a map of config paths to a list or a range`,
    );
  }
  const keys = Object.keys(search);
  if (keys.length === 0) {
    throw new ConfigError(
      `Cannot sample trials: the search space "search" is empty; list at least one hyperparameter in config/model_config.yaml, e.g. "training.learning_rate": { low: 0.001, high: 0.1, scale: log }`,
      [{ file: "<search>", line: 0, column: 0, path: "search", message: "the search is empty" }],
    );
  }
  for (const key of keys) {
    const space = search[key] as unknown;
    if (Array.isArray(space)) {
      if (space.length === 0) {
        throw searchError(key, "sample", "the list is empty; give at least one value");
      }
      continue;
    }
    if (space === null || typeof space !== "object") {
      throw searchError(
        key,
        "sample",
        `expected a list of values or a range { low, high, scale, integer }, got ${
          JSON.stringify(space)
        }`,
      );
    }
    const range = space as { low?: unknown; high?: unknown; scale?: unknown; integer?: unknown };
    const { low, high } = range;
    const scale = range.scale ?? "linear";
    const integer = range.integer ?? false;
    if (typeof low !== "number" || !Number.isFinite(low)) {
      throw searchError(key, "sample", `low is ${JSON.stringify(low)}, expected a finite number`);
    }
    if (typeof high !== "number" || !Number.isFinite(high)) {
      throw searchError(key, "sample", `high is ${JSON.stringify(high)}, expected a finite number`);
    }
    if (scale !== "linear" && scale !== "log") {
      throw searchError(
        key,
        "sample",
        `scale is ${JSON.stringify(scale)}, expected "linear" or "log"`,
      );
    }
    if (typeof integer !== "boolean") {
      throw searchError(key, "sample", `integer is ${JSON.stringify(integer)}, expected a boolean`);
    }
    if (!(low < high)) {
      throw searchError(
        key,
        "sample",
        `low ${low} is not below high ${high}; use low < high (a single value belongs in a list: [${low}])`,
      );
    }
    if (scale === "log" && low <= 0) {
      throw searchError(
        key,
        "sample on a log scale",
        `low is ${low}, expected a number > 0; raise low or use scale: linear`,
      );
    }
    if (integer && Math.ceil(low) > Math.floor(high)) {
      throw searchError(
        key,
        "sample integers from",
        `no integer lies between low ${low} and high ${high}; widen the range or set integer: false`,
      );
    }
  }
  const paths = keys.map((key) => {
    try {
      return parseKeyPath(key);
    } catch (cause) {
      throw new ConfigError(
        `Cannot sample "search.${key}": ${(cause as Error).message}`,
        [searchIssue(key, (cause as Error).message)],
        { cause },
      );
    }
  });
  paths.forEach((a, i) =>
    paths.forEach((b, j) => {
      if (i !== j && a.length < b.length && a.every((segment, n) => segment === b[n])) {
        throw searchError(
          keys[j]!,
          "sample",
          `it lies inside "search.${
            keys[i]
          }", which already sets the whole value; keep one of the two`,
        );
      }
    })
  );
  return keys;
}

interface Range {
  low: number;
  high: number;
  scale: "linear" | "log";
  integer: boolean;
}

function asRange(space: SearchSpace): Range | null {
  if (Array.isArray(space)) return null;
  const range = space as Partial<Range> & { low: number; high: number };
  return {
    low: range.low,
    high: range.high,
    scale: range.scale ?? "linear",
    integer: range.integer ?? false,
  };
}

function drawValue(space: SearchSpace, rng: Random): unknown {
  const range = asRange(space);
  if (range === null) {
    const list = space as unknown[];
    return structuredClone(list[rng.int(list.length)]);
  }
  const { low, high, scale, integer } = range;
  if (integer) {
    const lo = Math.ceil(low);
    const hi = Math.floor(high);
    if (scale === "linear") return lo + rng.int(hi - lo + 1);
    // Log-uniform over [lo, hi + 1), floored: each integer gets the mass of its unit interval.
    const value = Math.floor(Math.exp(Math.log(lo) + rng.next() * Math.log((hi + 1) / lo)));
    return Math.min(hi, Math.max(lo, value));
  }
  const u = rng.next();
  const value = scale === "linear"
    ? low + u * (high - low)
    : Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
  return clamp(Number(value.toPrecision(6)), low, high);
}

function gridValues(space: SearchSpace, points: number): unknown[] {
  const range = asRange(space);
  if (range === null) return space as unknown[];
  const { low, high, scale, integer } = range;
  const at = (t: number) =>
    scale === "linear" ? low + t * (high - low) : Math.exp(
      Math.log(low) + t * (Math.log(high) - Math.log(low)),
    );
  if (integer) {
    const lo = Math.ceil(low);
    const hi = Math.floor(high);
    if (hi - lo + 1 <= points) return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    const values = Array.from(
      { length: points },
      (_, i) => clamp(Math.round(at(i / (points - 1))), lo, hi),
    );
    return [...new Set(values)];
  }
  return Array.from(
    { length: points },
    (_, i) => i === 0 ? low : i === points - 1 ? high : Number(at(i / (points - 1)).toPrecision(6)),
  );
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function formatValue(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  if (typeof value === "string") return value;
  return JSON.stringify(
    value,
    (_key, v) => typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v,
  );
}

function setAtPath(tree: Record<string, unknown>, key: string, value: unknown): void {
  const miss = setAtKeyPath(tree, parseKeyPath(key), value);
  if (miss === null) return;
  const where = miss.where;
  if (miss.expected === "list") {
    throw new ConfigError(
      `Cannot set "${key}": "${where}" is not an item of a list (the list has ${miss.listLength} items)`,
      [searchIssue(key, `no list item at "${where}"`)],
    );
  }
  throw new ConfigError(
    `Cannot set "${key}": the value above "${where}" is not a map`,
    [searchIssue(key, `no map at "${where}"`)],
  );
}

/** Each list value and range end must be valid at its key on the base config. */
function checkSearchValues(config: Config, search: SearchConfig): void {
  for (const [key, space] of Object.entries(search)) {
    const range = asRange(space);
    const values = range === null
      ? space as unknown[]
      : range.integer
      ? [Math.ceil(range.low), Math.floor(range.high)]
      : [range.low, range.high];
    for (const value of values) {
      try {
        applyTrialParams(config, { [key]: value });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const detail = error.issues.length > 0
          ? error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")
          : error.message;
        throw new ConfigError(
          `Cannot search "search.${key}": the value ${
            JSON.stringify(value)
          } is not valid there (${detail}); fix the list or range in config/model_config.yaml`,
          [searchIssue(key, detail)],
          { cause: error },
        );
      }
    }
  }
}

function trialConfig(config: Config, spec: TrialSpec): Config {
  try {
    return applyTrialParams(config, spec.params);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const detail = error.issues.length > 0
      ? error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")
      : error.message;
    throw new ConfigError(
      `Cannot build trial ${spec.id} (${
        formatTrialParams(spec.params)
      }): the values contradict each other or the config (${detail}); change the search space so every combination is valid`,
      Object.keys(spec.params).map((key) => searchIssue(key, detail)),
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------- private: folds and metrics

function primaryMetricOf(config: Config): string {
  const metric = config.registry.primary_metric;
  directionOf(metric);
  const regression = ["mae", "rmse", "r2", "mape"].includes(metric);
  if (regression !== (config.data.task === "regression")) {
    throw new ConfigError(
      `Cannot score trials by "${metric}": it is a ${
        regression ? "regression" : "classification"
      } metric but data.task is "${config.data.task}"; set registry.primary_metric to a ${config.data.task} metric`,
    );
  }
  return metric;
}

function directionOf(metric: string): MetricDirection {
  const names = Object.keys(METRIC_DIRECTIONS);
  if (!Object.hasOwn(METRIC_DIRECTIONS, metric)) {
    throw new ConfigError(
      `Cannot rank trials by "${metric}": it is not a metric${
        didYouMean(metric, names)
      }; set registry.primary_metric to one of ${names.map((n) => `"${n}"`).join(", ")}`,
    );
  }
  return METRIC_DIRECTIONS[metric as MetricName];
}

function checkFoldOption(folds: number): void {
  if (!Number.isSafeInteger(folds) || folds < 2) {
    throw new ConfigError(
      `Cannot cross-validate with ${
        JSON.stringify(folds)
      } folds: expected an integer of at least 2; pass --folds 5, for example`,
    );
  }
}

function foldsOf(train: DataFrame, config: Config, k: number, seed: number): Fold[] {
  checkFoldOption(k);
  const { target, task } = config.data;
  if (task === "regression") {
    if (k > train.height) {
      throw new DataValidationError(
        `Cannot cross-validate with ${k} folds: the training split has ${train.height} rows; use at most ${train.height} folds`,
      );
    }
    return kFold(train.height, k, seed);
  }
  const labels = train.getColumn(target).cast(pl.Utf8).toArray() as (string | null)[];
  try {
    return stratifiedKFold(labels, k, seed);
  } catch (error) {
    if (!(error instanceof DataValidationError)) throw error;
    const counts = new Map<string, number>();
    for (const label of labels) counts.set(String(label), (counts.get(String(label)) ?? 0) + 1);
    const [smallest, rows] = [...counts.entries()].sort((a, b) => a[1] - b[1])[0] ?? ["", 0];
    throw new DataValidationError(
      `Cannot cross-validate with ${k} folds: class "${smallest}" of "${target}" has ${rows} rows in the training split, fewer than the ${k} folds; use --folds ${
        Math.max(2, rows)
      } or fewer`,
      error.issues,
      { cause: error },
    );
  }
}

function takeFrameRows(df: DataFrame, rows: Uint32Array): DataFrame {
  return df.select(pl.all().gather(Array.from(rows)));
}

function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std };
}

// ---------------------------------------------------------------- private: study folder

function checkStudyId(id: string): void {
  if (!STUDY_ID_PATTERN.test(id) || id.includes("..")) {
    throw new ArtifactError(
      `Cannot use study id "${id}": a study id holds only letters, digits, ".", "_" and "-" and starts with a letter or digit`,
    );
  }
}

/**
 * Creates the study folder holding its first `study.json`: written in a hidden `.partial-*`
 * folder and renamed into place, so no study folder ever lacks its record. An automatic id gets
 * a `-2`, `-3`, ... suffix when taken. Returns the id used.
 */
async function createStudyFolder(
  experimentsDir: string,
  record: StudyRecord,
  automatic: boolean,
): Promise<string> {
  const id = record.id;
  const temporary = `${experimentsDir}/.partial-${id}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.mkdir(experimentsDir, { recursive: true });
    await Deno.mkdir(temporary);
  } catch (cause) {
    throw new ArtifactError(`Cannot create a study folder in "${experimentsDir}"`, { cause });
  }
  try {
    for (let n = 1;; n++) {
      const candidate = n === 1 ? id : `${id}-${n}`;
      const dir = `${experimentsDir}/${candidate}`;
      if (await pathExists(dir, { followLinks: false })) {
        if (automatic && n < 100) continue;
        throw new ArtifactError(
          `Cannot start study "${id}": "${dir}" already exists; continue it with --resume ${id} or choose another id`,
        );
      }
      record.id = candidate;
      record.updated = new Date().toISOString();
      await Deno.writeTextFile(
        `${temporary}/${STUDY_FILE}`,
        JSON.stringify(record, null, 2) + "\n",
      );
      await Deno.rename(temporary, dir);
      return candidate;
    }
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    if (cause instanceof ArtifactError) throw cause;
    throw new ArtifactError(`Cannot create the study folder of "${id}" in "${experimentsDir}"`, {
      cause,
    });
  }
}

function checkResume(record: StudyRecord, loaded: LoadedConfig, options: RunStudyOptions): void {
  if (record.config_hash !== loaded.hash) {
    throw new ConfigError(
      `Cannot resume study "${record.id}": the config changed since it started (config hash ${
        record.config_hash.slice(0, 12)
      }, now ${
        loaded.hash.slice(0, 12)
      }); run with the same --config and --set as the study, or start a new study`,
    );
  }
  const given: [string, unknown, unknown][] = [
    ["strategy", options.strategy, record.strategy],
    ["trials", options.trials, record.trials_planned],
    ["folds", options.folds, record.folds],
    ["seed", options.seed, record.seed],
    ["gridPoints", options.gridPoints, record.grid_points],
  ];
  for (const [name, value, stored] of given) {
    if (value !== undefined && value !== null && value !== stored) {
      throw new ConfigError(
        `Cannot resume study "${record.id}": it runs with ${name} ${JSON.stringify(stored)}, got ${
          JSON.stringify(value)
        }; leave ${name} out to resume, or start a new study`,
      );
    }
  }
}

function rankStudy(record: StudyRecord): void {
  const ranked = rankTrials(record.trials, record.primary_metric);
  record.leaderboard = ranked.map((t) => t.id);
  const best = ranked[0];
  record.best = best === undefined
    ? null
    : { trial: best.id, params: best.params, mean: best.mean!, std: best.std! };
}

async function finishInterrupted(
  record: StudyRecord,
  dir: string,
  writer: StudyWriter,
  logger: Logger,
): Promise<StudyResult> {
  record.status = "interrupted";
  await writer.write(record);
  logger.warn("Study {id} interrupted after {done} of {total} trials", {
    id: record.id,
    done: record.trials.length,
    total: record.trials_planned,
  });
  return studyResult(record, dir, "interrupted", null);
}

function studyResult(
  record: StudyRecord,
  dir: string,
  status: StudyStatus,
  final: TrainingResult | null,
): StudyResult {
  const byId = new Map(record.trials.map((t) => [t.id, t]));
  return {
    id: record.id,
    dir,
    status,
    record: structuredClone(record),
    leaderboard: record.leaderboard.map((id) => byId.get(id)!),
    failed: record.trials.filter((t) => t.status === "failed"),
    final,
  };
}

/** Serialises atomic rewrites of `study.json`, so a later state never lands before an earlier one. */
class StudyWriter {
  readonly #path: string;
  #last: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#path = `${dir}/${STUDY_FILE}`;
  }

  write(record: StudyRecord): Promise<void> {
    record.updated = new Date().toISOString();
    const text = JSON.stringify(record, null, 2) + "\n";
    const next = this.#last.then(() => writeFileAtomic(this.#path, text));
    this.#last = next.catch(() => {});
    return next;
  }
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(temporary, text);
    await Deno.rename(temporary, path);
  } catch (cause) {
    await Deno.remove(temporary).catch(() => {});
    throw new ArtifactError(`Cannot write "${path}"`, { cause });
  }
}

// ---------------------------------------------------------------- private: running trials

/** A message to a worker: score one trial. */
interface TrialRequest {
  type: "trial";
  id: number;
  config: Config;
  job: TrialJob;
}

/** A worker's answer. */
interface TrialReply {
  type: "result";
  id: number;
  outcome: TrialOutcome;
}

async function runTrialInline(
  spec: TrialSpec,
  config: Config,
  job: TrialJob,
  cache: PreparedDataCache,
  options: { signal?: AbortSignal; logger: Logger },
): Promise<TrialResult | null> {
  try {
    const outcome = await scoreTrial(config, job, cache, options);
    return { id: spec.id, params: spec.params, seed: spec.seed, ...outcome };
  } catch (error) {
    if (options.signal?.aborted) return null;
    throw error;
  }
}

function workerModuleUrl(): string | null {
  const url = new URL("./_tune_worker.ts", import.meta.url);
  if (url.protocol !== "file:") return url.href;
  try {
    Deno.statSync(url);
    return url.href;
  } catch {
    return null;
  }
}

async function runOnWorkers(
  queue: TrialSpec[],
  configs: Map<number, Config>,
  job: TrialJob,
  options: {
    workers: number;
    url: string;
    signal?: AbortSignal;
    onResult: (result: TrialResult) => Promise<void>;
  },
): Promise<void> {
  const pending = [...queue];
  const { signal } = options;
  const live = new Set<Worker>();
  let onAbort = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const spawn = () => {
    const worker = new Worker(options.url, { type: "module" });
    live.add(worker);
    return worker;
  };
  const retire = (worker: Worker) => {
    worker.terminate();
    live.delete(worker);
  };

  // One loop per worker: it takes the next trial whenever its worker is free.
  const loop = async () => {
    let worker = spawn();
    try {
      while (pending.length > 0 && !signal?.aborted) {
        const spec = pending.shift()!;
        const started = performance.now();
        const answer = await Promise.race([ask(worker, spec, configs.get(spec.id)!, job), aborted]);
        if (answer === "aborted") return;
        let outcome: TrialOutcome;
        if ("crashed" in answer) {
          // A crashed worker cannot be trusted with the next trial: replace it.
          retire(worker);
          worker = spawn();
          outcome = {
            status: "failed",
            fold_scores: [],
            mean: null,
            std: null,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
            error: `WorkerCrashed: the trial's worker stopped with "${answer.crashed}"`,
          };
        } else {
          outcome = answer.outcome;
        }
        if (signal?.aborted) return;
        await options.onResult({ id: spec.id, params: spec.params, seed: spec.seed, ...outcome });
      }
    } finally {
      retire(worker);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.workers }, () => loop()));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    for (const worker of live) worker.terminate();
  }
}

function ask(
  worker: Worker,
  spec: TrialSpec,
  config: Config,
  job: TrialJob,
): Promise<TrialReply | { crashed: string }> {
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<TrialReply>) => {
      if (event.data?.type === "result" && event.data.id === spec.id) resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      resolve({ crashed: event.message || "unknown error" });
    };
    worker.onmessageerror = () => resolve({ crashed: "a message could not be read" });
    const request: TrialRequest = { type: "trial", id: spec.id, config, job };
    worker.postMessage(request);
  });
}
