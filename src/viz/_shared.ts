/**
 * Helpers shared by the chart builders: column checks, option checks, seeded row sampling,
 * category grouping and the parts every spec has (schema, title, theme).
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import { didYouMean, SchemaMismatchError } from "../errors.ts";
import { isNumericDtype, Random } from "../utils/mod.ts";
import { type ChartOptions, MAX_INLINE_ROWS, PALETTE, THEME } from "./theme.ts";

/** The vega-lite schema every spec names, so notebook front-ends pick the right renderer. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Label of the bar or group that collects every category beyond the top ones. */
export const OTHER_LABEL = "(other)";

/** Label of null values in category charts. */
export const MISSING_LABEL = "(missing)";

/** The title object of a spec: a text and subtitle lines. */
export interface ChartTitle {
  /** The main title. */
  text: string;
  /** Lines under the title stating what the data is (sample, bins, rows left out). */
  subtitle: string[];
}

/** Returns the title of a spec, with no subtitle lines when none are given. */
export function chartTitle(text: string, subtitle: readonly string[]): ChartTitle {
  return { text, subtitle: subtitle.filter((line) => line.length > 0) };
}

/** Returns a fresh copy of the theme, so that no two specs share one object. */
export function themeConfig(): NonNullable<TopLevelSpec["config"]> {
  return structuredClone(THEME) as NonNullable<TopLevelSpec["config"]>;
}

/** Throws `SchemaMismatchError` naming every missing column, with a close match when one exists. */
export function requireColumns(df: DataFrame, columns: readonly string[], action: string): void {
  const found = df.columns;
  const present = new Set(found);
  const missing = columns.filter((name) => !present.has(name));
  if (missing.length === 0) return;
  const described = missing.map((name) => {
    const hint = didYouMean(name, found);
    return hint === "" ? `"${name}"` : `"${name}" (${hint.slice(2)})`;
  });
  const noun = missing.length === 1 ? "column" : "columns";
  throw new SchemaMismatchError(
    `${action}: missing ${noun} ${described.join(", ")} (found ${listNames(found)})`,
  );
}

/** Throws `TypeError` naming each column that is not numeric, with its dtype. */
export function requireNumeric(df: DataFrame, columns: readonly string[], action: string): void {
  const bad = columns.filter((name) => !isNumericDtype(df.getColumn(name).dtype));
  if (bad.length === 0) return;
  const described = bad.map((name) => `"${name}" (${df.getColumn(name).dtype.variant})`);
  const noun = bad.length === 1 ? "column" : "columns";
  throw new TypeError(
    `${action}: ${noun} ${
      described.join(", ")
    } must be numeric (choose a numeric column or cast it with pl.col(name).cast(pl.Float64))`,
  );
}

/** The names of the numeric columns of `df`, in frame order. */
export function numericColumns(df: DataFrame): string[] {
  return df.columns.filter((name) => isNumericDtype(df.getColumn(name).dtype));
}

/** Throws `TypeError` or `RangeError` unless title, width and height are usable. */
export function checkChartOptions(options: Required<ChartOptions>, action: string): void {
  if (options.title !== null && typeof options.title !== "string") {
    throw new TypeError(
      `${action}: option "title" must be a string or null, got ${show(options.title)}`,
    );
  }
  checkInteger(options.width, "width", 10, 10_000, action);
  checkInteger(options.height, "height", 10, 10_000, action);
}

/** Throws `RangeError` unless `value` is an integer in [min, max]. */
export function checkInteger(
  value: number,
  name: string,
  min: number,
  max: number,
  action: string,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${action}: option "${name}" must be an integer from ${min} to ${max}, got ${show(value)}`,
    );
  }
}

/** Throws `TypeError` unless `seed` is a safe integer. */
export function checkSeed(seed: number, action: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`${action}: option "seed" must be a safe integer, got ${show(seed)}`);
  }
}

/** Throws `RangeError` unless `maxGroups` is an integer from 1 to the palette size. */
export function checkMaxGroups(maxGroups: number, action: string): void {
  checkInteger(maxGroups, "maxGroups", 1, PALETTE.length, action);
}

/** Throws `RangeError` unless `sampleSize` is an integer from 1 to {@link MAX_INLINE_ROWS}. */
export function checkSampleSize(sampleSize: number, action: string): void {
  checkInteger(sampleSize, "sampleSize", 1, MAX_INLINE_ROWS, action);
}

/**
 * Picks `size` distinct row positions out of `total` with Floyd's algorithm, seeded, and returns
 * them ascending; returns every position when `total <= size`.
 */
export function sampleIndices(total: number, size: number, seed: number): Uint32Array {
  if (total <= size) return Uint32Array.from({ length: total }, (_, i) => i);
  const rng = new Random(seed);
  const chosen = new Set<number>();
  for (let j = total - size; j < total; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Uint32Array.from(chosen).sort();
}

/** Returns the rows of `df` at the given positions, in that order. */
export function takeFrameRows(df: DataFrame, rows: Uint32Array): DataFrame {
  if (rows.length === df.height) return df;
  return df.select(pl.col("*").gather(pl.Series("rows", rows)));
}

/** Says how many rows a sample holds, e.g. `sample of 2,000 of 3,000,000 rows (seed 0)`. */
export function sampleNote(taken: number, total: number, seed: number): string {
  return taken < total
    ? `seeded sample of ${formatCount(taken)} of ${formatCount(total)} rows (seed ${seed})`
    : `all ${formatCount(total)} rows`;
}

/** Says how many rows were left out for a missing or non-finite value, or nothing. */
export function leftOutNote(count: number, what: string): string {
  if (count === 0) return "";
  return `${formatCount(count)} ${count === 1 ? "row" : "rows"} with ${what} left out`;
}

/** Formats an integer with thousands separators: `3000000` → `3,000,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Formats a number with at most four significant digits: `0.123456` → `0.1235`. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number.parseFloat(x.toPrecision(4)));
}

