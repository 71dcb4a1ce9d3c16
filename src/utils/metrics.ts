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
import { didYouMean } from "../errors.ts";

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

/** Largest allowed `|row sum − 1|` for a probability row: `numpy.allclose` defaults. */
const ROW_SUM_TOLERANCE = 1e-8 + 1e-5;

/** `numpy.finfo(numpy.float64).eps` = 2^-52. */
const FLOAT64_EPSILON = Number.EPSILON;

/** `numpy.finfo(numpy.float32).eps` = 2^-23. */
const FLOAT32_EPSILON = 2 ** -23;

// ---------------------------------------------------------------------------------------------
// Classification from labels
// ---------------------------------------------------------------------------------------------

/**
 * Fraction of samples whose predicted label equals the true label.
 *
 * Definition (sklearn `accuracy_score(y_true, y_pred)`):
 * `accuracy = (1/n) · Σᵢ [yTrue[i] = yPred[i]]`. Range [0, 1]; 1 is perfect.
 *
 * @param yTrue true class indexes (non-negative integers)
 * @param yPred predicted class indexes, one per sample
 * @returns the accuracy in [0, 1]
 * @throws {TypeError} when an argument is not an `Int32Array` or a number array
 * @throws {RangeError} when the inputs are empty, differ in length, or hold a label that is not
 *   a non-negative integer
 * @example
 * ```ts
 * accuracy([0, 1, 2, 2], [0, 2, 2, 2]); // 0.75
 * ```
 */
export function accuracy(yTrue: LabelArray, yPred: LabelArray): number {
  const metric = "accuracy";
  const n = checkLabelPair(metric, yTrue, yPred, Infinity);
  let correct = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / n;
}

/**
 * Mean recall over the classes present in `yTrue`.
 *
 * Definition (sklearn `balanced_accuracy_score(y_true, y_pred)`, `adjusted=False`):
 * for every class `c` that occurs in `yTrue`, `recall_c = tp_c / support_c`;
 * `balanced_accuracy = mean_c recall_c`. Classes that occur only in `yPred` are left out, as
 * sklearn drops them (with a warning). With one class present the result is that class's recall.
 * On balanced data it equals accuracy. Range [0, 1]; 1 is perfect.
 *
 * @param yTrue true class indexes (non-negative integers)
 * @param yPred predicted class indexes, one per sample
 * @returns the balanced accuracy in [0, 1]
 * @throws {TypeError} when an argument is not an `Int32Array` or a number array
 * @throws {RangeError} when the inputs are empty, differ in length, or hold a label that is not
 *   a non-negative integer
 * @example
 * ```ts
 * balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0]); // (1 + 0) / 2 = 0.5
 * ```
 */
export function balancedAccuracy(yTrue: LabelArray, yPred: LabelArray): number {
  const metric = "balanced_accuracy";
  const n = checkLabelPair(metric, yTrue, yPred, Infinity);
  // Labels are unbounded here, so count in maps rather than arrays sized by the largest label.
  const support = new Map<number, number>();
  const correct = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const label = yTrue[i]!;
    support.set(label, (support.get(label) ?? 0) + 1);
    if (yPred[i] === label) correct.set(label, (correct.get(label) ?? 0) + 1);
  }
  // Sum in ascending label order, the order sklearn's confusion matrix uses.
  const labels = [...support.keys()].sort((a, b) => a - b);
  let total = 0;
  for (const label of labels) total += (correct.get(label) ?? 0) / support.get(label)!;
  return total / labels.length;
}

