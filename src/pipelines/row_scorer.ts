/**
 * The row engine: scores a few rows held as plain JavaScript values with no polars call, and
 * answers exactly what `scoreRows` answers for the same rows.
 *
 * `scoreRows` pays a fixed cost of a few dozen nodejs-polars calls (about 20 ms) however few
 * rows it gets, and leaves dead native objects behind for the garbage collector. The HTTP
 * service scores one row at a time, so it compiles each run it loads into a {@link RowScorer}:
 * the run's input signature, cleaning state, derived features, fitted feature pipeline and
 * selector turned into plain functions, replicating polars' semantics value by value (string
 * parsing, whitespace, NaN ordering, division by a constant as multiplication by its
 * reciprocal) so the model input is identical to the bit.
 *
 * Whatever the engine cannot reproduce exactly is never approximated:
 * - a run using a transformer kind or option it does not know, or a config the polars path
 *   refuses, does not compile (`compileRowScorer` returns `null`);
 * - rows that need a case the engine leaves to polars (a date written in a form other than
 *   `YYYY-MM-DD[(T| )HH:MM:SS[.fff]]`, an integer beyond 2^53, a transformer refusing a value, a
 *   `log1p` within a few ulps of a Float32 rounding boundary) are answered with a
 *   {@link RowFallback}, and the caller scores them with `scoreRows`.
 *
 * Before a compiled scorer is returned it scores probe rows built from the run's training
 * profile and compares everything, model input included, with `scoreRows`; any difference and
 * the run does not compile.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import type { DerivedFeature } from "../config/mod.ts";
import type { ColumnSignature } from "../data/mod.ts";
import { SchemaMismatchError } from "../errors.ts";
import type { Matrix } from "../utils/mod.ts";
import { nullTolerantColumns, scoreRows } from "./inference_pipeline.ts";
import type { RowProblem, ScoredRows } from "./inference_pipeline.ts";
import type { RunArtifacts } from "./run_artifacts.ts";

/** The predictions of the rows the row engine could score, in input order. */
export interface RowPredictions {
  /** Kept input columns (the `keep` argument), values as given. */
  kept: Map<string, unknown[]>;
  /** The predicted class, or the predicted value for regression. */
  prediction: (string | number)[];
  /** The classes, in the model's order (empty for regression). */
  classes: readonly string[];
  /** Classification: one array per class (`proba_<class>`), aligned with `classes`. */
  probabilities: Float64Array[] | null;
}

/** What the row engine answers for rows it can score exactly: the fields of `ScoredRows`. */
export interface RowScores {
  /** Always `false`: these are the answers. */
  fallback: false;
  /** The predictions of the rows that could be scored, or `null` when none could. */
  predictions: RowPredictions | null;
  /** Every problem found, by row (1-based) and column, in `scoreRows` order. */
  problems: RowProblem[];
  /** Rows that could not be scored (1-based). */
  rejected: number[];
  /** Per categorical column: values never seen in training. */
  unseen_categories: Record<string, number>;
  /** Per numeric column: values outside the training range. */
  out_of_range: Record<string, number>;
  /** Input columns the run does not use. */
  extra_columns: string[];
  /** The model input of the scored rows, or `null` when none could be scored. */
  input: Matrix | null;
}

/** The row engine's answer when the rows need the polars path to be answered exactly. */
export interface RowFallback {
  /** Always `true`: score these rows with `scoreRows`. */
  fallback: true;
  /** Why, e.g. `date "2020-1-2" of "Year" is not in a form the row engine parses`. */
  reason: string;
}

/** The outcome of scoring rows with a {@link RowScorer}. */
export type RowScoreOutcome = RowScores | RowFallback;

/** A run compiled for scoring rows without polars; build it with {@link compileRowScorer}. */
export interface RowScorer {
  /** The run it scores with. */
  readonly runId: string;
  /**
   * Scores row objects (values as JSON gives them: text, numbers, booleans, null).
   *
   * @param rows the rows; a field missing from a row is null
   * @param keep input fields copied into the predictions, in order
   * @returns the scores, or a fallback when `scoreRows` must answer these rows
   * @throws {SchemaMismatchError} when no row holds a column the run needs, or a kept column
   * @throws {TypeError} when a value is an object, an array or another non-JSON-scalar value
   */
  score(rows: readonly Record<string, unknown>[], keep?: readonly string[]): RowScoreOutcome;
  /**
   * Scores rows given column by column (the map's order is the column order).
   *
   * @param columns the values of each column, all of the same length
   * @param keep input columns copied into the predictions, in order
   * @returns the scores, or a fallback when `scoreRows` must answer these rows
   * @throws {SchemaMismatchError} when a column the run needs, or a kept column, is missing
   * @throws {TypeError} when a value is not text, a number, a boolean or null
   * @throws {RangeError} when the columns differ in length
   */
  scoreColumns(
    columns: ReadonlyMap<string, readonly unknown[]>,
    keep?: readonly string[],
  ): RowScoreOutcome;
}

/** Options of {@link compileRowScorer}. */
export interface CompileRowScorerOptions {
  /**
   * Score probe rows (built from the training profile) with both engines and refuse to
   * compile on any difference.
   * @default true
   */
  verify?: boolean;
  /**
   * Called with the reason when the run does not compile.
   * @default null
   */
  onUnsupported?: ((reason: string) => void) | null;
}

/** Defaults of {@link CompileRowScorerOptions}. */
export const DEFAULT_COMPILE_ROW_SCORER_OPTIONS: Readonly<Required<CompileRowScorerOptions>> = {
  verify: true,
  onUnsupported: null,
};

/**
 * Compiles a run into a row engine, or returns `null` when the run uses something the engine
 * cannot reproduce exactly (the caller then scores with `scoreRows`).
 *
 * Supported: every input kind of the signature; all cleaning steps; every derived feature kind;
 * `StandardScaler`, `MinMaxScaler`, `RobustScaler`, `OneHotEncoder` (`top_n`,
 * `handle_unknown`, `handle_null`), `OrdinalEncoder`, `SimpleImputer`, `Log1pTransformer` and
 * `QuantileBinner` with the options they have today; the feature selector.
 *
 * @param run the loaded run
 * @param options verification and the callback told why a run does not compile
 * @returns the compiled scorer, or `null`
 * @example
 * ```ts
 * const scorer = compileRowScorer(run);
 * const outcome = scorer?.score([{ Island: "Dream", ... }]);
 * if (outcome === undefined || outcome.fallback) scoreRows(run, frame);
 * ```
 */
export function compileRowScorer(
  run: RunArtifacts,
  options: CompileRowScorerOptions = {},
): RowScorer | null {
  const settings = { ...DEFAULT_COMPILE_ROW_SCORER_OPTIONS, ...options };
  let scorer: CompiledRowScorer;
  try {
    scorer = new CompiledRowScorer(run);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    settings.onUnsupported?.(error.reason);
    return null;
  }
  if (settings.verify) {
    const difference = verifyScorer(run, scorer);
    if (difference !== null) {
      settings.onUnsupported?.(difference);
      return null;
    }
  }
  return scorer;
}

