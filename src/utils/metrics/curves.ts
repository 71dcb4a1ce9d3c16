/**
 * Ranking metrics from scores: ROC AUC (binary and one-vs-rest) and the ROC curve.
 *
 * @module
 */
import {
  checkClassCount,
  checkLabels,
  checkNumbers,
  checkProbabilities,
  checkSameLength,
} from "./_checks.ts";
import type { LabelArray, NumericArray, ProbabilityArray, RocCurve } from "./names.ts";

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
