/**
 * Chart builders for training results: learning curves of one run, and a metric compared
 * across runs.
 *
 * They take plain values (a training history, run metrics) rather than frames; long histories
 * are thinned to evenly spaced epochs so the inline data stays bounded.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  formatCount,
  listNames,
  show,
  themeConfig,
  thinIndices,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, MAX_INLINE_ROWS } from "./theme.ts";
import { type TrainingStepName, TREE_FAMILIES } from "../models/mod.ts";

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
  /** The epoch whose weights were kept (0-based, as `epoch`), marked with a dashed rule. */
  bestEpoch?: number;
  /** Name of `EpochPoint.metric`, e.g. `accuracy`. */
  metric?: string;
}

/**
 * What a fit minimises, which is what its loss curves show: the plain loss of the task
 * (log-loss for classification, mean squared error for regression unless a `gbdt` regression
 * chose another `loss`) plus, when the family has one, its L2 penalty `l2 · Σ w²`. The metrics
 * (`log_loss`, `rmse`, …) never include the penalty.
 */
export interface TrainingObjective {
  /** The task, which picks the plain loss. */
  task: "classification" | "regression";
  /** The family's L2 penalty weight; 0 when it has none. */
  l2: number;
  /**
   * A regression loss other than the squared error, as a tree family's `model.params.loss`
   * chose it.
   * @default the squared error
   */
  loss?: "absolute_error" | "huber";
}

/** Options of {@link trainingObjective}. */
export interface TrainingObjectiveOptions {
  /**
   * The model family, e.g. `config.model.family`; a tree family (see {@link TREE_FAMILIES})
   * has no penalty in its loss whatever its `l2`. `null` reads the penalty from the params only.
   * @default null
   */
  family?: string | null;
}

/**
 * Reads the training objective of a model from its task and its family's params: `l2` when the
 * params hold a positive number and the family adds it to its loss, 0 otherwise (the baseline,
 * families without a penalty, and the tree families, whose `l2` acts on leaf values); and, for a
 * tree family's regression, the `loss` its params chose when it is not the squared error.
 *
 * @param task the task
 * @param params the family's params, e.g. `config.model.params` or `model.toConfig().params`
 * @param options the family
 * @returns the objective
 * @example
 * ```ts
 * trainingObjective("classification", { hidden_units: [16], l2: 0.0001 });
 * // { task: "classification", l2: 0.0001 }
 * trainingObjective("classification", { l2: 1 }, { family: "gbdt" });
 * // { task: "classification", l2: 0 }
 * trainingObjective("regression", { loss: "huber" }, { family: "gbdt" });
 * // { task: "regression", l2: 0, loss: "huber" }
 * ```
 */
export function trainingObjective(
  task: "classification" | "regression",
  params: Readonly<Record<string, unknown>>,
  options: TrainingObjectiveOptions = {},
): TrainingObjective {
  const family = options.family ?? null;
  if (family !== null && TREE_FAMILIES.includes(family)) {
    const loss = params["loss"];
    return task === "regression" && (loss === "absolute_error" || loss === "huber")
      ? { task, l2: 0, loss }
      : { task, l2: 0 };
  }
  const l2 = params["l2"];
  return { task, l2: typeof l2 === "number" && Number.isFinite(l2) && l2 > 0 ? l2 : 0 };
}

/**
 * Names a training objective as a chart or a report labels it: `"log-loss + L2 penalty"` when
 * `l2 > 0`, `"log-loss"` without; `"MSE + L2 penalty"` and `"MSE"` for regression, or
 * `"absolute error"` and `"Huber loss"` for those losses.
 *
 * @param objective the objective
 * @returns the label
 * @example
 * ```ts
 * describeTrainingObjective({ task: "classification", l2: 0.0001 }); // "log-loss + L2 penalty"
 * ```
 */
export function describeTrainingObjective(objective: TrainingObjective): string {
  const plain = objective.task === "classification"
    ? "log-loss"
    : objective.loss === "absolute_error"
    ? "absolute error"
    : objective.loss === "huber"
    ? "Huber loss"
    : "MSE";
  return objective.l2 > 0 ? `${plain} + L2 penalty` : plain;
}

/**
 * Explains in one line what a learning curve's loss is against the plain metric: with a
 * penalty, that the loss is the training objective and the metrics' log-loss (or rmse) is the
 * plain one; without, that the loss is the plain log-loss (or MSE).
 *
 * @param objective the objective
 * @returns the sentence, without a final period
 * @example
 * ```ts
 * describeLossCurve({ task: "classification", l2: 0.0001 });
 * // "loss: the training objective, log-loss + L2 penalty (l2 = 0.0001); log_loss in the metrics is the plain log-loss"
 * ```
 */
export function describeLossCurve(objective: TrainingObjective): string {
  const metric = objective.task === "classification"
    ? "log_loss in the metrics is the plain log-loss"
    : objective.loss === undefined
    ? "rmse in the metrics is the square root of the plain MSE"
    : "mae in the metrics is the plain absolute error";
  return objective.l2 > 0
    ? `loss: the training objective, ${
      describeTrainingObjective(objective)
    } (l2 = ${objective.l2}); ${metric}`
    : `loss: the plain ${describeTrainingObjective(objective)}, with no penalty`;
}