/**
 * Gathers row objects into columns: every field of any row, in the order first seen; a field
 * missing from a row is `undefined` there.
 *
 * @param rows the rows
 * @returns the columns
 * @example
 * ```ts
 * rowsToColumns([{ a: 1 }, { b: "x" }]); // Map { a: [1, undefined], b: [undefined, "x"] }
 * ```
 */
export function rowsToColumns(rows: readonly Record<string, unknown>[]): Map<string, unknown[]> {
  const columns = new Map<string, unknown[]>();
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      let values = columns.get(key);
      if (values === undefined) {
        values = new Array<unknown>(rows.length).fill(undefined);
        columns.set(key, values);
      }
      values[i] = row[key];
    }
  });
  return columns;
}

/**
 * Builds the polars frame `scoreRows` scores for the same columns: the definition of "the same
 * rows" the row engine answers like. A numeric input column whose values are all numbers (or
 * null) is Float64; any other column is text, numbers and booleans written as `String(value)`.
 * A column of another input is Float64 when all its values are numbers, else text.
 *
 * @param run the run (its signature decides the input columns)
 * @param columns the values per column, in column order
 * @returns the frame
 * @throws {TypeError} when a value is not text, a number, a boolean or null
 * @throws {RangeError} when the columns differ in length
 * @example
 * ```ts
 * const frame = columnsToFrame(run, rowsToColumns(rows));
 * scoreRows(run, frame);
 * ```
 */
export function columnsToFrame(
  run: RunArtifacts,
  columns: ReadonlyMap<string, readonly unknown[]>,
): DataFrame {
  const kinds = new Map(run.signature.columns.map((c) => [c.name, c.kind]));
  columnLength(columns);
  const series = [...columns].map(([name, raw]) => {
    const values = raw.map((value, i) => scalar(value, name, i));
    const kind = kinds.get(name);
    const numeric = (kind === "numeric" || kind === undefined) &&
      values.every((v) => v === null || typeof v === "number");
    if (numeric) return pl.Series(name, values, pl.Float64);
    return pl.Series(name, values.map((v) => (v === null ? null : String(v))), pl.Utf8);
  });
  return series.length === 0 ? pl.DataFrame({}) : pl.DataFrame(series);
}

/**
 * Builds the polars frame `scoreRows` scores for the same row objects (see
 * {@link columnsToFrame}).
 *
 * @param run the run
 * @param rows the rows
 * @returns the frame
 * @throws {TypeError} when a value is not text, a number, a boolean or null
 * @example
 * ```ts
 * scoreRows(run, rowsToFrame(run, [{ Island: "Dream", ... }]));
 * ```
 */
export function rowsToFrame(
  run: RunArtifacts,
  rows: readonly Record<string, unknown>[],
): DataFrame {
  return columnsToFrame(run, rowsToColumns(rows));
}

// ---------------------------------------------------------------- values

/** Polars dtypes a column can have on the row path. */
type Dtype = "f64" | "i64" | "str" | "dt";

/** A parsed date or time: the parts derived features read. */
class DateValue {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour: number,
    readonly minute: number,
  ) {}

  /** ISO weekday: 1 = Monday … 7 = Sunday (proleptic Gregorian calendar). */
  get weekday(): number {
    const days = daysFromCivil(this.year, this.month, this.day); // 1970-01-01 was a Thursday
    return ((((days + 3) % 7) + 7) % 7) + 1;
  }
}

/** One cell on the row path: f64 and i64 as numbers (NaN kept), text, a date, or null. */
type Value = number | string | DateValue | null;

/** Thrown while compiling: the run uses something the row engine does not reproduce. */
class Unsupported {
  constructor(readonly reason: string) {}
}

/** Thrown while scoring: these rows must go to `scoreRows`. */
class Fallback {
  constructor(readonly reason: string) {}
}

/**
 * How far outside the training range, in range widths, `scoreRows` refuses a number (its
 * `MAX_RANGE_MULTIPLE`; the service's `maxRangeMultiple` default).
 */
const MAX_RANGE_MULTIPLE = 1_000_000;

/** The values below and above which `scoreRows` refuses a number of a column. */
function refusalLimits(min: number, max: number): [number, number] {
  const width = max - min;
  const limit = MAX_RANGE_MULTIPLE * (width > 0 ? width : Math.max(Math.abs(max), 1));
  return [min - limit, max + limit];
}

const LARGEST_EXACT_INTEGER = 2 ** 53;
const INT64_MIN = -(2 ** 63);
const INT64_LIMIT = 2 ** 63;

/** Polars' text to Float64 cast accepts exactly these (checked against polars). */
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_TEXT = /^([+-]?)(inf|infinity|nan)$/i;

/** Parses text as polars' non-strict cast to Float64 does; `null` where polars gives null. */
function parseFloatText(text: string): number | null {
  if (DECIMAL_TEXT.test(text)) return Number(text);
  const special = SPECIAL_TEXT.exec(text);
  if (special === null) return null;
  if (special[2]!.toLowerCase() === "nan") return NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/** Rust's `char::is_whitespace`, which polars' `str.strip()` uses (JS `trim` differs). */
function isRustWhitespace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x85 || code === 0xa0 ||
    code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 ||
    code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000;
}

/** Polars' `str.strip()`: leading and trailing Unicode white space removed. */
function stripText(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isRustWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isRustWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Code points below this have had the same case mappings in JavaScript's and Rust's Unicode
 * tables for decades; above it, newer Unicode versions may differ, so such text falls back.
 */
const STABLE_CASE_LIMIT = 0x0530;

function changeCase(text: string, mode: "lower" | "upper", column: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= STABLE_CASE_LIMIT) {
      throw new Fallback(
        `the case of ${JSON.stringify(text)} in "${column}" depends on the Unicode version`,
      );
    }
  }
  return mode === "lower" ? text.toLowerCase() : text.toUpperCase();
}

/** The dates and times the row engine parses; other forms with digits fall back to polars. */
const CANONICAL_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/;

/** The formats `scoreRows` tries for a text date column, most specific first. */
const DATE_FORMAT_COUNT = 5;
/** Which shapes parse under each format (polars, `exact: false`): T, space, date only. */
const FORMAT_ACCEPTS: readonly (readonly DateShape[])[] = [
  ["T"], // %Y-%m-%dT%H:%M:%S%.f
  ["S"], // %Y-%m-%d %H:%M:%S%.f
  ["T"], // %Y-%m-%dT%H:%M:%S
  ["S"], // %Y-%m-%d %H:%M:%S
  ["D", "T", "S"], // %Y-%m-%d (a time after the date is ignored)
];
/** The format whose parse keeps only the date. */
const DATE_ONLY_FORMAT = 4;

type DateShape = "D" | "T" | "S" | "none";

interface ShapedDate {
  shape: DateShape;
  value: DateValue | null;
}

