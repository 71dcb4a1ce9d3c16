/**
 * Chart builder for the missing values of a polars frame: the null share per column and row
 * block, computed in polars so the spec holds at most {@link MAX_INLINE_ROWS} cells.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import { dtypeKind } from "../utils/mod.ts";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  formatCount,
  requireColumns,
  themeConfig,
  uniqueName,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, MAX_INLINE_ROWS } from "./theme.ts";

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
 * from 0, `row_end` inclusive). A frame with rows and no missing value gets a one-line chart
 * that says "no missing values" instead of an empty matrix.
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
  if (n > 0 && totalMissing === 0) {
    // An all-grey matrix says nothing and weighs hundreds of kilobytes; say it in words.
    return {
      $schema: VEGA_LITE_SCHEMA,
      title: chartTitle(settings.title ?? "Missing values", [
        `no missing values: all ${formatCount(cells)} values of ${formatCount(columns.length)} ${
          columns.length === 1 ? "column" : "columns"
        } in ${formatCount(n)} rows are present`,
      ]),
      width: settings.width,
      height: 40,
      data: { values: [{ text: "no missing values" }] },
      mark: { type: "text", fontSize: 16, color: "#555555" },
      encoding: { text: { field: "text", type: "nominal" } },
      config: themeConfig(),
    };
  }
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
  const isFloat = dtypeKind(df.getColumn(column).dtype) === "float";
  const missing = isFloat
    ? pl.col(column).isNull().or(pl.col(column).isNan().fillNull(false))
    : pl.col(column).isNull();
  return missing.cast(pl.Float64);
}
