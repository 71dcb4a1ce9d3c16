/**
 * Row and value cleaning driven by `config.cleaning`, split into a fit step that learns
 * statistics and an apply step that reuses them, so training and inference clean alike.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import type { CleaningConfig } from "../config/schema.ts";
import {
  ArtifactError,
  ConfigError,
  DataValidationError,
  didYouMean,
  NotFittedError,
  SchemaMismatchError,
} from "../errors.ts";
import type { ValidationIssue } from "../errors.ts";
import { isNumericDtype } from "../utils/mod.ts";

/** The name of one cleaning step, in the order `applyCleaning` runs them. */
export type CleaningStepName =
  | "trim_strings"
  | "normalize_case"
  | "na_values"
  | "drop_duplicates"
  | "nulls"
  | "clip";

/** One operation of a cleaning run and the rows it touched. */
export interface CleaningStep {
  /** Which step ran. */
  step: CleaningStepName;
  /** The column it ran on, or `null` for a table-level operation (drop duplicates). */
  column: string | null;
  /** What it did, e.g. `"drop"`, `"median=44.45"`, `"lower=3 upper=9"`. */
  action: string;
  /**
   * Rows touched: values changed, or rows dropped. For a `drop` that `dropRows: false` skipped,
   * the rows that would have been dropped and were kept with their missing value.
   */
  rows: number;
}

/** What a cleaning run did: row counts before and after, and every operation in order. */
export interface CleaningReport {
  /** Rows in the input frame. */
  rowsIn: number;
  /** Rows in the cleaned frame. */
  rowsOut: number;
  /** Every operation, in the order it ran, including those that touched 0 rows. */
  steps: CleaningStep[];
}

/** The cleaned frame and the report of how it was cleaned. */
export interface CleaningResult {
  /** The cleaned frame (a new frame; the input is never changed). */
  frame: DataFrame;
  /** What was done, with exact row counts. */
  report: CleaningReport;
  /**
   * With `trackRows: true`, the 0-based position in the input frame of each row of `frame`, in
   * `frame`'s order (cleaning keeps the input order, so they ascend).
   */
  rowPositions?: Uint32Array;
}

/** A value that fills a missing cell. */
export type FillValue = string | number | boolean;

/** The learned fill value of one column. */
export interface FillState {
  /** The strategy that produced the value. */
  strategy: "mean" | "median" | "mode" | "constant";
  /** The value written into missing cells. */
  value: FillValue;
}

/** The learned absolute clip bounds of one column; `null` means that side is not clipped. */
export interface ClipState {
  /** Values below this become this; `null` when the configured lower quantile is 0. */
  lower: number | null;
  /** Values above this become this; `null` when the configured upper quantile is 1. */
  upper: number | null;
}

/** Statistics learned by `fitCleaning`: plain JSON, written into a run folder as is. */
export interface CleaningState {
  /** Format version of this object; currently 1. */
  version: 1;
  /** Fill values per column, for the `mean`, `median`, `mode` and `constant` null strategies. */
  fills: Record<string, FillState>;
  /** Clip bounds per column. */
  clip: Record<string, ClipState>;
}

/** Options of `applyCleaning`. */
export interface ApplyCleaningOptions {
  /**
   * Whether rows may be dropped. `false` (inference) keeps every row: drop duplicates is
   * skipped and the `drop` null strategy leaves missing values for the caller to reject.
   * @default true
   */
  dropRows?: boolean;
  /**
   * Whether the result lists, in `rowPositions`, the input position of every kept row, so a run
   * can record which input rows it trained and tested on.
   * @default false
   */
  trackRows?: boolean;
}

/** Defaults of `ApplyCleaningOptions`. */
export const DEFAULT_APPLY_CLEANING_OPTIONS: Required<ApplyCleaningOptions> = {
  dropRows: true,
  trackRows: false,
};

/** Options of `cleanFrame`. */
export interface CleanFrameOptions {
  /**
   * The frame statistics are learned from (the training split); the frame being cleaned when
   * absent.
   * @default undefined
   */
  reference?: DataFrame;
}

/** Defaults of `CleanFrameOptions`. */
export const DEFAULT_CLEAN_FRAME_OPTIONS: CleanFrameOptions = {};

