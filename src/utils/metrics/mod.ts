/**
 * Evaluation metrics for classification and regression, defined as scikit-learn defines them.
 *
 * Every function is a pure function of typed arrays: no frames, no tensors, no globals. Each
 * metric's definition (formula and edge cases) is written in its doc comment together with the
 * scikit-learn call it reproduces, so a number in `metrics.json` can be checked by hand or
 * against Python.
 *
 * Conventions shared by every function here:
 * - Classification labels are integer class indexes in `[0, k)`, given as `Int32Array` or
 *   `number[]`. Class probabilities are a row-major `n × k` `Float32Array` or `Float64Array`
 *   (`proba[i * k + j]` is the probability of class `j` for sample `i`).
 * - Sums are accumulated in float64, whatever the input type.
 * - Bad input is a programmer mistake and throws a built-in error that names the metric, the
 *   argument and the index: `TypeError` for a wrong container, `RangeError` for an empty input,
 *   mismatched lengths, a label outside `[0, k)`, or a NaN or infinite value.
 * - Where scikit-learn raises because a metric is undefined (ROC AUC with one class present,
 *   R² with one sample), the function returns `NaN` instead, so a report can still be written;
 *   `JSON.stringify` writes it as `null` and reports show it as "n/a".
 *
 * @module
 */
export { isBetter, METRIC_DIRECTIONS, METRICS_BY_TASK } from "./names.ts";
export type {
  ClassificationMetricName,
  ClassificationMetrics,
  ClassScores,
  LabelArray,
  MetricDirection,
  MetricName,
  MetricTask,
  NumericArray,
  PrecisionRecallF1,
  ProbabilityArray,
  RegressionMetricName,
  RegressionMetrics,
  RocCurve,
} from "./names.ts";
export { rocAuc, rocCurve } from "./curves.ts";
export {
  accuracy,
  balancedAccuracy,
  classificationReport,
  confusionMatrix,
  logLoss,
  precisionRecallF1,
} from "./classification.ts";
export {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  r2Score,
  regressionReport,
  rootMeanSquaredError,
} from "./regression.ts";
