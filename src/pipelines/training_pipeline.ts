/**
 * The training pipeline: config → load → validate → clean → split → derived features → fit the
 * feature pipeline on train → train the model and the baseline → evaluate → a recorded run.
 *
 * Notebooks and `deno task train` call the same functions: `prepareData` for the data stages,
 * `fitFeatures` for the features, and `runTraining` for the whole job.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import pl from "nodejs-polars";
import * as tf from "@tensorflow/tfjs";
import type { CleaningConfig, Config, LoadedConfig } from "../config/mod.ts";
import { configToYaml } from "../config/mod.ts";
import {
  applyCleaning,
  deriveTarget,
  fitCleaning,
  inputSignature,
  loadDataset,
  profileFrame,
  splitFrame,
  validate,
} from "../data/mod.ts";
import type { CleaningReport, CleaningState, ValidationReport } from "../data/mod.ts";
import { addDerivedFeatures, FeaturePipeline, FeatureSelector } from "../features/mod.ts";
import type { SelectionReport } from "../features/mod.ts";
import {
  createModel,
  createRunId,
  evaluateModel,
  fitOptionsFromConfig,
  initBackend,
  metricValue,
  RUN_REPORT_FILE,
  writeRunFolder,
} from "../models/mod.ts";
import type {
  BaseModel,
  RunRecord,
  SplitMetrics,
  Targets,
  TrainingCallbacks,
  TrainingHistory,
} from "../models/mod.ts";
import { ConfigError, DataValidationError, SchemaMismatchError } from "../errors.ts";
import {
  fingerprintFile,
  fingerprintFrame,
  frameToMatrix,
  getProjectLogger,
  isDateDtype,
  isNumericDtype,
} from "../utils/mod.ts";
import type { Logger, Matrix } from "../utils/mod.ts";
import { buildRunReport } from "./_report_html.ts";

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
  input: { path: string; sha256: string; bytes: number; rows: number };
  /** Seconds per stage. */
  stages: Record<string, number>;
}

/** Fitted feature state: the pipeline, the optional selector and the matrices of each split. */
export interface FittedFeatures {
  pipeline: FeaturePipeline;
  selector: FeatureSelector | null;
  /** Names of the model's input columns, in matrix order. */
  names: string[];
  x: { train: Matrix; val: Matrix; test: Matrix };
  y: { train: Targets; val: Targets; test: Targets };
  /** The selector's report, or `null` when no selection is configured. */
  selection: SelectionReport | null;
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
}

/** Metrics of a model on each split. */
export interface RunMetrics {
  train: SplitMetrics;
  val: SplitMetrics | null;
  test: SplitMetrics;
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
  /** The prepared data. */
  data: PreparedData;
}

