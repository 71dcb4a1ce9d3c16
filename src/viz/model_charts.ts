/**
 * Chart builders for training and evaluation results: learning curves, confusion matrix, ROC
 * curves, predicted against actual, residuals, feature scores and run comparison.
 *
 * They take plain values (a training history, metrics, prediction arrays) rather than frames,
 * and keep the inline data bounded like the data charts: long histories are thinned, ROC curves
 * keep at most `maxPoints` points per class, and prediction plots draw a seeded sample.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { RocCurve } from "../utils/mod.ts";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  checkSampleSize,
  checkSeed,
  formatCount,
  formatNumber,
  leftOutNote,
  listNames,
  sampleIndices,
  sampleNote,
  show,
  themeConfig,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, MAX_INLINE_ROWS, PALETTE } from "./theme.ts";

// -- learning curves ------------------------------------------------------------------------

/** What one epoch measured; the shape of `EpochLogs` in `models/train.ts`. */
export interface EpochPoint {
  /** Epoch index, from 0. */
  epoch: number;
  /** Training loss. */
  loss: number;
  /** Validation loss, when there was a validation set. */
  val_loss?: number;
  /** Training metric (accuracy or mean absolute error). */
  metric: number;
  /** Validation metric, when there was a validation set. */
  val_metric?: number;
}

/** A training history; `TrainingHistory` from `models/train.ts` fits this shape. */
export interface LearningCurveInput {
  /** One entry per epoch, in order. */
  epochs: readonly EpochPoint[];
  /** The epoch whose weights were kept, marked with a dashed rule. */
  bestEpoch?: number;
  /** Name of `EpochPoint.metric`, e.g. `accuracy`. */
  metric?: string;
}

/** Options of {@link plotLearningCurves}; `width` and `height` are per panel. */
export interface LearningCurvesOptions extends ChartOptions {
  /**
   * Title of the metric panel; `null` uses `history.metric`, or `metric` when it has none.
   * @default null
   */
  metricName?: string | null;
  /**
   * Most epochs drawn (3–1250); longer histories are thinned to evenly spaced epochs that keep
   * the first, the last and the best.
   * @default 1000
   */
  maxEpochs?: number;
}

/**
 * Defaults of {@link LearningCurvesOptions}.
 *
 * @example
 * ```ts
 * plotLearningCurves(history, { ...DEFAULT_LEARNING_CURVES_OPTIONS, width: 300 });
 * ```
 */
export const DEFAULT_LEARNING_CURVES_OPTIONS: Readonly<Required<LearningCurvesOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 320,
  height: 240,
  metricName: null,
  maxEpochs: 1000,
};

/**
 * Builds learning curves: loss and metric per epoch, training against validation, side by side.
 *
 * The data holds `{ epoch, panel, split, value }` rows, where `panel` is `loss` or the metric
 * name and `split` is `train` or `validation` (validation rows only for epochs that have them).
 * Non-finite values are left out and counted in the subtitle. A dashed rule marks `bestEpoch`.
 *
 * @param history the training history, e.g. from `model.fit`
 * @param options the metric name, thinning and the look (per panel)
 * @returns a vega-lite faceted line chart with independent y scales
 * @throws {TypeError} when `history.epochs` is not an array of epoch records
 * @throws {RangeError} when the history has no epochs or an option is out of range
 * @example
 * ```ts
 * const history = await model.fit(x, y, options);
 * const spec = plotLearningCurves(history);
 * ```
 */
