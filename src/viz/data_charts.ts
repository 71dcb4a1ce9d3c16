/**
 * Chart builders for exploring a polars frame: histogram, counts bar, box plot, scatter,
 * correlation heatmap, pair grid and missing-values matrix.
 *
 * Every builder aggregates in polars first and puts only the summary into the spec: bins,
 * value counts, five-number summaries, a seeded sample of at most `sampleSize` rows, the
 * correlation matrix, or null shares per row block. A spec never carries more than
 * {@link MAX_INLINE_ROWS} rows of inline data, whatever the size of the frame, and its subtitle
 * says how the data was reduced.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  checkMaxGroups,
  checkSampleSize,
  checkSeed,
  escapeField,
  finiteOrNull,
  formatCount,
  formatNumber,
  frameRecords,
  type GroupLabels,
  groupLabels,
  groupNote,
  leftOutNote,
  listNames,
  MISSING_LABEL,
  numericColumns,
  OTHER_LABEL,
  requireColumns,
  requireNumeric,
  sampleIndices,
  sampleNote,
  takeFrameRows,
  themeConfig,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, MAX_INLINE_ROWS } from "./theme.ts";

// -- histogram ------------------------------------------------------------------------------

/** Options of {@link plotHistogram}. */
export interface HistogramOptions extends ChartOptions {
  /** The numeric column to bin. */
  column: string;
  /**
   * A fixed number of equal-width bins, or `"fd"` for the Freedman–Diaconis rule
   * (bin width `2·IQR·n^(-1/3)`; Sturges' `⌈log2 n⌉ + 1` bins when the IQR is 0), kept within
   * `minBins`–`maxBins`.
   * @default "fd"
   */
  bins?: number | "fd";
  /**
   * Fewest bins the `"fd"` rule may choose.
   * @default 5
   */
  minBins?: number;
  /**
   * Most bins: the cap of the `"fd"` rule and of a fixed `bins` (at most 500).
   * @default 100
   */
  maxBins?: number;
  /**
   * A column whose values colour stacked bars (top `maxGroups` values), or `null` for one colour.
   * @default null
   */
  color?: string | null;
  /**
   * Most colours; beyond it the least frequent values share the colour `(other)` (1–8).
   * @default 8
   */
  maxGroups?: number;
}

/**
 * Defaults of {@link HistogramOptions}.
 *
 * @example
 * ```ts
 * plotHistogram(df, { ...DEFAULT_HISTOGRAM_OPTIONS, column: "Body Mass (g)", bins: 20 });
 * ```
 */
export const DEFAULT_HISTOGRAM_OPTIONS: Readonly<Omit<Required<HistogramOptions>, "column">> = {
  ...DEFAULT_CHART_OPTIONS,
  bins: "fd",
  minBins: 5,
  maxBins: 100,
  color: null,
  maxGroups: 8,
};

/**
 * Builds a histogram of a numeric column from bins counted in polars.
 *
 * The range `[min, max]` of the finite values is cut into equal-width bins; each bin holds the
 * values `>= start` and `< end`, the last one also its end (as numpy does). Null, NaN and
 * infinite values are left out and counted in the subtitle. The data holds one row
 * `{ bin_start, bin_end, count }` per bin (and per colour group, with `group`), empty bins
 * included.
 *
 * @param df the frame
 * @param options the column, the bin rule and the look
 * @returns a vega-lite bar chart of the counts
 * @throws {SchemaMismatchError} when `column` or `color` is not in the frame
 * @throws {TypeError} when `column` is not numeric
 * @throws {RangeError} when a bin count or size option is out of range
 * @example
 * ```ts
 * const spec = plotHistogram(df, { column: "Body Mass (g)", color: "Species" });
 * await toSVG(spec);
 * ```
 */