/**
 * Runs the data stages: load, validate (report only), clean, split.
 *
 * Row-level cleaning (trim, case, missing markers, duplicates, dropping incomplete rows) runs on
 * the whole frame; statistics for fills and clipping are learned from the training split only
 * and then applied to every split, so validation and test never leak into them. Cleaned data
 * must pass the `validation` schema when `validation.strict` is on.
 *
 * @param config the resolved config
 * @param logger where to log
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
): Promise<PreparedData> {
  // Every stage in pipeline order, whichever step first adds time to it.
  const stages: Record<string, number> = { load: 0, validate: 0, clean: 0, split: 0, features: 0 };
  const timed = <T>(name: string, work: () => T): T => {
    const start = performance.now();
    const result = work();
    stages[name] = (stages[name] ?? 0) + (performance.now() - start) / 1000;
    return result;
  };
  const { target, task } = config.data;

  const loaded = timed("load", () => loadDataset(config.data.path, config.data));
  // Deriving the target builds a new column from the data: preparation, not reading, so it is
  // timed with cleaning (as the raw polars floor of bench/run.ts times its label).
  const rule = config.data.derive_target;
  const raw = rule ? timed("clean", () => deriveTarget(loaded, rule, target)) : loaded;
  const file = await fingerprintFile(config.data.path);
  logger.info("Loaded {rows} rows × {cols} columns from {path}", {
    rows: raw.height,
    cols: raw.width,
    path: config.data.path,
  });
  if (!raw.columns.includes(target)) {
    throw new SchemaMismatchError(
      `Cannot train on "${config.data.path}": the target column "${target}" (data.target) is missing; found ${
        JSON.stringify(raw.columns)
      }`,
    );
  }

  const validation = timed(
    "validate",
    () => validate(raw, config.validation, { target, strict: false }),
  );
  logger.info("Validation of the raw data: {issues} rule(s) broken", {
    issues: validation.issues.length,
  });

  const rowLevel = rowLevelCleaning(config.cleaning);
  const cleanedRows = timed("clean", () => {
    const state = fitCleaning(raw, rowLevel);
    return applyCleaning(raw, rowLevel, state, { dropRows: true });
  });
  const targetNulls = cleanedRows.frame.getColumn(target).nullCount();
  const rows = targetNulls > 0
    ? cleanedRows.frame.filter(pl.col(target).isNotNull())
    : cleanedRows.frame;
  if (targetNulls > 0) {
    logger.warn("Dropped {count} rows whose target {target} is null", {
      count: targetNulls,
      target,
    });
  }
  checkTarget(rows, target, task);

  const split = timed("split", () => splitFrame(rows, config.split, { target }));
  const cleaningState = timed("clean", () => fitCleaning(split.train, config.cleaning));
  const cleanSplit = (df: DataFrame) =>
    applyCleaning(df, config.cleaning, cleaningState, { dropRows: true });
  const [train, val, test] = timed(
    "clean",
    () => [cleanSplit(split.train), cleanSplit(split.val), cleanSplit(split.test)],
  );
  const cleaning: CleaningReport = {
    rowsIn: raw.height,
    rowsOut: train.report.rowsOut + val.report.rowsOut + test.report.rowsOut,
    steps: [
      ...cleanedRows.report.steps,
      ...train.report.steps.filter((s) => s.step === "nulls" || s.step === "clip").filter((s) =>
        s.rows > 0 || !rowLevel.nulls[s.column ?? ""]
      ),
    ],
  };

  // The cleaned splits must pass the schema. When the raw data passed every rule and cleaning
  // changed no value or type (each step only dropped rows or touched none, and the columns and
  // their types are raw's), every split holds raw rows as they were and passes too: checking
  // it again would repeat the pass over the data.
  const schemaOf = (df: DataFrame) =>
    JSON.stringify(Object.entries(df.schema).map(([name, type]) => [name, `${type}`]));
  const keptValues =
    [cleanedRows.report, train.report, val.report, test.report].every((report) =>
      report.steps.every((step) =>
        step.rows === 0 || step.step === "drop_duplicates" ||
        (step.step === "nulls" && step.action === "drop")
      )
    ) && [train, val, test].every((part) => schemaOf(part.frame) === schemaOf(raw));
  if (config.validation.strict && !(validation.ok && keptValues)) {
    timed("validate", () => {
      for (const [name, part] of [["train", train], ["val", val], ["test", test]] as const) {
        if (part.frame.height === 0) continue;
        const report = validate(part.frame, { ...config.validation, min_rows: 0 }, {
          target,
          strict: false,
        });
        if (!report.ok) {
          throw new DataValidationError(
            `Cannot train: the cleaned ${name} split still breaks ${report.issues.length} validation rule(s) (${
              report.issues.map((i) => `${i.column ?? "table"} ${i.rule}: ${i.count}`).join(", ")
            }); add cleaning for them in config/config.yaml "cleaning" or relax "validation.columns"`,
            report.issues,
          );
        }
      }
    });
  }

  const derived = config.features.derived;
  const withDerived = (df: DataFrame) => derived.length ? addDerivedFeatures(df, derived) : df;
  const result = timed("features", () => ({
    train: withDerived(train.frame),
    val: withDerived(val.frame),
    test: withDerived(test.frame),
  }));
  logger.info("Split {train}/{val}/{test} rows (train/val/test)", {
    train: result.train.height,
    val: result.val.height,
    test: result.test.height,
  });
  return {
    ...result,
    raw,
    validation,
    cleaning,
    cleaningState,
    input: {
      path: config.data.path,
      sha256: file.sha256,
      bytes: file.bytes,
      rows: raw.height,
    },
    stages,
  };
}

/**
 * Fits the feature pipeline (and selector) on the training split and builds every matrix.
 *
 * @param data the prepared splits
 * @param config the resolved config
 * @returns the fitted features with train, val and test matrices and targets
 * @throws {ConfigError} when no feature steps are configured
 * @throws {DataValidationError} when val or test hold a class that train lacks
 * @example
 * ```ts
 * const features = fitFeatures(await prepareData(config), config);
 * features.names; // ["Beak Length (mm)", ..., "Sex_MALE"]
 * ```
 */
