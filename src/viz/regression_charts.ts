/**
 * Chart builders for regressors: predicted against actual, and residuals against the
 * prediction. Both draw a seeded sample of at most `sampleSize` finite pairs.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import {
  chartTitle,
  checkChartOptions,
  checkSampleSize,
  checkSeed,
  leftOutNote,
  sampleIndices,
  sampleNote,
  show,
  themeConfig,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS } from "./theme.ts";

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

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}
