/**
 * The losses boosting minimises, each as its starting score, per-row gradient and hessian, its
 * value, and the link from raw scores to predictions: binary log-loss (one tree per round),
 * multiclass softmax (one tree per class per round), and for regression the squared error, the
 * absolute error and the Huber loss. The last two re-fit each leaf from the residuals of its
 * rows (`refitLeaf`), as scikit-learn does, since their hessian carries no curvature.
 *
 * @module
 */

/** The regression losses a `gbdt` model may be asked for with `model.params.loss`. */
export const REGRESSION_LOSSES = ["squared_error", "absolute_error", "huber"] as const;

/** A regression loss name. */
export type RegressionLossName = typeof REGRESSION_LOSSES[number];

/** The loss names, as saved with a model. */
export type LossName = "log_loss" | "softmax" | RegressionLossName;

/** What the Huber loss needs beyond the scores and targets: its round's `delta`. */
export interface LossExtras {
  /**
   * The Huber threshold: residuals beyond it count linearly (see `huberDelta`).
   * @default none (required by `huber`, ignored by the other losses)
   */
  delta?: number;
}

/** The training targets a loss sees: class indexes or values. */
export type LossTargets =
  | { kind: "classification"; labels: Int32Array; classes: number }
  | { kind: "regression"; values: Float32Array };

/** Probabilities are clipped to [ε, 1 − ε] in the log loss, as the other families do. */
const EPSILON = 1e-7;

/**
 * Picks the loss for a task: `log_loss` for two classes, `softmax` for more, `squared_error`
 * for regression.
 *
 * @param y the targets
 * @returns the loss name
 * @example
 * ```ts
 * lossFor({ kind: "regression", values }); // "squared_error"
 * ```
 */
export function lossFor(y: LossTargets): LossName {
  if (y.kind === "regression") return "squared_error";
  return y.classes === 2 ? "log_loss" : "softmax";
}

/**
 * Trees per round (scores per row): the class count for `softmax`, else 1.
 *
 * @param loss the loss
 * @param classes the class count (0 for regression)
 * @returns the number of scores per row
 * @example
 * ```ts
 * scoresPerRow("softmax", 3); // 3
 * ```
 */
export function scoresPerRow(loss: LossName, classes: number): number {
  return loss === "softmax" ? classes : 1;
}

/**
 * The constant score boosting starts from: the (weighted) mean for `squared_error`, the median
 * for `absolute_error` and `huber`, the log-odds of the positive class, or the log of each
 * class's share. The medians ignore row weights: regression rows all weigh 1 (class weights
 * are for classifiers).
 *
 * @param loss the loss
 * @param y the targets
 * @param weights a weight per row
 * @returns one starting score per tree of a round
 * @example
 * ```ts
 * baseScores("squared_error", { kind: "regression", values }, weights); // Float64Array [mean]
 * ```
 */
export function baseScores(loss: LossName, y: LossTargets, weights: Float64Array): Float64Array {
  if (y.kind === "regression") {
    if (loss === "absolute_error" || loss === "huber") return Float64Array.of(median(y.values));
    let sum = 0;
    let total = 0;
    for (let i = 0; i < y.values.length; i++) {
      sum += weights[i]! * y.values[i]!;
      total += weights[i]!;
    }
    return Float64Array.of(total > 0 ? sum / total : 0);
  }
  const shares = new Float64Array(y.classes);
  let total = 0;
  for (let i = 0; i < y.labels.length; i++) {
    shares[y.labels[i]!]! += weights[i]!;
    total += weights[i]!;
  }
  for (let c = 0; c < shares.length; c++) {
    shares[c] = Math.min(1 - EPSILON, Math.max(EPSILON, shares[c]! / total));
  }
  if (loss === "log_loss") return Float64Array.of(Math.log(shares[1]! / (1 - shares[1]!)));
  return shares.map(Math.log);
}

/**
 * Writes every row's gradient and hessian of tree `k` of a round, weighted. For regression the
 * gradient is the score minus the target (squared error), its sign (absolute error) or that
 * difference clipped to ±`delta` (Huber); the hessian is the row weight.
 *
 * @param loss the loss
 * @param data the raw scores (`rows × k` row-major), targets, row weights, and for `huber` the
 *   round's `delta`
 * @param k the tree of the round (the class, for softmax)
 * @param out the gradient and hessian arrays to fill
 * @throws {RangeError} for `huber` without a `delta`
 * @example
 * ```ts
 * gradients("squared_error", { scores, y, weights }, 0, { grad, hess });
 * ```
 */