export function plotHistogram(df: DataFrame, options: HistogramOptions): TopLevelSpec {
  const settings = { ...DEFAULT_HISTOGRAM_OPTIONS, ...options };
  const { column, color } = settings;
  const action = `Cannot plot histogram of "${column}"`;
  checkChartOptions(settings, action);
  checkInteger(settings.maxBins, "maxBins", 1, 500, action);
  checkInteger(settings.minBins, "minBins", 1, settings.maxBins, action);
  if (settings.bins !== "fd") checkInteger(settings.bins, "bins", 1, settings.maxBins, action);
  checkMaxGroups(settings.maxGroups, action);
  requireColumns(df, color === null ? [column] : [column, color], action);
  requireNumeric(df, [column], action);

  const value = pl.col(column).cast(pl.Float64).alias("value");
  const present = df.select(value, ...(color === null ? [] : [pl.col(color).alias("color")]))
    .filter(pl.col("value").isFinite());
  const n = present.height;
  const groups = color === null ? null : groupLabels(present, "color", settings.maxGroups);
  const stats = present.select(
    pl.col("value").min().alias("min"),
    pl.col("value").max().alias("max"),
    pl.col("value").quantile(0.25, "linear").alias("q1"),
    pl.col("value").quantile(0.75, "linear").alias("q3"),
  ).row(0) as (number | null)[];
  const [min, max, q1, q3] = stats.map((x) => x ?? NaN) as [number, number, number, number];
  const rule = chooseBins(n, max - min, q3 - q1, settings);
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  const width = (hi - lo) / rule.bins;

  const counts = new Map<string, number>();
  if (n > 0) {
    const bin = pl.col("value").sub(pl.lit(lo)).div(pl.lit(width)).floor()
      .clip(0, rule.bins - 1).cast(pl.Int32).alias("bin");
    const keys = groups === null ? ["bin"] : ["bin", "group"];
    const binned = present.select(bin, ...(groups === null ? [] : [groups.expr.alias("group")]))
      .groupBy(keys).len();
    for (const row of binned.toRecords() as { bin: number; group?: string; len: number }[]) {
      counts.set(`${row.bin}\u0000${row.group ?? ""}`, Number(row.len));
    }
  }
  const rows: Record<string, unknown>[] = [];
  if (n > 0) {
    for (const group of groups === null ? [null] : groups.order) {
      for (let i = 0; i < rule.bins; i++) {
        const row: Record<string, unknown> = {
          bin_start: lo + i * width,
          bin_end: i === rule.bins - 1 ? hi : lo + (i + 1) * width,
          count: counts.get(`${i}\u0000${group ?? ""}`) ?? 0,
        };
        if (group !== null) row.group = group;
        rows.push(row);
      }
    }
  }
  const binLine = n === 0
    ? "no finite values to bin"
    : `${rule.bins} ${rule.bins === 1 ? "bin" : "bins"} of width ${
      formatNumber(width)
    } (${rule.text})`;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? `Distribution of ${column}`, [
      binLine,
      `n = ${formatCount(n)}`,
      leftOutNote(df.height - n, "a missing or non-finite value"),
      groups === null || color === null ? "" : groupNote(color, groups),
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    mark: { type: "bar", binSpacing: 1 },
    encoding: {
      x: {
        field: "bin_start",
        type: "quantitative",
        bin: { binned: true, step: width },
        title: column,
      },
      x2: { field: "bin_end" },
      y: { field: "count", type: "quantitative", title: "rows", stack: "zero" },
      ...(groups === null ? {} : {
        color: {
          field: "group",
          type: "nominal",
          title: color,
          scale: { domain: groups.order },
        },
      }),
    },
    config: themeConfig(),
  };
}

function chooseBins(
  n: number,
  range: number,
  iqr: number,
  settings: { bins: number | "fd"; minBins: number; maxBins: number },
): { bins: number; text: string } {
  if (settings.bins !== "fd") return { bins: settings.bins, text: "fixed bin count" };
  if (n === 0 || range === 0) return { bins: 1, text: "all values equal" };
  const limits = `kept within ${settings.minBins}–${settings.maxBins} bins`;
  let raw: number;
  let rule: string;
  if (iqr > 0) {
    raw = Math.ceil(range / ((2 * iqr) / Math.cbrt(n)));
    rule = "Freedman–Diaconis rule";
  } else {
    raw = Math.ceil(Math.log2(n)) + 1;
    rule = "Sturges' rule, as the IQR is 0";
  }
  const bins = Math.min(settings.maxBins, Math.max(settings.minBins, raw));
  return { bins, text: `${rule}, ${limits}` };
}

// -- counts bar -----------------------------------------------------------------------------

/** Options of {@link plotCounts}. */
export interface CountsOptions extends ChartOptions {
  /** The column whose values are counted (any dtype; values are shown as text). */
  column: string;
  /**
   * Most bars for single values; the remaining values share one `(other)` bar (1–1000).
   * @default 20
   */
  topN?: number;
}

/**
 * Defaults of {@link CountsOptions}.
 *
 * @example
 * ```ts
 * plotCounts(df, { ...DEFAULT_COUNTS_OPTIONS, column: "Island" });
 * ```
 */
export const DEFAULT_COUNTS_OPTIONS: Readonly<Omit<Required<CountsOptions>, "column">> = {
  ...DEFAULT_CHART_OPTIONS,
  topN: 20,
};

/**
 * Builds a horizontal bar chart of how often each value of a column occurs.
 *
 * Values are counted in polars and ordered by count (descending), then by value. The `topN`
 * most frequent values get a bar each; when there are more, one `(other)` bar sums the rest.
 * Nulls count as the value `(missing)`. The data holds `{ value, count, share }` rows, where
 * `share` is the count over all rows.
 *
 * @param df the frame
 * @param options the column, how many bars and the look
 * @returns a vega-lite bar chart
 * @throws {SchemaMismatchError} when `column` is not in the frame
 * @throws {RangeError} when `topN` or a size option is out of range
 * @example
 * ```ts
 * const spec = plotCounts(df, { column: "Island", topN: 10 });
 * ```
 */