export function fitFeatures(
  data: Pick<PreparedData, "train" | "val" | "test">,
  config: Config,
): FittedFeatures {
  if (config.features.steps.length === 0) {
    throw new ConfigError(
      `Cannot build features: "features.steps" is empty; list the columns to use and their transformers in config/config.yaml`,
    );
  }
  const { target, task, id_columns } = config.data;
  const pipeline = FeaturePipeline.fromConfig(config.features, { target, idColumns: id_columns });
  if (config.features.selection.length === 0) {
    // Without a selector no feature frame is needed: each split goes straight to its matrix
    // (indicators read from Boolean columns), never through a full-size Float64 frame.
    const train = pipeline.fitTransformToMatrix(data.train);
    const y = buildTargets(data, target, task);
    const x = {
      train,
      val: pipeline.transformToMatrix(data.val),
      test: pipeline.transformToMatrix(data.test),
    };
    return { pipeline, selector: null, names: pipeline.featureNamesOut(), x, y, selection: null };
  }
  // fitTransform: the training features come out of fitting, not from a second transform.
  let trainFrame: DataFrame | null = pipeline.fitTransform(data.train);
  const y = buildTargets(data, target, task);
  const yTrainIndex = y.train.kind === "classification"
    ? y.train.labels
    : Float64Array.from(y.train.values);
  const selector = new FeatureSelector({
    selectors: config.features.selection,
    seed: config.training.seed,
  })
    .fit(trainFrame, yTrainIndex);
  trainFrame = selector.transform(trainFrame);
  const names = trainFrame.columns;
  // One split at a time: a transformed frame holds Float64 columns (twice the matrix's bytes,
  // plus each transformer's intermediate frames), so each is dropped as soon as its matrix
  // exists instead of all three living until the end. With fitTransform above, the flights
  // profile's peak RSS after this stage fell from 3.1–3.5 GB to 2.4 GB (bench/RESULTS.md).
  const train = frameToMatrix(trainFrame, names);
  trainFrame = null;
  releaseNativeMemory();
  const matrixOf = (df: DataFrame): Matrix => {
    const matrix = frameToMatrix(selector.transform(pipeline.transform(df)), names);
    releaseNativeMemory();
    return matrix;
  };
  const val = matrixOf(data.val);
  const test = matrixOf(data.test);
  return {
    pipeline,
    selector,
    names,
    x: { train, val, test },
    y,
    selection: selector.report(),
  };
}

/**
 * Polars frames hold native memory that V8 does not see, so dead frames are only freed when a
 * full collection happens for other reasons. When the process runs with
 * `--v8-flags=--expose-gc`, collect now so that a finished stage's frames are returned.
 */