export function gradients(
  loss: LossName,
  data: { scores: Float64Array; y: LossTargets; weights: Float64Array } & LossExtras,
  k: number,
  out: { grad: Float64Array; hess: Float64Array },
): void {
  const { scores, y, weights } = data;
  const { grad, hess } = out;
  if (y.kind === "regression") {
    const delta = loss === "huber" ? requireDelta(data.delta, "gradients") : 0;
    for (let i = 0; i < y.values.length; i++) {
      const e = scores[i]! - y.values[i]!;
      const g = loss === "absolute_error"
        ? Math.sign(e)
        : loss === "huber"
        ? Math.min(delta, Math.max(-delta, e))
        : e;
      grad[i] = weights[i]! * g;
      hess[i] = weights[i]!;
    }
    return;
  }
  if (loss === "log_loss") {
    for (let i = 0; i < y.labels.length; i++) {
      const p = sigmoid(scores[i]!);
      grad[i] = weights[i]! * (p - (y.labels[i] === 1 ? 1 : 0));
      hess[i] = weights[i]! * p * (1 - p);
    }
    return;
  }
  const kk = y.classes;
  for (let i = 0; i < y.labels.length; i++) {
    const p = softmaxAt(scores, i * kk, kk, k);
    grad[i] = weights[i]! * (p - (y.labels[i] === k ? 1 : 0));
    hess[i] = weights[i]! * p * (1 - p);
  }
}

/**
 * The weighted mean loss of raw scores, and the mean metric: accuracy for classifiers, mean
 * absolute error for regressors. The Huber loss of a residual `e` is `e² / 2` within `delta`
 * and `delta · (|e| − delta / 2)` beyond, as scikit-learn writes it; the squared error is `e²`.
 *
 * @param loss the loss
 * @param data the raw scores, targets, optionally row weights (1 each when absent), and for
 *   `huber` the round's `delta`
 * @returns the loss and the metric
 * @throws {RangeError} for `huber` without a `delta`
 * @example
 * ```ts
 * lossAndMetric("log_loss", { scores, y }); // { loss: 0.31, metric: 0.9 }
 * ```
 */
export function lossAndMetric(
  loss: LossName,
  data: { scores: Float64Array; y: LossTargets; weights?: Float64Array } & LossExtras,
): { loss: number; metric: number } {
  const { scores, y, weights } = data;
  let total = 0;
  let weightSum = 0;
  let metric = 0;
  if (y.kind === "regression") {
    const n = y.values.length;
    const delta = loss === "huber" ? requireDelta(data.delta, "lossAndMetric") : 0;
    for (let i = 0; i < n; i++) {
      const w = weights?.[i] ?? 1;
      const e = scores[i]! - y.values[i]!;
      const a = Math.abs(e);
      total += w *
        (loss === "absolute_error"
          ? a
          : loss === "huber"
          ? (a <= delta ? 0.5 * e * e : delta * (a - 0.5 * delta))
          : e * e);
      weightSum += w;
      metric += Math.abs(e);
    }
    return { loss: weightSum > 0 ? total / weightSum : 0, metric: n > 0 ? metric / n : 0 };
  }
  const n = y.labels.length;
  if (loss === "log_loss") return binaryLossAndMetric(scores, y.labels, weights);
  const kk = scoresPerRow(loss, y.classes);
  const probabilities = new Float64Array(y.classes);
  for (let i = 0; i < n; i++) {
    const w = weights?.[i] ?? 1;
    rowProbabilities(loss, scores, i * kk, probabilities);
    const label = y.labels[i]!;
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, probabilities[label]!));
    total -= w * Math.log(p);
    weightSum += w;
    let best = 0;
    for (let c = 1; c < probabilities.length; c++) {
      if (probabilities[c]! > probabilities[best]!) best = c;
    }
    if (best === label) metric++;
  }
  return { loss: weightSum > 0 ? total / weightSum : 0, metric: n > 0 ? metric / n : 0 };
}

/**
 * `lossAndMetric` of the binary log-loss in one tight pass (it runs every round on every
 * training and validation row): the same sums as the general path, whose probabilities are
 * `[1 − p, p]` and whose predicted class is 1 when `p > 1 − p`.
 */
function binaryLossAndMetric(
  scores: Float64Array,
  labels: Int32Array,
  weights: Float64Array | undefined,
): { loss: number; metric: number } {
  const n = labels.length;
  let total = 0;
  let weightSum = 0;
  let metric = 0;
  for (let i = 0; i < n; i++) {
    const w = weights === undefined ? 1 : weights[i]!;
    const p1 = sigmoid(scores[i]!);
    const p0 = 1 - p1;
    const positive = labels[i] === 1;
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, positive ? p1 : p0));
    total -= w * Math.log(p);
    weightSum += w;
    if ((p1 > p0) === positive) metric++;
  }
  return { loss: weightSum > 0 ? total / weightSum : 0, metric: n > 0 ? metric / n : 0 };
}