export function plotCounts(df: DataFrame, options: CountsOptions): TopLevelSpec {
  const settings = { ...DEFAULT_COUNTS_OPTIONS, ...options };
  const { column, topN } = settings;
  const action = `Cannot plot counts of "${column}"`;
  checkChartOptions(settings, action);
  checkInteger(topN, "topN", 1, 1000, action);
  requireColumns(df, [column], action);

  const label = pl.col(column).cast(pl.Utf8).fillNull(pl.lit(MISSING_LABEL)).alias("value");
  const counts = df.select(label).groupBy("value").len().sort(["len", "value"], [true, false]);
  const total = df.height;
  const distinct = counts.height;
  const top = counts.head(topN).toRecords() as { value: string; len: number }[];
  const rows = top.map((row) => ({
    value: row.value,
    count: Number(row.len),
    share: total === 0 ? 0 : Number(row.len) / total,
  }));
  const shownCount = rows.reduce((sum, row) => sum + row.count, 0);
  if (distinct > topN) {
    rows.push({
      value: OTHER_LABEL,
      count: total - shownCount,
      share: (total - shownCount) / total,
    });
  }
  const rest = distinct - top.length;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? `Counts of ${column}`, [
      `${formatCount(distinct)} distinct ${distinct === 1 ? "value" : "values"} in ${
        formatCount(total)
      } rows`,
      rest > 0
        ? `top ${topN} shown; ${formatCount(rest)} other values summed as "${OTHER_LABEL}"`
        : "",
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      y: { field: "value", type: "nominal", title: column, sort: rows.map((row) => row.value) },
      x: { field: "count", type: "quantitative", title: "rows" },
      tooltip: [
        { field: "value", type: "nominal", title: column },
        { field: "count", type: "quantitative", title: "rows" },
        { field: "share", type: "quantitative", title: "share", format: ".1%" },
      ],
    },
    config: themeConfig(),
  };
}

// -- box plot -------------------------------------------------------------------------------

/** Options of {@link plotBox}. */
export interface BoxPlotOptions extends ChartOptions {
  /** The numeric column summarised. */
  column: string;
  /**
   * A column whose values make one box each (top `maxGroups` values), or `null` for one box.
   * @default null
   */
  group?: string | null;
  /**
   * Most boxes; beyond it the least frequent groups are pooled as `(other)` (1–8).
   * @default 8
   */
  maxGroups?: number;
  /**
   * Most outliers drawn per box: the ones farthest outside the whiskers (0–500).
   * @default 50
   */
  maxOutliers?: number;
}

/**
 * Defaults of {@link BoxPlotOptions}.
 *
 * @example
 * ```ts
 * plotBox(df, { ...DEFAULT_BOX_PLOT_OPTIONS, column: "Body Mass (g)" });
 * ```
 */
export const DEFAULT_BOX_PLOT_OPTIONS: Readonly<Omit<Required<BoxPlotOptions>, "column">> = {
  ...DEFAULT_CHART_OPTIONS,
  group: null,
  maxGroups: 8,
  maxOutliers: 50,
};

/**
 * Builds Tukey box plots from five-number summaries computed in polars, one box per group.
 *
 * Per group: `count`, `min`, `q1`, `median`, `q3`, `max` (linear-interpolation quantiles, as
 * numpy), whiskers `lower`/`upper` at the most extreme values within `1.5 × IQR` of the box, and
 * `outliers`, the number of values beyond them. Those summaries are the main data; a second
 * dataset holds at most `maxOutliers` outlier values per group `{ group, value }`, the farthest
 * from the box first. Null, NaN and infinite values are left out. With no `group`, the single
 * box is labelled `all rows`. The outlier layer is left out when no outlier is drawn.
 *
 * @param df the frame
 * @param options the value column, the grouping column and the look
 * @returns a vega-lite layered box plot
 * @throws {SchemaMismatchError} when `column` or `group` is not in the frame
 * @throws {TypeError} when `column` is not numeric
 * @throws {RangeError} when a count or size option is out of range
 * @example
 * ```ts
 * const spec = plotBox(df, { column: "Flipper Length (mm)", group: "Species" });
 * ```
 */