/**
 * Counts of (true class, predicted class) pairs.
 *
 * Definition (sklearn `confusion_matrix(y_true, y_pred, labels=range(k))`):
 * `C[i][j]` = number of samples with true class `i` predicted as class `j`. Rows are true
 * classes, columns predicted classes; every class in `[0, k)` has a row and a column, present or
 * not. In the binary case `C = [[tn, fp], [fn, tp]]`.
 *
 * @param yTrue true class indexes in `[0, k)`
 * @param yPred predicted class indexes in `[0, k)`
 * @param k the number of classes
 * @returns a `k × k` array of counts
 * @throws {TypeError} when a label argument is not an `Int32Array` or a number array
 * @throws {RangeError} when `k` is not a positive integer, the inputs are empty or differ in
 *   length, or a label is outside `[0, k)`
 * @example
 * ```ts
 * confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3);
 * // [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
 * ```
 */
export function confusionMatrix(yTrue: LabelArray, yPred: LabelArray, k: number): number[][] {
  const metric = "confusion_matrix";
  checkClassCount(metric, k, 1);
  const n = checkLabelPair(metric, yTrue, yPred, k);
  return countConfusion(yTrue, yPred, n, k);
}

/**
 * Precision, recall and F1 of every class, with their macro and support-weighted averages.
 *
 * Definition (sklearn `precision_recall_fscore_support(y_true, y_pred, labels=range(k),
 * zero_division="warn")` for each class and for `average="macro"` and `average="weighted"`):
 * with `tp`, `fp`, `fn` counted one-vs-rest for class `c` and `support_c = tp + fn`,
 * - `precision_c = tp / (tp + fp)`, and **0 when the class is never predicted** (`tp + fp = 0`);
 *   sklearn's `zero_division="warn"` returns 0 there (after a warning), and so do we;
 * - `recall_c = tp / (tp + fn)`, and 0 when the class never occurs in `yTrue`;
 * - `f1_c = 2·tp / (2·tp + fp + fn)` (the harmonic mean of precision and recall written in
 *   counts, as current sklearn computes it), and 0 when `2·tp + fp + fn = 0`;
 * - `macro` = the plain mean over all `k` classes, including classes that are absent or never
 *   predicted (their zeros pull the mean down, as in sklearn with explicit `labels`);
 * - `weighted` = `Σ_c support_c · score_c / n`; weighted recall therefore equals accuracy.
 *
 * @param yTrue true class indexes in `[0, k)`
 * @param yPred predicted class indexes in `[0, k)`
 * @param k the number of classes
 * @returns per-class scores (index = class) and the macro and weighted averages
 * @throws {TypeError} when a label argument is not an `Int32Array` or a number array
 * @throws {RangeError} when `k` is not a positive integer, the inputs are empty or differ in
 *   length, or a label is outside `[0, k)`
 * @example
 * ```ts
 * const { perClass, macro } = precisionRecallF1([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
 * perClass[0]; // { precision: 0.5, recall: 1, f1: 0.666…, support: 1 }
 * macro.f1; // (2/3 + 0 + 0.8) / 3 = 0.4888…
 * ```
 */
export function precisionRecallF1(
  yTrue: LabelArray,
  yPred: LabelArray,
  k: number,
): PrecisionRecallF1 {
  const metric = "precision_recall_f1";
  checkClassCount(metric, k, 1);
  const n = checkLabelPair(metric, yTrue, yPred, k);
  return scoresFromConfusion(countConfusion(yTrue, yPred, n, k), n);
}

// ---------------------------------------------------------------------------------------------
// Classification from probabilities
// ---------------------------------------------------------------------------------------------