function shapeDate(text: string, column: string): ShapedDate {
  const match = CANONICAL_DATE.exec(text);
  if (match === null) {
    // Every format needs digits: text without any never parses.
    if (!/[0-9]/.test(text)) return { shape: "none", value: null };
    throw new Fallback(
      `date ${JSON.stringify(text)} of "${column}" is not in a form the row engine parses`,
    );
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const invalid = () =>
    new Fallback(`date ${JSON.stringify(text)} of "${column}" is not a valid date or time`);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw invalid();
  if (match[4] === undefined) return { shape: "D", value: new DateValue(year, month, day, 0, 0) };
  const hour = Number(match[5]);
  const minute = Number(match[6]);
  const second = Number(match[7]);
  if (hour > 23 || minute > 59 || second > 59) throw invalid();
  return {
    shape: match[4] === "T" ? "T" : "S",
    value: new DateValue(year, month, day, hour, minute),
  };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** The next Float64 above a finite `x`. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  F64[0] = x;
  U64[0] = x > 0 ? U64[0]! + 1n : U64[0]! - 1n;
  return F64[0]!;
}

/** A finite `x` moved `steps` Float64 values up (positive) or down (negative). */
function moveUlps(x: number, steps: number): number {
  let y = x;
  for (let k = 0; k < Math.abs(steps); k++) y = steps > 0 ? nextUp(y) : -nextUp(-y);
  return y;
}

/**
 * How far (in Float64 values) polars' `log1p` (the platform libm) may differ from
 * `Math.log1p`: both are within 1 ulp of the exact value, so they differ by under 2.
 */
const LOG1P_SLACK_ULPS = 4;

function toNumber(value: Value): number | null {
  return typeof value === "number" ? value : null;
}

/** Polars comparisons order NaN above every number. */
function lessThan(x: number, bound: number): boolean {
  return !Number.isNaN(x) && (Number.isNaN(bound) || x < bound);
}

function greaterThan(x: number, bound: number): boolean {
  return Number.isNaN(x) ? !Number.isNaN(bound) : x > bound;
}

function scalar(value: unknown, column: string, row: number): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "boolean") return String(value);
  throw new TypeError(
    `Cannot score the rows: field "${column}" of row ${row + 1} is ${
      Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value
    }, expected text, a number, a boolean or null`,
  );
}

function columnLength(columns: ReadonlyMap<string, readonly unknown[]>): number {
  let count: number | null = null;
  for (const [name, values] of columns) {
    if (count === null) count = values.length;
    else if (values.length !== count) {
      throw new RangeError(
        `Cannot score the rows: column "${name}" has ${values.length} values, expected ${count} like the first column`,
      );
    }
  }
  return count ?? 0;
}

// ---------------------------------------------------------------- compiling

interface InputColumn {
  signature: ColumnSignature;
  name: string;
  /** An integer column: parsed as Int64. */
  integer: boolean;
  /** Its text for "cannot parse … as …". */
  describe: string;
  /** Nulls are handled by cleaning or a feature step, so a missing value is not a problem. */
  tolerant: boolean;
  /** Categorical: the training categories. */
  categories: Set<string> | null;
  /** Numeric with a finite training range: the range. */
  range: [number, number] | null;
  /** Numeric with a finite training range: the values beyond which a row is refused. */
  limits: [number, number] | null;
}

/** A per-cell operation of the cleaning, in `applyCleaning` order. */
interface CellOperation {
  column: number;
  apply: (value: Value) => Value;
}

/** A transformer compiled to a function of one row of its step's frame. */
type RowTransform = (values: Value[], log1pShift: number) => Value[];

interface StepProgram {
  /** Positions of the step's input columns in the frame (inputs, then derived features). */
  sources: number[];
  transforms: RowTransform[];
  /** Whether the step takes a log1p, whose result is then checked for rounding ties. */
  usesLog1p: boolean;
  name: string;
}

interface TransformerJson {
  kind: string;
  version: number;
  params: Record<string, unknown>;
  state: Record<string, unknown>;
}

class CompiledRowScorer implements RowScorer {
  readonly runId: string;
  #run: RunArtifacts;
  #inputs: InputColumn[];
  #cleaning: CellOperation[];
  #derived: ((row: Value[]) => Value)[];
  #steps: StepProgram[];
  /** Positions of the model's input columns among the steps' outputs. */
  #matrixColumns: number[];
  #matrixNames: string[];
  #target: string;
  #classes: string[];

