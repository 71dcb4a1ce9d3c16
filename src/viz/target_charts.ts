/**
 * The target over time: the mean of a numeric target, or the share of each class, per day, week
 * or month of a date column.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import {
  chartTitle,
  checkChartOptions,
  checkMaxGroups,
  formatCount,
  groupLabels,
  groupNote,
  leftOutNote,
  requireColumns,
  requireNumeric,
  show,
  themeConfig,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS } from "./theme.ts";

/** How long one point of {@link plotTargetOverTime} is. */
export type TimePeriod = "day" | "week" | "month" | "year";

/** Options of {@link plotTargetOverTime}. */
export interface TargetOverTimeOptions extends ChartOptions {
  /** The date or datetime column on the x axis. */
  time: string;
  /** The target column. */
  target: string;
  /** `"regression"` draws the mean per period; `"classification"` the share of each class. */
  task: "classification" | "regression";
  /**
   * The period of one point, or `"auto"`: years when the dates span more than ten years,
   * months when they span more than two, weeks when they span more than 120 days, else days.
   * @default "auto"
   */
  period?: TimePeriod | "auto";
  /**
   * Most classes coloured; beyond it the least frequent share the colour `(other)` (1–8).
   * @default 8
   */
  maxGroups?: number;
}

/**
 * Defaults of {@link TargetOverTimeOptions}.
 *
 * @example
 * ```ts
 * plotTargetOverTime(df, { ...DEFAULT_TARGET_OVER_TIME_OPTIONS, time: "date", target: "y", task: "regression" });
 * ```
 */
export const DEFAULT_TARGET_OVER_TIME_OPTIONS: Readonly<
  Omit<Required<TargetOverTimeOptions>, "time" | "target" | "task">
> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 560,
  height: 260,
  period: "auto",
  maxGroups: 8,
};

const DAY_MS = 86_400_000;

/**
 * Builds a chart of the target over time, aggregated in polars by day, week (from Monday), month
 * or year of the `time` column.
 *
 * A regression target is drawn as its mean per period (a line with points); a classification
 * target as the share of each class per period (a normalised stacked area), so a trend or a
 * season in the classes shows even when one class dominates. Rows whose time or target is null
 * (or not finite) are left out and counted in the subtitle. The data holds
 * `{ period, mean, rows }` or `{ period, class, rank, rows }` rows (`rank`: the class's place in the legend), one per period (and class).
 *
 * @param df the frame
 * @param options the time and target columns, the task, the period and the look
 * @returns a vega-lite line or area chart
 * @throws {SchemaMismatchError} when a column is not in the frame
 * @throws {TypeError} when `time` is not a Date or Datetime column, or a regression target is
 *   not numeric
 * @throws {RangeError} when a size option or `maxGroups` is out of range
 * @example
 * ```ts
 * const spec = plotTargetOverTime(df, { time: "date", target: "weather", task: "classification" });
 * ```
 */