/**
 * Mean negative log-likelihood of the true classes (cross-entropy), with clipping.
 *
 * Definition (sklearn ≥ 1.5 `log_loss(y_true, proba, labels=range(k))`):
 * `log_loss = −(1/n) · Σᵢ ln(clip(proba[i, yTrue[i]], ε, 1 − ε))`, natural logarithm, where
 * `ε = numpy.finfo(proba.dtype).eps`: 2^-52 ≈ 2.22e-16 for a `Float64Array` and
 * 2^-23 ≈ 1.19e-7 for a `Float32Array` (sklearn keeps float32 input as float32 and clips with
 * its epsilon). A zero probability on the true class therefore costs `−ln ε` (36.04 for float64,
 * 15.94 for float32) instead of infinity. Rows are not renormalised: sklearn stopped doing that
 * in 1.5 and now only warns when rows do not sum to one; here such rows throw instead (see
 * below), so every value this returns equals sklearn's. Range [0, ∞); 0 is perfect.
 *
 * @param yTrue true class indexes in `[0, k)`
 * @param proba class probabilities, row-major `n × k`; every value in [0, 1] and every row
 *   summing to 1 within 1e-5
 * @param k the number of classes (at least 2)
 * @returns the mean log loss
 * @throws {TypeError} when `yTrue` is not an `Int32Array` or a number array, or `proba` is not a
 *   `Float32Array` or `Float64Array`
 * @throws {RangeError} when `k < 2`, the inputs are empty, `proba` does not hold `n × k` values,
 *   a label is outside `[0, k)`, a probability is NaN, infinite or outside [0, 1], or a row does
 *   not sum to 1
 * @example
 * ```ts
 * logLoss([1, 0, 0, 1], new Float64Array([0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65]), 2);
 * // −(ln 0.9 + ln 0.9 + ln 0.8 + ln 0.65) / 4 = 0.21616…
 * ```
 */
export function logLoss(yTrue: LabelArray, proba: ProbabilityArray, k: number): number {
  const metric = "log_loss";
  checkClassCount(metric, k, 2);
  const n = checkLabels(metric, "yTrue", yTrue, k);
  checkProbabilities(metric, proba, n, k);
  const epsilon = proba instanceof Float32Array ? FLOAT32_EPSILON : FLOAT64_EPSILON;
  const upper = 1 - epsilon;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = proba[i * k + yTrue[i]!]!;
    total -= Math.log(Math.min(Math.max(p, epsilon), upper));
  }
  return total / n;
}

/**
 * Area under the ROC curve: binary for `k = 2`, one-vs-rest macro average for `k > 2`.
 *
 * Definition (sklearn `roc_auc_score(y_true, proba[:, 1])` for `k = 2` and
 * `roc_auc_score(y_true, proba, multi_class="ovr", average="macro")` for `k > 2`):
 * - Binary: the score of sample `i` is `proba[i, 1]` (class 1 is the positive class). The AUC is
 *   the trapezoidal area under the ROC curve taken over the distinct score thresholds, which
 *   equals the Mann–Whitney statistic with ties counted half:
 *   `AUC = (#{pos > neg} + ½ · #{pos = neg}) / (P · N)` over all (positive, negative) pairs.
 *   Computed by sorting the positive and the negative scores, O(n log n), in exact integer
 *   counts.
 * - Multiclass: for each class `c`, the binary AUC of `[yTrue = c]` against `proba[:, c]`;
 *   the result is their unweighted mean.
 * - Undefined → `NaN`: when `yTrue` holds a single class (binary), or when any of the `k`
 *   classes is absent from `yTrue` (multiclass). sklearn raises in both cases; we return `NaN`
 *   so a report can still be written, and the report shows "n/a".
 *
 * Range [0, 1]; 0.5 is chance, 1 is perfect ranking.
 *
 * @param yTrue true class indexes in `[0, k)`
 * @param proba class probabilities, row-major `n × k`; every value in [0, 1] and every row
 *   summing to 1 within 1e-5 (sklearn's multiclass check)
 * @param k the number of classes (at least 2)
 * @returns the AUC, or `NaN` when it is undefined
 * @throws {TypeError} when `yTrue` is not an `Int32Array` or a number array, or `proba` is not a
 *   `Float32Array` or `Float64Array`
 * @throws {RangeError} when `k < 2`, the inputs are empty, `proba` does not hold `n × k` values,
 *   a label is outside `[0, k)`, a probability is NaN, infinite or outside [0, 1], or a row does
 *   not sum to 1
 * @example
 * ```ts
 * // positive-class scores 0.1, 0.4, 0.35, 0.8 for labels 0, 0, 1, 1
 * rocAuc([0, 0, 1, 1], new Float64Array([0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8]), 2); // 0.75
 * ```
 */
