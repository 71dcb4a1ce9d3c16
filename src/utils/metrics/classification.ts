/**
 * Classification metrics from labels and probabilities: accuracy, balanced accuracy, the
 * confusion matrix, precision/recall/F1, log loss and the full classification report.
 *
 * @module
 */
import {
  checkClassCount,
  checkLabelPair,
  checkLabels,
  checkProbabilities,
  describe,
  FLOAT32_EPSILON,
  FLOAT64_EPSILON,
} from "./_checks.ts";
import { rocAuc } from "./curves.ts";
import type {
  ClassificationMetrics,
  ClassScores,
  LabelArray,
  PrecisionRecallF1,
  ProbabilityArray,
} from "./names.ts";

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