function releaseNativeMemory(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Builds the targets of each split: class indexes over the training split's sorted classes, or
 * values.
 *
 * @param data the three splits
 * @param target the target column
 * @param task classification or regression
 * @returns the targets of train, val and test
 * @throws {DataValidationError} when val or test hold a class absent from train, or train holds
 *   a single class
 * @example
 * ```ts
 * const y = buildTargets(data, "Species", "classification");
 * y.train.kind === "classification" && y.train.classes; // ["Adelie", "Chinstrap", "Gentoo"]
 * ```
 */
export function buildTargets(
  data: Pick<PreparedData, "train" | "val" | "test">,
  target: string,
  task: "classification" | "regression",
): FittedFeatures["y"] {
  if (task === "regression") {
    const values = (df: DataFrame): Targets => ({
      kind: "regression",
      values: Float32Array.from(df.getColumn(target).cast(pl.Float64).toArray() as number[]),
    });
    return { train: values(data.train), val: values(data.val), test: values(data.test) };
  }
  const labelsOf = (df: DataFrame) => df.getColumn(target).cast(pl.Utf8).toArray() as string[];
  // Without nulls, classes and class indexes come from polars: no JS string per row (3M rows:
  // seconds and hundreds of MB less). With nulls, the per-row path keeps null's handling.
  const native = [data.train, data.val, data.test].every((df) =>
    df.getColumn(target).nullCount() === 0
  );
  const classes = native
    ? (data.train.getColumn(target).cast(pl.Utf8).unique().toArray() as string[]).sort()
    : [...new Set(labelsOf(data.train))].sort();
  if (classes.length < 2) {
    throw new DataValidationError(
      `Cannot train a classifier: the training split holds ${classes.length} class(es) ${
        JSON.stringify(classes)
      } of "${target}"; a classifier needs at least 2, so check data.target and the split`,
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const encode = (labels: string[], split: string): Targets => {
    const out = new Int32Array(labels.length);
    const unseen = new Set<string>();
    labels.forEach((label, i) => {
      const k = index.get(label);
      if (k === undefined) unseen.add(label);
      else out[i] = k;
    });
    if (unseen.size > 0) {
      throw new DataValidationError(
        `Cannot evaluate on the ${split} split: class(es) ${
          JSON.stringify([...unseen])
        } of "${target}" are absent from the training split; use split.method "stratified" or collect more rows of them`,
      );
    }
    return { kind: "classification", labels: out, classes };
  };
  const label = pl.col(target).cast(pl.Utf8);
  // Up to 8 classes (the usual case) are told apart by comparisons, 3x cheaper than a hash
  // lookup per row; -1 marks a class train lacks.
  const code = classes.length <= 8
    ? classes.reduceRight(
      (otherwise, name, i) => pl.when(label.eq(pl.lit(name))).then(pl.lit(i)).otherwise(otherwise),
      pl.lit(-1),
    )
    : label.replaceStrict(classes, classes.map((_, i) => i), -1, pl.Int32);
  const encodeFrame = (df: DataFrame, split: string): Targets => {
    if (!native) return encode(labelsOf(df), split);
    // toTypedArray copies out of polars: the array is this split's own.
    const labels = df.select(code.cast(pl.Int32).alias("code")).getColumn("code")
      .toTypedArray() as Int32Array;
    // An unseen class: the per-row path names it in the error.
    if (labels.includes(-1)) return encode(labelsOf(df), split);
    return { kind: "classification", labels, classes };
  };
  return {
    train: encodeFrame(data.train, "train"),
    val: encodeFrame(data.val, "val"),
    test: encodeFrame(data.test, "test"),
  };
}

/**
 * Runs the whole training job and records it as a run folder under `registry.experiments_dir`.
 *
 * The folder is written to a hidden temporary folder and renamed into place at the end, so a
 * failed or interrupted run leaves no run behind.
 *
 * @param loaded the loaded config (from `loadConfig`)
 * @param options logging, training hooks, and whether to record the run
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
  const { config, root, hash } = loaded;
  const logger = options.logger ?? getProjectLogger("pipeline");
  const started = new Date();
  const data = await prepareData(config, logger);
  const stages = { ...data.stages };
  const time = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    stages[name] = (stages[name] ?? 0) + (performance.now() - start) / 1000;
    return result;
  };

  const features = await time("features", () => fitFeatures(data, config));
  const backend = await initBackend(config.training.backend, { logger });
  const { task } = config.data;
  const classes = features.y.train.kind === "classification" ? features.y.train.classes : [];
  const makeModel = (modelConfig: Config["model"]) =>
    createModel(modelConfig, {
      task,
      inputDim: features.names.length,
      classes,
      seed: config.training.seed,
    });

  const model = makeModel(config.model);
  const fitOptions = {
    ...fitOptionsFromConfig(config.training, features.y.train),
    ...(features.x.val.rows > 0 ? { validation: { x: features.x.val, y: features.y.val } } : {}),
    ...(options.callbacks ? { callbacks: options.callbacks } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  logger.info("Training {family} on {rows} rows × {cols} features ({backend})", {
    family: config.model.family,
    rows: features.x.train.rows,
    cols: features.names.length,
    backend,
  });
  const history = await time(
    "train",
    () => model.fit(features.x.train, features.y.train, fitOptions),
  );

  const baselineModel = makeModel({ family: "baseline", params: {} });
  await baselineModel.fit(
    features.x.train,
    features.y.train,
    fitOptionsFromConfig(config.training, features.y.train),
  );
  const evaluateAll = (m: BaseModel): RunMetrics => ({
    train: evaluateModel(m, features.x.train, features.y.train),
    val: features.x.val.rows > 0 ? evaluateModel(m, features.x.val, features.y.val) : null,
    test: evaluateModel(m, features.x.test, features.y.test),
  });
  const metrics = await time("evaluate", () => evaluateAll(model));
  const baseline = evaluateAll(baselineModel);
  baselineModel.dispose();

  const primaryMetric = config.registry.primary_metric;
  const inputColumns = rawInputColumns(features.pipeline.inputColumns(), config.features.derived);
  // Dates feed derived features only; drift is checked on the other inputs.
  const profiledColumns = inputColumns.filter((name) => {
    return !isDateDtype(data.train.getColumn(name).dtype);
  });
  const relative = (path: string) =>
    path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
  const recordBase: Omit<RunRecord, "artifacts"> = {
    format_version: 1,
    id: createRunId(started, config.project.name, hash),
    created: new Date().toISOString(),
    project: config.project.name,
    profile: options.profile ?? null,
    task,
    family: config.model.family,
    git: await gitState(root),
    versions: {
      deno: Deno.version.deno,
      typescript: Deno.version.typescript,
      tfjs: tf.version_core,
      tfjs_backend: backend,
      "nodejs-polars": String((pl as unknown as { version?: string }).version ?? "unknown"),
    },
    seeds: { split: config.split.seed, training: config.training.seed },
    config_hash: hash,
    data: [{ ...data.input, path: relative(data.input.path) }],
    test_fingerprint: await fingerprintFrame(data.test),
    rows: {
      raw: data.raw.height,
      clean: data.train.height + data.val.height + data.test.height,
      train: data.train.height,
      val: data.val.height,
      test: data.test.height,
    },
    primary: {
      metric: primaryMetric,
      val: metricValue(metrics.val, primaryMetric),
      test: metricValue(metrics.test, primaryMetric),
    },
    stages,
  };

  if (options.record === false) {
    return {
      id: recordBase.id,
      dir: null,
      record: { ...recordBase, artifacts: {} },
      metrics,
      baseline,
      history,
      model,
      features,
      data,
    };
  }

  const written = await time(
    "record",
    () =>
      writeRunFolder(config.registry.experiments_dir, recordBase, async (dir) => {
        const json = (name: string, value: unknown) =>
          Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(value, null, 2) + "\n");
        await Deno.writeTextFile(`${dir}/config.yaml`, configToYaml(config, root));
        await json(
          "schema.json",
          inputSignature(data.train, inputColumns, config.data.target, config.data.id_columns),
        );
        await json("features.json", {
          pipeline: features.pipeline.toJSON(),
          selector: features.selector?.toJSON() ?? null,
          names: features.names,
        });
        await json("cleaning.json", { state: data.cleaningState });
        await model.save(`${dir}/model`);
        await json("metrics.json", { primary_metric: primaryMetric, model: metrics, baseline });
        await json("history.json", history);
        await json(
          "profile.json",
          profileFrame(data.train, profiledColumns, { seed: config.split.seed }),
        );
        await json("reports.json", {
          validation: data.validation,
          cleaning: data.cleaning,
          selection: features.selection,
        });
        // Written with the run, so a finished run always has its report; it stays out of the
        // checksums (RUN_REPORT_FILE) because `deno task report` may rebuild it.
        await Deno.writeTextFile(
          `${dir}/${RUN_REPORT_FILE}`,
          await buildRunReport({
            record: recordBase,
            configYaml: configToYaml(config, root),
            target: config.data.target,
            metrics: { primary_metric: primaryMetric, model: metrics, baseline },
            history,
            reports: {
              validation: data.validation,
              cleaning: data.cleaning,
              selection: features.selection,
            },
            model,
            names: features.names,
            inputColumns: features.pipeline.inputColumns(),
          }, { test: { x: features.x.test, y: features.y.test }, logger }),
        );
      }),
  );
  logger.info("Recorded run {id} in {dir}", { id: written.record.id, dir: written.dir });
  return {
    id: written.record.id,
    dir: written.dir,
    record: written.record,
    metrics,
    baseline,
    history,
    model,
    features,
    data,
  };
}

/**
 * Returns the raw columns a row must hold: the pipeline's inputs with each derived feature
 * replaced by the columns it is computed from (in order, without repeats).
 *
 * @param pipelineInputs the feature pipeline's input columns
 * @param derived the configured derived features
 * @returns the raw input columns
 * @example
 * ```ts
 * rawInputColumns(["distance", "hour"], [{ name: "hour", kind: "date_part", column: "date", part: "hour" }]);
 * // ["distance", "date"]
 * ```
 */
export function rawInputColumns(
  pipelineInputs: readonly string[],
  derived: Config["features"]["derived"],
): string[] {
  const sources = new Map(
    derived.map((d) => [d.name, "columns" in d ? [...d.columns] : [d.column]] as const),
  );
  const out: string[] = [];
  const visit = (name: string, depth: number) => {
    const from = sources.get(name);
    if (from && depth < 64) { for (const source of from) visit(source, depth + 1); }
    else if (!out.includes(name)) out.push(name);
  };
  for (const name of pipelineInputs) visit(name, 0);
  return out;
}

/** The cleaning steps that act on rows and values, without learned statistics. */
function rowLevelCleaning(cleaning: CleaningConfig): CleaningConfig {
  return {
    ...cleaning,
    nulls: Object.fromEntries(
      Object.entries(cleaning.nulls).filter(([, strategy]) => strategy.strategy === "drop"),
    ),
    clip: {},
  };
}

function checkTarget(df: DataFrame, target: string, task: "classification" | "regression"): void {
  const column = df.getColumn(target);
  if (df.height === 0) {
    throw new DataValidationError(
      `Cannot train: no rows are left after cleaning; check the "cleaning" section of the config`,
    );
  }
  const distinct = column.nUnique();
  if (distinct < 2) {
    throw new DataValidationError(
      `Cannot train: the target "${target}" is constant (${distinct} distinct value) after cleaning; choose another data.target or check the data`,
    );
  }
  if (task === "regression" && !isNumericDtype(column.dtype)) {
    throw new SchemaMismatchError(
      `Cannot train a regression: the target "${target}" is ${column.dtype.variant}, expected a numeric column; set data.task to "classification" or pick a numeric target`,
    );
  }
}

async function gitState(root: string): Promise<RunRecord["git"]> {
  const run = async (args: string[]) => {
    try {
      const out = await new Deno.Command("git", {
        args,
        cwd: root,
        stdout: "piped",
        stderr: "null",
      })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
    } catch {
      return null; // git is not installed: the run records that it does not know.
    }
  };
  const commit = await run(["rev-parse", "HEAD"]);
  const status = commit === null
    ? null
    : await run(["status", "--porcelain", "--untracked-files=no"]);
  return { commit, dirty: status === null ? null : status.length > 0 };
}