  constructor(run: RunArtifacts) {
    this.#run = run;
    this.runId = run.id;
    const { config } = run.loaded;
    this.#target = config.data.target;
    this.#classes = [...run.model.classes];
    const tolerant = nullTolerantColumns(run);
    this.#inputs = run.signature.columns.map((signature) => {
      if (!["numeric", "categorical", "temporal"].includes(signature.kind)) {
        throw new Unsupported(`input column "${signature.name}" has kind "${signature.kind}"`);
      }
      const integer = signature.kind === "numeric" && /^U?Int/.test(signature.dtype);
      return {
        signature,
        name: signature.name,
        integer,
        describe: signature.kind === "numeric"
          ? (integer ? "an integer" : "a number")
          : signature.kind === "temporal"
          ? "a date or time (ISO 8601)"
          : "text",
        tolerant: tolerant.has(signature.name),
        categories: signature.kind === "categorical" ? new Set(signature.categories) : null,
        range: signature.kind === "numeric" && Number.isFinite(signature.min)
          ? [signature.min, signature.max]
          : null,
        limits: signature.kind === "numeric" && Number.isFinite(signature.min) &&
            Number.isFinite(signature.max)
          ? refusalLimits(signature.min, signature.max)
          : null,
      };
    });
    const dtypes: Dtype[] = this.#inputs.map((c) =>
      c.signature.kind === "categorical"
        ? "str"
        : c.signature.kind === "temporal"
        ? "dt"
        : c.integer
        ? "i64"
        : "f64"
    );
    const names = this.#inputs.map((c) => c.name);
    this.#cleaning = compileCleaning(run, names, dtypes);
    this.#derived = compileDerived(config.features.derived, names, dtypes);
    const compiled = compileSteps(run, names, dtypes);
    this.#steps = compiled.steps;
    const outputs = compiled.outputs;
    let selected = outputs;
    if (run.selector !== null) {
      const kept = run.selector.keptColumns();
      const missing = kept.filter((name) => !outputs.includes(name));
      if (missing.length > 0) {
        throw new Unsupported(`the selector keeps ${JSON.stringify(missing)}, not features`);
      }
      selected = kept;
    }
    const absent = run.names.filter((name) => !selected.includes(name));
    if (absent.length > 0) {
      throw new Unsupported(`model inputs ${JSON.stringify(absent)} are not features`);
    }
    this.#matrixNames = [...run.names];
    this.#matrixColumns = run.names.map((name) => outputs.indexOf(name));
  }

  score(rows: readonly Record<string, unknown>[], keep: readonly string[] = []): RowScoreOutcome {
    return this.scoreColumns(rowsToColumns(rows), keep);
  }

  scoreColumns(
    columns: ReadonlyMap<string, readonly unknown[]>,
    keep: readonly string[] = [],
  ): RowScoreOutcome {
    const found = [...columns.keys()];
    const needed = this.#inputs.map((c) => c.name);
    const missing = needed.filter((name) => !columns.has(name));
    if (missing.length > 0) {
      throw new SchemaMismatchError(
        `Cannot score "the request": missing column(s) ${
          JSON.stringify(missing)
        } that the model needs (expected ${JSON.stringify(needed)}, found ${
          JSON.stringify(found)
        })`,
      );
    }
    const absentKept = keep.filter((name) => !columns.has(name));
    if (absentKept.length > 0) {
      throw new SchemaMismatchError(
        `Cannot keep column(s) ${
          JSON.stringify(absentKept)
        } in the output: the input has no such column (found ${JSON.stringify(found)})`,
      );
    }
    const count = columnLength(columns);
    // Every value is checked, as columnsToFrame checks them for the polars path.
    const scalars = new Map(
      [...columns].map(([name, values]) => [name, values.map((v, i) => scalar(v, name, i))]),
    );
    const raw = this.#inputs.map((c) => scalars.get(c.name)!);
    try {
      return this.#score(columns, raw, count, keep);
    } catch (error) {
      if (error instanceof Fallback) return { fallback: true, reason: error.reason };
      throw error;
    }
  }

  #score(
    columns: ReadonlyMap<string, readonly unknown[]>,
    rawColumns: (string | number | null)[][],
    count: number,
    keep: readonly string[],
  ): RowScores {
    const outputNames = new Set([
      "prediction",
      ...(this.#run.model.task === "regression" ? [] : this.#classes.map((c) => `proba_${c}`)),
    ]);
    const clash = keep.find((name) => outputNames.has(name));
    if (clash !== undefined) throw new Fallback(`kept column "${clash}" clashes with an output`);

    const problems: RowProblem[] = [];
    const bad = new Set<number>();
    // Parse, recording problems check by check as `scoreRows` does.
    const parsed: Value[][] = this.#inputs.map((input, j) => {
      const { values, problems: found } = parseColumn(input, rawColumns[j]!);
      for (const list of found) {
        for (const problem of list) {
          bad.add(problem.row - 1);
          problems.push(problem);
        }
      }
      return values;
    });
    // Clean every row (counters include rows with problems).
    const rows: Value[][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const row = parsed.map((values): Value => values[i] ?? null);
      for (const operation of this.#cleaning) {
        row[operation.column] = operation.apply(row[operation.column]!);
      }
      rows[i] = row;
    }
    const parseBad = new Set(bad);
    const unseen: Record<string, number> = {};
    const outOfRange: Record<string, number> = {};
    this.#inputs.forEach((input, j) => {
      if (!input.tolerant) {
        const numeric = input.signature.kind === "numeric";
        for (let i = 0; i < count; i++) {
          if (parseBad.has(i)) continue;
          const value = rows[i]![j]!;
          if (value === null || (numeric && Number.isNaN(value))) {
            bad.add(i);
            problems.push({ row: i + 1, column: input.name, problem: "missing value" });
          }
        }
      }
      let hits = 0;
      if (input.categories !== null) {
        for (let i = 0; i < count; i++) {
          const value = rows[i]![j];
          if (value !== null && !input.categories.has(value as string)) hits++;
        }
        if (hits > 0) unseen[input.name] = hits;
      } else if (input.range !== null) {
        const [min, max] = input.range;
        for (let i = 0; i < count; i++) {
          const value = rows[i]![j];
          if (
            typeof value === "number" && (lessThan(value, min) || greaterThan(value, max))
          ) hits++;
        }
        if (hits > 0) outOfRange[input.name] = hits;
      }
    });
    problems.sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));

    const used = new Set([...this.#inputs.map((c) => c.name), ...keep, this.#target]);
    const result: RowScores = {
      fallback: false,
      predictions: null,
      problems,
      rejected: [...bad].sort((a, b) => a - b).map((i) => i + 1),
      unseen_categories: unseen,
      out_of_range: outOfRange,
      extra_columns: [...columns.keys()].filter((name) => !used.has(name)),
      input: null,
    };
    const good: number[] = [];
    for (let i = 0; i < count; i++) if (!bad.has(i)) good.push(i);
    if (good.length === 0) return result;

    const input = this.#matrix(good.map((i) => rows[i]!));
    const output = this.#run.model.predict(input);
    result.input = input;
    result.predictions = this.#predictions(output, good, columns, keep);
    return result;
  }

  /** Derived features, feature steps and selection of the rows to score, as the model input. */
  #matrix(rows: Value[][]): Matrix {
    const cols = this.#matrixColumns.length;
    const data = new Float32Array(rows.length * cols);
    rows.forEach((cleaned, r) => {
      const row = [...cleaned];
      for (const derive of this.#derived) row.push(derive(row));
      const features: Value[] = [];
      for (const step of this.#steps) features.push(...runStep(step, row));
      for (let j = 0; j < cols; j++) {
        const value = features[this.#matrixColumns[j]!]!;
        if (value === null) {
          throw new Fallback(
            `feature "${this.#matrixNames[j]}" is null, which the model input refuses`,
          );
        }
        data[r * cols + j] = value as number;
      }
    });
    return { data, rows: rows.length, cols };
  }

  #predictions(
    output: Float32Array,
    good: number[],
    columns: ReadonlyMap<string, readonly unknown[]>,
    keep: readonly string[],
  ): RowPredictions {
    const kept = new Map(
      keep.map((name) => {
        const values = columns.get(name)!;
        return [name, good.map((i) => values[i] ?? null)];
      }),
    );
    if (this.#run.model.task === "regression") {
      return { kept, prediction: Array.from(output), classes: [], probabilities: null };
    }
    const classes = this.#classes;
    const k = classes.length;
    const n = good.length;
    const prediction = new Array<string>(n);
    const probabilities = classes.map(() => new Float64Array(n));
    for (let i = 0, base = 0; i < n; i++, base += k) {
      let best = 0;
      for (let j = 0; j < k; j++) {
        const p = output[base + j]!;
        probabilities[j]![i] = p;
        if (p > output[base + best]!) best = j;
      }
      prediction[i] = classes[best]!;
    }
    return { kept, prediction, classes, probabilities };
  }
}

/** Runs one feature step on a row; checks that a log1p cannot round differently in polars. */
function runStep(step: StepProgram, row: Value[]): Value[] {
  const evaluate = (shift: number) => {
    let values = step.sources.map((source): Value => row[source] ?? null);
    for (const transform of step.transforms) values = transform(values, shift);
    return values;
  };
  const values = evaluate(0);
  if (step.usesLog1p) {
    // Every transform after a log1p is non-decreasing, so polars' result lies between these.
    const low = evaluate(-LOG1P_SLACK_ULPS);
    const high = evaluate(LOG1P_SLACK_ULPS);
    values.forEach((value, k) => {
      const f32 = (v: Value) => (typeof v === "number" ? Math.fround(v) : v);
      if (!Object.is(f32(low[k]!), f32(value)) || !Object.is(f32(high[k]!), f32(value))) {
        throw new Fallback(
          `a log1p in step "${step.name}" lies too close to a Float32 rounding boundary`,
        );
      }
    });
  }
  return values;
}

/** Parses one input column as `scoreRows` does, with its parse problems check by check. */
function parseColumn(
  input: InputColumn,
  raw: (string | number | null)[],
): { values: Value[]; problems: RowProblem[][] } {
  const kind = input.signature.kind;
  const count = raw.length;
  const values: Value[] = new Array(count);
  const cannotParse: RowProblem[] = [];
  const notFinite: RowProblem[] = [];
  const tooFar: RowProblem[] = [];
  // The frame column is Float64 when every value is a number, text otherwise.
  const textSource = kind !== "numeric" || raw.some((v) => typeof v === "string");
  const source = raw.map((v) => (v === null ? null : textSource ? String(v) : v));
  const problem = (i: number, text: string) => ({ row: i + 1, column: input.name, problem: text });

  if (kind === "categorical") {
    for (let i = 0; i < count; i++) values[i] = source[i]!;
    return { values, problems: [] };
  }
  if (kind === "temporal") {
    const format = dateFormat(source as (string | null)[], input.name);
    for (let i = 0; i < count; i++) {
      const text = source[i] as string | null;
      if (text === null) {
        values[i] = null;
        continue;
      }
      const shaped = shapeDate(stripText(text), input.name);
      let value: DateValue | null = null;
      if (FORMAT_ACCEPTS[format]!.includes(shaped.shape)) {
        value = shaped.value!;
        if (format === DATE_ONLY_FORMAT) {
          value = new DateValue(value.year, value.month, value.day, 0, 0);
        }
      }
      values[i] = value;
      if (value === null) {
        cannotParse.push(problem(i, `cannot parse ${JSON.stringify(text)} as ${input.describe}`));
      }
    }
    return { values, problems: [cannotParse] };
  }
  for (let i = 0; i < count; i++) {
    const given = source[i]!;
    if (given === null) {
      values[i] = null;
      continue;
    }
    let number = typeof given === "number" ? given : parseFloatText(stripText(given));
    if (number !== null && input.integer) {
      // A fractional, non-finite or out-of-range value does not parse as an integer.
      if (!Number.isFinite(number) || number !== Math.floor(number)) number = null;
      else if (number < INT64_MIN || number >= INT64_LIMIT) number = null;
      else if (Math.abs(number) > LARGEST_EXACT_INTEGER) {
        throw new Fallback(`integer ${JSON.stringify(given)} of "${input.name}" is beyond 2^53`);
      } else number = number + 0; // -0 becomes 0, as in Int64
    }
    values[i] = number;
    const shown = textSource ? JSON.stringify(given) : String(given);
    if (number === null) {
      cannotParse.push(problem(i, `cannot parse ${JSON.stringify(given)} as ${input.describe}`));
    } else if (Number.isNaN(number) || Math.abs(number) === Infinity) {
      notFinite.push(problem(i, `not a finite number: ${shown}`));
    } else if (input.limits !== null && (number < input.limits[0] || number > input.limits[1])) {
      const { min, max } = input.signature as { min: number; max: number };
      tooFar.push(problem(
        i,
        `value ${shown} is too far outside the training range [${min}, ${max}] to score (more than ${MAX_RANGE_MULTIPLE} times its width away); check the units`,
      ));
    }
  }
  return { values, problems: [cannotParse, notFinite, tooFar] };
}

/** The format `scoreRows` picks for a text date column: the first that parses every one of its first 100 values that some format parses. */
function dateFormat(source: (string | null)[], column: string): number {
  const sample: DateShape[] = [];
  for (const value of source) {
    if (value === null) continue;
    sample.push(shapeDate(stripText(value), column).shape);
    if (sample.length === 100) break;
  }
  // As `scoreRows`: values no format parses do not decide the format.
  const usable = sample.filter((shape) =>
    FORMAT_ACCEPTS.some((accepts) => accepts.includes(shape))
  );
  for (let format = 0; format < DATE_FORMAT_COUNT; format++) {
    if (usable.every((shape) => FORMAT_ACCEPTS[format]!.includes(shape))) return format;
  }
  return 0;
}

/** The cleaning `scoreRows` applies (drop duplicates off, no rows dropped), cell by cell. */
function compileCleaning(run: RunArtifacts, names: string[], dtypes: Dtype[]): CellOperation[] {
  const config = run.loaded.config.cleaning;
  const state = run.cleaningState;
  const shaped = typeof state === "object" && state !== null && state.version === 1 &&
    typeof state.fills === "object" && state.fills !== null &&
    typeof state.clip === "object" && state.clip !== null;
  if (!shaped) throw new Unsupported("the cleaning state is not of version 1");
  // Entries naming other columns (the target, ids) have nothing to clean in input rows. Today
  // scoreRows refuses every row of such a config (it cleans a frame of inputs only), and the
  // verification against it keeps such a run from compiling; once scoreRows skips them too,
  // the run compiles.
  const inputs = <T>(record: Record<string, T>) =>
    Object.entries(record).filter(([name]) => names.includes(name));
  const at = (name: string) => names.indexOf(name);
  const operations: CellOperation[] = [];

  if (config.trim_strings) {
    dtypes.forEach((dtype, column) => {
      if (dtype === "str") {
        operations.push({ column, apply: (v) => (typeof v === "string" ? stripText(v) : v) });
      }
    });
  }
  for (const [name, mode] of inputs(config.normalize_case)) {
    const column = at(name);
    if (dtypes[column] !== "str") throw new Unsupported(`normalize_case of non-text "${name}"`);
    operations.push({
      column,
      apply: (v) => (typeof v === "string" ? changeCase(v, mode, name) : v),
    });
  }
  for (const [name, list] of inputs(config.na_values)) {
    const column = at(name);
    const dtype = dtypes[column]!;
    if (dtype === "str") {
      const missing = new Set(list.map(String));
      operations.push({ column, apply: (v) => (missing.has(v as string) ? null : v) });
      continue;
    }
    if (dtype === "dt") throw new Unsupported(`na_values of date column "${name}"`);
    const numbers = list.filter((v): v is number => typeof v === "number");
    const exact = numbers.length === list.length &&
      numbers.every((v) => Number.isFinite(v) && (dtype === "f64" || Number.isInteger(v)));
    if (!exact) throw new Unsupported(`na_values ${JSON.stringify(list)} of "${name}"`);
    const missing = new Set(numbers);
    operations.push({ column, apply: (v) => (v !== null && missing.has(v as number) ? null : v) });
  }
  const fills: CellOperation[] = [];
  for (const [name, rule] of inputs(config.nulls)) {
    if (rule.strategy === "drop") continue;
    const fill = state.fills[name];
    const matches = fill !== undefined && fill.strategy === rule.strategy &&
      (rule.strategy !== "constant" || fill.value === rule.value);
    if (!matches) throw new Unsupported(`the cleaning state has no matching fill for "${name}"`);
    const column = at(name);
    const dtype = dtypes[column]!;
    const value = fill.value;
    if (fill.strategy === "mean" || fill.strategy === "median") {
      if ((dtype !== "f64" && dtype !== "i64") || typeof value !== "number") {
        throw new Unsupported(`${fill.strategy} fill of "${name}" (${dtype})`);
      }
      dtypes[column] = "f64";
      fills.push({
        column,
        apply: (v) => (v === null || Number.isNaN(v) ? value : v),
      });
      continue;
    }
    const ok = dtype === "str"
      ? typeof value === "string"
      : dtype === "f64"
      ? typeof value === "number"
      : dtype === "i64"
      ? typeof value === "number" && Number.isInteger(value) &&
        Math.abs(value) <= LARGEST_EXACT_INTEGER
      : false;
    if (!ok) throw new Unsupported(`${fill.strategy} fill ${JSON.stringify(value)} of "${name}"`);
    const filler = value as string | number;
    fills.push({
      column,
      apply: dtype === "f64"
        ? (v) => (v === null || Number.isNaN(v) ? filler : v)
        : (v) => (v === null ? filler : v),
    });
  }
  operations.push(...fills);
  for (const [name] of inputs(config.clip)) {
    const column = at(name);
    const dtype = dtypes[column]!;
    if (dtype !== "f64" && dtype !== "i64") throw new Unsupported(`clip of "${name}" (${dtype})`);
    const bounds = state.clip[name];
    if (bounds === undefined) throw new Unsupported(`the cleaning state has no clip of "${name}"`);
    const { lower, upper } = bounds;
    const fractional = [lower, upper].some((b) => b !== null && !Number.isInteger(b));
    if (dtype === "i64" && fractional) dtypes[column] = "f64";
    const unexact = [lower, upper].some((b) =>
      b !== null && (!Number.isFinite(b) || (dtypes[column] === "i64" &&
        Math.abs(b) > LARGEST_EXACT_INTEGER))
    );
    if (unexact) throw new Unsupported(`clip bounds of "${name}"`);
    operations.push({
      column,
      apply: (v) => {
        if (typeof v !== "number") return v;
        if (lower !== null && lessThan(v, lower)) return lower;
        if (upper !== null && !Number.isNaN(v) && v > upper) return upper;
        return v;
      },
    });
  }
  return operations;
}

/** Derived features, each a function of a row holding the inputs and the earlier features. */
function compileDerived(
  derived: readonly DerivedFeature[],
  names: string[],
  dtypes: Dtype[],
): ((row: Value[]) => Value)[] {
  const columns = [...names];
  const types = [...dtypes];
  return derived.map((feature) => {
    if (columns.includes(feature.name)) {
      throw new Unsupported(`derived feature "${feature.name}" repeats a column name`);
    }
    const source = (name: string, wanted: readonly Dtype[]) => {
      const position = columns.indexOf(name);
      if (position < 0 || !wanted.includes(types[position]!)) {
        throw new Unsupported(`derived feature "${feature.name}" cannot read "${name}"`);
      }
      return position;
    };
    let derive: (row: Value[]) => Value;
    switch (feature.kind) {
      case "ratio":
      case "product":
      case "difference":
      case "sum": {
        const a = source(feature.columns[0], ["f64", "i64"]);
        const b = source(feature.columns[1], ["f64", "i64"]);
        const op = feature.kind;
        derive = (row) => {
          const x = toNumber(row[a]!);
          const y = toNumber(row[b]!);
          if (x === null || y === null) return null;
          if (op === "ratio") return y === 0 ? null : x / y;
          return op === "product" ? x * y : op === "difference" ? x - y : x + y;
        };
        break;
      }
      case "date_part": {
        const position = source(feature.column, ["dt"]);
        const part = feature.part;
        if (!["year", "month", "day", "weekday", "hour", "minute"].includes(part)) {
          throw new Unsupported(`date part "${part}"`);
        }
        derive = (row) => {
          const date = row[position];
          if (!(date instanceof DateValue)) return null;
          return part === "year"
            ? date.year
            : part === "month"
            ? date.month
            : part === "day"
            ? date.day
            : part === "weekday"
            ? date.weekday
            : part === "hour"
            ? date.hour
            : date.minute;
        };
        break;
      }
      case "bucket": {
        const position = source(feature.column, ["f64", "i64"]);
        const boundaries = [...feature.boundaries];
        const ascending = boundaries.length > 0 &&
          boundaries.every((b, i) => Number.isFinite(b) && (i === 0 || b > boundaries[i - 1]!));
        if (!ascending) throw new Unsupported(`bucket boundaries of "${feature.name}"`);
        derive = (row) => {
          const x = toNumber(row[position]!);
          if (x === null || Number.isNaN(x)) return null;
          for (let i = 0; i < boundaries.length; i++) if (x < boundaries[i]!) return i;
          return boundaries.length;
        };
        break;
      }
      default:
        throw new Unsupported(
          `derived feature kind ${JSON.stringify((feature as { kind?: unknown }).kind)}`,
        );
    }
    columns.push(feature.name);
    types.push("f64");
    return derive;
  });
}

/** The feature steps as row functions, and the names of their outputs in order. */
function compileSteps(
  run: RunArtifacts,
  inputNames: string[],
  inputTypes: Dtype[],
): { steps: StepProgram[]; outputs: string[] } {
  const frameNames = [...inputNames, ...run.loaded.config.features.derived.map((f) => f.name)];
  const frameTypes: Dtype[] = [
    ...inputTypes,
    ...run.loaded.config.features.derived.map((): Dtype => "f64"),
  ];
  // compileDerived ran first with the cleaned types, so derived features are all Float64.
  const state = run.pipeline.toJSON();
  if (state.version !== 1) throw new Unsupported(`feature pipeline version ${state.version}`);
  const outputs: string[] = [];
  const steps = state.steps.map((step) => {
    const sources = step.columns.map((name) => {
      const position = frameNames.indexOf(name);
      if (position < 0) throw new Unsupported(`step "${step.name}" reads missing "${name}"`);
      return position;
    });
    let columns = step.columns.map((name, k) => ({ name, dtype: frameTypes[sources[k]!]! }));
    const transforms: RowTransform[] = [];
    let usesLog1p = false;
    for (const json of step.transformers as unknown as TransformerJson[]) {
      const compiled = compileTransformer(json, columns, step.name);
      transforms.push(compiled.transform);
      columns = compiled.columns;
      usesLog1p ||= json.kind === "Log1pTransformer";
    }
    const last = step.transformers.at(-1) as unknown as TransformerJson;
    const expected = expectedNames(last);
    const names = columns.map((c) => c.name);
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      throw new Unsupported(`step "${step.name}" outputs ${JSON.stringify(names)}`);
    }
    const nonNumeric = columns.find((c) => c.dtype !== "f64" && c.dtype !== "i64");
    if (nonNumeric !== undefined) {
      throw new Unsupported(`step "${step.name}" outputs non-numeric "${nonNumeric.name}"`);
    }
    outputs.push(...names);
    return { sources, transforms, usesLog1p, name: step.name };
  });
  if (JSON.stringify(outputs) !== JSON.stringify(run.pipeline.featureNamesOut())) {
    throw new Unsupported("the steps' outputs differ from the pipeline's feature names");
  }
  return { steps, outputs };
}