/** `cleanFrame`'s result: the cleaned frame, its report and the state learned for it. */
export interface CleanFrameResult extends CleaningResult {
  /** The statistics learned from the reference frame. */
  state: CleaningState;
}

const CLEANING_STATE_VERSION = 1;

/**
 * Learns the fill values and clip bounds of `config` from `df`.
 *
 * Each statistic is learned from `df` as it stands just before the step that uses it in
 * `applyCleaning` (with rows dropped): fill values after trimming, case normalisation,
 * `na_values`, drop duplicates and the `drop` null strategies; clip bounds after the nulls have
 * been filled. NaN counts as missing: it is ignored by every statistic. `mean` and `median`
 * are plain floats; `mode` takes the smallest of tied values; clip quantiles use polars'
 * `nearest` interpolation, so bounds are values seen in the data and integer columns stay
 * integer. A quantile of 0 (lower) or 1 (upper) means that side is not clipped.
 *
 * @param df the frame to learn from: the training split in the training pipeline
 * @param config `config.cleaning`
 * @returns plain-JSON state for `applyCleaning`
 * @throws {SchemaMismatchError} when a configured column is missing or has a type its step
 *   cannot handle (mean of a string column, a string constant for a float column, clip of a
 *   string column)
 * @throws {ConfigError} when a clip's lower quantile is above its upper quantile
 * @throws {DataValidationError} when a column has no non-missing value to learn from
 * @example
 * ```ts
 * const state = fitCleaning(train, config.cleaning);
 * await Deno.writeTextFile(`${runDir}/cleaning.json`, JSON.stringify(state));
 * ```
 */
export function fitCleaning(df: DataFrame, config: CleaningConfig): CleaningState {
  checkConfig(df, config, "Cannot fit cleaning");
  const learned = Object.values(config.nulls).some((rule) =>
    rule.strategy === "mean" || rule.strategy === "median" || rule.strategy === "mode"
  );
  if (!learned && Object.keys(config.clip).length === 0) {
    // Nothing is computed from data, so skip the cleaning passes (they matter on large frames)
    // and only check that every constant fits its column.
    const fills = constantFills(config);
    for (const [column, fill] of Object.entries(fills)) fillExpression(df, column, fill);
    return { version: CLEANING_STATE_VERSION, fills, clip: {} };
  }
  const ignored: CleaningStep[] = [];
  let frame = applyValueSteps(df, config, ignored);
  frame = applyDropDuplicates(frame, config, true, ignored, null);
  frame = applyNullDrops(frame, config, true, ignored);

  const fills = constantFills(config);
  for (const [column, rule] of Object.entries(config.nulls)) {
    if (rule.strategy === "mean" || rule.strategy === "median" || rule.strategy === "mode") {
      fills[column] = { strategy: rule.strategy, value: learnFill(frame, column, rule.strategy) };
    }
  }
  frame = applyNullFills(frame, config, fills, ignored);

  const clip: Record<string, ClipState> = {};
  for (const [column, range] of Object.entries(config.clip)) {
    clip[column] = learnClip(frame, column, range.lower, range.upper);
  }
  return { version: CLEANING_STATE_VERSION, fills, clip };
}

/**
 * Applies `config` to `df` with the statistics in `state`, in a fixed order.
 *
 * The order: trim strings (every string column) → normalise case → `na_values` become null →
 * drop duplicates (first occurrence kept) → nulls (every `drop` column in config order, then
 * every fill in config order) → clip. In float columns NaN counts as missing: `drop` removes
 * it and fills replace it. `mean` and `median` fills turn an integer column into Float64 (on
 * every frame, so training and inference types agree). With `dropRows: false` no row is
 * removed: drop duplicates is skipped and `drop` columns keep their missing values, counted in
 * the report, for the caller to reject.
 *
 * @param df the frame to clean; it is not changed
 * @param config `config.cleaning`, the same one `state` was fitted with
 * @param state the statistics from `fitCleaning`
 * @param options `dropRows`; `trackRows` to get `rowPositions`
 * @returns the cleaned frame and a report with the rows each operation touched
 * @throws {SchemaMismatchError} when a configured column is missing or has the wrong type
 * @throws {NotFittedError} when `state` has no learned value for a configured fill or clip
 * @throws {ArtifactError} when `state` is not a cleaning state of a known version
 * @example
 * ```ts
 * const { frame, report } = applyCleaning(rows, config.cleaning, state, { dropRows: false });
 * ```
 */