export function plotLearningCurves(
  history: LearningCurveInput,
  options: LearningCurvesOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_LEARNING_CURVES_OPTIONS, ...options };
  const action = "Cannot plot learning curves";
  checkChartOptions(settings, action);
  checkInteger(settings.maxEpochs, "maxEpochs", 3, Math.floor(MAX_INLINE_ROWS / 4), action);
  const epochs = history?.epochs;
  if (!Array.isArray(epochs)) {
    throw new TypeError(
      `${action}: expected a history with an "epochs" array, got ${
        show(epochs)
      } (pass the TrainingHistory that fit returned)`,
    );
  }
  if (epochs.length === 0) {
    throw new RangeError(`${action}: the history has no epochs (train for at least one epoch)`);
  }
  epochs.forEach((entry, i) => {
    if (typeof entry !== "object" || entry === null || typeof entry.epoch !== "number") {
      throw new TypeError(
        `${action}: epochs[${i}] must be an object with a numeric "epoch", got ${show(entry)}`,
      );
    }
  });
  const metric = settings.metricName ?? history.metric ?? "metric";
  const bestEpoch = history.bestEpoch;
  const keep = thinIndices(
    epochs.length,
    settings.maxEpochs,
    epochs.findIndex((entry) => entry.epoch === bestEpoch),
  );
  const rows: { epoch: number; panel: string; split: string; value: number }[] = [];
  let skipped = 0;
  for (const i of keep) {
    const entry = epochs[i]!;
    const points: [string, string, number | undefined][] = [
      ["loss", "train", entry.loss],
      ["loss", "validation", entry.val_loss],
      [metric, "train", entry.metric],
      [metric, "validation", entry.val_metric],
    ];
    for (const [panel, split, value] of points) {
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        skipped++;
        continue;
      }
      rows.push({ epoch: entry.epoch, panel, split, value });
    }
  }
  const showBest = typeof bestEpoch === "number" && Number.isFinite(bestEpoch);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Learning curves", [
      keep.length < epochs.length
        ? `${formatCount(keep.length)} of ${
          formatCount(epochs.length)
        } epochs drawn (evenly spaced, with the first, last and best)`
        : `${formatCount(epochs.length)} ${epochs.length === 1 ? "epoch" : "epochs"}`,
      showBest ? `dashed line: best epoch ${bestEpoch}` : "",
      skipped > 0
        ? `${formatCount(skipped)} non-finite ${skipped === 1 ? "value" : "values"} left out`
        : "",
    ]),
    data: { values: rows },
    facet: {
      column: { field: "panel", type: "nominal", sort: ["loss", metric], title: null },
    },
    spec: {
      width: settings.width,
      height: settings.height,
      layer: [
        {
          mark: { type: "line", point: keep.length <= 50 },
          encoding: {
            x: { field: "epoch", type: "quantitative", title: "epoch" },
            y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
            color: {
              field: "split",
              type: "nominal",
              title: null,
              scale: { domain: ["train", "validation"] },
            },
            strokeDash: {
              field: "split",
              type: "nominal",
              title: null,
              scale: { domain: ["train", "validation"], range: [[1, 0], [6, 3]] },
            },
          },
        },
        ...(showBest
          ? [{
            mark: { type: "rule" as const, color: "#888888", strokeDash: [4, 4] },
            encoding: { x: { datum: bestEpoch as number, type: "quantitative" as const } },
          }]
          : []),
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: themeConfig(),
  };
}

// -- confusion matrix -----------------------------------------------------------------------

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

/** Options of {@link plotRocCurves}. */
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
  width: 320,
  height: 320,
  maxPoints: 500,
};

