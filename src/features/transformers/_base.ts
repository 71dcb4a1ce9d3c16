/**
 * The `Transformer` contract, the `BaseTransformer` class every transformer in this folder
 * extends (options, fit state, not-fitted guard, JSON form), and the helpers they share: column
 * checks, dtype checks, option and artifact validation, and the missing-value conventions.
 *
 * Missing values: a null is missing, and so is NaN in a float column. Learned statistics ignore
 * both; transforms keep them (a null stays null, a NaN stays NaN) unless the transformer exists to
 * fill them (`SimpleImputer`).
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import {
  ArtifactError,
  DataValidationError,
  didYouMean,
  NotFittedError,
  SchemaMismatchError,
} from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import { INTEGER_DTYPES, isNumericDtype, TEXT_DTYPES } from "../../utils/mod.ts";

/** A value that survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The serialised form of a fitted transformer, as written to `features.json`. */
export interface TransformerState<S extends JsonValue = JsonValue> {
  /** Registry key, e.g. `"StandardScaler"`. */
  kind: string;
  /** Format version of `state`; loading refuses versions it does not know. */
  version: number;
  /** The options the transformer was built with, defaults filled in (snake_case keys). */
  params: JsonObject;
  /** What `fit` learned. */
  state: S;
}

/**
 * A stateful feature step: learns from the training split in `fit`, applies what it learned in
 * `transform`, and serialises to JSON.
 *
 * Columns that a transformer does not transform pass through unchanged and in place.
 */
export interface Transformer<S extends JsonValue = JsonValue> {
  /** Registry key, e.g. `"StandardScaler"`. */
  readonly kind: string;
  /** Whether `fit` (or `fromJSON`) has given this transformer its state. */
  readonly isFitted: boolean;
  /** Learns from the TRAIN split only and replaces any earlier state; returns `this`. */
  fit(df: DataFrame): this;
  /** Returns a new frame; throws `NotFittedError` before `fit`. */
  transform(df: DataFrame): DataFrame;
  /** `fit(df)` then `transform(df)`. */
  fitTransform(df: DataFrame): DataFrame;
  /**
   * Optional: `transform` without its final cast of 0/1 indicator columns to Float64; they stay
   * Boolean, and every value equals `transform`'s once cast. `FeaturePipeline` builds its frames
   * and matrices from it, so a matrix never needs a full-size Float64 copy of the indicators.
   */
  transformCompact?(df: DataFrame): DataFrame;
  /** The output column names for a frame laid out like the one given to `fit`. */
  featureNamesOut(): string[];
  /** The fitted state: `{ kind, version, params, state }`. */
  toJSON(): TransformerState<S>;
}

const CORRUPTED = "the file is corrupted or was edited, refit the pipeline";

const COLUMNS_MESSAGE = "expected a non-empty list of column names";

/** The `columns` param every transformer accepts: which columns to transform (default: all). */
export const COLUMNS_PARAM = z
  .array(z.string({ error: COLUMNS_MESSAGE }).min(1, { error: COLUMNS_MESSAGE }), {
    error: COLUMNS_MESSAGE,
  })
  .min(1, { error: COLUMNS_MESSAGE })
  .refine((names) => new Set(names).size === names.length, {
    error: "expected column names without repeats",
  })
  .optional();

/** The state field holding the columns of the frame given to `fit`. */
export const INPUT_COLUMNS_STATE = z.array(z.string());

/** How a transformer rebuilds itself from `toJSON()` output. */
export type TransformerFromJson = (json: TransformerState) => Transformer;

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

/** One problem found while checking options or params: a key path and what was wrong. */
export interface ParamIssue {
  /** Dotted key path inside the params object, e.g. `top_n` or `feature_range[1]`. */
  path: string;
  /** What was expected and what was found, e.g. `expected a positive integer, got 0`. */
  message: string;
}

/**
 * Turns zod issues into `ParamIssue`s with the offending value quoted and close key names
 * suggested.
 *
 * @param issues the zod issues
 * @param input the value that was parsed
 * @param knownKeys the parameter names the schema accepts, for unknown-key suggestions
 * @param noun what a key is called in messages
 * @returns one issue per problem (one per unknown key)
 * @example
 * ```ts
 * paramIssues(result.error.issues, params, ["top_n"]);
 * ```
 */