export function applyCleaning(
  df: DataFrame,
  config: CleaningConfig,
  state: CleaningState,
  options: ApplyCleaningOptions = {},
): CleaningResult {
  const { dropRows, trackRows } = { ...DEFAULT_APPLY_CLEANING_OPTIONS, ...options };
  checkState(state, config);
  checkConfig(df, config, "Cannot apply cleaning");
  const steps: CleaningStep[] = [];
  // Rows are only dropped (never reordered) by duplicates and null drops: a position column
  // carried through those two steps, and left out of the duplicate check, says which survived.
  const position = trackRows ? unusedColumnName(df.columns, "__row_position") : null;
  let frame = applyValueSteps(position === null ? df : df.withRowIndex(position), config, steps);
  frame = applyDropDuplicates(frame, config, dropRows, steps, position);
  frame = applyNullDrops(frame, config, dropRows, steps);
  let rowPositions: Uint32Array | undefined;
  if (position !== null) {
    // The row index is UInt32: its typed array is a copy, no JS number per row.
    rowPositions = Uint32Array.from(frame.getColumn(position).toTypedArray() as Uint32Array);
    frame = frame.drop(position);
  }
  frame = applyNullFills(frame, config, state.fills, steps);
  frame = applyClip(frame, config, state.clip, steps);
  const report = { rowsIn: df.height, rowsOut: frame.height, steps };
  return rowPositions === undefined ? { frame, report } : { frame, report, rowPositions };
}

/** `base`, or `base` with a numeric suffix, whichever no column of `columns` is named. */
function unusedColumnName(columns: readonly string[], base: string): string {
  let name = base;
  for (let i = 1; columns.includes(name); i++) name = `${base}_${i}`;
  return name;
}

/**
 * Learns cleaning statistics from `reference` (or `df`) and applies them to `df` in one call.
 *
 * The one-call form for notebooks and `deno task validate --after-clean`; pipelines call
 * `fitCleaning` on the training split and `applyCleaning` on each frame.
 *
 * @param df the frame to clean; it is not changed
 * @param config `config.cleaning`
 * @param options `reference`: the frame to learn statistics from
 * @returns the cleaned frame, its report and the learned state
 * @throws {SchemaMismatchError} see `fitCleaning` and `applyCleaning`
 * @throws {ConfigError} see `fitCleaning`
 * @throws {DataValidationError} see `fitCleaning`
 * @example
 * ```ts
 * const { frame, report } = cleanFrame(raw, config.cleaning);
 * console.log(formatCleaningReport(report));
 * ```
 */
export function cleanFrame(
  df: DataFrame,
  config: CleaningConfig,
  options: CleanFrameOptions = {},
): CleanFrameResult {
  const { reference } = { ...DEFAULT_CLEAN_FRAME_OPTIONS, ...options };
  const state = fitCleaning(reference ?? df, config);
  return { ...applyCleaning(df, config, state), state };
}

/**
 * Formats a cleaning report as an aligned text table with a row-count summary line.
 *
 * @param report the report from `applyCleaning` or `cleanFrame`
 * @returns the table, lines joined with `\n`, no trailing newline
 * @example
 * ```ts
 * formatCleaningReport(report);
 * // step         column  action  rows
 * // nulls        Sex     drop      11
 * // rows in 344, rows out 333
 * ```
 */
export function formatCleaningReport(report: CleaningReport): string {
  const header = ["step", "column", "action", "rows"];
  const body = report.steps.map((s) => [s.step, s.column ?? "-", s.action, String(s.rows)]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => row[j]!.length)));
  return [
    formatTableLine(header, widths),
    ...body.map((row) => formatTableLine(row, widths)),
    `rows in ${report.rowsIn}, rows out ${report.rowsOut}`,
  ].join("\n");
}

/** Pads text cells on the right and the last (numeric) cell on the left. */
function formatTableLine(cells: string[], widths: number[]): string {
  const last = cells.length - 1;
  return cells.map((cell, j) => j === last ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))
    .join("  ").trimEnd();
}

// ---------------------------------------------------------------- steps

