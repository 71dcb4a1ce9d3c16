/**
 * Chart builders for classifiers: the confusion matrix and ROC curves per class.
 *
 * ROC curves keep at most `maxPoints` points per class, so the inline data stays bounded.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { RocCurve } from "../utils/mod.ts";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  formatCount,
  formatNumber,
  listNames,
  show,
  themeConfig,
  thinIndices,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, MAX_INLINE_ROWS } from "./theme.ts";

/**
 * A confusion matrix: counts with the true class as row and the predicted class as column.
 * From `ClassificationMetrics`, pass `{ labels: m.labels, matrix: m.confusion_matrix }`.
 */
export interface ConfusionMatrixInput {
  /** The class names, in matrix order. */
  labels: readonly string[];
  /** `matrix[i][j]` = samples of true class `i` predicted as class `j`. */
  matrix: readonly (readonly number[])[];
}

/** Options of {@link plotConfusionMatrix}. */
export interface ConfusionMatrixOptions extends ChartOptions {
  /**
   * Colour cells by the share of their true class (each row sums to 1) instead of by count.
   * @default true
   */
  normalize?: boolean;
}

/**
 * Defaults of {@link ConfusionMatrixOptions}.
 *
 * @example
 * ```ts
 * plotConfusionMatrix(cm, { ...DEFAULT_CONFUSION_MATRIX_OPTIONS, normalize: false });
 * ```
 */
export const DEFAULT_CONFUSION_MATRIX_OPTIONS: Readonly<Required<ConfusionMatrixOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 300,
  height: 300,
  normalize: true,
};

/**
 * Builds a heatmap of a confusion matrix, each cell labelled with its count.
 *
 * The data holds `{ actual, predicted, count, share }` for every cell, where `share` is the
 * count over its row's total (0 for an empty row).
 *
 * @param cm the labels and the square matrix of counts
 * @param options the colouring and the look
 * @returns a vega-lite heatmap with text labels
 * @throws {TypeError} when the matrix is not square with one row per label, or holds a
 *   non-number
 * @throws {RangeError} when a count is negative, or there are more than 70 classes
 * @example
 * ```ts
 * const spec = plotConfusionMatrix({ labels: m.labels, matrix: m.confusion_matrix });
 * ```
 */
export function plotConfusionMatrix(
  cm: ConfusionMatrixInput,
  options: ConfusionMatrixOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_CONFUSION_MATRIX_OPTIONS, ...options };
  const action = "Cannot plot confusion matrix";
  checkChartOptions(settings, action);
  const labels = cm?.labels;
  const matrix = cm?.matrix;
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === "string")) {
    throw new TypeError(`${action}: "labels" must be an array of class names, got ${show(labels)}`);
  }
  const k = labels.length;
  const maxClasses = Math.floor(Math.sqrt(MAX_INLINE_ROWS));
  if (k === 0 || k > maxClasses) {
    throw new RangeError(`${action}: expected 1 to ${maxClasses} classes, got ${k}`);
  }
  if (new Set(labels).size !== k) {
    throw new TypeError(`${action}: "labels" lists a class twice ${listNames(labels)}`);
  }
  if (!Array.isArray(matrix) || matrix.length !== k) {
    throw new TypeError(
      `${action}: "matrix" must have one row per label (${k} rows), got ${
        Array.isArray(matrix) ? `${matrix.length} rows` : show(matrix)
      }`,
    );
  }
  const rows: { actual: string; predicted: string; count: number; share: number }[] = [];
  let total = 0;
  matrix.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== k) {
      throw new TypeError(
        `${action}: matrix[${i}] must hold ${k} counts, got ${
          Array.isArray(row) ? `${row.length}` : show(row)
        }`,
      );
    }
    row.forEach((count, j) => {
      if (typeof count !== "number" || !Number.isFinite(count)) {
        throw new TypeError(`${action}: matrix[${i}][${j}] must be a number, got ${show(count)}`);
      }
      if (count < 0) {
        throw new RangeError(
          `${action}: matrix[${i}][${j}] is negative (${count}); expected counts`,
        );
      }
    });
    const rowTotal = row.reduce((sum: number, count: number) => sum + count, 0);
    total += rowTotal;
    row.forEach((count, j) => {
      rows.push({
        actual: labels[i]!,
        predicted: labels[j]!,
        count,
        share: rowTotal === 0 ? 0 : count / rowTotal,
      });
    });
  });
  const correct = labels.reduce((sum, _, i) => sum + matrix[i]![i]!, 0);
  const colourField = settings.normalize ? "share" : "count";
  const maxCount = Math.max(0, ...rows.map((row) => row.count));
  const darkTest = settings.normalize ? "datum.share > 0.5" : `datum.count > ${maxCount / 2}`;
  const axis = { type: "nominal" as const, sort: [...labels] };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Confusion matrix", [
      `${formatCount(total)} samples, ${formatCount(correct)} on the diagonal${
        total === 0 ? "" : ` (accuracy ${formatNumber(correct / total)})`
      }`,
      settings.normalize ? "colour: share of the true class" : "colour: count",
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    encoding: {
      x: { field: "predicted", ...axis, title: "predicted", axis: { labelAngle: -45 } },
      y: { field: "actual", ...axis, title: "actual" },
    },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          color: {
            field: colourField,
            type: "quantitative",
            title: colourField,
            scale: settings.normalize
              ? { domain: [0, 1], scheme: "blues" }
              : { domainMin: 0, scheme: "blues" },
          },
          tooltip: [
            { field: "actual", type: "nominal" },
            { field: "predicted", type: "nominal" },
            { field: "count", type: "quantitative" },
            { field: "share", type: "quantitative", format: ".1%" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: darkTest, value: "white" }, value: "black" },
        },
      },
    ],
    config: themeConfig(),
  };
}