/**
 * Builds one ROC curve per class (one-vs-rest), with the chance diagonal.
 *
 * Each curve is thinned to at most `maxPoints` points: when it has more, the points at indexes
 * `round(j·(n-1)/(m-1))` for `j = 0…m-1` are kept, so the first (0, 0) and last (1, 1) always
 * stay. The area under each full curve (trapezoidal rule, before thinning) is shown in the
 * legend. A curve that is undefined (a class with no positives or no negatives, so NaN rates)
 * is left out and named in the subtitle. The data holds `{ class, label, fpr, tpr }` rows.
 *
 * @param curves the curves by class name, e.g. from `rocCurve(yTrue01, scores)` per class
 * @param options thinning and the look
 * @returns a vega-lite line chart
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
    width: settings.width,
    height: settings.height,
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: "line", color: "#999999", strokeDash: [4, 4], strokeWidth: 1 },
        encoding: {
          x: { field: "fpr", type: "quantitative" },
          y: { field: "tpr", type: "quantitative" },
        },
      },
      {
        data: { values: rows },
        mark: { type: "line", interpolate: "linear" },
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
          color: { field: "label", type: "nominal", title: null, scale: { domain: order } },
          order: { field: "fpr", type: "quantitative" },
        },
      },
    ],
    config: themeConfig(),
  };
}

// -- predicted against actual, residuals ----------------------------------------------------

/** Options of {@link plotPredictedVsActual} and {@link plotResiduals}. */
export interface PredictionPlotOptions extends ChartOptions {
  /**
   * Most points drawn: larger inputs are sampled without replacement (1–5000).
   * @default 2000
   */
  sampleSize?: number;
  /**
   * Seed of the sample.
   * @default 0
   */
  seed?: number;
  /**
   * Name of the target, for axis titles.
   * @default "target"
   */
  target?: string;
}

/**
 * Defaults of {@link PredictionPlotOptions}.
 *
 * @example
 * ```ts
 * plotResiduals(yTrue, yPred, { ...DEFAULT_PREDICTION_PLOT_OPTIONS, target: "Body Mass (g)" });
 * ```
 */
export const DEFAULT_PREDICTION_PLOT_OPTIONS: Readonly<Required<PredictionPlotOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 320,
  height: 320,
  sampleSize: 2000,
  seed: 0,
  target: "target",
};

/**
 * Builds a scatter plot of predicted against actual values, with the line predicted = actual.
 *
 * Pairs where either value is not finite are left out. When more than `sampleSize` pairs remain,
 * a seeded sample is drawn as in `plotScatter`, and the subtitle says so. The data holds
 * `{ actual, predicted }` rows; the reference line spans the range of all pairs.
 *
 * @param actual the true values
 * @param predicted the predictions, in the same order
 * @param options the sample, the target name and the look
 * @returns a vega-lite layered point chart
 * @throws {TypeError} when the inputs are not numeric arrays of the same length, or `seed` is
 *   not an integer
 * @throws {RangeError} when `sampleSize` or a size option is out of range
 * @example
 * ```ts
 * const spec = plotPredictedVsActual(yTest, model.predict(xTest), { target: "Body Mass (g)" });
 * ```
 */
export function plotPredictedVsActual(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  options: PredictionPlotOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_PREDICTION_PLOT_OPTIONS, ...options };
  const action = "Cannot plot predicted against actual";
  const pairs = samplePairs(actual, predicted, settings, action);
  const lo = Math.min(pairs.min.actual, pairs.min.predicted);
  const hi = Math.max(pairs.max.actual, pairs.max.predicted);
  const line = pairs.total === 0
    ? []
    : [{ actual: lo, predicted: lo }, { actual: hi, predicted: hi }];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? `Predicted against actual ${settings.target}`, [
      sampleNote(pairs.rows.length, pairs.total, settings.seed),
      leftOutNote(pairs.dropped, "a non-finite value"),
      "dashed line: predicted = actual",
    ]),
    width: settings.width,
    height: settings.height,
    layer: [
      {
        data: { values: pairs.rows },
        mark: { type: "point" },
        encoding: {
          x: {
            field: "actual",
            type: "quantitative",
            title: `actual ${settings.target}`,
            scale: { zero: false },
          },
          y: {
            field: "predicted",
            type: "quantitative",
            title: `predicted ${settings.target}`,
            scale: { zero: false },
          },
        },
      },
      {
        data: { values: line },
        mark: { type: "line", color: "#888888", strokeDash: [4, 4], strokeWidth: 1 },
        encoding: {
          x: { field: "actual", type: "quantitative" },
          y: { field: "predicted", type: "quantitative" },
        },
      },
    ],
    config: themeConfig(),
  };
}