export function rocAuc(yTrue: LabelArray, proba: ProbabilityArray, k: number): number {
  const metric = "roc_auc";
  checkClassCount(metric, k, 2);
  const n = checkLabels(metric, "yTrue", yTrue, k);
  checkProbabilities(metric, proba, n, k);
  const positive = new Uint8Array(n);
  const scores = new Float64Array(n);
  if (k === 2) {
    for (let i = 0; i < n; i++) {
      positive[i] = yTrue[i] === 1 ? 1 : 0;
      scores[i] = proba[i * 2 + 1]!;
    }
    return binaryAuc(positive, scores);
  }
  let total = 0;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      positive[i] = yTrue[i] === c ? 1 : 0;
      scores[i] = proba[i * k + c]!;
    }
    const auc = binaryAuc(positive, scores);
    if (Number.isNaN(auc)) return NaN;
    total += auc;
  }
  return total / k;
}

/**
 * The ROC curve of binary labels against scores, for charts.
 *
 * Definition (sklearn `roc_curve(y_true, scores, drop_intermediate=False)`, `pos_label=1`):
 * sort the scores in decreasing order; for each distinct score `t` (a threshold), `tp(t)` and
 * `fp(t)` count the positives and negatives with score ≥ `t`. Then `tpr = tp / P`,
 * `fpr = fp / N`, and a first point `(0, 0)` with threshold `Infinity` is prepended (sklearn
 * ≥ 1.3 uses `np.inf`). Tied scores give a single point. When `yTrue` has no positives every
 * `tpr` is `NaN`, and when it has no negatives every `fpr` is `NaN` (sklearn warns and does the
 * same). The trapezoidal area under (fpr, tpr) is the binary {@link rocAuc}.
 *
 * @param yTrue01 true labels, each 0 (negative) or 1 (positive)
 * @param scores a score per sample; higher means more likely positive
 * @returns the curve points, from threshold `Infinity` down to the lowest score
 * @throws {TypeError} when `yTrue01` is not an `Int32Array` or a number array, or `scores` is not
 *   a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, a label is not 0 or 1, or a
 *   score is NaN or infinite
 * @example
 * ```ts
 * rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // { fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1],
 * //   thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1] }
 * ```
 */
export function rocCurve(yTrue01: LabelArray, scores: NumericArray): RocCurve {
  const metric = "roc_curve";
  const n = checkLabels(metric, "yTrue01", yTrue01, 2);
  checkNumbers(metric, "scores", scores);
  checkSameLength(metric, "yTrue01", n, "scores", scores.length);
  const positive = new Uint8Array(n);
  for (let i = 0; i < n; i++) positive[i] = yTrue01[i]!;
  const { positives, negatives } = splitByClass(positive, scores);
  const tps = [0];
  const fps = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  // Walk both ascending arrays from their ends: thresholds in decreasing order.
  let i = positives.length - 1;
  let j = negatives.length - 1;
  while (i >= 0 || j >= 0) {
    const threshold = Math.max(
      i >= 0 ? positives[i]! : -Infinity,
      j >= 0 ? negatives[j]! : -Infinity,
    );
    while (i >= 0 && positives[i] === threshold) {
      tp++;
      i--;
    }
    while (j >= 0 && negatives[j] === threshold) {
      fp++;
      j--;
    }
    tps.push(tp);
    fps.push(fp);
    thresholds.push(threshold);
  }
  return {
    fpr: fps.map((count) => (fp > 0 ? count / fp : NaN)),
    tpr: tps.map((count) => (tp > 0 ? count / tp : NaN)),
    thresholds,
  };
}

