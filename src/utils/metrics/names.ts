/**
 * Metric names, their result shapes and directions: which metrics exist for each task and
 * whether higher or lower is better.
 *
 * @module
 */
import { didYouMean } from "../../errors.ts";

/** Class labels: one integer class index in `[0, k)` per sample. */
export type LabelArray = Int32Array | readonly number[];

/** Class probabilities: a row-major `n × k` matrix, `proba[i * k + j]` = P(class j | sample i). */
export type ProbabilityArray = Float32Array | Float64Array;

/** Real-valued targets or predictions for regression metrics. */
export type NumericArray = Float32Array | Float64Array | readonly number[];

/** Precision, recall, F1 and support of one class (or an average over classes). */
export interface ClassScores {
  /** `tp / (tp + fp)`; 0 when the class is never predicted. */
  precision: number;
  /** `tp / (tp + fn)`; 0 when the class never occurs in `yTrue`. */
  recall: number;
  /** `2·tp / (2·tp + fp + fn)`; 0 when the class is neither predicted nor present. */
  f1: number;
  /** Number of samples whose true label is the class (for averages: all samples). */
  support: number;
}

/** The result of {@link precisionRecallF1}: one entry per class plus two averages. */
export interface PrecisionRecallF1 {
  /** Scores of class `j` at index `j`, for every `j` in `[0, k)`. */
  perClass: ClassScores[];
  /** Unweighted mean over all `k` classes; `support` is the number of samples. */
  macro: ClassScores;
  /** Mean over classes weighted by support; `support` is the number of samples. */
  weighted: ClassScores;
}

/** Points of a ROC curve, from the highest threshold to the lowest. */
export interface RocCurve {
  /** False positive rate at each threshold: `fp / negatives`. */
  fpr: number[];
  /** True positive rate at each threshold: `tp / positives`. */
  tpr: number[];
  /** Decreasing thresholds; the first is `Infinity` so the curve starts at (0, 0). */
  thresholds: number[];
}

/**
 * Every classification metric of one split, as written to `metrics.json`.
 *
 * `roc_auc` is `NaN` when it is undefined (see {@link rocAuc}).
 */
export interface ClassificationMetrics {
  /** See {@link accuracy}. */
  accuracy: number;
  /** See {@link balancedAccuracy}. */
  balanced_accuracy: number;
  /** Macro-averaged precision, see {@link precisionRecallF1}. */
  precision_macro: number;
  /** Macro-averaged recall. */
  recall_macro: number;
  /** Macro-averaged F1. */
  f1_macro: number;
  /** Support-weighted precision. */
  precision_weighted: number;
  /** Support-weighted recall (equal to accuracy). */
  recall_weighted: number;
  /** Support-weighted F1. */
  f1_weighted: number;
  /** See {@link rocAuc}; `NaN` when undefined. */
  roc_auc: number;
  /** See {@link logLoss}. */
  log_loss: number;
  /** Precision, recall, F1 and support of each class, keyed by class name. */
  per_class: Record<string, ClassScores>;
  /** Counts: row = true class, column = predicted class, in the order of `labels`. */
  confusion_matrix: number[][];
  /** The class names, in class-index order. */
  labels: string[];
  /** Number of samples. */
  n: number;
}

/** Every regression metric of one split, as written to `metrics.json`. */
export interface RegressionMetrics {
  /** See {@link meanAbsoluteError}. */
  mae: number;
  /** See {@link rootMeanSquaredError}. */
  rmse: number;
  /** See {@link r2Score}; `NaN` with fewer than two samples. */
  r2: number;
  /** See {@link meanAbsolutePercentageError}; a fraction, not a percent. */
  mape: number;
  /** Number of samples. */
  n: number;
}

/** The name of a scalar classification metric in {@link ClassificationMetrics}. */
export type ClassificationMetricName =
  | "accuracy"
  | "balanced_accuracy"
  | "precision_macro"
  | "recall_macro"
  | "f1_macro"
  | "precision_weighted"
  | "recall_weighted"
  | "f1_weighted"
  | "roc_auc"
  | "log_loss";

/** The name of a scalar regression metric in {@link RegressionMetrics}. */
export type RegressionMetricName = "mae" | "rmse" | "r2" | "mape";