function applyValueSteps(df: DataFrame, config: CleaningConfig, steps: CleaningStep[]): DataFrame {
  let frame = df;
  if (config.trim_strings) {
    const columns = frame.columns.filter((c) => frame.getColumn(c).isString());
    frame = runColumnStep(frame, steps, "trim_strings", columns, (column) => {
      const trimmed = pl.col(column).str.strip();
      return { action: "strip whitespace", changed: pl.col(column).neq(trimmed), value: trimmed };
    });
  }
  frame = runColumnStep(
    frame,
    steps,
    "normalize_case",
    Object.keys(config.normalize_case),
    (column) => {
      const mode = config.normalize_case[column]!;
      requireString(
        frame,
        column,
        "cleaning.normalize_case",
        `normalise the case of column "${column}"`,
      );
      const value = mode === "lower"
        ? pl.col(column).str.toLowerCase()
        : pl.col(column).str.toUpperCase();
      return { action: mode, changed: pl.col(column).neq(value), value };
    },
  );
  frame = runColumnStep(frame, steps, "na_values", Object.keys(config.na_values), (column) => {
    const values = naValuesFor(frame, column, config.na_values[column]!);
    const hit = pl.col(column).isIn(values);
    return {
      action: `null if in ${JSON.stringify(values)}`,
      changed: hit,
      value: pl.when(hit).then(pl.lit(null)).otherwise(pl.col(column)),
    };
  });
  return frame;
}

function applyDropDuplicates(
  df: DataFrame,
  config: CleaningConfig,
  dropRows: boolean,
  steps: CleaningStep[],
  position: string | null,
): DataFrame {
  const setting = config.drop_duplicates;
  if (setting === false) return df;
  const configured = setting === true ? undefined : setting.subset;
  const subset = configured ??
    (position === null ? undefined : df.columns.filter((column) => column !== position));
  const action = configured === undefined
    ? "drop exact duplicates, keep first"
    : `drop duplicates on ${JSON.stringify(configured)}, keep first`;
  if (!dropRows) {
    steps.push({
      step: "drop_duplicates",
      column: null,
      action: `skipped (dropRows: false)`,
      rows: 0,
    });
    return df;
  }
  const frame = subset === undefined
    ? df.unique({ keep: "first", maintainOrder: true })
    : df.unique({ subset, keep: "first", maintainOrder: true });
  steps.push({ step: "drop_duplicates", column: null, action, rows: df.height - frame.height });
  return frame;
}

function applyNullDrops(
  df: DataFrame,
  config: CleaningConfig,
  dropRows: boolean,
  steps: CleaningStep[],
): DataFrame {
  let frame = df;
  for (const [column, rule] of Object.entries(config.nulls)) {
    if (rule.strategy !== "drop") continue;
    const missing = missingMask(frame, column);
    if (!dropRows) {
      const kept = countTrue(frame, missing);
      steps.push({ step: "nulls", column, action: "drop skipped (dropRows: false)", rows: kept });
      continue;
    }
    const next = frame.filter(missing.not());
    steps.push({ step: "nulls", column, action: "drop", rows: frame.height - next.height });
    frame = next;
  }
  return frame;
}

function applyNullFills(
  df: DataFrame,
  config: CleaningConfig,
  fills: Record<string, FillState>,
  steps: CleaningStep[],
): DataFrame {
  const columns = Object.entries(config.nulls)
    .filter(([, rule]) => rule.strategy !== "drop")
    .map(([column]) => column);
  return runColumnStep(df, steps, "nulls", columns, (column) => {
    const fill = fills[column]!;
    return {
      action: `${fill.strategy}=${formatValue(fill.value)}`,
      changed: missingMask(df, column),
      value: fillExpression(df, column, fill),
    };
  });
}