/**
 * Builds a residual plot: `actual − predicted` against the prediction, with a rule at 0.
 *
 * Pairs where either value is not finite are left out; larger inputs are sampled as in
 * {@link plotPredictedVsActual}. The data holds `{ predicted, residual }` rows.
 *
 * @param actual the true values
 * @param predicted the predictions, in the same order
 * @param options the sample, the target name and the look
 * @returns a vega-lite layered point chart
 * @throws {TypeError} when the inputs are not numeric arrays of the same length, or `seed` is
 *   not an integer
 * @throws {RangeError} when `sampleSize` or a size option is out of range
 * @example
 * ```ts
 * const spec = plotResiduals(yTest, model.predict(xTest), { target: "Body Mass (g)" });
 * ```
 */
export function plotResiduals(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  options: PredictionPlotOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_PREDICTION_PLOT_OPTIONS, ...options };
  const action = "Cannot plot residuals";
  const pairs = samplePairs(actual, predicted, settings, action);
  const rows = pairs.rows.map((row) => ({
    predicted: row.predicted,
    residual: row.actual - row.predicted,
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? `Residuals of ${settings.target}`, [
      sampleNote(rows.length, pairs.total, settings.seed),
      leftOutNote(pairs.dropped, "a non-finite value"),
      "residual = actual − predicted",
    ]),
    width: settings.width,
    height: settings.height,
    layer: [
      {
        data: { values: rows },
        mark: { type: "point" },
        encoding: {
          x: {
            field: "predicted",
            type: "quantitative",
            title: `predicted ${settings.target}`,
            scale: { zero: false },
          },
          y: { field: "residual", type: "quantitative", title: "residual" },
        },
      },
      {
        mark: { type: "rule", color: "#888888", strokeDash: [4, 4] },
        encoding: { y: { datum: 0, type: "quantitative" } },
      },
    ],
    config: themeConfig(),
  };
}

interface PairSample {
  rows: { actual: number; predicted: number }[];
  total: number;
  dropped: number;
  min: { actual: number; predicted: number };
  max: { actual: number; predicted: number };
}

function samplePairs(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  settings: Required<PredictionPlotOptions>,
  action: string,
): PairSample {
  checkChartOptions(settings, action);
  checkSampleSize(settings.sampleSize, action);
  checkSeed(settings.seed, action);
  if (typeof settings.target !== "string") {
    throw new TypeError(
      `${action}: option "target" must be a string, got ${show(settings.target)}`,
    );
  }
  for (const [name, values] of [["actual", actual], ["predicted", predicted]] as const) {
    if (!isArrayLike(values)) {
      throw new TypeError(`${action}: "${name}" must be an array of numbers, got ${show(values)}`);
    }
  }
  if (actual.length !== predicted.length) {
    throw new TypeError(
      `${action}: "actual" has ${actual.length} values but "predicted" has ${predicted.length} (pass predictions for the same rows)`,
    );
  }
  const finite: number[] = [];
  const min = { actual: Infinity, predicted: Infinity };
  const max = { actual: -Infinity, predicted: -Infinity };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    if (typeof a !== "number" || typeof p !== "number") {
      throw new TypeError(
        `${action}: value ${i} must be a number in both arrays, got ${show(a)} and ${show(p)}`,
      );
    }
    if (!Number.isFinite(a) || !Number.isFinite(p)) continue;
    finite.push(i);
    if (a < min.actual) min.actual = a;
    if (a > max.actual) max.actual = a;
    if (p < min.predicted) min.predicted = p;
    if (p > max.predicted) max.predicted = p;
  }
  const picked = sampleIndices(finite.length, settings.sampleSize, settings.seed);
  const rows = Array.from(picked, (k) => {
    const i = finite[k]!;
    return { actual: actual[i]!, predicted: predicted[i]! };
  });
  return { rows, total: finite.length, dropped: actual.length - finite.length, min, max };
}

// -- feature scores -------------------------------------------------------------------------