export function paramIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  knownKeys: readonly string[],
  noun = "parameter",
): ParamIssue[] {
  return issues.flatMap((issue): ParamIssue[] => {
    const path = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: path === "" ? key : `${path}.${key}`,
        message: `unknown ${noun}${didYouMean(key, knownKeys)} (known: ${listNames(knownKeys)})`,
      }));
    }
    const value = valueAt(input, issue.path);
    // Our schemas word their messages "expected ..."; zod's own start with a capital.
    const detail = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
    return [{ path, message: `${detail}, got ${formatValue(value)}` }];
  });
}

/**
 * Validates options against a transformer's params schema, for direct (non-config) use.
 *
 * @param schema the strict params schema of the transformer
 * @param options the options as given
 * @param kind the transformer kind, for the message
 * @returns the parsed options
 * @throws {TypeError} when an option has the wrong type or is unknown
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * const options = parseOptions(ONE_HOT_ENCODER_PARAMS, this.#options, "OneHotEncoder");
 * ```
 */
export function parseOptions<T>(schema: z.ZodType<T>, options: unknown, kind: string): T {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const knownKeys = objectKeys(schema);
  const issues = paramIssues(result.error.issues, options, knownKeys);
  const text = issues.map((issue) => `option ${issue.path}: ${issue.message}`).join("; ");
  const typeProblem = result.error.issues.some((issue) =>
    issue.code === "invalid_type" || issue.code === "unrecognized_keys"
  );
  const message = `Cannot fit "${kind}": ${text}`;
  throw typeProblem ? new TypeError(message) : new RangeError(message);
}

/**
 * Returns the keys of a zod object schema (empty for other schemas).
 *
 * @param schema a zod schema
 * @returns its shape's keys
 * @example
 * ```ts
 * objectKeys(z.strictObject({ a: z.number() })); // ["a"]
 * ```
 */
export function objectKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/**
 * Checks a serialised transformer and returns its validated params and state.
 *
 * @param json the value read from an artifact
 * @param kind the kind the caller rebuilds
 * @param version the state version the caller understands
 * @param paramsSchema the transformer's params schema
 * @param stateSchema the transformer's state schema
 * @returns the params and state, typed
 * @throws {ArtifactError} when the kind, version, params or state do not match
 * @example
 * ```ts
 * const { params, state } = readState(json, "StandardScaler", 1, PARAMS, STATE);
 * ```
 */
export function readState<P, S>(
  json: unknown,
  kind: string,
  version: number,
  paramsSchema: z.ZodType<P>,
  stateSchema: z.ZodType<S>,
): { params: P; state: S } {
  const action = `Cannot load "${kind}" from JSON`;
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ArtifactError(
      `${action}: expected an object { kind, version, params, state }, got ${formatValue(json)}`,
    );
  }
  const record = json as Record<string, unknown>;
  if (record.kind !== kind) {
    throw new ArtifactError(`${action}: kind is ${formatValue(record.kind)}, expected "${kind}"`);
  }
  if (record.version !== version) {
    throw new ArtifactError(
      `${action}: unsupported version ${
        formatValue(record.version)
      }, expected ${version}; refit the pipeline with this version of deno-mlops`,
    );
  }
  const params = paramsSchema.safeParse(record.params ?? {});
  if (!params.success) {
    const issues = paramIssues(params.error.issues, record.params, objectKeys(paramsSchema));
    throw new ArtifactError(
      `${action}: invalid params: ${
        issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
      }; ${CORRUPTED}`,
    );
  }
  const state = stateSchema.safeParse(record.state);
  if (!state.success) {
    const issues = paramIssues(state.error.issues, record.state, objectKeys(stateSchema), "field");
    throw new ArtifactError(
      `${action}: invalid state: ${
        issues.map((issue) => `${issue.path || "state"}: ${issue.message}`).join("; ")
      }; ${CORRUPTED}`,
    );
  }
  return { params: params.data, state: state.data };
}

/**
 * Throws `DataValidationError` unless every learned number is finite.
 *
 * A statistic becomes infinite when the data holds infinities or values too large to sum, and
 * it could not be written to JSON.
 *
 * @param kind the transformer kind
 * @param stats learned numbers per column
 * @throws {DataValidationError} naming each column with a non-finite statistic
 * @example
 * ```ts
 * requireFiniteStats("StandardScaler", { a: [mean, std] });
 * ```
 */