/**
 * Escapes a column name for a vega-lite `field`, where `.`, `[` and `]` mean nested access.
 */
export function escapeField(name: string): string {
  return name.replace(/[.[\]\\]/g, (char) => `\\${char}`);
}

/** A categorical column reduced to at most `maxGroups` labels. */
export interface GroupLabels {
  /** An expression giving each row its label (a top category, `(other)` or `(missing)`). */
  expr: Expr;
  /** The labels in legend order: by row count descending, then by label, `(other)` last. */
  order: string[];
  /** How many distinct values the column holds (nulls count as one). */
  distinct: number;
}

/**
 * Reduces `column` of `df` to its `maxGroups` most frequent values: when there are more, the
 * top `maxGroups - 1` keep their label and the rest become `(other)`. Nulls are `(missing)`.
 */
export function groupLabels(df: DataFrame, column: string, maxGroups: number): GroupLabels {
  const label = pl.col(column).cast(pl.Utf8).fillNull(pl.lit(MISSING_LABEL));
  const counts = df.select(label.alias("label")).groupBy("label").len().sort(
    ["len", "label"],
    [true, false],
  );
  const distinct = counts.height;
  if (distinct <= maxGroups) {
    return { expr: label, order: counts.getColumn("label").toArray() as string[], distinct };
  }
  const top = counts.head(maxGroups - 1).getColumn("label").toArray() as string[];
  const expr = pl.when(label.isIn(top)).then(label).otherwise(pl.lit(OTHER_LABEL));
  return { expr, order: [...top, OTHER_LABEL], distinct };
}

/** Says how a colour column was grouped, or nothing when every value kept its colour. */
export function groupNote(column: string, groups: GroupLabels): string {
  if (groups.order.at(-1) !== OTHER_LABEL || groups.distinct <= groups.order.length) return "";
  const shown = groups.order.length - 1;
  return `"${column}": top ${shown} of ${
    formatCount(groups.distinct)
  } values coloured, the rest as "${OTHER_LABEL}"`;
}

/** Converts a frame to plain row objects, turning non-finite numbers into `null` for JSON. */
export function frameRecords(df: DataFrame): Record<string, unknown>[] {
  const records = df.toRecords() as Record<string, unknown>[];
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      if (typeof value === "bigint") record[key] = Number(value);
      else if (typeof value === "number" && !Number.isFinite(value)) record[key] = null;
    }
  }
  return records;
}

/** Returns `x` when it is a finite number, else `null` (vega data is JSON). */
export function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

/** Quotes names for messages: `["a","b"]`, listing at most ten. */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((name) => JSON.stringify(name));
  const more = names.length > 10 ? `, … ${names.length - 10} more` : "";
  return `[${shown.join(",")}${more}]`;
}

/** Shows a value in a message. */
export function show(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  if (value === undefined) return "undefined";
  return Object.prototype.toString.call(value);
}

/**
 * Indexes to keep of `n` points, at most `max`: all when `n <= max`, else `round(j·(n-1)/(m-1))`
 * for evenly spaced `j`, always with the first and last, and with `must` (when >= 0) in place
 * of its nearest neighbour.
 */
export function thinIndices(n: number, max: number, must: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  const slots = must >= 0 && must !== 0 && must !== n - 1 ? max - 1 : max;
  for (let j = 0; j < slots; j++) picked.add(Math.round((j * (n - 1)) / (slots - 1)));
  if (must >= 0) picked.add(must);
  return [...picked].sort((a, b) => a - b);
}

/** Returns `base`, prefixed with `_` until it names none of `taken` (a free column name). */
export function uniqueName(base: string, taken: readonly string[]): string {
  let name = base;
  while (taken.includes(name)) name = `_${name}`;
  return name;
}