export function plotBox(df: DataFrame, options: BoxPlotOptions): TopLevelSpec {
  const settings = { ...DEFAULT_BOX_PLOT_OPTIONS, ...options };
  const { column, group } = settings;
  const action = `Cannot plot box plot of "${column}"`;
  checkChartOptions(settings, action);
  checkMaxGroups(settings.maxGroups, action);
  checkInteger(settings.maxOutliers, "maxOutliers", 0, 500, action);
  requireColumns(df, group === null ? [column] : [column, group], action);
  requireNumeric(df, [column], action);

  const present = df.select(
    pl.col(column).cast(pl.Float64).alias("value"),
    ...(group === null ? [] : [pl.col(group).alias("source")]),
  ).filter(pl.col("value").isFinite());
  const groups: GroupLabels = group === null
    ? { expr: pl.lit("all rows"), order: present.height === 0 ? [] : ["all rows"], distinct: 1 }
    : groupLabels(present, "source", settings.maxGroups);
  const labelled = present.select(pl.col("value"), groups.expr.alias("group"));
  const value = pl.col("value");
  const iqr = pl.col("q3").sub(pl.col("q1"));
  const stats = labelled.groupBy("group").agg(
    pl.len().alias("count"),
    value.min().alias("min"),
    value.quantile(0.25, "linear").alias("q1"),
    value.median().alias("median"),
    value.quantile(0.75, "linear").alias("q3"),
    value.max().alias("max"),
  ).withColumns(
    pl.col("q1").sub(iqr.mul(1.5)).alias("lo_fence"),
    pl.col("q3").add(iqr.mul(1.5)).alias("hi_fence"),
  );
  const fenced = labelled.join(stats.select("group", "lo_fence", "hi_fence"), { on: "group" });
  const inside = value.greaterThanEquals(pl.col("lo_fence"))
    .and(value.lessThanEquals(pl.col("hi_fence")));
  const whiskers = fenced.filter(inside).groupBy("group").agg(
    value.min().alias("lower"),
    value.max().alias("upper"),
  );
  const outside = fenced.filter(inside.not()).withColumns(
    pl.when(value.lessThan(pl.col("lo_fence")))
      .then(pl.col("lo_fence").sub(value))
      .otherwise(value.sub(pl.col("hi_fence")))
      .alias("distance"),
  );
  const outlierCounts = outside.groupBy("group").len();
  const shownOutliers = settings.maxOutliers === 0 ? [] : frameRecords(
    outside.sort(["group", "distance", "value"], [false, true, false])
      .filter(pl.intRange(0, pl.len()).over("group").lt(settings.maxOutliers))
      .select("group", "value"),
  );

  const whiskerBy = new Map(
    (whiskers.toRecords() as { group: string; lower: number; upper: number }[])
      .map((row) => [row.group, row]),
  );
  const outlierBy = new Map(
    (outlierCounts.toRecords() as { group: string; len: number }[])
      .map((row) => [row.group, Number(row.len)]),
  );
  const statBy = new Map(
    (stats.toRecords() as Record<string, number | string>[]).map((row) => [row.group, row]),
  );
  const summaries = groups.order.flatMap((label) => {
    const row = statBy.get(label);
    if (row === undefined) return [];
    const whisker = whiskerBy.get(label);
    return [{
      group: label,
      count: Number(row.count),
      min: row.min as number,
      q1: row.q1 as number,
      median: row.median as number,
      q3: row.q3 as number,
      max: row.max as number,
      lower: whisker?.lower ?? (row.q1 as number),
      upper: whisker?.upper ?? (row.q3 as number),
      outliers: outlierBy.get(label) ?? 0,
    }];
  });
  const totalOutliers = summaries.reduce((sum, row) => sum + row.outliers, 0);
  const color = { field: "group", type: "nominal" as const, scale: { domain: groups.order } };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(
      settings.title ?? (group === null ? `${column}` : `${column} by ${group}`),
      [
        `Tukey boxes: whiskers reach the farthest values within 1.5 × IQR; n = ${
          formatCount(present.height)
        }`,
        totalOutliers > shownOutliers.length
          ? `${formatCount(shownOutliers.length)} of ${
            formatCount(totalOutliers)
          } outliers drawn (at most ${settings.maxOutliers} per box, the farthest first)`
          : "",
        leftOutNote(df.height - present.height, "a missing or non-finite value"),
        group === null ? "" : groupNote(group, groups),
      ],
    ),
    width: settings.width,
    height: settings.height,
    data: { values: summaries },
    encoding: {
      x: {
        field: "group",
        type: "nominal",
        sort: groups.order,
        title: group ?? "",
        axis: { labelAngle: 0 },
      },
    },
    layer: [
      {
        mark: { type: "rule", color: "#555555" },
        encoding: {
          y: { field: "lower", type: "quantitative", title: column, scale: { zero: false } },
          y2: { field: "upper" },
        },
      },
      {
        mark: { type: "bar", size: 28, stroke: "#555555" },
        encoding: {
          y: { field: "q1", type: "quantitative" },
          y2: { field: "q3" },
          color: { ...color, legend: null },
          tooltip: [
            { field: "group", type: "nominal" },
            { field: "count", type: "quantitative" },
            { field: "min", type: "quantitative" },
            { field: "q1", type: "quantitative" },
            { field: "median", type: "quantitative" },
            { field: "q3", type: "quantitative" },
            { field: "max", type: "quantitative" },
            { field: "outliers", type: "quantitative" },
          ],
        },
      },
      {
        mark: { type: "tick", color: "white", size: 28, thickness: 2 },
        encoding: { y: { field: "median", type: "quantitative" } },
      },
      // An empty layer would give vega an infinite extent to warn about, so none is added.
      ...(shownOutliers.length === 0 ? [] : [{
        data: { values: shownOutliers },
        mark: { type: "point" as const, filled: false, size: 20, opacity: 0.8 },
        encoding: {
          y: { field: "value", type: "quantitative" as const },
          color: { ...color, legend: null },
        },
      }]),
    ],
    config: themeConfig(),
  };
}

// -- scatter --------------------------------------------------------------------------------

/** Options of {@link plotScatter}. */
export interface ScatterOptions extends ChartOptions {
  /** The numeric column on the x axis. */
  x: string;
  /** The numeric column on the y axis. */
  y: string;
  /**
   * A column whose values colour the points (top `maxGroups` values), e.g. the class; `null`
   * for one colour.
   * @default null
   */
  color?: string | null;
  /**
   * Most colours; beyond it the least frequent values share the colour `(other)` (1–8).
   * @default 8
   */
  maxGroups?: number;
  /**
   * Most points drawn: larger frames are sampled without replacement (1–5000).
   * @default 2000
   */
  sampleSize?: number;
  /**
   * Seed of the sample; the same seed draws the same rows.
   * @default 0
   */
  seed?: number;
}

