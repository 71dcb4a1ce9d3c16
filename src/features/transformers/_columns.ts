/**
 * Column checks shared by the transformers: dtype classes, required, numeric and observed
 * columns, the columns a transformer works on, and how output columns replace input ones.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import {
  DataValidationError,
  didYouMean,
  NotFittedError,
  SchemaMismatchError,
} from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import { INTEGER_DTYPES, isNumericDtype, TEXT_DTYPES } from "../../utils/mod.ts";

/**
 * Returns the polars dtype name of a column, e.g. `"Float64"` or `"String"`.
 *
 * @param df the frame
 * @param column a column of `df`
 * @returns the dtype name
 * @example
 * ```ts
 * dtypeName(pl.DataFrame({ a: [1.5] }), "a"); // "Float64"
 * ```
 */
export function dtypeName(df: DataFrame, column: string): string {
  const dtype = df.schema[column];
  if (dtype === undefined) return "missing";
  return (dtype as unknown as { variant: string }).variant;
}

export { isNumericDtype };

/**
 * Tells whether a dtype name can be encoded as categories (text, categorical, boolean, integer).
 *
 * Floats are refused: encoding a measured value by its exact value is almost always a mistake.
 *
 * @param name a dtype name from `dtypeName`
 * @returns true for `String`, `Categorical`, `Enum`, `Bool` and integer types
 * @example
 * ```ts
 * isCategoricalDtype("String"); // true
 * ```
 */
export function isCategoricalDtype(name: string): boolean {
  return TEXT_DTYPES.has(name) || name === "Bool" || INTEGER_DTYPES.has(name);
}

/**
 * Tells whether a dtype name is a text type (`String`, `Categorical`, `Enum`).
 *
 * @param name a dtype name from `dtypeName`
 * @returns true for text types
 * @example
 * ```ts
 * isTextDtype("Categorical"); // true
 * ```
 */
export function isTextDtype(name: string): boolean {
  return TEXT_DTYPES.has(name);
}

/**
 * Formats a list of names as JSON for error messages.
 *
 * @param names the names
 * @returns e.g. `["a","b"]`
 * @example
 * ```ts
 * listNames(["a", "b"]); // '["a","b"]'
 * ```
 */
export function listNames(names: readonly string[]): string {
  return JSON.stringify(names);
}

/**
 * Throws `SchemaMismatchError` unless every column in `columns` is in `df`.
 *
 * The message lists every missing column (with a close match when there is one), the columns
 * expected and the columns found.
 *
 * @param df the frame to check
 * @param columns the columns it must contain
 * @param action what failed, e.g. `Cannot transform with "StandardScaler"`
 * @throws {SchemaMismatchError} when a column is missing
 * @example
 * ```ts
 * requireColumns(df, ["age"], "Cannot fit feature pipeline");
 * ```
 */
export function requireColumns(df: DataFrame, columns: readonly string[], action: string): void {
  const found = df.columns;
  const present = new Set(found);
  const missing = columns.filter((name) => !present.has(name));
  if (missing.length === 0) return;
  const candidates = found.filter((name) => !columns.includes(name));
  const described = missing.map((name) => {
    const hint = didYouMean(name, candidates);
    return hint === "" ? `"${name}"` : `"${name}" (${hint.slice(2)})`;
  });
  const noun = missing.length === 1 ? "column" : "columns";
  throw new SchemaMismatchError(
    `${action}: missing ${noun} ${described.join(", ")} (expected ${listNames(columns)}, found ${
      listNames(found)
    })`,
  );
}

/**
 * Throws `SchemaMismatchError` unless every column is numeric.
 *
 * @param df the frame
 * @param columns the columns to check
 * @param action what failed, e.g. `Cannot fit "StandardScaler"`
 * @throws {SchemaMismatchError} naming each non-numeric column and its dtype
 * @example
 * ```ts
 * requireNumeric(df, ["age"], `Cannot fit "StandardScaler"`);
 * ```
 */
export function requireNumeric(df: DataFrame, columns: readonly string[], action: string): void {
  const bad = columns.filter((name) => !isNumericDtype(dtypeName(df, name)));
  if (bad.length === 0) return;
  const described = bad.map((name) => `column "${name}" is ${dtypeName(df, name)}`).join(", ");
  throw new SchemaMismatchError(
    `${action}: ${described}, expected a numeric column; encode it first or leave it out with the columns option`,
  );
}

