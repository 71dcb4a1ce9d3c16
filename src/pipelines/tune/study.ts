/**
 * The study runner: sample trials, score them on the pool, keep the study folder up to date,
 * and refit and record the best trial as a normal run.
 *
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { ArtifactError, ConfigError, QueueError } from "../../errors.ts";
import { configToYaml, loadConfig } from "../../config/mod.ts";
import { ensureLocalData } from "../../data/mod.ts";
import type { LoadedConfig } from "../../config/mod.ts";
import { registryMirrorDir } from "../../models/mod.ts";
import type { TrainingCallbacks } from "../../models/mod.ts";
import { isS3Url } from "../../storage/mod.ts";
import { QueueConnection } from "../../queue/mod.ts";
import type { QueueSettings } from "../../queue/mod.ts";
import { canonicalJson, getProjectLogger, METRIC_DIRECTIONS, Random } from "../../utils/mod.ts";
import type { Logger, MetricName } from "../../utils/mod.ts";
import { runTraining } from "../training_pipeline.ts";
import type { TrainingResult } from "../training_pipeline.ts";
import { checkFoldOption, foldsOf, primaryMetricOf } from "./cross_validation.ts";
import {
  checkSearchValues,
  familyTrialParams,
  formatTrialParams,
  sampleTrials,
  searchSpaceForTask,
  type SearchStrategy,
  trialConfig,
} from "./search_space.ts";
import {
  BEST_CONFIG_FILE,
  checkStudyId,
  createStudyFolder,
  createStudyId,
  rankStudy,
  readStudy,
  STUDY_FILE,
  STUDY_FORMAT_VERSION,
  type StudyRecord,
  type StudyStatus,
  StudyWriter,
  type TrialResult,
  writeStudyFile,
} from "./study_store.ts";
import { runOnQueue } from "./queue_trials.ts";
import {
  PreparedDataCache,
  runOnWorkers,
  runTrialInline,
  type TrialJob,
  workerModuleUrl,
} from "./trial_pool.ts";

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
   * Runs the trials on the work queue (`deno task worker` processes on any machines) instead
   * of Web Workers; `workers` is then ignored. Redis must answer within
   * `queue.connectTimeoutMs`; when it stays away longer than `queue.reconnectMs` mid-study, the
   * study is saved as `interrupted` and a {@link QueueError} says how to resume it.
   * @default null
   */
  queue?: QueueSettings | null;
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
  queue: null,
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
 * @throws {QueueError} with `queue`: when Redis cannot be reached at start (no study folder is
 *   written), or mid-study is lost for longer than the reconnect window or a worker refuses a
 *   trial (the study is saved as `interrupted`; the message gives the `--resume` to run)
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
  // An s3:// input is read from its local copy, by the study and by the refit of the best trial.
  await ensureLocalData(loaded.config.data.path);
  const queue = options.queue ?? null;
  if (queue === null) return await studyOn(null, loaded, options);
  const { url, queueName: _name, ...windows } = queue;
  const connection = await QueueConnection.open(url, {
    ...windows,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    return await studyOn(connection, loaded, options);
  } finally {
    await connection.close();
  }
}