/**
 * Every classification metric of one split, from true labels and predicted probabilities.
 *
 * The predicted label of a sample is the index of its largest probability; ties go to the
 * lowest index, as `numpy.argmax`. From `yTrue` and that prediction it computes
 * {@link accuracy}, {@link balancedAccuracy}, {@link precisionRecallF1} (per class, macro and
 * weighted) and {@link confusionMatrix}; from `yTrue` and `proba` it computes {@link rocAuc}
 * (`NaN` when undefined) and {@link logLoss}. The same numbers as sklearn's functions with
 * `labels=range(k)`.
 *
 * @param yTrue true class indexes in `[0, classes.length)`
 * @param proba class probabilities, row-major `n × classes.length`
 * @param classes the class names in class-index order (at least 2, all different)
 * @returns the metrics, ready for `metrics.json`
 * @throws {TypeError} when `classes` is not an array of strings, or an input has the wrong type
 * @throws {RangeError} when `classes` has fewer than 2 or repeated names, or the inputs are
 *   invalid as described for {@link logLoss} and {@link rocAuc}
 * @example
 * ```ts
 * const report = classificationReport(
 *   [0, 1, 1],
 *   new Float64Array([0.8, 0.2, 0.3, 0.7, 0.6, 0.4]),
 *   ["no", "yes"],
 * );
 * report.accuracy; // 2/3
 * report.per_class.yes.recall; // 0.5
 * ```
 */
export function classificationReport(
  yTrue: LabelArray,
  proba: ProbabilityArray,
  classes: readonly string[],
): ClassificationMetrics {
  const metric = "classification_report";
  if (!Array.isArray(classes) || !classes.every((name) => typeof name === "string")) {
    throw new TypeError(
      `Cannot compute "${metric}": classes must be an array of class names (strings), found ${
        describe(classes)
      }`,
    );
  }
  const k = classes.length;
  if (k < 2) {
    throw new RangeError(
      `Cannot compute "${metric}": classes has ${k} name(s), expected at least 2; pass every class name in class-index order`,
    );
  }
  const seen = new Set<string>();
  for (const name of classes) {
    if (seen.has(name)) {
      throw new RangeError(
        `Cannot compute "${metric}": class name "${name}" appears more than once in ${
          JSON.stringify(classes)
        }; pass each class once`,
      );
    }
    seen.add(name);
  }
  const n = checkLabels(metric, "yTrue", yTrue, k);
  checkProbabilities(metric, proba, n, k);
  const yPred = argmaxRows(proba, n, k);
  const matrix = countConfusion(yTrue, yPred, n, k);
  const scores = scoresFromConfusion(matrix, n);
  const perClass: Record<string, ClassScores> = Object.fromEntries(
    classes.map((name, j) => [name, scores.perClass[j]!]),
  );
  return {
    accuracy: accuracy(yTrue, yPred),
    balanced_accuracy: balancedAccuracy(yTrue, yPred),
    precision_macro: scores.macro.precision,
    recall_macro: scores.macro.recall,
    f1_macro: scores.macro.f1,
    precision_weighted: scores.weighted.precision,
    recall_weighted: scores.weighted.recall,
    f1_weighted: scores.weighted.f1,
    roc_auc: rocAuc(yTrue, proba, k),
    log_loss: logLoss(yTrue, proba, k),
    per_class: perClass,
    confusion_matrix: matrix,
    labels: [...classes],
    n,
  };
}

// ---------------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------------

/**
 * Mean absolute difference between targets and predictions.
 *
 * Definition (sklearn `mean_absolute_error`): `mae = (1/n) · Σᵢ |yTrue[i] − yPred[i]|`, in the
 * target's unit. Range [0, ∞); 0 is perfect.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns the mean absolute error
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * meanAbsoluteError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // (0.5 + 0.5 + 0 + 1) / 4 = 0.5
 * ```
 */
export function meanAbsoluteError(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("mae", yTrue, yPred);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.abs(yTrue[i]! - yPred[i]!);
  return total / n;
}