// -- ROC curves -----------------------------------------------------------------------------

/** Options of {@link plotRocCurves}; `width` and `height` are per panel. */
export interface RocCurvesOptions extends ChartOptions {
  /**
   * Most points per class (2–5000): longer curves keep evenly spaced points, the first and last
   * included; fewer when `classes × maxPoints` would exceed {@link MAX_INLINE_ROWS}.
   * @default 500
   */
  maxPoints?: number;
}

/**
 * Defaults of {@link RocCurvesOptions}.
 *
 * @example
 * ```ts
 * plotRocCurves(curves, { ...DEFAULT_ROC_CURVES_OPTIONS, maxPoints: 200 });
 * ```
 */
export const DEFAULT_ROC_CURVES_OPTIONS: Readonly<Required<RocCurvesOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 200,
  height: 200,
  maxPoints: 500,
};

/** Panels per row of {@link plotRocCurves} before wrapping. */
const ROC_COLUMNS = 4;

/**
 * Builds one ROC curve per class (one-vs-rest), each in its own panel with the chance diagonal.
 *
 * Each curve is thinned to at most `maxPoints` points: when it has more, the points at indexes
 * `round(j·(n-1)/(m-1))` for `j = 0…m-1` are kept, so the first (0, 0) and last (1, 1) always
 * stay. The area under each full curve (trapezoidal rule, before thinning) is shown in the
 * panel's header, which is never cut. Panels wrap after 4 per row. A curve that is undefined (a class with no positives or no negatives, so NaN rates)
 * is left out and named in the subtitle. The data holds `{ class, label, fpr, tpr }` rows.
 *
 * @param curves the curves by class name, e.g. from `rocCurve(yTrue01, scores)` per class
 * @param options thinning and the look
 * @returns a vega-lite faceted line chart
 * @throws {TypeError} when a curve's `fpr` and `tpr` are not number arrays of equal length
 * @throws {RangeError} when there are no curves or more than 2500, or a rate is outside [0, 1]
 * @example
 * ```ts
 * const curves = { Adelie: rocCurve(isAdelie, adelieScores), Gentoo: rocCurve(isGentoo, gentooScores) };
 * const spec = plotRocCurves(curves);
 * ```
 */