/**
 * Turns one row's raw scores into class probabilities (sigmoid or softmax).
 *
 * @param loss `log_loss` or `softmax`
 * @param scores raw scores, row-major
 * @param offset where the row's scores start
 * @param out the probabilities, one per class
 * @example
 * ```ts
 * rowProbabilities("log_loss", Float64Array.of(0), 0, out); // out = [0.5, 0.5]
 * ```
 */
export function rowProbabilities(
  loss: LossName,
  scores: Float64Array,
  offset: number,
  out: Float64Array,
): void {
  if (loss === "log_loss") {
    const p = sigmoid(scores[offset]!);
    out[0] = 1 - p;
    out[1] = p;
    return;
  }
  const k = out.length;
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, scores[offset + c]!);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(scores[offset + c]! - max);
    out[c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) out[c] = out[c]! / sum;
}

/**
 * The Huber threshold of a round, as scikit-learn's `GradientBoostingRegressor` takes it: the
 * `quantile` (its `alpha`) of the absolute residuals `|target − score|`, interpolated linearly
 * between ranks as numpy's `percentile` does.
 *
 * @param scores the current raw score of every row
 * @param values the targets
 * @param quantile in (0, 1)
 * @returns the threshold, at least 0
 * @example
 * ```ts
 * huberDelta(Float64Array.of(0, 0, 0), Float32Array.of(1, 2, 10), 0.5); // 2
 * ```
 */
export function huberDelta(scores: Float64Array, values: Float32Array, quantile: number): number {
  const residuals = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) residuals[i] = Math.abs(values[i]! - scores[i]!);
  return quantileOf(residuals.sort(), quantile);
}

/**
 * The value a leaf of an `absolute_error` or `huber` tree takes, before shrinkage, from the
 * residuals `target − score` of its rows: their median (absolute error, as scikit-learn's
 * `HistGradientBoostingRegressor`), or that median plus the mean of the deviations from it
 * clipped to ±`delta` (Huber, as scikit-learn's `GradientBoostingRegressor`).
 *
 * @param loss `absolute_error` or `huber`
 * @param data the raw scores before the round, the targets, and for `huber` the round's `delta`
 * @param rows the leaf's rows
 * @returns the leaf value; 0 for a leaf without rows
 * @throws {RangeError} for another loss, or `huber` without a `delta`
 * @example
 * ```ts
 * refitLeaf("absolute_error", { scores, values }, Uint32Array.of(0, 1, 2)); // median residual
 * ```
 */
export function refitLeaf(
  loss: LossName,
  data: { scores: Float64Array; values: Float32Array } & LossExtras,
  rows: Uint32Array,
): number {
  if (loss !== "absolute_error" && loss !== "huber") {
    throw new RangeError(
      `Cannot re-fit a leaf for loss "${loss}": only "absolute_error" and "huber" re-fit leaves`,
    );
  }
  if (rows.length === 0) return 0;
  const { scores, values } = data;
  const residuals = Float64Array.from(rows, (r) => values[r]! - scores[r]!);
  const middle = quantileOf(residuals.slice().sort(), 0.5);
  if (loss === "absolute_error") return middle;
  const delta = requireDelta(data.delta, "refitLeaf");
  let clipped = 0;
  for (const e of residuals) clipped += Math.min(delta, Math.max(-delta, e - middle));
  return middle + clipped / residuals.length;
}

/** The median, as numpy's: the mean of the two middle values of an even count. */
function median(values: Float32Array): number {
  return values.length === 0 ? 0 : quantileOf(Float64Array.from(values).sort(), 0.5);
}

/** The `q` quantile of ascending values, linearly interpolated between ranks (numpy's default). */
function quantileOf(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (at - low) * (sorted[high]! - sorted[low]!);
}

function requireDelta(delta: number | undefined, where: string): number {
  if (delta === undefined || !(delta >= 0)) {
    throw new RangeError(
      `Cannot compute the huber loss in ${where}(): expected a "delta" of at least 0, found ${delta}; ` +
        `pass the round's huberDelta()`,
    );
  }
  return delta;
}

function sigmoid(s: number): number {
  return 1 / (1 + Math.exp(-s));
}

function softmaxAt(scores: Float64Array, offset: number, k: number, c: number): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, scores[offset + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(scores[offset + j]! - max);
  return Math.exp(scores[offset + c]! - max) / sum;
}