/**
 * Square root of the mean squared difference between targets and predictions.
 *
 * Definition (sklearn `root_mean_squared_error`):
 * `rmse = √((1/n) · Σᵢ (yTrue[i] − yPred[i])²)`, in the target's unit. Range [0, ∞); 0 is
 * perfect.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns the root mean squared error
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * rootMeanSquaredError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // √(1.5 / 4) = 0.6123…
 * ```
 */
export function rootMeanSquaredError(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("rmse", yTrue, yPred);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const difference = yTrue[i]! - yPred[i]!;
    total += difference * difference;
  }
  return Math.sqrt(total / n);
}

/**
 * Coefficient of determination: the share of the target's variance that the predictions explain.
 *
 * Definition (sklearn `r2_score` with its default `force_finite=True`):
 * `SS_res = Σᵢ (yTrue[i] − yPred[i])²`, `SS_tot = Σᵢ (yTrue[i] − mean(yTrue))²` (two passes, so
 * no cancellation), `r2 = 1 − SS_res / SS_tot`. Edge cases:
 * - constant `yTrue` (`SS_tot = 0`): 1.0 when the predictions are perfect (`SS_res = 0`), else
 *   0.0, never NaN or −∞ (that is what `force_finite=True` does). A target is constant when all
 *   its values are equal; that is checked directly, so rounding in the mean cannot turn a
 *   constant target into a tiny nonzero `SS_tot`;
 * - fewer than two samples: `NaN` (sklearn warns "R^2 score is not well-defined with less than
 *   two samples" and returns NaN).
 *
 * Range (−∞, 1]; 1 is perfect, 0 is no better than predicting the mean.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns R², or `NaN` with a single sample
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * r2Score([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 1 − 1.5 / 29.1875 = 0.9486…
 * r2Score([5, 5, 5], [5, 5, 6]); // 0 (constant target, imperfect predictions)
 * ```
 */
export function r2Score(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("r2", yTrue, yPred);
  if (n < 2) return NaN;
  let residual = 0;
  let sum = 0;
  let constant = true;
  const first = yTrue[0]!;
  for (let i = 0; i < n; i++) {
    const difference = yTrue[i]! - yPred[i]!;
    residual += difference * difference;
    sum += yTrue[i]!;
    if (yTrue[i] !== first) constant = false;
  }
  if (residual === 0) return 1;
  if (constant) return 0;
  const mean = sum / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const deviation = yTrue[i]! - mean;
    total += deviation * deviation;
  }
  return 1 - residual / total;
}

/**
 * Mean absolute error relative to the size of the target, as a fraction.
 *
 * Definition (sklearn `mean_absolute_percentage_error`):
 * `mape = (1/n) · Σᵢ |yTrue[i] − yPred[i]| / max(|yTrue[i]|, ε)` with
 * `ε = numpy.finfo(float64).eps = 2^-52`. It is a fraction, not a percent: 0.25 means 25 %.
 * A zero target does not give infinity but a very large value (`|error| · 2^52`), as in sklearn.
 * Range [0, ∞); 0 is perfect.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns the mean absolute percentage error as a fraction
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * meanAbsolutePercentageError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // (1/6 + 1 + 0 + 1/7) / 4 = 0.3273…
 * ```
 */
export function meanAbsolutePercentageError(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("mape", yTrue, yPred);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += Math.abs(yTrue[i]! - yPred[i]!) / Math.max(Math.abs(yTrue[i]!), FLOAT64_EPSILON);
  }
  return total / n;
}

/**
 * Every regression metric of one split.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns {@link meanAbsoluteError}, {@link rootMeanSquaredError}, {@link r2Score},
 *   {@link meanAbsolutePercentageError} and the sample count
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * regressionReport([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
 * // { mae: 0.5, rmse: 0.6123…, r2: 0.9486…, mape: 0.3273…, n: 4 }
 * ```
 */