/** Options of {@link plotLearningCurves}; `width` and `height` are per panel. */
export interface LearningCurvesOptions extends ChartOptions {
  /**
   * What the loss is, from {@link trainingObjective}: it names the loss panel (`loss: log-loss +
   * L2 penalty`) and adds a subtitle line saying how it differs from the metrics; `null` keeps
   * the panel named `loss`.
   * @default null
   */
  objective?: TrainingObjective | null;
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
  /**
   * What one history entry is called on the axis and in the subtitle: `"epoch"`, or `"round"`
   * for tree families (see {@link trainingStepName}).
   * @default "epoch"
   */
  step?: TrainingStepName;
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
  objective: null,
  step: "epoch",
};

/**
 * Builds learning curves: loss and metric per epoch, training against validation, side by side.
 *
 * The data holds `{ epoch, panel, split, value }` rows, where `epoch` is numbered from 1 as a
 * person counts (the input's 0-based `epoch` plus 1), `panel` is `loss` or the metric name and
 * `split` is `train` or `validation` (validation rows only for epochs that have them). The
 * epoch axis shows whole numbers only. Non-finite values are left out and counted in the
 * subtitle. A dashed rule marks `bestEpoch` (0-based in the input, shown from 1). With
 * `objective`, the loss panel is named after it (`loss: log-loss + L2 penalty`) and the subtitle
 * says what the loss is, since the penalty makes it differ from the metrics' log-loss.
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
  const objective = settings.objective;
  const step = settings.step;
  if (step !== "epoch" && step !== "round") {
    throw new RangeError(`${action}: "step" is ${show(step)}, expected "epoch" or "round"`);
  }
  const lossPanel = objective === null ? "loss" : `loss: ${describeTrainingObjective(objective)}`;
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
      [lossPanel, "train", entry.loss],
      [lossPanel, "validation", entry.val_loss],
      [metric, "train", entry.metric],
      [metric, "validation", entry.val_metric],
    ];
    for (const [panel, split, value] of points) {
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isFinite(value)) {
        skipped++;
        continue;
      }
      rows.push({ epoch: entry.epoch + 1, panel, split, value });
    }
  }
  const showBest = typeof bestEpoch === "number" && Number.isFinite(bestEpoch);
  const drawn = [...new Set(rows.map((row) => row.epoch))];
  // One epoch gives vega a zero-width domain, labelled "0.000000"; centre it on its number.
  const single = drawn.length === 1 ? drawn[0]! : null;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Learning curves", [
      keep.length < epochs.length
        ? `${formatCount(keep.length)} of ${
          formatCount(epochs.length)
        } ${step}s drawn (evenly spaced, with the first, last and best)`
        : `${formatCount(epochs.length)} ${epochs.length === 1 ? step : `${step}s`}`,
      showBest ? `dashed line: best ${step} ${(bestEpoch as number) + 1}` : "",
      objective === null ? "" : describeLossCurve(objective),
      skipped > 0
        ? `${formatCount(skipped)} non-finite ${skipped === 1 ? "value" : "values"} left out`
        : "",
    ]),
    data: { values: rows },
    facet: {
      column: { field: "panel", type: "nominal", sort: [lossPanel, metric], title: null },
    },
    spec: {
      width: settings.width,
      height: settings.height,
      layer: [
        {
          mark: { type: "line", point: keep.length <= 50 },
          encoding: {
            x: {
              field: "epoch",
              type: "quantitative",
              title: step,
              axis: { tickMinStep: 1, format: "d" },
              ...(single === null ? {} : { scale: { domain: [single - 0.5, single + 0.5] } }),
            },
            // A single epoch's y domain would have zero width too, so it starts at 0.
            y: {
              field: "value",
              type: "quantitative",
              title: null,
              scale: { zero: single !== null },
            },
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
            encoding: {
              x: { datum: (bestEpoch as number) + 1, type: "quantitative" as const },
            },
          }]
          : []),
      ],
    },
    resolve: { scale: { y: "independent" } },
    config: themeConfig(),
  };
}

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
 * Builds a dot chart comparing metrics across runs: one panel per metric (each with its own
 * scale, zoomed to the values rather than starting at 0), one column per run, one point per
 * split side by side, so close scores and the spread of fold scores stay visible.
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
      "y axes zoomed to the values, not from 0",
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
      // Points on a zoomed axis: close scores (0.968 against 0.989) and the spread of fold
      // scores would be invisible on bars, which must start at 0.
      mark: { type: "point", filled: true, size: 70, opacity: 0.9 },
      encoding: {
        x: {
          field: "run_id",
          type: "nominal",
          sort: runOrder,
          title: null,
          axis: { labelAngle: -45 },
        },
        y: {
          field: "value",
          type: "quantitative",
          title: null,
          scale: { zero: false, padding: 12 },
        },
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