/**
 * Returns the columns a transformer works on: `requested`, or every column of `df`.
 *
 * @param df the frame given to `fit`
 * @param requested the `columns` option, when set
 * @param action what failed, for the error message
 * @returns the columns, in the order given (or frame order)
 * @throws {SchemaMismatchError} when a requested column is missing or the frame has no columns
 * @example
 * ```ts
 * resolveColumns(df, undefined, `Cannot fit "StandardScaler"`); // df.columns
 * ```
 */
export function resolveColumns(
  df: DataFrame,
  requested: readonly string[] | undefined,
  action: string,
): string[] {
  const columns = requested === undefined ? df.columns : [...requested];
  if (columns.length === 0) {
    throw new SchemaMismatchError(`${action}: the frame has no columns, expected at least one`);
  }
  requireColumns(df, columns, action);
  return columns;
}

/**
 * Builds the expression a numeric statistic is computed on: the column as Float64 with NaN
 * turned into null, so aggregations skip both kinds of missing value.
 *
 * @param column the column name
 * @returns the expression
 * @example
 * ```ts
 * df.select(observedValues("a").mean());
 * ```
 */
export function observedValues(column: string): Expr {
  return pl.col(column).cast(pl.Float64).fillNan(null);
}

/**
 * Throws `DataValidationError` when a column has no observed (non-null, non-NaN) value.
 *
 * @param df the training frame
 * @param columns the columns to check
 * @param action what failed, e.g. `Cannot fit "StandardScaler"`
 * @throws {DataValidationError} with one `nullable` issue per empty column
 * @example
 * ```ts
 * requireObserved(df, ["age"], `Cannot fit "StandardScaler"`);
 * ```
 */
export function requireObserved(df: DataFrame, columns: readonly string[], action: string): void {
  const counts = df.select(
    ...columns.map((name, i) => {
      const values = isNumericDtype(dtypeName(df, name)) ? observedValues(name) : pl.col(name);
      return values.count().alias(`c${i}`);
    }),
  ).row(0) as number[];
  const empty = columns.filter((_, i) => Number(counts[i]) === 0);
  if (empty.length === 0) return;
  const issues: ValidationIssue[] = empty.map((name) => ({
    column: name,
    rule: "nullable",
    count: df.height,
    message: `column "${name}" has no observed values in ${df.height} rows (all null or NaN)`,
    examples: [],
    rows: [],
  }));
  throw new DataValidationError(
    `${action}: ${empty.map((name) => `"${name}"`).join(", ")} ${
      empty.length === 1 ? "has" : "have"
    } no observed values (all null or NaN), expected at least one; impute ${
      empty.length === 1 ? "it" : "them"
    } in cleaning or drop ${empty.length === 1 ? "it" : "them"} from the features`,
    issues,
  );
}

/**
 * Builds the output frame: every column of `df` in place, each transformed column replaced by
 * its output expressions.
 *
 * @param df the input frame (not modified)
 * @param outputs the replacement expressions per transformed column, already aliased
 * @returns a new frame
 * @example
 * ```ts
 * replaceColumns(df, new Map([["a", [pl.col("a").mul(2).alias("a")]]]));
 * ```
 */
export function replaceColumns(df: DataFrame, outputs: ReadonlyMap<string, Expr[]>): DataFrame {
  const exprs = df.columns.flatMap((name) => outputs.get(name) ?? [pl.col(name)]);
  return df.select(...exprs);
}

/**
 * Returns the output column names for `inputColumns`, each transformed column replaced by its
 * output names.
 *
 * @param inputColumns the columns of the frame given to `fit`
 * @param outputs output names per transformed column
 * @returns the output names in frame order
 * @example
 * ```ts
 * namesOut(["a", "b"], new Map([["a", ["a_x", "a_y"]]])); // ["a_x", "a_y", "b"]
 * ```
 */
export function namesOut(
  inputColumns: readonly string[],
  outputs: ReadonlyMap<string, readonly string[]>,
): string[] {
  return inputColumns.flatMap((name) => outputs.get(name) ?? [name]);
}

/**
 * Returns the `NotFittedError` for using `kind` before `fit`.
 *
 * @param kind the transformer kind
 * @param action what was attempted, e.g. `transform with`
 * @returns the error, to throw
 * @example
 * ```ts
 * throw notFitted("StandardScaler", "transform with");
 * ```
 */
export function notFitted(kind: string, action: string): NotFittedError {
  return new NotFittedError(
    `Cannot ${action} "${kind}": it is not fitted, call fit() on the training split first`,
  );
}