/** The name of any scalar metric that a report holds. */
export type MetricName = ClassificationMetricName | RegressionMetricName;

/** The task a metric belongs to: `classification` (labels) or `regression` (numbers). */
export type MetricTask = "classification" | "regression";

/**
 * The scalar metrics of each task, in report order: the one list that says which metric fits
 * which task (config loading refuses a `registry.primary_metric` outside its task's list).
 *
 * @example
 * ```ts
 * METRICS_BY_TASK.regression; // ["mae", "rmse", "r2", "mape"]
 * METRICS_BY_TASK.classification.includes("f1_macro"); // true
 * ```
 */
export const METRICS_BY_TASK: Readonly<{
  classification: readonly ClassificationMetricName[];
  regression: readonly RegressionMetricName[];
}> = Object.freeze({
  classification: Object.freeze(
    [
      "accuracy",
      "balanced_accuracy",
      "precision_macro",
      "recall_macro",
      "f1_macro",
      "precision_weighted",
      "recall_weighted",
      "f1_weighted",
      "roc_auc",
      "log_loss",
    ] as const,
  ),
  regression: Object.freeze(["mae", "rmse", "r2", "mape"] as const),
});

/** Whether larger (`"max"`) or smaller (`"min"`) values of a metric are better. */
export type MetricDirection = "max" | "min";

/**
 * The direction of improvement of every scalar metric in {@link ClassificationMetrics} and
 * {@link RegressionMetrics}: scores are maximised, errors and losses minimised.
 *
 * @example
 * ```ts
 * METRIC_DIRECTIONS.accuracy; // "max"
 * METRIC_DIRECTIONS.rmse; // "min"
 * ```
 */
export const METRIC_DIRECTIONS: Readonly<Record<MetricName, MetricDirection>> = Object.freeze({
  accuracy: "max",
  balanced_accuracy: "max",
  precision_macro: "max",
  recall_macro: "max",
  f1_macro: "max",
  precision_weighted: "max",
  recall_weighted: "max",
  f1_weighted: "max",
  roc_auc: "max",
  log_loss: "min",
  mae: "min",
  rmse: "min",
  r2: "max",
  mape: "min",
});

/**
 * Tells whether metric value `a` improves on `b` by more than `minImprovement`.
 *
 * With direction "max" that is `a − b > minImprovement`; with "min" it is
 * `b − a > minImprovement`. The comparison is strict, so equal values are never better. A `NaN`
 * on either side (an undefined metric such as `roc_auc` with one class) is never better and
 * never beaten: the result is `false`, and the caller decides what an undefined metric means.
 *
 * @param metric a key of {@link METRIC_DIRECTIONS}, e.g. `"accuracy"` or `"rmse"`
 * @param a the candidate's value
 * @param b the value to beat
 * @param minImprovement the margin `a` must exceed, in the metric's unit (`>= 0`)
 * @returns `true` when `a` is better than `b` by more than `minImprovement`
 * @throws {RangeError} when `metric` is unknown (with the closest name) or `minImprovement` is
 *   negative or not finite
 * @example
 * ```ts
 * isBetter("accuracy", 0.91, 0.9); // true
 * isBetter("rmse", 2.0, 2.1, 0.2); // false: improved by 0.1, not more than 0.2
 * ```
 */
export function isBetter(metric: string, a: number, b: number, minImprovement = 0): boolean {
  const names = Object.keys(METRIC_DIRECTIONS);
  if (!Object.hasOwn(METRIC_DIRECTIONS, metric)) {
    throw new RangeError(
      `Cannot compare metric values: unknown metric "${metric}"${
        didYouMean(metric, names)
      } (expected one of ${JSON.stringify(names)})`,
    );
  }
  if (!Number.isFinite(minImprovement) || minImprovement < 0) {
    throw new RangeError(
      `Cannot compare "${metric}" values: minImprovement is ${minImprovement}, expected a finite number >= 0`,
    );
  }
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  const direction = METRIC_DIRECTIONS[metric as MetricName];
  const improvement = direction === "max" ? a - b : b - a;
  return improvement > minImprovement;
}