/** The output names the pipeline expects of a step: its last transformer's. */
function expectedNames(json: TransformerJson): string[] {
  const state = json.state;
  const inputs = state["input_columns"] as string[];
  if (json.kind !== "OneHotEncoder") return [...inputs];
  const columns = state["columns"] as string[];
  return inputs.flatMap((name) => {
    const i = columns.indexOf(name);
    return i < 0 ? [name] : oneHotNames(state, i);
  });
}

function oneHotNames(state: Record<string, unknown>, i: number): string[] {
  const name = (state["columns"] as string[])[i]!;
  const names = (state["kept"] as string[][])[i]!.map((category) => `${name}_${category}`);
  if ((state["keep_null"] as boolean[])[i]) names.push(`${name}_null`);
  if (state["other"]) names.push(`${name}_other`);
  return names;
}

interface StepColumn {
  name: string;
  dtype: Dtype;
}

/** What a transformer compiles to: its row function and the step frame it leaves. */
interface CompiledTransform {
  transform: RowTransform;
  columns: StepColumn[];
}

/** A fitted transformer being compiled, with what every kind needs. */
interface TransformerContext {
  state: Record<string, unknown>;
  params: Record<string, unknown>;
  /** The step frame the transformer gets. */
  columns: StepColumn[];
  /** Positions in the frame of the columns it transforms. */
  positions: number[];
  /** By frame position: the column's index in the state arrays. */
  indexOf: Map<number, number>;
  /** Names the transformer in messages. */
  where: string;
}