async function studyOn(
  connection: QueueConnection | null,
  loaded: LoadedConfig,
  options: RunStudyOptions,
): Promise<StudyResult> {
  const { config, root } = loaded;
  const logger = options.logger ?? getProjectLogger("tune");
  const { search, skipped } = searchSpaceForTask(config.search, config.data.task);
  for (const key of skipped) {
    logger.info(
      "Search key {key} is skipped: it applies to classification and the task is {task}",
      { key: `search.${key}`, task: config.data.task },
    );
  }
  const settings = { ...DEFAULT_RUN_STUDY_OPTIONS, ...options };
  const workers = options.workers ?? navigator.hardwareConcurrency;
  if (!Number.isSafeInteger(workers) || workers < 0) {
    throw new ConfigError(
      `Cannot run the study: "workers" is ${
        JSON.stringify(workers)
      }, expected 0 (this thread) or a positive integer`,
    );
  }
  // A study folder is the coordinator's: with the registry under s3:// it lives in the local
  // mirror of the experiments prefix, and the refitted best run is published there as any run.
  const experimentsDir = isS3Url(config.registry.experiments_dir)
    ? registryMirrorDir(config.registry.experiments_dir)
    : config.registry.experiments_dir;
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
      search,
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

  const specs = sampleTrials(search, {
    strategy: record.strategy,
    trials: settings.resume !== null ? record.trials_planned : settings.trials,
    seed: record.seed,
    gridPoints: record.grid_points,
  });
  record.trials_planned = specs.length;
  checkSearchValues(config, search);
  const trialConfigs = new Map(specs.map((spec) => [spec.id, trialConfig(config, spec)]));
  // With model.family searched, each trial leaves out the params of the other families.
  const ignoredByTrial = new Map<number, Record<string, string>>();
  const ignoredByFamily = new Map<string, Set<string>>();
  for (const spec of specs) {
    const { ignored } = familyTrialParams(spec.params);
    if (ignored.length === 0) continue;
    ignoredByTrial.set(spec.id, Object.fromEntries(ignored.map((i) => [i.key, i.reason])));
    const family = String(spec.params["model.family"]);
    const keys = ignoredByFamily.get(family) ?? new Set<string>();
    for (const { key } of ignored) keys.add(key);
    ignoredByFamily.set(family, keys);
  }
  for (const [family, keys] of ignoredByFamily) {
    logger.info(
      "Trials of family {family} leave out {keys}: not params of that family",
      { family, keys: [...keys].map((key) => `search.${key}`).join(", ") },
    );
  }
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
  logger.info("Study {id}: {todo} of {total} trials to run on {where}", {
    id: record.id,
    todo: specs.length - record.trials.length,
    total: specs.length,
    where: connection === null
      ? `${workers} worker(s)`
      : `the work queue at ${connection.location.shown}`,
  });
  const threads = config.training.threads;
  if (
    connection === null && threads > 1 &&
    Math.max(workers, 1) * threads > navigator.hardwareConcurrency
  ) {
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
  const onResult = async (outcome: TrialResult) => {
    const ignored = ignoredByTrial.get(outcome.id);
    const result = ignored === undefined ? outcome : { ...outcome, ignored };
    record.trials = [...record.trials.filter((t) => t.id !== result.id), result]
      .sort((a, b) => a.id - b.id);
    // Counted before the write: two workers' results can both be written before either is
    // reported, and each must still report its own count.
    const progress = { done: record.trials.length, total: specs.length, studyId: record.id };
    rankStudy(record);
    await writer.write(record);
    options.onTrial?.(result, progress);
  };
  const job: TrialJob = { folds: record.folds, foldSeed: record.fold_seed };
  const workerUrl = workerModuleUrl();
  if (connection !== null) {
    try {
      await runOnQueue(queue, trialConfigs, job, {
        connection,
        studyId: record.id,
        logger,
        onResult,
        ...(options.queue?.queueName ? { queueName: options.queue.queueName } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      await finishInterrupted(record, dir, writer, logger);
      throw new QueueError(
        `${error.message}; study "${record.id}" is saved as interrupted after ${record.trials.length} of ${record.trials_planned} trials, continue it with --resume ${record.id}`,
        { cause: error },
      );
    }
  } else if (workers > 0 && workerUrl !== null) {
    await runOnWorkers(queue, trialConfigs, job, {
      workers: Math.min(workers, queue.length),
      url: workerUrl,
      onResult,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } else {
    if (workers > 0 && queue.length > 0) {
      logger.warn(
        "The tune worker module is gone (src/ was reloaded from a temporary copy); running trials in this thread",
      );
    }
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
    await writeStudyFile(snapshot, configToYaml(bestConfig, root));
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