/** The score of one feature, e.g. from a selector report; `kept` colours the bar. */
export interface FeatureScore {
  /** The feature (column) name. */
  feature: string;
  /** Its score; higher is better. */
  score: number;
  /** Whether the selector kept the feature, when known. */
  kept?: boolean;
}

/** Options of {@link plotFeatureScores}. */
export interface FeatureScoresOptions extends ChartOptions {
  /**
   * Most bars: the highest scores (1–1000).
   * @default 30
   */
  topN?: number;
  /**
   * What the score is, for the axis title, e.g. `anova_f` or `mutual_info`.
   * @default "score"
   */
  scoreName?: string;
}

/**
 * Defaults of {@link FeatureScoresOptions}.
 *
 * @example
 * ```ts
 * plotFeatureScores(scores, { ...DEFAULT_FEATURE_SCORES_OPTIONS, topN: 10 });
 * ```
 */
export const DEFAULT_FEATURE_SCORES_OPTIONS: Readonly<Required<FeatureScoresOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  topN: 30,
  scoreName: "score",
};

/**
 * Builds a horizontal bar chart of feature scores, highest first.
 *
 * Features are ordered by score (descending), then by name; the `topN` highest are drawn.
 * Features with a non-finite score (an infinite F statistic, a NaN) cannot be drawn to scale:
 * they are left out and named in the subtitle. The data holds `{ feature, score }` rows, plus
 * `status` (`kept` or `dropped`) when the input says which features were kept.
 *
 * @param scores one score per feature
 * @param options how many bars, the score name and the look
 * @returns a vega-lite bar chart
 * @throws {TypeError} when an entry has no string `feature` or numeric `score`, or a feature
 *   appears twice
 * @throws {RangeError} when `topN` or a size option is out of range
 * @example
 * ```ts
 * const step = selector.report.steps[0];
 * const scores = Object.entries(step.scores).map(([feature, score]) => ({
 *   feature, score, kept: step.kept.includes(feature),
 * }));
 * const spec = plotFeatureScores(scores, { scoreName: step.score });
 * ```
 */
export function plotFeatureScores(
  scores: readonly FeatureScore[],
  options: FeatureScoresOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_FEATURE_SCORES_OPTIONS, ...options };
  const action = "Cannot plot feature scores";
  checkChartOptions(settings, action);
  checkInteger(settings.topN, "topN", 1, 1000, action);
  if (!Array.isArray(scores)) {
    throw new TypeError(`${action}: expected an array of { feature, score }, got ${show(scores)}`);
  }
  const seen = new Set<string>();
  scores.forEach((entry, i) => {
    if (
      typeof entry !== "object" || entry === null || typeof entry.feature !== "string" ||
      typeof entry.score !== "number"
    ) {
      throw new TypeError(
        `${action}: scores[${i}] must be { feature: string, score: number }, got ${show(entry)}`,
      );
    }
    if (seen.has(entry.feature)) {
      throw new TypeError(`${action}: feature "${entry.feature}" appears twice`);
    }
    seen.add(entry.feature);
  });
  const nonFinite = scores.filter((entry) => !Number.isFinite(entry.score)).map((e) => e.feature);
  const ranked = scores.filter((entry) => Number.isFinite(entry.score))
    .sort((a, b) => b.score - a.score || compareText(a.feature, b.feature));
  const shown = ranked.slice(0, settings.topN);
  const withStatus = scores.some((entry) => typeof entry.kept === "boolean");
  const rows = shown.map((entry) => ({
    feature: entry.feature,
    score: entry.score,
    ...(withStatus ? { status: entry.kept === true ? "kept" : "dropped" } : {}),
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Feature scores", [
      shown.length < ranked.length
        ? `top ${shown.length} of ${formatCount(ranked.length)} features`
        : `${formatCount(ranked.length)} features`,
      nonFinite.length > 0 ? `left out (non-finite score): ${listNames(nonFinite)}` : "",
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      y: { field: "feature", type: "nominal", sort: rows.map((row) => row.feature), title: null },
      x: { field: "score", type: "quantitative", title: settings.scoreName },
      ...(withStatus
        ? {
          color: {
            field: "status",
            type: "nominal",
            title: null,
            scale: { domain: ["kept", "dropped"], range: [PALETTE[0]!, "#bbbbbb"] },
          },
        }
        : {}),
      tooltip: [
        { field: "feature", type: "nominal" },
        { field: "score", type: "quantitative", format: ".4g" },
      ],
    },
    config: themeConfig(),
  };
}

