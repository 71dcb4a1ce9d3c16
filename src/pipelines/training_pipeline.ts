/**
 * The training pipeline: config → load → validate → clean → split → derived features → fit the
 * feature pipeline on train → train the model and the baseline → evaluate → a recorded run.
 *
 * Each step is a declared node (`nodes/`); this module runs them. Notebooks and
 * `deno task train` call the same functions: `prepareData` for the data stages, `fitFeatures`
 * for the features, and `runTraining` for the whole job.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import type { Config, LoadedConfig } from "../config/mod.ts";
import { ensureLocalData } from "../data/mod.ts";
import type { CleaningReport, CleaningState, ValidationReport } from "../data/mod.ts";
import type { BaseModel, RunRecord, TrainingCallbacks, TrainingHistory } from "../models/mod.ts";
import { getProjectLogger, guardLeftover, removeLeftovers } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import {
  OUT_OF_CORE_DIR,
  OUT_OF_CORE_NODES,
  runPipeline,
  TRAINING_NODES,
  usesOutOfCore,
} from "./nodes/mod.ts";
import type {
  FittedFeatures,
  InputFingerprint,
  Lineage,
  NodeContext,
  RunMetrics,
} from "./nodes/mod.ts";

export { fitFeatures } from "./nodes/mod.ts";
export type { FittedFeatures, RunMetrics } from "./nodes/mod.ts";

/** The folder of the stage cache, relative to the project root. */
export const STAGE_CACHE_DIR = "data/processed/cache";

/** The data stages' output: cleaned splits with derived features, and what was found on the way. */
export interface PreparedData {
  /** Cleaned train, validation and test frames, derived features added. */
  train: DataFrame;
  val: DataFrame;
  test: DataFrame;
  /** The raw input as loaded. */
  raw: DataFrame;
  /** The raw input checked against `validation` (never throws here; see `clean`). */
  validation: ValidationReport;
  /** What cleaning did to the whole frame (row-level steps) and then to train (fills, clips). */
  cleaning: CleaningReport;
  /** Fill values and clip bounds learned from the training split, for inference. */
  cleaningState: CleaningState;
  /** The input file's fingerprint. */
  input: InputFingerprint;
  /** Seconds per stage. */
  stages: Record<string, number>;
}

/** Options of {@link prepareData}. */
export interface PrepareDataOptions {
  /**
   * The stage cache folder: reuse the data stages' outputs when their inputs, config and code
   * are unchanged. `null` computes every stage.
   * @default null
   */
  cacheDir?: string | null;
}

/** Options of {@link runTraining}. */
export interface TrainingRunOptions {
  /** Where pipeline logs go. @default the "pipeline" project logger */
  logger?: Logger;
  /** Hooks into the training loop (progress bars, live charts). @default {} */
  callbacks?: TrainingCallbacks;
  /** Stops training between batches. @default undefined */
  signal?: AbortSignal;
  /** Write the run folder. `false` trains and evaluates only (used by `reproduce`). @default true */
  record?: boolean;
  /** The profile file, root-relative, recorded in `run.json`. @default null */
  profile?: string | null;
  /**
   * Reuse cached data and feature stages from `data/processed/cache/` (and store new ones).
   * `false` computes every stage and writes nothing to the cache.
   * @default true
   */
  cache?: boolean;
}

/** The outcome of {@link runTraining}. */
export interface TrainingResult {
  /** The run id (also when not recorded). */
  id: string;
  /** The run folder, or `null` when not recorded. */
  dir: string | null;
  /** The run record as written to `run.json`. */
  record: RunRecord;
  /** The model's metrics. */
  metrics: RunMetrics;
  /** The baseline family's metrics on the same splits. */
  baseline: RunMetrics;
  /** Per-epoch history. */
  history: TrainingHistory;
  /** The fitted model (dispose it when done). */
  model: BaseModel;
  /** The fitted features. */
  features: FittedFeatures;
  /** Seconds per stage and, per node, its cache key and whether it ran or was cached. */
  lineage: Lineage;
}

/**
 * Runs the data stages: load, validate (report only), clean, split, derived features.
 *
 * Row-level cleaning (trim, case, missing markers, duplicates, dropping incomplete rows) runs on
 * the whole frame; statistics for fills and clipping are learned from the training split only
 * and then applied to every split, so validation and test never leak into them. Cleaned data
 * must pass the `validation` schema when `validation.strict` is on.
 *
 * @param config the resolved config
 * @param logger where to log
 * @param options the stage cache folder, if any
 * @returns the cleaned splits and the reports
 * @throws {ArtifactError} when the input cannot be read
 * @throws {DataValidationError} when cleaned data still breaks the schema
 * @throws {SchemaMismatchError} when the target column is missing
 * @example
 * ```ts
 * const data = await prepareData((await loadConfig()).config);
 * data.train.height; // 232
 * ```
 */