/** The transformers the row engine reproduces: their options, and how to compile each. */
const TRANSFORMERS: Readonly<
  Record<
    string,
    { params: readonly string[]; compile: (c: TransformerContext) => CompiledTransform }
  >
> = {
  StandardScaler: { params: ["columns"], compile: (c) => compileScaler(c, "mean") },
  RobustScaler: {
    params: ["columns", "quantile_range"],
    compile: (c) => compileScaler(c, "center"),
  },
  MinMaxScaler: { params: ["columns", "feature_range"], compile: compileMinMaxScaler },
  Log1pTransformer: { params: ["columns"], compile: compileLog1p },
  QuantileBinner: { params: ["columns", "n_bins"], compile: compileQuantileBinner },
  SimpleImputer: { params: ["columns", "strategy", "fill_value"], compile: compileImputer },
  OneHotEncoder: {
    params: ["columns", "top_n", "handle_unknown", "handle_null"],
    compile: compileOneHotEncoder,
  },
  OrdinalEncoder: {
    params: ["columns", "unknown_value", "handle_null"],
    compile: compileOrdinalEncoder,
  },
};

/** One fitted transformer as a row function; refuses kinds, options and types it does not know. */
function compileTransformer(
  json: TransformerJson,
  columns: StepColumn[],
  stepName: string,
): CompiledTransform {
  const where = `"${json.kind}" in step "${stepName}"`;
  const known = Object.hasOwn(TRANSFORMERS, json.kind) ? TRANSFORMERS[json.kind] : undefined;
  if (known === undefined) throw new Unsupported(`transformer kind "${json.kind}"`);
  if (json.version !== 1) throw new Unsupported(`${where} state version ${json.version}`);
  const params = json.params ?? {};
  const unknownParams = Object.keys(params).filter((key) => !known.params.includes(key));
  if (unknownParams.length > 0) {
    throw new Unsupported(`${where} options ${JSON.stringify(unknownParams)}`);
  }
  const positions = (json.state["columns"] as string[]).map((name) => {
    const k = columns.findIndex((c) => c.name === name);
    if (k < 0) throw new Unsupported(`${where} transforms missing column "${name}"`);
    return k;
  });
  return known.compile({
    state: json.state,
    params,
    columns,
    positions,
    indexOf: new Map(positions.map((k, i) => [k, i])),
    where,
  });
}