// -- run comparison -------------------------------------------------------------------------

/** One metric value of one run, e.g. one entry of a run's `metrics.json`. */
export interface RunMetric {
  /** The run id, e.g. the run folder name. */
  run_id: string;
  /** The metric key, e.g. `accuracy` or `rmse`. */
  metric: string;
  /** Its value. */
  value: number;
  /** The split it was measured on (`train`, `val`, `test`), when known. */
  split?: string;
}

/** Options of {@link plotRunComparison}; `width` and `height` are per metric panel. */
export interface RunComparisonOptions extends ChartOptions {
  /**
   * The metrics shown, in panel order, or `null` for every metric in input order.
   * @default null
   */
  metrics?: readonly string[] | null;
  /**
   * Most runs drawn (1–100): the first ones in input order.
   * @default 20
   */
  maxRuns?: number;
  /**
   * Panels per row before wrapping (1–12).
   * @default 3
   */
  columns?: number;
}

/**
 * Defaults of {@link RunComparisonOptions}.
 *
 * @example
 * ```ts
 * plotRunComparison(rows, { ...DEFAULT_RUN_COMPARISON_OPTIONS, metrics: ["accuracy", "f1_macro"] });
 * ```
 */
export const DEFAULT_RUN_COMPARISON_OPTIONS: Readonly<Required<RunComparisonOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 240,
  height: 200,
  metrics: null,
  maxRuns: 20,
  columns: 3,
};

/**
 * Builds grouped bars comparing metrics across runs: one panel per metric (each with its own
 * scale), one bar group per run, one bar per split.
 *
 * Runs keep their input order; the first `maxRuns` distinct run ids are drawn. Rows with a
 * non-finite value (an undefined `roc_auc`) are left out and counted in the subtitle. The data
 * holds the given `{ run_id, metric, value, split }` rows that are drawn (`split` is `all` when
 * a row has none).
 *
 * @param rows one row per run, metric and split
 * @param options the metrics, how many runs and the look (per panel)
 * @returns a vega-lite faceted bar chart
 * @throws {TypeError} when a row has no string `run_id` or `metric`, or a non-number `value`
 * @throws {RangeError} when a run, metric and split appear twice, a listed metric is absent,
 *   or an option is out of range
 * @example
 * ```ts
 * const rows = runs.flatMap((run) =>
 *   Object.entries(run.metrics.test).map(([metric, value]) => ({ run_id: run.id, metric, value, split: "test" }))
 * );
 * const spec = plotRunComparison(rows, { metrics: ["accuracy", "f1_macro"] });
 * ```
 */