/**
 * Defaults of {@link ScatterOptions}.
 *
 * @example
 * ```ts
 * plotScatter(df, { ...DEFAULT_SCATTER_OPTIONS, x: "a", y: "b", sampleSize: 500 });
 * ```
 */
export const DEFAULT_SCATTER_OPTIONS: Readonly<Omit<Required<ScatterOptions>, "x" | "y">> = {
  ...DEFAULT_CHART_OPTIONS,
  color: null,
  maxGroups: 8,
  sampleSize: 2000,
  seed: 0,
};

/**
 * Builds a scatter plot of two numeric columns, coloured by a class column.
 *
 * Rows with a missing or non-finite `x` or `y` are left out. When more than `sampleSize` rows
 * remain, a seeded sample of `sampleSize` of them is drawn (Floyd's algorithm over
 * {@link Random}; kept in frame order), and the subtitle says so: `seeded sample of 2,000 of
 * 3,000,000 rows (seed 0)`. Colour groups are chosen on all rows, not the sample. The data holds
 * `{ x, y }` rows (and `group` with a colour column); the axes are titled with the column names.
 *
 * @param df the frame
 * @param options the columns, the sample and the look
 * @returns a vega-lite point chart
 * @throws {SchemaMismatchError} when a column is not in the frame
 * @throws {TypeError} when `x` or `y` is not numeric, or `seed` is not an integer
 * @throws {RangeError} when `sampleSize` or a size option is out of range
 * @example
 * ```ts
 * const spec = plotScatter(df, { x: "Beak Length (mm)", y: "Beak Depth (mm)", color: "Species" });
 * ```
 */
export function plotScatter(df: DataFrame, options: ScatterOptions): TopLevelSpec {
  const settings = { ...DEFAULT_SCATTER_OPTIONS, ...options };
  const { x, y, color } = settings;
  const action = `Cannot plot scatter of "${y}" against "${x}"`;
  checkChartOptions(settings, action);
  checkMaxGroups(settings.maxGroups, action);
  checkSampleSize(settings.sampleSize, action);
  checkSeed(settings.seed, action);
  requireColumns(df, color === null ? [x, y] : [x, y, color], action);
  requireNumeric(df, [x, y], action);

  const present = df.select(
    pl.col(x).cast(pl.Float64).alias("x"),
    pl.col(y).cast(pl.Float64).alias("y"),
    ...(color === null ? [] : [pl.col(color).alias("color")]),
  ).filter(pl.col("x").isFinite().and(pl.col("y").isFinite()));
  const groups = color === null ? null : groupLabels(present, "color", settings.maxGroups);
  const rows = takeFrameRows(
    present,
    sampleIndices(present.height, settings.sampleSize, settings.seed),
  );
  const values = frameRecords(
    rows.select(pl.col("x"), pl.col("y"), ...(groups === null ? [] : [groups.expr.alias("group")])),
  );
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? `${y} against ${x}`, [
      sampleNote(values.length, present.height, settings.seed),
      leftOutNote(df.height - present.height, `a missing or non-finite "${x}" or "${y}"`),
      groups === null || color === null ? "" : groupNote(color, groups),
    ]),
    width: settings.width,
    height: settings.height,
    data: { values },
    mark: { type: "point" },
    encoding: {
      x: { field: "x", type: "quantitative", title: x, scale: { zero: false } },
      y: { field: "y", type: "quantitative", title: y, scale: { zero: false } },
      ...(groups === null ? {} : {
        color: { field: "group", type: "nominal", title: color, scale: { domain: groups.order } },
      }),
    },
    config: themeConfig(),
  };
}

// -- correlation heatmap --------------------------------------------------------------------

/** Options of {@link plotCorrelation}. */
export interface CorrelationOptions extends ChartOptions {
  /**
   * The numeric columns to correlate (2–70), or `null` for every numeric column.
   * @default null
   */
  columns?: readonly string[] | null;
}

/**
 * Defaults of {@link CorrelationOptions}.
 *
 * @example
 * ```ts
 * plotCorrelation(df, { ...DEFAULT_CORRELATION_OPTIONS, width: 300 });
 * ```
 */
export const DEFAULT_CORRELATION_OPTIONS: Readonly<Required<CorrelationOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  columns: null,
};

/** Most columns of a correlation heatmap: its `k × k` cells stay under {@link MAX_INLINE_ROWS}. */
const MAX_CORRELATION_COLUMNS = Math.floor(Math.sqrt(MAX_INLINE_ROWS));

/** Most columns whose heatmap cells are labelled with the value of r. */
const MAX_LABELLED_COLUMNS = 20;