export function requireFiniteStats(kind: string, stats: Record<string, number[]>): void {
  const bad = Object.entries(stats).filter(([, values]) => values.some((v) => !Number.isFinite(v)));
  if (bad.length === 0) return;
  const issues: ValidationIssue[] = bad.map(([column, values]) => ({
    column,
    rule: "max",
    count: values.filter((v) => !Number.isFinite(v)).length,
    message: `column "${column}" gives non-finite statistics ${JSON.stringify(values.map(String))}`,
    examples: [],
    rows: [],
  }));
  throw new DataValidationError(
    `Cannot fit "${kind}": ${
      bad.map(([column]) => `"${column}"`).join(", ")
    } holds infinite or too-large values, expected finite numbers; clip or drop them in cleaning`,
    issues,
  );
}

/**
 * Returns params as a JSON object: keys whose value is `undefined` are left out and arrays are
 * copied.
 *
 * @param params parsed params
 * @returns a JSON object safe to store
 * @example
 * ```ts
 * jsonParams({ columns: undefined, top_n: 3 }); // { top_n: 3 }
 * ```
 */
export function jsonParams(params: object): JsonObject {
  return JSON.parse(JSON.stringify(params)) as JsonObject;
}

/**
 * Compares strings by UTF-16 code units, the stable order used for categories.
 *
 * @param a a string
 * @param b another string
 * @returns negative, zero or positive
 * @example
 * ```ts
 * ["b", "a"].sort(compareText); // ["a", "b"]
 * ```
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Formats a value for an error message: strings quoted, numbers and booleans as written.
 *
 * @param value any value
 * @returns its display form; `nothing` for `undefined`
 * @example
 * ```ts
 * formatValue("ten"); // '"ten"'
 * ```
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  if (typeof value === "bigint" || typeof value === "function" || typeof value === "symbol") {
    return String(value);
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Throws `ArtifactError` when a loaded state is inconsistent (lengths or names that do not
 * agree), which `readState`'s schemas cannot see.
 *
 * @param ok whether the state is consistent
 * @param kind the transformer kind
 * @param detail what is inconsistent, e.g. `"mean" has 2 values for 3 columns`
 * @throws {ArtifactError} when `ok` is false
 * @example
 * ```ts
 * requireConsistentState(state.mean.length === state.columns.length, "StandardScaler", "...");
 * ```
 */
export function requireConsistentState(ok: boolean, kind: string, detail: string): void {
  if (!ok) {
    throw new ArtifactError(
      `Cannot load "${kind}" from JSON: invalid state: ${detail}; ${CORRUPTED}`,
    );
  }
}

/**
 * Checks that the per-column arrays of a state have one entry per column and that the
 * transformed columns are among the input columns.
 *
 * @param kind the transformer kind
 * @param state the loaded state with `input_columns` and `columns`
 * @param arrays per-column arrays by field name
 * @throws {ArtifactError} when a length or a name does not agree
 * @example
 * ```ts
 * requireColumnArrays("StandardScaler", state, { mean: state.mean, scale: state.scale });
 * ```
 */
export function requireColumnArrays(
  kind: string,
  state: { input_columns: readonly string[]; columns: readonly string[] },
  arrays: Record<string, readonly unknown[]>,
): void {
  const inputs = new Set(state.input_columns);
  const stray = state.columns.filter((name) => !inputs.has(name));
  requireConsistentState(
    stray.length === 0,
    kind,
    `columns ${listNames(stray)} are not in input_columns ${listNames(state.input_columns)}`,
  );
  requireConsistentState(
    new Set(state.columns).size === state.columns.length && state.columns.length > 0,
    kind,
    `columns ${listNames(state.columns)} must be a non-empty list without repeats`,
  );
  for (const [field, values] of Object.entries(arrays)) {
    requireConsistentState(
      values.length === state.columns.length,
      kind,
      `"${field}" has ${values.length} entries for ${state.columns.length} columns`,
    );
  }
}

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

/** What a transformer class tells `BaseTransformer` about itself. */
export interface TransformerDefinition<P> {
  /** Format version written by `toJSON` and required by `fromJSON`. */
  version: number;
  /** The strict params schema that `fit` parses the options with. */
  params: z.ZodType<P>;
  /** The defaults merged under the options given to the constructor. */
  defaults: object;
}

/**
 * The plumbing every transformer in this folder shares: it stores the options, parses them in
 * `fit`, keeps the learned params and state, guards use before `fit`, and serialises to
 * `{ kind, version, params, state }`.
 *
 * A subclass supplies its `kind`, what `fit` learns (`learn`) and what `transform` computes,
 * and rebuilds itself in a static `fromJSON` that checks the JSON with `readState` and ends
 * with `restore`.
 *
 * @example
 * ```ts
 * class Doubler extends BaseTransformer<{ columns?: string[] }, DoublerState> {
 *   override readonly kind = "Doubler";
 *   protected override learn(df: DataFrame): DoublerState {
 *     return { input_columns: df.columns, columns: df.columns };
 *   }
 *   override transform(df: DataFrame): DataFrame {
 *     const { state } = this.fitted("transform with");
 *     return df.select(...state.columns.map((name) => pl.col(name).mul(2)));
 *   }
 * }
 * ```
 */
