/**
 * Chart builders for the distribution of one column of a polars frame: histogram, counts bar
 * and box plot.
 *
 * Each aggregates in polars first (bins, value counts, five-number summaries) and puts only
 * the summary into the spec, so a spec never carries more than {@link MAX_INLINE_ROWS} rows of
 * inline data, whatever the size of the frame; its subtitle says how the data was reduced.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  checkMaxGroups,
  formatCount,
  formatNumber,
  frameRecords,
  type GroupLabels,
  groupLabels,
  groupNote,
  leftOutNote,
  MISSING_LABEL,
  OTHER_LABEL,
  requireColumns,
  requireNumeric,
  themeConfig,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS } from "./theme.ts";

// -- histogram ------------------------------------------------------------------------------

/** Options of {@link plotHistogram}. */
export interface HistogramOptions extends ChartOptions {
  /** The numeric column to bin. */
  column: string;
  /**
   * A fixed number of equal-width bins, or `"fd"` for the Freedman–Diaconis rule
   * (bin width `2·IQR·n^(-1/3)`; Sturges' `⌈log2 n⌉ + 1` bins when the IQR is 0), rounded to a
   * nice width (1, 2, 2.5 or 5 times a power of ten) on multiples of that width and kept within
   * `minBins`–`maxBins` where a nice width allows.
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
  /**
   * Title of the x axis, e.g. the unit after a transformation; `null` uses the column name.
   * @default null
   */
  axisTitle?: string | null;
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
  axisTitle: null,
};

/**
 * Builds a histogram of a numeric column from bins counted in polars.
 *
 * With a fixed `bins`, the range `[min, max]` of the finite values is cut into that many
 * equal-width bins. With `"fd"`, the rule's width is rounded to a nice one and the bins start on
 * a multiple of it, so the axis reads round numbers. Each bin holds the values `>= start` and
 * `< end`, the last one also its end (as numpy does). Null, NaN and
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
  // Whole numbers (counts, hours, years) get whole-number bins, so no bar falls between values.
  const wholeNumbers = n > 0 &&
    present.filter(pl.col("value").neq(pl.col("value").floor())).height === 0;
  const rule = chooseBins(n, min, max, q3 - q1, { ...settings, wholeNumbers });
  const { lo, hi, width } = rule;

  const counts = new Map<string, number>();
  if (n > 0) {
    // The small offset keeps a value on a bin edge (0.3 with width 0.1) out of the bin below.
    const bin = pl.col("value").sub(pl.lit(lo)).div(pl.lit(width)).add(pl.lit(1e-9)).floor()
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
          bin_start: rule.edge(i),
          bin_end: i === rule.bins - 1 ? hi : rule.edge(i + 1),
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
        title: settings.axisTitle ?? column,
        // Centred bins tick the values themselves, not the half-way edges (at most ~25 ticks).
        ...(rule.centred === true ? { axis: { values: wholeTicks(lo + 0.5, hi - 0.5) } } : {}),
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

/** Whole numbers from `first` to `last`, every k-th so that at most 25 remain. */
function wholeTicks(first: number, last: number): number[] {
  const step = Math.max(1, Math.ceil((last - first + 1) / 25));
  const ticks: number[] = [];
  for (let v = first; v <= last; v += step) ticks.push(v);
  return ticks;
}

interface BinRule {
  bins: number;
  lo: number;
  hi: number;
  width: number;
  text: string;
  /** Whether each bin of width 1 is centred on a whole number (then the axis ticks those). */
  centred?: boolean;
  /** Start of bin `i`, rounded to the width's precision so 0.1 · 3 reads 0.3. */
  edge(i: number): number;
}

function chooseBins(
  n: number,
  min: number,
  max: number,
  iqr: number,
  settings: { bins: number | "fd"; minBins: number; maxBins: number; wholeNumbers: boolean },
): BinRule {
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  if (settings.bins !== "fd") return equalBins(lo, hi, settings.bins, "fixed bin count");
  if (n === 0 || min === max) return equalBins(lo, hi, 1, "all values equal");
  const range = max - min;
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
  const target = Math.min(settings.maxBins, Math.max(settings.minBins, raw));
  const nice = niceBins(min, max, target, settings);
  if (nice === null) return equalBins(min, max, target, `${rule}, ${limits}`);
  const whole = settings.wholeNumbers ? "whole-number values, " : "";
  return { ...nice, text: `${rule}, rounded to a nice width, ${whole}${limits}` };
}

function equalBins(lo: number, hi: number, bins: number, text: string): BinRule {
  const width = (hi - lo) / bins;
  return { bins, lo, hi, width, text, edge: (i) => lo + i * width };
}

/**
 * Picks the nice width (1, 2, 2.5 or 5 times a power of ten) whose bin count is closest to
 * `target` within `minBins`–`maxBins`, with bins on multiples of the width; `null` when none fits.
 * For whole numbers only whole widths count, and bins of width 1 are centred on the values.
 */
function niceBins(
  min: number,
  max: number,
  target: number,
  limits: { minBins: number; maxBins: number; wholeNumbers: boolean },
): Omit<BinRule, "text"> | null {
  const { minBins, maxBins, wholeNumbers } = limits;
  const raw = (max - min) / target;
  const power = Math.floor(Math.log10(raw));
  let best: Omit<BinRule, "text"> | null = null;
  if (wholeNumbers && max - min + 1 <= maxBins && max - min + 1 >= minBins && raw <= 1) {
    // One bin per value, centred on it: [v - 0.5, v + 0.5).
    const lo = min - 0.5;
    const bins = max - min + 1;
    return { bins, lo, hi: max + 0.5, width: 1, centred: true, edge: (i) => lo + i };
  }
  // Whole numbers never take a width below 1, however many bins the rule asks for.
  const first = wholeNumbers ? Math.max(0, power - 1) : power - 1;
  const last = wholeNumbers ? Math.max(1, power + 1) : power + 1;
  for (let p = first; p <= last; p++) {
    for (const mantissa of [1, 2, 2.5, 5]) {
      const width = mantissa * 10 ** p;
      if (wholeNumbers && (width < 1 || !Number.isInteger(width))) continue;
      // Edges are rounded to the width's decimals, so 0.1-wide bins read 0.3, not 0.30000000000000004.
      const digits = Math.max(0, -p + (mantissa === 2.5 ? 1 : 0));
      const lo = Math.floor(min / width + 1e-9) * width;
      const bins = Math.max(1, Math.ceil((max - lo) / width - 1e-9));
      if (bins < minBins || bins > maxBins) continue;
      if (best !== null && Math.abs(bins - target) >= Math.abs(best.bins - target)) continue;
      const edge = (i: number) => Number((lo + i * width).toFixed(digits));
      best = { bins, lo: edge(0), hi: edge(bins), width, edge };
    }
  }
  return best;
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
