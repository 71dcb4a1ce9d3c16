/**
 * Chart builders for how columns of a polars frame relate: scatter, correlation heatmap and
 * pair grid.
 *
 * Scatter and pair grid draw a seeded sample of at most `sampleSize` rows; the heatmap holds
 * only the correlation matrix. A spec never carries more than {@link MAX_INLINE_ROWS} rows of
 * inline data, and its subtitle says how the data was reduced.
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
  frameRecords,
  groupLabels,
  groupNote,
  leftOutNote,
  listNames,
  numericColumns,
  requireColumns,
  requireNumeric,
  sampleIndices,
  sampleNote,
  takeFrameRows,
  themeConfig,
  uniqueName,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, MAX_INLINE_ROWS } from "./theme.ts";

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
 * Builds a grid of scatter plots of every pair of a few numeric columns (a scatterplot matrix),
 * with each column's histogram on the diagonal.
 *
 * Rows with a missing or non-finite value in any grid column are left out; when more than
 * `sampleSize` remain, a seeded sample of `sampleSize` rows is drawn as in
 * {@link plotScatter}, and the subtitle says so. The data holds the sampled rows with the grid
 * columns under their own names (and `group` for the colour); the grid is a `concat` wrapped
 * at `k` columns (so the panels align), panel `i · k + j` plotting column `i` (y) against
 * column `j` (x), and the diagonal panel `(i, i)` a histogram of column `i`.
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
  const scatter = (xName: string, yName: string, row: number, column: number) => ({
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
  // The diagonal shows the column's distribution; its count axis has no labels, as the row's
  // other panels share the column's scale on y.
  const histogram = (name: string, index: number) => ({
    width: settings.width,
    height: settings.height,
    mark: { type: "bar" as const, binSpacing: 0 },
    encoding: {
      x: {
        field: escapeField(name),
        type: "quantitative" as const,
        bin: { maxbins: 20 },
        title: index === columns.length - 1 ? name : null,
      },
      y: {
        aggregate: "count" as const,
        type: "quantitative" as const,
        title: index === 0 ? name : null,
        axis: { labels: false, ticks: false },
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
      "diagonal: histogram of each column",
    ]),
    data: { values },
    // A wrapped concat is laid out as a grid, so the panels line up in columns whatever the
    // width of each row's y-axis labels.
    columns: columns.length,
    concat: columns.flatMap((yName, row) =>
      columns.map((xName, column) =>
        row === column ? histogram(xName, row) : scatter(xName, yName, row, column)
      )
    ),
    config: themeConfig(),
  };
}