/**
 * Builds a heatmap of the Pearson correlation matrix of numeric columns, computed in polars.
 *
 * Rows with a missing or non-finite value in any of the columns are left out first (complete
 * cases), so every cell uses the same rows. The data holds `{ x, y, r }` for every ordered pair
 * of columns; `r` is `null` where it is undefined (a constant column). Cells are labelled with r
 * to two decimals when there are at most 20 columns.
 *
 * @param df the frame
 * @param options the columns and the look
 * @returns a vega-lite heatmap on a diverging scale from -1 to 1
 * @throws {SchemaMismatchError} when a column is not in the frame
 * @throws {TypeError} when a column is not numeric
 * @throws {RangeError} when fewer than 2 or more than 70 columns are given
 * @example
 * ```ts
 * const spec = plotCorrelation(df, { columns: ["Beak Length (mm)", "Body Mass (g)"] });
 * ```
 */
export function plotCorrelation(df: DataFrame, options: CorrelationOptions = {}): TopLevelSpec {
  const settings = { ...DEFAULT_CORRELATION_OPTIONS, ...options };
  const action = "Cannot plot correlation heatmap";
  checkChartOptions(settings, action);
  const columns = settings.columns === null ? numericColumns(df) : [...settings.columns];
  requireColumns(df, columns, action);
  requireNumeric(df, columns, action);
  if (columns.length < 2 || columns.length > MAX_CORRELATION_COLUMNS) {
    throw new RangeError(
      `${action}: expected 2 to ${MAX_CORRELATION_COLUMNS} numeric columns, got ${columns.length} ${
        listNames(columns)
      } (pass the columns to compare in option "columns")`,
    );
  }
  const names = columns.map((_, i) => `c${i}`);
  const complete = df.select(
    ...columns.map((name, i) => pl.col(name).cast(pl.Float64).alias(names[i]!)),
  )
    .filter(pl.allHorizontal(names.map((name) => pl.col(name).isFinite())));
  const pairs: Expr[] = [];
  for (let i = 0; i < columns.length; i++) {
    for (let j = i; j < columns.length; j++) {
      pairs.push(pl.pearsonCorr(pl.col(names[i]!), pl.col(names[j]!)).alias(`${i}_${j}`));
    }
  }
  const result = complete.height < 2 ? {} : complete.select(...pairs).toRecords()[0] ?? {};
  const rows: { x: string; y: string; r: number | null }[] = [];
  for (let i = 0; i < columns.length; i++) {
    for (let j = 0; j < columns.length; j++) {
      const key = i <= j ? `${i}_${j}` : `${j}_${i}`;
      const r = finiteOrNull((result as Record<string, number | null>)[key]);
      rows.push({ x: columns[j]!, y: columns[i]!, r });
    }
  }
  const axis = { type: "nominal" as const, sort: columns, title: null };
  const labelled = columns.length <= MAX_LABELLED_COLUMNS;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Pearson correlation", [
      `${formatCount(complete.height)} complete rows of ${formatCount(df.height)}`,
      labelled ? "" : `cells unlabelled above ${MAX_LABELLED_COLUMNS} columns`,
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    encoding: {
      x: { field: "x", ...axis, axis: { labelAngle: -45 } },
      y: { field: "y", ...axis },
    },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          color: {
            field: "r",
            type: "quantitative",
            title: "r",
            scale: { domain: [-1, 1], scheme: "blueorange" },
          },
          tooltip: [
            { field: "y", type: "nominal" },
            { field: "x", type: "nominal" },
            { field: "r", type: "quantitative", format: ".3f" },
          ],
        },
      },
      ...(labelled
        ? [{
          transform: [{ filter: "isValid(datum.r)" }],
          mark: { type: "text" as const, fontSize: 10 },
          encoding: {
            text: { field: "r", type: "quantitative" as const, format: ".2f" },
            color: {
              condition: { test: "abs(datum.r) > 0.6", value: "white" },
              value: "black",
            },
          },
        }]
        : []),
    ],
    config: themeConfig(),
  };
}

// -- pair grid ------------------------------------------------------------------------------

/** Options of {@link plotPairGrid}. */
export interface PairGridOptions extends ChartOptions {
  /**
   * The numeric columns of the grid (2 to `maxFeatures`), or `null` for the first
   * `maxFeatures` numeric columns.
   * @default null
   */
  columns?: readonly string[] | null;
  /**
   * Most columns in the grid (2–8); the grid has `k × k` panels.
   * @default 4
   */
  maxFeatures?: number;
  /**
   * A column whose values colour the points (top `maxGroups` values), or `null`.
   * @default null
   */
  color?: string | null;
  /**
   * Most colours; beyond it the least frequent values share the colour `(other)` (1–8).
   * @default 8
   */
  maxGroups?: number;
  /**
   * Most rows drawn: larger frames are sampled without replacement (1–5000).
   * @default 2000
   */
  sampleSize?: number;
  /**
   * Seed of the sample.
   * @default 0
   */
  seed?: number;
}

/**
 * Defaults of {@link PairGridOptions}; `width` and `height` are per panel.
 *
 * @example
 * ```ts
 * plotPairGrid(df, { ...DEFAULT_PAIR_GRID_OPTIONS, color: "Species" });
 * ```
 */
export const DEFAULT_PAIR_GRID_OPTIONS: Readonly<Required<PairGridOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  width: 120,
  height: 120,
  columns: null,
  maxFeatures: 4,
  color: null,
  maxGroups: 8,
  sampleSize: 2000,
  seed: 0,
};