export function regressionReport(yTrue: NumericArray, yPred: NumericArray): RegressionMetrics {
  const n = checkNumericPair("regression_report", yTrue, yPred);
  return {
    mae: meanAbsoluteError(yTrue, yPred),
    rmse: rootMeanSquaredError(yTrue, yPred),
    r2: r2Score(yTrue, yPred),
    mape: meanAbsolutePercentageError(yTrue, yPred),
    n,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparing metric values
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Private helpers
// ---------------------------------------------------------------------------------------------

function countConfusion(yTrue: LabelArray, yPred: LabelArray, n: number, k: number): number[][] {
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) matrix[yTrue[i]!]![yPred[i]!]!++;
  return matrix;
}

function scoresFromConfusion(matrix: number[][], n: number): PrecisionRecallF1 {
  const k = matrix.length;
  const perClass: ClassScores[] = [];
  for (let c = 0; c < k; c++) {
    const tp = matrix[c]![c]!;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += matrix[c]![j]!;
      predicted += matrix[j]![c]!;
    }
    perClass.push({
      precision: predicted === 0 ? 0 : tp / predicted,
      recall: support === 0 ? 0 : tp / support,
      // 2·tp + fp + fn = support + predicted
      f1: support + predicted === 0 ? 0 : (2 * tp) / (support + predicted),
      support,
    });
  }
  const macro = { precision: 0, recall: 0, f1: 0, support: n };
  const weighted = { precision: 0, recall: 0, f1: 0, support: n };
  for (const scores of perClass) {
    macro.precision += scores.precision;
    macro.recall += scores.recall;
    macro.f1 += scores.f1;
    weighted.precision += scores.support * scores.precision;
    weighted.recall += scores.support * scores.recall;
    weighted.f1 += scores.support * scores.f1;
  }
  macro.precision /= k;
  macro.recall /= k;
  macro.f1 /= k;
  weighted.precision /= n;
  weighted.recall /= n;
  weighted.f1 /= n;
  return { perClass, macro, weighted };
}

/**
 * Binary AUC as the Mann–Whitney count, which equals the trapezoidal area over distinct
 * thresholds: for each positive, the negatives strictly below it count 1 and tied ones ½.
 */
function binaryAuc(positive: Uint8Array, scores: Float64Array): number {
  const { positives, negatives } = splitByClass(positive, scores);
  const p = positives.length;
  const q = negatives.length;
  if (p === 0 || q === 0) return NaN;
  // twiceWins = Σ over positives of 2·#(neg < s) + #(neg = s), an exact integer below 2^53 for
  // n up to about 10^8, so the only rounding is the final division.
  let twiceWins = 0;
  let below = 0;
  let atOrBelow = 0;
  for (let i = 0; i < p; i++) {
    const score = positives[i]!;
    while (below < q && negatives[below]! < score) below++;
    if (atOrBelow < below) atOrBelow = below;
    while (atOrBelow < q && negatives[atOrBelow]! <= score) atOrBelow++;
    twiceWins += below + atOrBelow;
  }
  return twiceWins / (2 * p * q);
}

/** Splits scores by class, each part sorted ascending by the native numeric sort: O(n log n). */
function splitByClass(
  positive: Uint8Array,
  scores: ArrayLike<number>,
): { positives: Float64Array; negatives: Float64Array } {
  let count = 0;
  for (let i = 0; i < positive.length; i++) count += positive[i]!;
  const positives = new Float64Array(count);
  const negatives = new Float64Array(positive.length - count);
  let p = 0;
  let q = 0;
  for (let i = 0; i < positive.length; i++) {
    if (positive[i] === 1) positives[p++] = scores[i]!;
    else negatives[q++] = scores[i]!;
  }
  return { positives: positives.sort(), negatives: negatives.sort() };
}

function argmaxRows(proba: ProbabilityArray, n: number, k: number): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let best = 0;
    for (let j = 1; j < k; j++) if (proba[row + j]! > proba[row + best]!) best = j;
    labels[i] = best;
  }
  return labels;
}

function checkClassCount(metric: string, k: number, minimum: number): void {
  if (!Number.isInteger(k) || k < minimum) {
    throw new RangeError(
      `Cannot compute "${metric}": k is ${
        describe(k)
      }, expected an integer number of classes >= ${minimum}`,
    );
  }
}