function requireTypes(c: TransformerContext, allowed: readonly Dtype[], what: string): void {
  for (const k of c.positions) {
    if (!allowed.includes(c.columns[k]!.dtype)) {
      throw new Unsupported(`${c.where} needs ${what}, "${c.columns[k]!.name}" is not`);
    }
  }
}

/** The frame after a transformer that turns its columns into Float64 in place. */
function numericOut(c: TransformerContext): StepColumn[] {
  return c.columns.map((column, k) =>
    c.indexOf.has(k) ? { name: column.name, dtype: "f64" as Dtype } : column
  );
}

/** A numeric transform of the transformed columns; other columns and nulls pass through. */
function mapNumbers(
  c: TransformerContext,
  apply: (x: number, i: number, shift: number) => number,
): CompiledTransform {
  requireTypes(c, ["f64", "i64"], "numbers");
  return {
    columns: numericOut(c),
    transform: (values, shift) =>
      values.map((v, k) => {
        const i = c.indexOf.get(k);
        return i === undefined || v === null ? v : apply(v as number, i, shift);
      }),
  };
}

function compileScaler(c: TransformerContext, centreField: string): CompiledTransform {
  const centres = c.state[centreField] as number[];
  // Polars divides by a constant as a multiplication by its reciprocal.
  const inverses = (c.state["scale"] as number[]).map((s) => 1 / s);
  return mapNumbers(c, (x, i) => (x - centres[i]!) * inverses[i]!);
}

function compileMinMaxScaler(c: TransformerContext): CompiledTransform {
  const scale = c.state["scale"] as number[];
  const min = c.state["min"] as number[];
  return mapNumbers(c, (x, i) => x * scale[i]! + min[i]!);
}

function compileLog1p(c: TransformerContext): CompiledTransform {
  return mapNumbers(c, (x, _i, shift) => {
    if (x < -1) throw new Fallback(`${c.where} refuses ${x}, below -1`);
    const y = Math.log1p(x);
    return shift === 0 || !Number.isFinite(y) ? y : moveUlps(y, shift);
  });
}

function compileQuantileBinner(c: TransformerContext): CompiledTransform {
  const inner = (c.state["edges"] as number[][]).map((edges) => edges.slice(1, -1));
  return mapNumbers(c, (x, i) => {
    if (Number.isNaN(x)) return NaN;
    let index = 0;
    for (const edge of inner[i]!) if (!lessThan(x, edge)) index++;
    return index;
  });
}

function compileImputer(c: TransformerContext): CompiledTransform {
  const kinds = c.state["kinds"] as ("numeric" | "text")[];
  const fill = c.state["fill"] as (number | string)[];
  c.positions.forEach((k, i) => {
    const dtype = c.columns[k]!.dtype;
    const kind = dtype === "f64" || dtype === "i64" ? "numeric" : dtype === "str" ? "text" : "";
    const matches = kind === kinds[i] &&
      (kind === "numeric" ? typeof fill[i] === "number" : typeof fill[i] === "string");
    if (!matches) throw new Unsupported(`${c.where} fills "${c.columns[k]!.name}" (${dtype})`);
  });
  return {
    columns: c.columns.map((column, k) => {
      const i = c.indexOf.get(k);
      return i === undefined
        ? column
        : { name: column.name, dtype: kinds[i] === "numeric" ? "f64" : "str" };
    }),
    transform: (values) =>
      values.map((v, k) => {
        const i = c.indexOf.get(k);
        if (i === undefined) return v;
        // Numbers: NaN is missing too.
        return v === null || (kinds[i] === "numeric" && Number.isNaN(v)) ? fill[i]! : v;
      }),
  };
}