export function plotRunComparison(
  rows: readonly RunMetric[],
  options: RunComparisonOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_RUN_COMPARISON_OPTIONS, ...options };
  const action = "Cannot plot run comparison";
  checkChartOptions(settings, action);
  checkInteger(settings.maxRuns, "maxRuns", 1, 100, action);
  checkInteger(settings.columns, "columns", 1, 12, action);
  if (!Array.isArray(rows)) {
    throw new TypeError(
      `${action}: expected an array of { run_id, metric, value }, got ${show(rows)}`,
    );
  }
  rows.forEach((row, i) => {
    if (
      typeof row !== "object" || row === null || typeof row.run_id !== "string" ||
      typeof row.metric !== "string" || typeof row.value !== "number" ||
      (row.split !== undefined && typeof row.split !== "string")
    ) {
      throw new TypeError(
        `${action}: rows[${i}] must be { run_id: string, metric: string, value: number, split?: string }, got ${
          show(row)
        }`,
      );
    }
  });
  const present = [...new Set(rows.map((row) => row.metric))];
  const metrics = settings.metrics === null ? present : [...settings.metrics];
  const absent = metrics.filter((metric) => !present.includes(metric));
  if (absent.length > 0) {
    throw new RangeError(
      `${action}: no rows for ${absent.length === 1 ? "metric" : "metrics"} ${
        listNames(absent)
      } (found ${listNames(present)})`,
    );
  }
  const runs = [...new Set(rows.map((row) => row.run_id))];
  const drawnRuns = new Set(runs.slice(0, settings.maxRuns));
  const wanted = new Set(metrics);
  const seen = new Set<string>();
  const values: { run_id: string; metric: string; split: string; value: number }[] = [];
  let skipped = 0;
  for (const row of rows) {
    if (!drawnRuns.has(row.run_id) || !wanted.has(row.metric)) continue;
    const split = row.split ?? "all";
    const key = JSON.stringify([row.run_id, row.metric, split]);
    if (seen.has(key)) {
      throw new RangeError(
        `${action}: run "${row.run_id}" has metric "${row.metric}" on split "${split}" twice (pass one value each)`,
      );
    }
    seen.add(key);
    if (!Number.isFinite(row.value)) {
      skipped++;
      continue;
    }
    values.push({ run_id: row.run_id, metric: row.metric, split, value: row.value });
  }
  if (values.length > MAX_INLINE_ROWS) {
    throw new RangeError(
      `${action}: ${values.length} bars exceed ${MAX_INLINE_ROWS} (pass fewer metrics or lower "maxRuns")`,
    );
  }
  const splits = [...new Set(values.map((row) => row.split))];
  const grouped = splits.length > 1 || (splits.length === 1 && splits[0] !== "all");
  const runOrder = runs.filter((run) => drawnRuns.has(run));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Run comparison", [
      runs.length > drawnRuns.size
        ? `first ${drawnRuns.size} of ${formatCount(runs.length)} runs`
        : `${formatCount(runs.length)} ${runs.length === 1 ? "run" : "runs"}`,
      skipped > 0
        ? `${formatCount(skipped)} non-finite ${skipped === 1 ? "value" : "values"} left out`
        : "",
    ]),
    data: { values },
    facet: { field: "metric", type: "nominal", sort: metrics, title: null },
    columns: settings.columns,
    spec: {
      width: settings.width,
      height: settings.height,
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "run_id",
          type: "nominal",
          sort: runOrder,
          title: null,
          axis: { labelAngle: -45 },
        },
        y: { field: "value", type: "quantitative", title: null },
        ...(grouped
          ? {
            xOffset: { field: "split", type: "nominal", sort: splits },
            color: { field: "split", type: "nominal", title: "split", scale: { domain: splits } },
          }
          : {}),
        tooltip: [
          { field: "run_id", type: "nominal" },
          { field: "metric", type: "nominal" },
          { field: "split", type: "nominal" },
          { field: "value", type: "quantitative", format: ".4g" },
        ],
      },
    },
    resolve: { scale: { y: "independent" } },
    config: themeConfig(),
  };
}

// -- helpers --------------------------------------------------------------------------------

/**
 * Indexes to keep of `n` points, at most `max`: all when `n <= max`, else `round(j·(n-1)/(m-1))`
 * for evenly spaced `j`, always with the first and last, and with `must` (when >= 0) in place
 * of its nearest neighbour.
 */
function thinIndices(n: number, max: number, must: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  const slots = must >= 0 && must !== 0 && must !== n - 1 ? max - 1 : max;
  for (let j = 0; j < slots; j++) picked.add(Math.round((j * (n - 1)) / (slots - 1)));
  if (must >= 0) picked.add(must);
  return [...picked].sort((a, b) => a - b);
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

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