function checkLabelPair(
  metric: string,
  yTrue: LabelArray,
  yPred: LabelArray,
  k: number,
): number {
  const n = checkLabels(metric, "yTrue", yTrue, k);
  const m = checkLabels(metric, "yPred", yPred, k, false);
  checkSameLength(metric, "yTrue", n, "yPred", m);
  return n;
}

/** Checks that `labels` holds integers in [0, k) and returns its length. */
function checkLabels(
  metric: string,
  name: string,
  labels: LabelArray,
  k: number,
  requireRows = true,
): number {
  if (!(labels instanceof Int32Array) && !Array.isArray(labels)) {
    throw new TypeError(
      `Cannot compute "${metric}": ${name} must be an Int32Array or an array of class indexes, found ${
        describe(labels)
      }`,
    );
  }
  if (requireRows && labels.length === 0) {
    throw new RangeError(`Cannot compute "${metric}": ${name} is empty; pass at least one sample`);
  }
  const range = Number.isFinite(k) ? `[0, ${k})` : "[0, ∞)";
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= k) {
      throw new RangeError(
        `Cannot compute "${metric}": ${name}[${i}] is ${
          describe(label)
        }, expected an integer class index in ${range}`,
      );
    }
  }
  return labels.length;
}

function checkSameLength(
  metric: string,
  firstName: string,
  first: number,
  secondName: string,
  second: number,
): void {
  if (first !== second) {
    throw new RangeError(
      `Cannot compute "${metric}": ${firstName} has ${first} values but ${secondName} has ${second}; pass one value per sample in each`,
    );
  }
}

function checkNumbers(metric: string, name: string, values: NumericArray): void {
  if (
    !(values instanceof Float64Array) && !(values instanceof Float32Array) && !Array.isArray(values)
  ) {
    throw new TypeError(
      `Cannot compute "${metric}": ${name} must be a Float64Array, Float32Array or number array, found ${
        describe(values)
      }`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot compute "${metric}": ${name}[${i}] is ${
          describe(value)
        }, expected a finite number; drop or impute it before evaluating`,
      );
    }
  }
}

function checkNumericPair(metric: string, yTrue: NumericArray, yPred: NumericArray): number {
  checkNumbers(metric, "yTrue", yTrue);
  checkNumbers(metric, "yPred", yPred);
  checkSameLength(metric, "yTrue", yTrue.length, "yPred", yPred.length);
  if (yTrue.length === 0) {
    throw new RangeError(`Cannot compute "${metric}": yTrue is empty; pass at least one sample`);
  }
  return yTrue.length;
}

/** Checks that `proba` is an `n × k` matrix of probabilities whose rows sum to 1. */
function checkProbabilities(metric: string, proba: ProbabilityArray, n: number, k: number): void {
  if (!(proba instanceof Float64Array) && !(proba instanceof Float32Array)) {
    throw new TypeError(
      `Cannot compute "${metric}": proba must be a Float32Array or Float64Array (row-major n × k), found ${
        describe(proba)
      }`,
    );
  }
  if (proba.length !== n * k) {
    throw new RangeError(
      `Cannot compute "${metric}": proba has ${proba.length} values but yTrue has ${n} values and k is ${k}; pass a row-major n × k matrix of ${
        n * k
      } values`,
    );
  }
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const index = i * k + j;
      const p = proba[index]!;
      if (!(p >= 0 && p <= 1)) {
        throw new RangeError(
          `Cannot compute "${metric}": proba[${index}] (row ${i}, class ${j}) is ${p}, expected a probability in [0, 1]`,
        );
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new RangeError(
        `Cannot compute "${metric}": proba row ${i} sums to ${sum}, expected 1 (within 1e-5); pass probabilities (apply softmax to logits)`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return (value as object).constructor?.name ?? typeof value;
}