export abstract class BaseTransformer<
  P extends object,
  S extends JsonValue & { input_columns: string[] },
> implements Transformer<S> {
  /** Registry key, e.g. `"StandardScaler"`. */
  abstract readonly kind: string;
  #options: object;
  #definition: TransformerDefinition<P>;
  #fitted: { params: P; state: S } | null = null;

  /**
   * @param options the constructor options; stored unchanged and validated by `fit`
   * @param definition the version, params schema and defaults of the subclass
   */
  constructor(options: object, definition: TransformerDefinition<P>) {
    this.#options = options;
    this.#definition = definition;
  }

  /** Whether `fit` or `fromJSON` has given this transformer its state. */
  get isFitted(): boolean {
    return this.#fitted !== null;
  }

  /**
   * Learns from the training split; replaces any earlier state.
   *
   * @param df the training split
   * @returns this transformer, fitted
   * @throws {TypeError} when an option has the wrong type
   * @throws {RangeError} when an option is out of range
   * @throws {SchemaMismatchError} when a column is missing or of a type the transformer refuses
   * @throws {DataValidationError} when the values cannot be learned from (see each class)
   * @example
   * ```ts
   * new StandardScaler().fit(pl.DataFrame({ a: [1, 2, 3] }));
   * ```
   */
  fit(df: DataFrame): this {
    // A failed fit leaves the transformer unfitted, never with the previous split's state.
    this.#fitted = null;
    const params = parseOptions(
      this.#definition.params,
      { ...this.#definition.defaults, ...this.#options },
      this.kind,
    );
    const state = this.learn(df, params);
    this.#fitted = { params, state };
    return this;
  }

  /**
   * Returns a new frame with the fitted columns transformed.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the transformed frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or of the wrong type
   * @example
   * ```ts
   * scaler.transform(val);
   * ```
   */
  abstract transform(df: DataFrame): DataFrame;

  /**
   * Fits on `df` and returns `df` transformed.
   *
   * @param df the training split
   * @returns the transformed frame
   * @throws {SchemaMismatchError} as `fit`
   * @throws {DataValidationError} as `fit`
   * @example
   * ```ts
   * new StandardScaler().fitTransform(pl.DataFrame({ a: [1, 3] })); // a: [-1, 1]
   * ```
   */
  fitTransform(df: DataFrame): DataFrame {
    return this.fit(df).transform(df);
  }

  /**
   * Returns the output column names for a frame laid out like the one given to `fit`.
   *
   * @returns the names; a transformer that replaces each column by one keeps every name
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * new StandardScaler().fit(pl.DataFrame({ a: [1, 3] })).featureNamesOut(); // ["a"]
   * ```
   */
  featureNamesOut(): string[] {
    const { state } = this.fitted("list the features of");
    return namesOut(state.input_columns, new Map());
  }

  /**
   * Returns the fitted state as JSON-ready data.
   *
   * @returns `{ kind, version, params, state }`
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * JSON.stringify(scaler.toJSON());
   * ```
   */
  toJSON(): TransformerState<S> {
    const { params, state } = this.fitted("serialise");
    return {
      kind: this.kind,
      version: this.#definition.version,
      params: jsonParams(params),
      state: structuredClone(state),
    };
  }

  /**
   * Checks the data and learns the state; `fit` has already parsed the options.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state
   */
  protected abstract learn(df: DataFrame, params: P): S;

  /**
   * Returns the parsed params and learned state, or throws when not fitted.
   *
   * @param action what was attempted, e.g. `transform with`
   * @returns the params and state
   * @throws {NotFittedError} before `fit`
   */
  protected fitted(action: string): { params: P; state: S } {
    if (this.#fitted === null) throw notFitted(this.kind, action);
    return this.#fitted;
  }

  /**
   * Gives this transformer the params and state read by `fromJSON`.
   *
   * @param params the validated params
   * @param state the validated state
   * @returns this transformer, fitted
   */
  protected restore(params: P, state: S): this {
    this.#fitted = { params, state };
    return this;
  }
}