export function plotTargetOverTime(df: DataFrame, options: TargetOverTimeOptions): TopLevelSpec {
  const settings = { ...DEFAULT_TARGET_OVER_TIME_OPTIONS, ...options };
  const { time, target, task } = settings;
  const action = `Cannot plot "${target}" over "${time}"`;
  checkChartOptions(settings, action);
  checkMaxGroups(settings.maxGroups, action);
  requireColumns(df, [time, target], action);
  const variant = String(df.getColumn(time).dtype);
  if (!/^DataType\((Date|Datetime)/.test(variant)) {
    throw new TypeError(
      `${action}: "${time}" must be a Date or Datetime column, found ${variant} (read it as a date with data.dtypes)`,
    );
  }
  if (task !== "classification" && task !== "regression") {
    throw new TypeError(
      `${action}: option "task" must be "classification" or "regression", got ${show(task)}`,
    );
  }
  if (task === "regression") requireNumeric(df, [target], action);
  if (!["auto", "day", "week", "month", "year"].includes(settings.period)) {
    throw new RangeError(
      `${action}: option "period" must be "auto", "day", "week", "month" or "year", got ${
        show(settings.period)
      }`,
    );
  }

  const day = pl.col(time).cast(pl.Date);
  let kept = df.filter(pl.col(time).isNotNull().and(pl.col(target).isNotNull()));
  if (task === "regression") {
    kept = kept.filter(pl.col(target).cast(pl.Float64).isFinite());
  }
  const leftOut = df.height - kept.height;
  const days = kept.select(day.cast(pl.Int32).alias("d")).getColumn("d");
  const first = kept.height === 0 ? 0 : Number(days.min());
  const last = kept.height === 0 ? 0 : Number(days.max());
  const period = settings.period === "auto" ? autoPeriod(last - first) : settings.period;
  const bucket = period === "year"
    ? day.dt.year().cast(pl.Int32)
    : period === "month"
    ? day.dt.year().cast(pl.Int32).mul(12).add(day.dt.month().cast(pl.Int32)).sub(1)
    : period === "week"
    ? day.cast(pl.Int32).add(3).cast(pl.Float64).div(7).floor().cast(pl.Int32).mul(7).sub(3)
    : day.cast(pl.Int32);
  const periodStart = (b: number) =>
    period === "year"
      ? `${b}-01-01`
      : period === "month"
      ? `${Math.floor(b / 12)}-${String((b % 12) + 1).padStart(2, "0")}-01`
      : new Date(b * DAY_MS).toISOString().slice(0, 10);
  const timeUnit = period === "year" ? "year" : period === "month" ? "yearmonth" : "yearmonthdate";
  const periodTitle = `${time} (${period})`;
  const note = leftOutNote(leftOut, `a null ${task === "regression" ? "or non-finite " : ""}value`);

  if (task === "regression") {
    const rows = kept.select(bucket.alias("b"), pl.col(target).cast(pl.Float64).alias("y"))
      .groupBy("b").agg(pl.col("y").mean().alias("mean"), pl.len().alias("rows")).sort("b")
      .toRecords().map((r) => ({
        period: periodStart(Number(r["b"])),
        mean: Number(r["mean"]),
        rows: Number(r["rows"]),
      }));
    return {
      $schema: VEGA_LITE_SCHEMA,
      title: chartTitle(settings.title ?? `Mean ${target} per ${period} of ${time}`, [
        periodNote(rows.length, period, kept.height),
        note,
      ]),
      width: settings.width,
      height: settings.height,
      data: { values: rows },
      mark: { type: "line", point: rows.length <= 60 },
      encoding: {
        x: { field: "period", type: "temporal", timeUnit, title: periodTitle },
        y: {
          field: "mean",
          type: "quantitative",
          title: `mean ${target}`,
          scale: { zero: false },
        },
        tooltip: [
          { field: "period", type: "temporal", timeUnit, title: period },
          { field: "mean", type: "quantitative", format: ".4~g", title: `mean ${target}` },
          { field: "rows", type: "quantitative" },
        ],
      },
      config: themeConfig(),
    };
  }

  const groups = groupLabels(kept, target, settings.maxGroups);
  const rows = kept.select(bucket.alias("b"), groups.expr.alias("class"))
    .groupBy(["b", "class"]).len().sort(["b", "class"])
    .toRecords().map((r) => ({
      period: periodStart(Number(r["b"])),
      class: String(r["class"]),
      rank: groups.order.indexOf(String(r["class"])),
      rows: Number(r["len"]),
    }));
  const periods = new Set(rows.map((r) => r.period)).size;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? `Share of each ${target} per ${period} of ${time}`, [
      periodNote(periods, period, kept.height),
      groupNote(target, groups),
      note,
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    mark: { type: "area", interpolate: "step-after" },
    encoding: {
      x: { field: "period", type: "temporal", timeUnit, title: periodTitle },
      y: {
        field: "rows",
        type: "quantitative",
        aggregate: "sum",
        stack: "normalize",
        title: "share of rows",
        axis: { format: "%" },
      },
      color: { field: "class", type: "nominal", title: target, sort: groups.order },
      // The most frequent class at the bottom, in legend order.
      order: { field: "rank", type: "quantitative", sort: "ascending" },
      tooltip: [
        { field: "period", type: "temporal", timeUnit, title: period },
        { field: "class", type: "nominal", title: target },
        { field: "rows", type: "quantitative", aggregate: "sum", title: "rows" },
      ],
    },
    config: themeConfig(),
  };
}

function periodNote(periods: number, period: TimePeriod, rows: number): string {
  return `${formatCount(periods)} ${period}${periods === 1 ? "" : "s"}, ${formatCount(rows)} ${
    rows === 1 ? "row" : "rows"
  }`;
}

function autoPeriod(spanDays: number): TimePeriod {
  if (spanDays > 3652) return "year";
  if (spanDays > 730) return "month";
  if (spanDays > 120) return "week";
  return "day";
}