export async function prepareData(
  config: Config,
  logger: Logger = getProjectLogger("pipeline"),
  options: PrepareDataOptions = {},
): Promise<PreparedData> {
  const { values, lineage } = await runPipeline(TRAINING_NODES, { config, logger }, {
    targets: ["prepared", "raw", "validation", "cleaning", "cleaning_state", "input"],
    cacheDir: options.cacheDir ?? null,
  });
  const stages = Object.fromEntries(
    ["load", "validate", "clean", "split", "features"].map((s) => [s, lineage.stages[s] ?? 0]),
  );
  return {
    ...values.prepared,
    raw: values.raw,
    validation: values.validation,
    cleaning: values.cleaning,
    cleaningState: values.cleaning_state,
    input: values.input,
    stages,
  };
}

/**
 * Runs the whole training job and records it as a run folder under `registry.experiments_dir`.
 *
 * Data and feature stages whose inputs, config and code are unchanged come from the stage cache
 * (`data/processed/cache/`); the lineage in `run.json` says which. With `data.out_of_core`
 * (or `auto` above `data.out_of_core_rows` input rows) the input is read in batches and the
 * cleaned rows and feature matrices live in temporary shard files under
 * `data/processed/out_of_core/`, removed when the run ends (see `OUT_OF_CORE_NODES`). The folder is written to a
 * hidden temporary folder and renamed into place at the end, so a failed or interrupted run
 * leaves no run behind.
 *
 * @param loaded the loaded config (from `loadConfig`)
 * @param options logging, training hooks, caching, and whether to record the run
 * @returns the run id and folder, metrics of the model and of the baseline, and the history
 * @throws {ConfigError | DataValidationError | SchemaMismatchError | ArtifactError} on bad
 *   config, data or files; no run folder is written
 * @example
 * ```ts
 * const result = await runTraining(await loadConfig({ overrides: ["training.epochs=5"] }));
 * console.log(result.id, result.metrics.test);
 * ```
 */
export async function runTraining(
  loaded: LoadedConfig,
  options: TrainingRunOptions = {},
): Promise<TrainingResult> {
  const logger = options.logger ?? getProjectLogger("pipeline");
  // An s3:// input is fetched into its local copy before anything reads it (its size, too).
  await ensureLocalData(loaded.config.data.path);
  const outOfCore = usesOutOfCore(loaded.config);
  const shardDir = `${loaded.root}/${OUT_OF_CORE_DIR}/run-${crypto.randomUUID().slice(0, 8)}`;
  const context: NodeContext = {
    config: loaded.config,
    loaded,
    logger,
    started: new Date(),
    record: options.record !== false,
    profile: options.profile ?? null,
    ...(options.callbacks ? { callbacks: options.callbacks } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  let guard: Deno.FsFile | null = null;
  if (outOfCore) {
    // Shards of runs that were killed (their lock is free) are removed; this run's folder is
    // locked while it lives, so another run never takes it for a leftover.
    await removeLeftovers(`${loaded.root}/${OUT_OF_CORE_DIR}`, (name) => name.startsWith("run-"), {
      logger,
    });
    await Deno.mkdir(shardDir, { recursive: true });
    guard = await guardLeftover(shardDir);
    logger.info("Training out of core: batches of {rows} rows, shards in {dir}", {
      rows: loaded.config.data.batch_rows,
      dir: shardDir,
    });
  }
  // Out of core, the cleaned rows and matrices live in shard files for the length of the run
  // only; nothing of them is cached.
  const { values, lineage } = await runPipeline(
    outOfCore ? OUT_OF_CORE_NODES : TRAINING_NODES,
    outOfCore ? { ...context, shardDir } : context,
    {
      targets: ["run", "features", "model", "history", "evaluation"],
      cacheDir: options.cache === false || outOfCore ? null : `${loaded.root}/${STAGE_CACHE_DIR}`,
    },
  ).finally(async () => {
    guard?.close();
    if (outOfCore) await Deno.remove(shardDir, { recursive: true }).catch(() => {});
  });
  return {
    id: values.run.id,
    dir: values.run.dir,
    record: values.run.record,
    metrics: values.evaluation.model,
    baseline: values.evaluation.baseline,
    history: values.history,
    model: values.model,
    features: values.features,
    lineage,
  };
}