/**
 * Builds a grid of scatter plots of every pair of a few numeric columns (a scatterplot matrix).
 *
 * Rows with a missing or non-finite value in any grid column are left out; when more than
 * `sampleSize` remain, a seeded sample of `sampleSize` rows is drawn as in
 * {@link plotScatter}, and the subtitle says so. The data holds the sampled rows with the grid
 * columns under their own names (and `group` for the colour); the grid is a `vconcat` of
 * `hconcat` rows, panel `(i, j)` plotting column `i` (y) against column `j` (x).
 *
 * @param df the frame
 * @param options the columns, the sample and the look (per panel)
 * @returns a vega-lite grid of point charts
 * @throws {SchemaMismatchError} when a column is not in the frame
 * @throws {TypeError} when a grid column is not numeric, or `seed` is not an integer
 * @throws {RangeError} when fewer than 2 or more than `maxFeatures` columns are given
 * @example
 * ```ts
 * const spec = plotPairGrid(df, { columns: ["Beak Length (mm)", "Body Mass (g)"], color: "Species" });
 * ```
 */
export function plotPairGrid(df: DataFrame, options: PairGridOptions = {}): TopLevelSpec {
  const settings = { ...DEFAULT_PAIR_GRID_OPTIONS, ...options };
  const { color } = settings;
  const action = "Cannot plot pair grid";
  checkChartOptions(settings, action);
  checkInteger(settings.maxFeatures, "maxFeatures", 2, 8, action);
  checkMaxGroups(settings.maxGroups, action);
  checkSampleSize(settings.sampleSize, action);
  checkSeed(settings.seed, action);
  const columns = settings.columns === null
    ? numericColumns(df).filter((name) => name !== color).slice(0, settings.maxFeatures)
    : [...settings.columns];
  requireColumns(df, color === null ? columns : [...columns, color], action);
  requireNumeric(df, columns, action);
  if (columns.length < 2 || columns.length > settings.maxFeatures) {
    throw new RangeError(
      `${action}: expected 2 to ${settings.maxFeatures} numeric columns, got ${columns.length} ${
        listNames(columns)
      } (choose a few columns in option "columns" or raise "maxFeatures")`,
    );
  }
  if (new Set(columns).size !== columns.length) {
    throw new RangeError(`${action}: option "columns" lists a column twice ${listNames(columns)}`);
  }
  const groupKey = uniqueName("group", columns);
  const present = df.select(
    ...columns.map((name) => pl.col(name).cast(pl.Float64)),
    ...(color === null ? [] : [pl.col(color).alias(groupKey)]),
  ).filter(pl.allHorizontal(columns.map((name) => pl.col(name).isFinite())));
  const groups = color === null ? null : groupLabels(present, groupKey, settings.maxGroups);
  const sample = takeFrameRows(
    present,
    sampleIndices(present.height, settings.sampleSize, settings.seed),
  );
  const values = frameRecords(
    sample.select(
      ...columns.map((name) => pl.col(name)),
      ...(groups === null ? [] : [groups.expr.alias(groupKey)]),
    ),
  );
  const colour = groups === null ? {} : {
    color: {
      field: escapeField(groupKey),
      type: "nominal" as const,
      title: color,
      scale: { domain: groups.order },
    },
  };
  // Explicit panels rather than `repeat`, so each axis is titled with the unescaped column name.
  const panel = (xName: string, yName: string, row: number, column: number) => ({
    width: settings.width,
    height: settings.height,
    mark: { type: "point" as const, size: 12 },
    encoding: {
      x: {
        field: escapeField(xName),
        type: "quantitative" as const,
        scale: { zero: false },
        title: row === columns.length - 1 ? xName : null,
      },
      y: {
        field: escapeField(yName),
        type: "quantitative" as const,
        scale: { zero: false },
        title: column === 0 ? yName : null,
      },
      ...colour,
    },
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Pairwise scatter plots", [
      sampleNote(values.length, present.height, settings.seed),
      leftOutNote(df.height - present.height, "a missing or non-finite value"),
      groups === null || color === null ? "" : groupNote(color, groups),
    ]),
    data: { values },
    vconcat: columns.map((yName, row) => ({
      hconcat: columns.map((xName, column) => panel(xName, yName, row, column)),
    })),
    config: themeConfig(),
  };
}

function uniqueName(base: string, taken: readonly string[]): string {
  let name = base;
  while (taken.includes(name)) name = `_${name}`;
  return name;
}

// -- missing values -------------------------------------------------------------------------

/** Options of {@link plotMissingValues}. */
export interface MissingValuesOptions extends ChartOptions {
  /**
   * The columns shown, or `null` for every column.
   * @default null
   */
  columns?: readonly string[] | null;
  /**
   * Number of row blocks (1–5000); fewer when the frame has fewer rows, or when
   * `blocks × columns` would exceed {@link MAX_INLINE_ROWS}.
   * @default 100
   */
  blocks?: number;
}

/**
 * Defaults of {@link MissingValuesOptions}.
 *
 * @example
 * ```ts
 * plotMissingValues(df, { ...DEFAULT_MISSING_VALUES_OPTIONS, blocks: 50 });
 * ```
 */