function compileOneHotEncoder(c: TransformerContext): CompiledTransform {
  requireTypes(c, ["str", "i64"], "categories");
  const categories = (c.state["categories"] as string[][]).map((list) => new Set(list));
  const hasNull = c.state["has_null"] as boolean[];
  const kept = c.state["kept"] as string[][];
  const keptSets = kept.map((list) => new Set(list));
  const keepNull = c.state["keep_null"] as boolean[];
  const other = c.state["other"] === true;
  const nullAsCategory = c.params["handle_null"] === "category";
  const unknownIsError = c.params["handle_unknown"] === "error";
  const names = new Map(c.positions.map((k, i) => [k, oneHotNames(c.state, i)]));
  const passThrough = new Set(c.columns.filter((_, k) => !c.indexOf.has(k)).map((x) => x.name));
  for (const list of names.values()) {
    const clash = list.find((name) => passThrough.has(name));
    if (clash !== undefined) throw new Unsupported(`${c.where} indicator "${clash}" clashes`);
  }
  return {
    columns: c.columns.flatMap((column, k) =>
      names.get(k)?.map((name) => ({ name, dtype: "f64" as Dtype })) ?? [column]
    ),
    transform: (values) =>
      values.flatMap((v, k) => {
        const i = c.indexOf.get(k);
        if (i === undefined) return [v];
        const text = v === null ? null : String(v);
        if (text === null && !nullAsCategory) {
          throw new Fallback(`${c.where} refuses nulls in "${c.columns[k]!.name}"`);
        }
        const known = text === null ? hasNull[i]! : categories[i]!.has(text);
        if (!known && unknownIsError) {
          throw new Fallback(`${c.where} refuses unseen values of "${c.columns[k]!.name}"`);
        }
        const out: number[] = kept[i]!.map((category) => (text === category ? 1 : 0));
        if (keepNull[i]) out.push(text === null ? 1 : 0);
        if (other) out.push((text === null ? keepNull[i]! : keptSets[i]!.has(text)) ? 0 : 1);
        return out;
      }),
  };
}

function compileOrdinalEncoder(c: TransformerContext): CompiledTransform {
  requireTypes(c, ["str", "i64"], "categories");
  const codes = (c.state["categories"] as string[][]).map((list) =>
    new Map(list.map((category, code) => [category, code]))
  );
  const keepNull = c.params["handle_null"] === "keep";
  const unknownValue = c.params["unknown_value"];
  if (unknownValue !== undefined && typeof unknownValue !== "number") {
    throw new Unsupported(`${c.where} unknown_value ${JSON.stringify(unknownValue)}`);
  }
  return {
    columns: numericOut(c),
    transform: (values) =>
      values.map((v, k) => {
        const i = c.indexOf.get(k);
        if (i === undefined) return v;
        if (v === null) {
          if (!keepNull) throw new Fallback(`${c.where} refuses nulls`);
          return null;
        }
        const code = codes[i]!.get(String(v));
        if (code !== undefined) return code;
        if (unknownValue === undefined) throw new Fallback(`${c.where} refuses unseen values`);
        return unknownValue;
      }),
  };
}

// ---------------------------------------------------------------- verification

/**
 * Scores probe rows with both engines and describes the first difference, or returns `null`
 * when they agree on everything (the model input compared bit for bit).
 */
function verifyScorer(run: RunArtifacts, scorer: RowScorer): string | null {
  const batches = probeBatches(run);
  let scoredAny = false;
  for (const columns of batches) {
    const mine = scorer.scoreColumns(columns);
    const inputs: Matrix[] = [];
    let theirs: ScoredRows;
    try {
      theirs = scoreRows(withModelSpy(run, inputs), columnsToFrame(run, columns));
    } catch (error) {
      return `scoreRows refuses the probe rows: ${(error as Error).message}`;
    }
    if (mine.fallback) return `the probe rows fall back: ${mine.reason}`;
    const difference = compareScores(mine, theirs, inputs[0] ?? null);
    if (difference !== null) return `the probe rows differ from scoreRows: ${difference}`;
    scoredAny ||= mine.predictions !== null;
  }
  return scoredAny ? null : "no probe row could be scored, so nothing was verified";
}

/** Probe rows from the training profile: numbers as numbers, then as text with a bad value. */
function probeBatches(run: RunArtifacts): Map<string, unknown[]>[] {
  const profiles = new Map(run.profile.columns.map((p) => [p.name, p]));
  const percentiles = [50, 0, 100, 25, 75];
  const rows = percentiles.length;
  const typed = new Map<string, unknown[]>();
  for (const column of run.signature.columns) {
    const values: unknown[] = [];
    for (let r = 0; r < rows; r++) {
      if (column.kind === "numeric") {
        const profile = profiles.get(column.name);
        const value = profile?.kind === "numeric"
          ? profile.percentiles[percentiles[r]!] ?? column.min
          : column.min + ((column.max - column.min) * percentiles[r]!) / 100;
        values.push(/^U?Int/.test(column.dtype) ? Math.round(value) : value);
      } else if (column.kind === "categorical") {
        values.push(column.categories[r % Math.max(1, column.categories.length)] ?? "a");
      } else {
        // The signature's earliest value when it reads as an ISO date with a 4-digit year (the
        // signature of a Datetime column can hold a far-off year); any valid date probes.
        const earliest = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(column.min)
          ? column.min
          : "2000-01-01T00:00:00";
        values.push(column.dtype === "Date" ? earliest.slice(0, 10) : earliest.slice(0, 19));
      }
    }
    typed.set(column.name, values);
  }
  // Text with spaces around it: parsing strips them, and cleaning does for categories when
  // it trims strings.
  const kinds = new Map(run.signature.columns.map((c) => [c.name, c.kind]));
  const pad = (name: string) =>
    kinds.get(name) !== "categorical" || run.loaded.config.cleaning.trim_strings;
  const text = new Map(
    [...typed].map((
      [name, values],
    ) => [name, values.map((v) => (pad(name) ? ` ${String(v)} ` : String(v)))]),
  );
  const firstNumeric = run.signature.columns.find((c) => c.kind === "numeric");
  if (firstNumeric !== undefined) text.get(firstNumeric.name)![1] = "not a number";
  return [typed, text];
}

/** The run with a model that records the matrices it is given. */
function withModelSpy(run: RunArtifacts, inputs: Matrix[]): RunArtifacts {
  const model = new Proxy(run.model, {
    get(target, property) {
      if (property === "predict") {
        return (x: Matrix, ...rest: unknown[]) => {
          inputs.push(x);
          return (target.predict as (x: Matrix, ...rest: unknown[]) => Float32Array)(x, ...rest);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...run, model };
}

/** Names what differs between the row engine's and `scoreRows`' answers, or `null`. */
function compareScores(mine: RowScores, theirs: ScoredRows, input: Matrix | null): string | null {
  const fields = [
    "problems",
    "rejected",
    "unseen_categories",
    "out_of_range",
    "extra_columns",
  ] as const;
  const differing: string[] = fields.filter((field) =>
    JSON.stringify(mine[field]) !== JSON.stringify(theirs[field])
  );
  if (!sameBits(mine.input, input)) differing.push("the model input");
  return differing.length === 0 ? null : differing.join(", ");
}

/** Whether two matrices (or their absence) hold the same Float32 bits. */
function sameBits(a: Matrix | null, b: Matrix | null): boolean {
  const view = (m: Matrix | null) =>
    m === null
      ? []
      : [m.rows, m.cols, ...new Uint32Array(m.data.buffer, m.data.byteOffset, m.data.length)];
  return JSON.stringify(view(a)) === JSON.stringify(view(b));
}