function applyClip(
  df: DataFrame,
  config: CleaningConfig,
  bounds: Record<string, ClipState>,
  steps: CleaningStep[],
): DataFrame {
  return runColumnStep(df, steps, "clip", Object.keys(config.clip), (column) => {
    requireNumeric(df, column, "cleaning.clip", `clip column "${column}"`);
    const { lower, upper } = bounds[column]!;
    const series = df.getColumn(column);
    // Bounds learned on a float column may be fractional; an integer column then becomes float
    // rather than having its bounds truncated.
    const fractional = [lower, upper].some((b) => b !== null && !Number.isInteger(b));
    const dtype = !series.isFloat() && fractional ? pl.Float64 : series.dtype;
    const col = pl.col(column).cast(dtype);
    // Polars orders NaN above every number, so NaN must be excluded from "above upper".
    const below = lower === null ? pl.lit(false) : col.lt(pl.lit(lower).cast(dtype));
    const above = upper === null
      ? pl.lit(false)
      : col.gt(pl.lit(upper).cast(dtype)).and(col.isNotNan());
    let value: Expr = col;
    if (lower !== null && upper !== null) {
      value = pl.when(below).then(pl.lit(lower).cast(dtype))
        .when(above).then(pl.lit(upper).cast(dtype))
        .otherwise(col);
    } else if (lower !== null) {
      value = pl.when(below).then(pl.lit(lower).cast(dtype)).otherwise(col);
    } else if (upper !== null) {
      value = pl.when(above).then(pl.lit(upper).cast(dtype)).otherwise(col);
    }
    return {
      action: `lower=${formatValue(lower)} upper=${formatValue(upper)}`,
      changed: below.or(above),
      value,
    };
  });
}

interface ColumnOperation {
  action: string;
  /** Boolean expression: true where the operation changes the row. */
  changed: Expr;
  /** The new value of the column. */
  value: Expr;
}

/** Counts and applies one operation per column in two vectorised passes over the frame. */
function runColumnStep(
  df: DataFrame,
  steps: CleaningStep[],
  step: CleaningStepName,
  columns: string[],
  build: (column: string) => ColumnOperation,
): DataFrame {
  if (columns.length === 0) return df;
  const operations = columns.map(build);
  const counts = df.select(
    ...operations.map((op, j) => op.changed.fillNull(false).cast(pl.UInt32).sum().alias(`c${j}`)),
  ).row(0);
  columns.forEach((column, j) => {
    steps.push({ step, column, action: operations[j]!.action, rows: Number(counts[j] ?? 0) });
  });
  return df.withColumns(...operations.map((op, j) => op.value.alias(columns[j]!)));
}

// ---------------------------------------------------------------- learning

function constantFills(config: CleaningConfig): Record<string, FillState> {
  const fills: Record<string, FillState> = {};
  for (const [column, rule] of Object.entries(config.nulls)) {
    if (rule.strategy === "constant") fills[column] = { strategy: "constant", value: rule.value };
  }
  return fills;
}

function learnFill(df: DataFrame, column: string, strategy: "mean" | "median" | "mode"): FillValue {
  const series = df.getColumn(column);
  if (strategy === "mode") {
    fillableDtype(df, column, "mode");
  } else {
    requireNumeric(
      df,
      column,
      "cleaning.nulls",
      `fill nulls of column "${column}" with the ${strategy}`,
    );
  }
  const present = presentValues(df, column);
  let value: unknown;
  if (strategy === "mode") {
    value = df.select(present.mode().sort().first().alias("v")).row(0)[0];
  } else {
    const expr = strategy === "mean" ? present.mean() : present.median();
    value = df.select(expr.cast(pl.Float64).alias("v")).row(0)[0];
  }
  if (value === null || value === undefined) {
    throw noValuesError(column, strategy, series.len());
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new DataValidationError(
      `Cannot learn the ${strategy} of column "${column}": it is ${value}; remove infinite values first`,
      [issue(column, "max", 1, `the ${strategy} is ${value}`, [value])],
    );
  }
  // fillableDtype above admits only string, numeric and boolean columns.
  return typeof value === "bigint" ? Number(value) : value as FillValue;
}

function learnClip(df: DataFrame, column: string, lower: number, upper: number): ClipState {
  requireNumeric(df, column, "cleaning.clip", `clip column "${column}"`);
  if (lower > upper) {
    throw new ConfigError(
      `Cannot read config "cleaning.clip.${column}": lower quantile ${lower} is above upper quantile ${upper}; swap them`,
    );
  }
  return {
    lower: lower === 0 ? null : learnQuantile(df, column, lower),
    upper: upper === 1 ? null : learnQuantile(df, column, upper),
  };
}

function learnQuantile(df: DataFrame, column: string, q: number): number {
  const expr = presentValues(df, column).quantile(q, "nearest").cast(pl.Float64).alias("v");
  const value = df.select(expr).row(0)[0] as number | null;
  if (value === null) throw noValuesError(column, `quantile ${q}`, df.height);
  if (!Number.isFinite(value)) {
    throw new DataValidationError(
      `Cannot learn clip bounds of column "${column}": quantile ${q} is ${value}; remove infinite values first`,
      [issue(column, "max", 1, `quantile ${q} is ${value}`, [value])],
    );
  }
  return value;
}

