/**
 * Category helpers shared by the encoders: counting and ordering categories, membership
 * masks, rows that hold offending values, and the no-nulls check.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { DataValidationError, SchemaMismatchError } from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import { dtypeName, isCategoricalDtype } from "./_columns.ts";
import { compareText } from "./_params.ts";

/**
 * Returns `base`, or `base` with leading underscores added until it names no column in `taken`:
 * a scratch column name that cannot clash with the data.
 *
 * @param base the preferred name
 * @param taken the names in use
 * @returns a free name
 * @example
 * ```ts
 * freeColumnName("__row", ["__row"]); // "___row"
 * ```
 */
export function freeColumnName(base: string, taken: readonly string[]): string {
  let name = base;
  while (taken.includes(name)) name = `_${name}`;
  return name;
}

/**
 * Returns up to five rows where `mask` holds: their values of `column` and 1-based row numbers,
 * for `ValidationIssue.examples` and `rows`.
 *
 * @param df the frame
 * @param column the column whose values to report
 * @param mask a boolean expression selecting the offending rows
 * @returns the examples and their row numbers
 * @example
 * ```ts
 * offendingRows(df, "a", pl.col("a").lt(-1)); // { examples: [-3], rows: [4] }
 * ```
 */
export function offendingRows(
  df: DataFrame,
  column: string,
  mask: Expr,
): { examples: unknown[]; rows: number[] } {
  const rowName = freeColumnName("__row", df.columns);
  const sample = df.withRowIndex(rowName, 1).filter(mask).head(5);
  return {
    examples: sample.getColumn(column).toArray() as unknown[],
    rows: (sample.getColumn(rowName).toArray() as unknown[]).map(Number),
  };
}

/**
 * Throws `SchemaMismatchError` unless every column holds categories: text, categorical,
 * boolean or integer values.
 *
 * @param df the frame
 * @param columns the columns to check
 * @param action what failed, e.g. `Cannot fit "OneHotEncoder"`
 * @throws {SchemaMismatchError} naming each float or other unsupported column
 * @example
 * ```ts
 * requireCategorical(df, ["Island"], `Cannot fit "OneHotEncoder"`);
 * ```
 */
export function requireCategorical(
  df: DataFrame,
  columns: readonly string[],
  action: string,
): void {
  const bad = columns.filter((name) => !isCategoricalDtype(dtypeName(df, name)));
  if (bad.length === 0) return;
  const described = bad.map((name) => `column "${name}" is ${dtypeName(df, name)}`).join(", ");
  throw new SchemaMismatchError(
    `${action}: ${described}, expected text, boolean or integer categories; bin numbers with QuantileBinner or leave the column out with the columns option`,
  );
}

/**
 * The expression categories are read through: the column cast to text, so integer, boolean and
 * categorical columns compare with the stored category strings (`1` → `"1"`, `true` → `"true"`).
 *
 * @param column the column name
 * @returns the text expression
 * @example
 * ```ts
 * df.select(categoryValues("Island").eq(pl.lit("Dream")));
 * ```
 */
export function categoryValues(column: string): Expr {
  return pl.col(column).cast(pl.Utf8);
}

/** One category of a column and how many training rows hold it. */
export interface CategoryCount {
  /** The category as text, or `null` for missing values. */
  value: string | null;
  /** Rows holding it. */
  count: number;
}

/**
 * Counts the rows of each category of a column (nulls included as `null`), in one group-by.
 *
 * @param df the frame
 * @param column a categorical column
 * @returns one entry per distinct value, sorted by text (null last)
 * @example
 * ```ts
 * countCategories(pl.DataFrame({ s: ["b", "a", "b"] }), "s"); // [{a,1},{b,2}]
 * ```
 */
export function countCategories(df: DataFrame, column: string): CategoryCount[] {
  const counts = df.select(categoryValues(column).alias("value")).groupBy("value").agg(
    pl.len().alias("count"),
  );
  const values = counts.getColumn("value").toArray() as (string | null)[];
  const numbers = counts.getColumn("count").toArray() as unknown[];
  return values
    .map((value, i) => ({ value, count: Number(numbers[i]) }))
    .sort((a, b) => compareCategories(a.value, b.value));
}

/**
 * Orders categories by text, with `null` last.
 *
 * @param a a category
 * @param b another category
 * @returns negative, zero or positive
 * @example
 * ```ts
 * [null, "b", "a"].sort(compareCategories); // ["a", "b", null]
 * ```
 */
export function compareCategories(a: string | null, b: string | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return compareText(a, b);
}

/**
 * Returns a boolean expression: the column's value is one of `categories` (never null).
 *
 * @param column the column name
 * @param categories the non-null categories
 * @returns the expression; constant false when `categories` is empty
 * @example
 * ```ts
 * df.select(isOneOf("Island", ["Dream"]));
 * ```
 */
export function isOneOf(column: string, categories: readonly string[]): Expr {
  if (categories.length === 0) return pl.lit(false);
  return categoryValues(column).isIn([...categories]).fillNull(false);
}

/**
 * Throws `DataValidationError` when a column holds nulls.
 *
 * @param df the frame
 * @param columns the columns that must not hold nulls
 * @param action what failed, e.g. `Cannot fit "OneHotEncoder"`
 * @param remedy how to fix it, e.g. `impute them in cleaning or set handle_null: "category"`
 * @throws {DataValidationError} with one `nullable` issue (count and row numbers) per column
 * @example
 * ```ts
 * requireNoNulls(df, ["Sex"], `Cannot fit "OneHotEncoder"`, "impute them in cleaning");
 * ```
 */
export function requireNoNulls(
  df: DataFrame,
  columns: readonly string[],
  action: string,
  remedy: string,
): void {
  const counts = df.select(...columns.map((name, i) => pl.col(name).nullCount().alias(`n${i}`)))
    .row(0) as unknown[];
  const bad = columns.filter((_, i) => Number(counts[i]) > 0);
  if (bad.length === 0) return;
  const issues: ValidationIssue[] = bad.map((name) => {
    const count = Number(counts[columns.indexOf(name)]);
    const { examples, rows } = offendingRows(df, name, pl.col(name).isNull());
    return {
      column: name,
      rule: "nullable",
      count,
      message: `column "${name}" has ${count} null ${count === 1 ? "value" : "values"} (${
        rows.length === 1 ? "row" : "rows"
      } ${rows.join(", ")}${count > rows.length ? ", ..." : ""})`,
      examples,
      rows,
    };
  });
  throw new DataValidationError(
    `${action}: ${issues.map((issue) => issue.message).join(", ")}, expected none; ${remedy}`,
    issues,
  );
}
