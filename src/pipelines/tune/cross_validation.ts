/**
 * Cross-validation of one config on the training split: the folds, the fit on the other folds
 * and the primary metric on the held-out fold, summarised as mean and standard deviation.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { ConfigError, DataValidationError, didYouMean } from "../../errors.ts";
import type { Config } from "../../config/mod.ts";
import { kFold, stratifiedKFold } from "../../data/mod.ts";
import type { Fold } from "../../data/mod.ts";
import { evaluateModel, metricValue } from "../../models/mod.ts";
import { getProjectLogger, METRIC_DIRECTIONS, METRICS_BY_TASK } from "../../utils/mod.ts";
import type { Logger, MetricDirection, MetricName } from "../../utils/mod.ts";
import { prepareData } from "../training_pipeline.ts";
import { runPipeline, TRAINING_NODES } from "../nodes/mod.ts";
import type { PreparedData } from "../training_pipeline.ts";

/** The nodes a fold runs: the feature fit and the model fit of the training pipeline. */
const FOLD_NODES = TRAINING_NODES.filter((node) => ["fit_features", "train"].includes(node.name));

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
  const { target } = config.data;
  const scores: number[] = [];
  for (const [index, fold] of folds.entries()) {
    options.signal?.throwIfAborted();
    // The fold's rows go in as the "prepared" splits; the feature and train nodes of
    // `deno task train` fit on them (nothing is cached: the input is not a file).
    const prepared = {
      train: takeFrameRows(data.train, fold.train),
      val: data.val,
      test: takeFrameRows(data.train, fold.val),
    };
    const { values } = await runPipeline(
      FOLD_NODES,
      { config, logger, ...(options.signal ? { signal: options.signal } : {}) },
      { targets: ["features", "model"], given: { prepared } },
    );
    const { features, model } = values;
    try {
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

/** The metric trials are ranked by (`registry.primary_metric`), checked against the task. */
export function primaryMetricOf(config: Config): string {
  const metric = config.registry.primary_metric;
  directionOf(metric);
  const regression = (METRICS_BY_TASK.regression as readonly string[]).includes(metric);
  if (regression !== (config.data.task === "regression")) {
    throw new ConfigError(
      `Cannot score trials by "${metric}": it is a ${
        regression ? "regression" : "classification"
      } metric but data.task is "${config.data.task}"; set registry.primary_metric to a ${config.data.task} metric`,
    );
  }
  return metric;
}

/** Whether a higher or a lower value of `metric` is better. */
export function directionOf(metric: string): MetricDirection {
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

/** Refuses a fold count that is not an integer of at least 2. */
export function checkFoldOption(folds: number): void {
  if (!Number.isSafeInteger(folds) || folds < 2) {
    throw new ConfigError(
      `Cannot cross-validate with ${
        JSON.stringify(folds)
      } folds: expected an integer of at least 2; pass --folds 5, for example`,
    );
  }
}

/** The k folds of the training split: stratified by the target for classification, plain k-fold for regression. */
export function foldsOf(train: DataFrame, config: Config, k: number, seed: number): Fold[] {
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