/** The column's values with nulls and NaN removed. */
function presentValues(df: DataFrame, column: string): Expr {
  return pl.col(column).filter(missingMask(df, column).not());
}

function noValuesError(column: string, what: string, rows: number): DataValidationError {
  const message = `all ${rows} values are null or NaN`;
  return new DataValidationError(
    `Cannot learn the ${what} of column "${column}": ${message}; use strategy "constant" or "drop", or drop the column`,
    [issue(column, "nullable", rows, message, [])],
  );
}

function issue(
  column: string,
  rule: string,
  count: number,
  message: string,
  examples: unknown[],
): ValidationIssue {
  return { column, rule, count, message, examples, rows: [] };
}

// ---------------------------------------------------------------- expressions and checks

/** True where the column is null, or NaN in a float column. */
function missingMask(df: DataFrame, column: string): Expr {
  const col = pl.col(column);
  return df.getColumn(column).isFloat() ? col.isNull().or(col.isNan()) : col.isNull();
}

function fillExpression(df: DataFrame, column: string, fill: FillState): Expr {
  const series = df.getColumn(column);
  const where = `"cleaning.nulls.${column}" (${fill.strategy})`;
  if (fill.strategy === "mean" || fill.strategy === "median") {
    requireNumeric(
      df,
      column,
      "cleaning.nulls",
      `fill nulls of column "${column}" with the ${fill.strategy}`,
    );
    if (typeof fill.value !== "number") {
      throw wrongFill(column, series.dtype.variant, fill.value, where, "a number");
    }
    const col = series.isFloat() ? pl.col(column) : pl.col(column).cast(pl.Float64);
    const value = pl.lit(fill.value).cast(series.isFloat() ? series.dtype : pl.Float64);
    return col.fillNan(value).fillNull(value);
  }
  const kind = fillableDtype(df, column, fill.strategy);
  const ok = kind === "string"
    ? typeof fill.value === "string"
    : kind === "bool"
    ? typeof fill.value === "boolean"
    : kind === "float"
    ? typeof fill.value === "number"
    : typeof fill.value === "number" && Number.isInteger(fill.value);
  if (!ok) {
    const expected =
      { string: "a string", bool: "a boolean", float: "a number", int: "an integer" }[kind];
    throw wrongFill(column, series.dtype.variant, fill.value, where, expected);
  }
  const value = pl.lit(fill.value).cast(series.dtype);
  return kind === "float"
    ? pl.col(column).fillNan(value).fillNull(value)
    : pl.col(column).fillNull(value);
}

function wrongFill(
  column: string,
  dtype: unknown,
  value: unknown,
  where: string,
  expected: string,
): SchemaMismatchError {
  return new SchemaMismatchError(
    `Cannot fill nulls of column "${column}" with ${
      JSON.stringify(value)
    }: the column is ${dtype}, expected ${expected}; change ${where}`,
  );
}

function fillableDtype(
  df: DataFrame,
  column: string,
  strategy: string,
): "string" | "bool" | "float" | "int" {
  const series = df.getColumn(column);
  if (series.isString()) return "string";
  if (series.isBoolean()) return "bool";
  if (series.isFloat()) return "float";
  if (isNumericDtype(series.dtype)) return "int";
  throw new SchemaMismatchError(
    `Cannot fill nulls of column "${column}" with strategy "${strategy}": the column is ${series.dtype.variant}, expected a string, numeric or boolean column; use strategy "drop" for it in "cleaning.nulls"`,
  );
}

function requireNumeric(df: DataFrame, column: string, key: string, what: string): void {
  const series = df.getColumn(column);
  if (isNumericDtype(series.dtype)) return;
  const valid = series.isString() || series.isBoolean() ? `"drop", "mode" or "constant"` : `"drop"`;
  const remedy = key === "cleaning.nulls"
    ? `use strategy ${valid} for it in "${key}"`
    : `remove it from "${key}" or cast it to a number`;
  throw new SchemaMismatchError(
    `Cannot ${what}: the column is ${series.dtype.variant}, expected a numeric column; ${remedy}`,
  );
}