export function plotRocCurves(
  curves: Readonly<Record<string, RocCurve>>,
  options: RocCurvesOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_ROC_CURVES_OPTIONS, ...options };
  const action = "Cannot plot ROC curves";
  checkChartOptions(settings, action);
  checkInteger(settings.maxPoints, "maxPoints", 2, MAX_INLINE_ROWS, action);
  if (typeof curves !== "object" || curves === null || Array.isArray(curves)) {
    throw new TypeError(
      `${action}: expected curves by class name ({ [class]: rocCurve(...) }), got ${show(curves)}`,
    );
  }
  const entries = Object.entries(curves);
  if (entries.length === 0 || entries.length > MAX_INLINE_ROWS / 2) {
    throw new RangeError(
      `${action}: expected 1 to ${MAX_INLINE_ROWS / 2} curves, got ${entries.length}`,
    );
  }
  const perClass = Math.min(settings.maxPoints, Math.floor(MAX_INLINE_ROWS / entries.length));
  const rows: { class: string; label: string; fpr: number; tpr: number }[] = [];
  const undefinedCurves: string[] = [];
  const order: string[] = [];
  let thinned = false;
  for (const [name, curve] of entries) {
    const fpr = curve?.fpr;
    const tpr = curve?.tpr;
    if (!isNumberArray(fpr) || !isNumberArray(tpr) || fpr.length !== tpr.length) {
      throw new TypeError(
        `${action}: curve "${name}" must have "fpr" and "tpr" number arrays of equal length (pass the result of rocCurve)`,
      );
    }
    if (fpr.length === 0 || fpr.some(Number.isNaN) || tpr.some(Number.isNaN)) {
      undefinedCurves.push(name);
      continue;
    }
    const outside = [...fpr, ...tpr].find((rate) => !(rate >= 0 && rate <= 1));
    if (outside !== undefined) {
      throw new RangeError(`${action}: curve "${name}" has a rate ${outside} outside [0, 1]`);
    }
    const label = `${name} (AUC ${trapezoidArea(fpr, tpr).toFixed(3)})`;
    order.push(label);
    const keep = thinIndices(fpr.length, perClass, -1);
    thinned ||= keep.length < fpr.length;
    for (const i of keep) rows.push({ class: name, label, fpr: fpr[i]!, tpr: tpr[i]! });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "ROC curves (one class against the rest)", [
      thinned
        ? `curves thinned to at most ${
          formatCount(perClass)
        } evenly spaced points, ends kept; AUC from the full curves`
        : "",
      undefinedCurves.length > 0
        ? `left out (a class with no positives or no negatives): ${listNames(undefinedCurves)}`
        : "",
      "dashed line: chance",
    ]),
    data: { values: rows },
    // One panel per class: one-vs-rest curves of a good model all hug the top-left corner, so
    // on one set of axes they hide each other.
    facet: {
      field: "label",
      type: "nominal",
      sort: order,
      title: null,
      header: { labelLimit: 0, labelFontSize: 12 },
    },
    // As few rows as ROC_COLUMNS allows, filled evenly (5 classes: 3 + 2, not 4 + 1).
    columns: Math.ceil(order.length / Math.ceil(order.length / ROC_COLUMNS)),
    // Each panel draws its own axes, so a short last row leaves no axis under an empty cell.
    resolve: { axis: { x: "independent", y: "independent" } },
    spec: {
      width: settings.width,
      height: settings.height,
      layer: [
        {
          mark: { type: "rule", color: "#999999", strokeDash: [4, 4], strokeWidth: 1 },
          encoding: {
            x: { datum: 0, type: "quantitative" },
            y: { datum: 0, type: "quantitative" },
            x2: { datum: 1 },
            y2: { datum: 1 },
          },
        },
        {
          mark: { type: "line", interpolate: "linear", strokeWidth: 2 },
          encoding: {
            x: {
              field: "fpr",
              type: "quantitative",
              title: "false positive rate",
              scale: { domain: [0, 1] },
            },
            y: {
              field: "tpr",
              type: "quantitative",
              title: "true positive rate",
              scale: { domain: [0, 1] },
            },
            color: {
              field: "label",
              type: "nominal",
              title: null,
              scale: { domain: order },
              legend: null,
            },
            order: { field: "fpr", type: "quantitative" },
          },
        },
      ],
    },
    config: themeConfig(),
  };
}

/** Area under a curve given as ascending x with y, by the trapezoidal rule. */
function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((x) => typeof x === "number");
}