export const DEFAULT_MISSING_VALUES_OPTIONS: Readonly<Required<MissingValuesOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  columns: null,
  blocks: 100,
};

/**
 * Builds a missing-values matrix: the share of missing values of each column in each block of
 * consecutive rows, computed in polars.
 *
 * The frame's rows are cut into `b` blocks of (nearly) equal size in frame order, where
 * `b = min(blocks, rows, ⌊5000 / columns⌋)`; block `i` holds rows `⌊i·n/b⌋` to
 * `⌊(i+1)·n/b⌋ - 1`. Null counts as missing, and so does NaN in float columns. The data holds
 * `{ column, block, row_start, row_end, missing_share }` per column and block (rows numbered
 * from 0, `row_end` inclusive).
 *
 * @param df the frame
 * @param options the columns, the block count and the look
 * @returns a vega-lite heatmap with columns across and row blocks down
 * @throws {SchemaMismatchError} when a column is not in the frame
 * @throws {RangeError} when there are no columns or more than 5000, or an option is out of range
 * @example
 * ```ts
 * const spec = plotMissingValues(df, { blocks: 50 });
 * ```
 */
export function plotMissingValues(df: DataFrame, options: MissingValuesOptions = {}): TopLevelSpec {
  const settings = { ...DEFAULT_MISSING_VALUES_OPTIONS, ...options };
  const action = "Cannot plot missing values";
  checkChartOptions(settings, action);
  checkInteger(settings.blocks, "blocks", 1, MAX_INLINE_ROWS, action);
  const columns = settings.columns === null ? df.columns : [...settings.columns];
  requireColumns(df, columns, action);
  if (columns.length === 0 || columns.length > MAX_INLINE_ROWS) {
    throw new RangeError(
      `${action}: expected 1 to ${MAX_INLINE_ROWS} columns, got ${columns.length} (pass fewer columns in option "columns")`,
    );
  }
  const n = df.height;
  const blocks = Math.min(settings.blocks, n, Math.floor(MAX_INLINE_ROWS / columns.length));
  const rows: Record<string, unknown>[] = [];
  let totalMissing = 0;
  if (blocks > 0) {
    const index = uniqueName("row", df.columns);
    const blockKey = uniqueName("block", [...df.columns, index]);
    const block = pl.col(index).cast(pl.Float64).mul(blocks).div(n).floor().cast(pl.Int32);
    const shares = columns.map((name, i) => missingExpr(df, name).mean().alias(`m${i}`));
    const summary = df.withRowIndex(index).withColumns(block.alias(blockKey)).groupBy(blockKey)
      .agg(
        pl.col(index).min().alias("row_start"),
        pl.col(index).max().alias("row_end"),
        ...shares,
      ).sort(blockKey);
    const totals = df.select(
      ...columns.map((name, i) => missingExpr(df, name).sum().alias(`m${i}`)),
    )
      .row(0) as number[];
    totalMissing = totals.reduce((sum, count) => sum + Number(count), 0);
    const records = summary.toRecords() as Record<string, number>[];
    columns.forEach((name, i) => {
      for (const record of records) {
        rows.push({
          column: name,
          block: Number(record[blockKey]),
          row_start: Number(record.row_start),
          row_end: Number(record.row_end),
          missing_share: Number(record[`m${i}`]),
        });
      }
    });
  }
  const cells = columns.length * n;
  const perBlock = blocks === 0 ? 0 : Math.round(n / blocks);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Missing values", [
      `share of null (or NaN) values per column in ${formatCount(blocks)} blocks of ~${
        formatCount(perBlock)
      } rows`,
      `${formatCount(totalMissing)} of ${formatCount(cells)} values missing in ${
        formatCount(n)
      } rows`,
    ]),
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    transform: [{ calculate: "datum.row_end + 1", as: "row_stop" }],
    mark: { type: "rect" },
    encoding: {
      x: {
        field: "column",
        type: "nominal",
        sort: columns,
        title: null,
        axis: { labelAngle: -45 },
      },
      y: {
        field: "row_start",
        type: "quantitative",
        title: "row",
        scale: { zero: true, reverse: true, nice: false },
      },
      y2: { field: "row_stop" },
      color: {
        field: "missing_share",
        type: "quantitative",
        title: "missing",
        scale: { domain: [0, 1], scheme: "lightgreyred" },
        legend: { format: ".0%" },
      },
      tooltip: [
        { field: "column", type: "nominal" },
        { field: "row_start", type: "quantitative", title: "first row" },
        { field: "row_end", type: "quantitative", title: "last row" },
        { field: "missing_share", type: "quantitative", title: "missing", format: ".1%" },
      ],
    },
    config: themeConfig(),
  };
}

function missingExpr(df: DataFrame, column: string): Expr {
  const isFloat = ["Float32", "Float64"].includes(df.getColumn(column).dtype.variant);
  const missing = isFloat
    ? pl.col(column).isNull().or(pl.col(column).isNan().fillNull(false))
    : pl.col(column).isNull();
  return missing.cast(pl.Float64);
}
