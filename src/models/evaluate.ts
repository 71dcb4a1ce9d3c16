/**
 * Scores a fitted model on labelled rows with the project's scikit-learn-exact metrics.
 *
 * @module
 */
import { classificationReport, regressionReport } from "../utils/mod.ts";
import type { ClassificationMetrics, Matrix, RegressionMetrics } from "../utils/mod.ts";
import type { BaseModel, Targets } from "./base_model.ts";
import type { RowSource } from "./row_source.ts";

/** The metrics of one split: classification or regression, by the model's task. */
export type SplitMetrics = ClassificationMetrics | RegressionMetrics;

/**
 * Predicts `x` and compares with `y`.
 *
 * @param model a fitted model
 * @param x the features
 * @param y the true targets of the same rows
 * @returns classification metrics (accuracy, F1, ROC AUC, log loss, confusion matrix, ...) or
 *   regression metrics (MAE, RMSE, R², MAPE)
 * @throws {RangeError} when `x` and `y` differ in length or the split is empty
 * @example
 * ```ts
 * const metrics = evaluateModel(model, xTest, yTest);
 * ```
 */
export function evaluateModel(model: BaseModel, x: Matrix, y: Targets): SplitMetrics {
  if (x.rows !== targetLength(y)) {
    throw new RangeError(
      `Cannot evaluate "${model.family}": ${x.rows} feature rows but ${targetLength(y)} targets`,
    );
  }
  const predictions = model.predict(x);
  if (y.kind === "classification") return classificationReport(y.labels, predictions, y.classes);
  return regressionReport(y.values, predictions);
}

/**
 * Predicts a row source window by window and compares with its targets: `evaluateModel` for
 * rows that are on disk. The predictions and targets of the split are gathered (the metrics,
 * ROC AUC among them, need every score), the features never are.
 *
 * @param model a fitted model
 * @param rows the split's rows
 * @returns the metrics, as `evaluateModel`
 * @throws {RangeError} when the split is empty
 * @example
 * ```ts
 * const metrics = await evaluateModelRows(model, rowFileSource(testFile));
 * ```
 */
export async function evaluateModelRows(model: BaseModel, rows: RowSource): Promise<SplitMetrics> {
  const k = rows.classes === null ? 1 : rows.classes.length;
  const predictions = new Float32Array(rows.rows * k);
  const labels = new Int32Array(rows.classes === null ? 0 : rows.rows);
  const values = new Float32Array(rows.classes === null ? rows.rows : 0);
  const step = Math.max(1, rows.windowRows);
  for (let start = 0; start < rows.rows; start += step) {
    const { x, y } = await rows.read(start, step);
    predictions.set(model.predict(x), start * k);
    if (y.kind === "classification") labels.set(y.labels, start);
    else values.set(y.values, start);
  }
  if (rows.classes === null) return regressionReport(values, predictions);
  return classificationReport(labels, predictions, rows.classes);
}

/**
 * Returns the value of `metric` in a split's metrics, or `null` when it does not apply.
 *
 * @param metrics the metrics of one split
 * @param metric a metric key such as `f1_macro` or `rmse`
 * @returns the value, or `null`
 * @example
 * ```ts
 * metricValue(metrics.test, "accuracy"); // 0.98
 * ```
 */
export function metricValue(
  metrics: SplitMetrics | null | undefined,
  metric: string,
): number | null {
  if (!metrics) return null;
  const value = (metrics as unknown as Record<string, unknown>)[metric];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function targetLength(y: Targets): number {
  return y.kind === "classification" ? y.labels.length : y.values.length;
}
