/**
 * The losses boosting minimises, each as its starting score, per-row gradient and hessian, its
 * value, and the link from raw scores to predictions: binary log-loss (one tree per round),
 * multiclass softmax (one tree per class per round) and squared error.
 *
 * @module
 */

/** The loss names, as saved with a model. */
export type LossName = "log_loss" | "softmax" | "squared_error";

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
 * The constant score boosting starts from: the (weighted) mean, the log-odds of the positive
 * class, or the log of each class's share.
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
 * Writes every row's gradient and hessian of tree `k` of a round, weighted.
 *
 * @param loss the loss
 * @param data the raw scores (`rows × k` row-major), targets and row weights
 * @param k the tree of the round (the class, for softmax)
 * @param out the gradient and hessian arrays to fill
 * @example
 * ```ts
 * gradients("squared_error", { scores, y, weights }, 0, { grad, hess });
 * ```
 */
export function gradients(
  loss: LossName,
  data: { scores: Float64Array; y: LossTargets; weights: Float64Array },
  k: number,
  out: { grad: Float64Array; hess: Float64Array },
): void {
  const { scores, y, weights } = data;
  const { grad, hess } = out;
  if (y.kind === "regression") {
    for (let i = 0; i < y.values.length; i++) {
      grad[i] = weights[i]! * (scores[i]! - y.values[i]!);
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
 * absolute error for regressors.
 *
 * @param loss the loss
 * @param data the raw scores, targets and, optionally, row weights (1 each when absent)
 * @returns the loss and the metric
 * @example
 * ```ts
 * lossAndMetric("log_loss", { scores, y }); // { loss: 0.31, metric: 0.9 }
 * ```
 */
export function lossAndMetric(
  loss: LossName,
  data: { scores: Float64Array; y: LossTargets; weights?: Float64Array },
): { loss: number; metric: number } {
  const { scores, y, weights } = data;
  let total = 0;
  let weightSum = 0;
  let metric = 0;
  if (y.kind === "regression") {
    const n = y.values.length;
    for (let i = 0; i < n; i++) {
      const w = weights?.[i] ?? 1;
      const e = scores[i]! - y.values[i]!;
      total += w * e * e;
      weightSum += w;
      metric += Math.abs(e);
    }
    return { loss: weightSum > 0 ? total / weightSum : 0, metric: n > 0 ? metric / n : 0 };
  }
  const n = y.labels.length;
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