function requireString(df: DataFrame, column: string, key: string, what: string): void {
  const series = df.getColumn(column);
  if (series.isString()) return;
  throw new SchemaMismatchError(
    `Cannot ${what}: the column is ${series.dtype.variant}, expected a string column; remove it from "${key}"`,
  );
}

function naValuesFor(
  df: DataFrame,
  column: string,
  values: (string | number)[],
): (string | number)[] {
  const series = df.getColumn(column);
  // A number in a string column is matched by its text, e.g. -999 matches "-999".
  if (series.isString()) return values.map(String);
  if (isNumericDtype(series.dtype)) {
    const text = values.find((v) => typeof v === "string");
    if (text !== undefined) {
      throw new SchemaMismatchError(
        `Cannot apply "cleaning.na_values.${column}": value ${
          JSON.stringify(text)
        } is a string but the column is ${series.dtype.variant}; list numbers for a numeric column`,
      );
    }
    return values;
  }
  throw new SchemaMismatchError(
    `Cannot apply "cleaning.na_values.${column}": the column is ${series.dtype.variant}, expected a string or numeric column; remove it from "cleaning.na_values"`,
  );
}

function countTrue(df: DataFrame, mask: Expr): number {
  return Number(df.select(mask.fillNull(false).cast(pl.UInt32).sum().alias("n")).row(0)[0] ?? 0);
}

function formatValue(value: FillValue | null): string {
  if (value === null) return "none";
  if (typeof value === "number") return String(Number(value.toPrecision(6)));
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** Every column named by `config` must exist in `df`; reports all missing at once. */
function checkConfig(df: DataFrame, config: CleaningConfig, action: string): void {
  const named: Array<[string, string]> = [
    ...Object.keys(config.normalize_case).map((c): [string, string] => ["normalize_case", c]),
    ...Object.keys(config.na_values).map((c): [string, string] => ["na_values", c]),
    ...(typeof config.drop_duplicates === "object"
      ? config.drop_duplicates.subset.map((c): [string, string] => ["drop_duplicates.subset", c])
      : []),
    ...Object.keys(config.nulls).map((c): [string, string] => ["nulls", c]),
    ...Object.keys(config.clip).map((c): [string, string] => ["clip", c]),
  ];
  const problems = named
    .filter(([, column]) => !df.columns.includes(column))
    .map(([key, column]) =>
      `missing column "${column}" named in "cleaning.${key}"${didYouMean(column, df.columns)}`
    );
  if (problems.length > 0) {
    throw new SchemaMismatchError(
      `${action}: ${problems.join("; ")} (found ${JSON.stringify(df.columns)})`,
    );
  }
}

/** `state` must be a version-1 cleaning state holding every value `config` needs. */
function checkState(state: CleaningState, config: CleaningConfig): void {
  const shaped = typeof state === "object" && state !== null &&
    (state as { version?: unknown }).version === CLEANING_STATE_VERSION &&
    typeof state.fills === "object" && state.fills !== null &&
    typeof state.clip === "object" && state.clip !== null;
  if (!shaped) {
    throw new ArtifactError(
      `Cannot apply cleaning: the state is not a cleaning state of version ${CLEANING_STATE_VERSION} (found ${
        JSON.stringify(state)?.slice(0, 80)
      }); fit it again with fitCleaning()`,
    );
  }
  for (const [column, rule] of Object.entries(config.nulls)) {
    if (rule.strategy === "drop") continue;
    const fill = state.fills[column];
    const matches = fill !== undefined && fill.strategy === rule.strategy &&
      (rule.strategy !== "constant" || fill.value === rule.value);
    if (!matches) {
      throw new NotFittedError(
        `Cannot apply cleaning to column "${column}": the state holds ${
          fill === undefined
            ? "no fill value"
            : `a "${fill.strategy}" fill of ${JSON.stringify(fill.value)}`
        } but the config asks for "${rule.strategy}"; call fitCleaning() with this config first`,
      );
    }
  }
  for (const column of Object.keys(config.clip)) {
    if (state.clip[column] === undefined) {
      throw new NotFittedError(
        `Cannot apply cleaning to column "${column}": the state holds no clip bounds for it; call fitCleaning() with this config first`,
      );
    }
  }
}
