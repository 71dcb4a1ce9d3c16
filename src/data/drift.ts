/**
 * Data drift: compares a batch of new rows with the training profile (`profile.json`) and says,
 * per feature and for the whole batch, whether the distribution has moved.
 *
 * The test for each column follows Evidently's default data-drift algorithm, so results can be
 * compared with an Evidently report on the same data:
 *
 * | reference values (non-null) | numeric, > 5 distinct values | categorical (or numeric with ≤ 5 distinct) | drifted when |
 * | --- | --- | --- | --- |
 * | ≤ 1000 | two-sample Kolmogorov–Smirnov | chi-squared; a proportion z-test when ≤ 2 distinct values | p ≤ 0.05 (KS), p < 0.05 (chi-squared, z) |
 * | > 1000 | Wasserstein distance / reference std | Jensen–Shannon distance (base 2) | distance ≥ 0.1 |
 *
 * Distinct values are counted over reference and current together, after dropping nulls, NaN
 * and infinities, as Evidently does. The batch counts as drifted when at least half of the
 * tested features drift. Every threshold is an option of {@link driftReport}.
 *
 * The statistical tests and distances live in `statistics/`.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Series } from "nodejs-polars";
import { closestMatch, DataValidationError, didYouMean, SchemaMismatchError } from "../errors.ts";
import { isNumericDtype } from "../utils/mod.ts";
import type { ColumnProfile, DataProfile } from "./profile.ts";
import {
  chiSquareTest,
  jensenShannonDistance,
  ksTwoSample,
  proportionZTest,
  quantileWassersteinDistance,
  unionKeys,
  wassersteinDistance,
} from "./statistics/mod.ts";

/** Version of the {@link DriftReport} format. */
export const DRIFT_REPORT_VERSION = 1;

/** The statistical test or distance used for one column; `"none"` when a side had no values. */
export type DriftTestName = "ks" | "chisquare" | "z" | "wasserstein" | "jensenshannon" | "none";

/** Options of {@link driftReport}. */
export interface DriftOptions {
  /**
   * Reference columns with at most this many non-null values get the statistical tests
   * (KS, chi-squared, z); larger ones get the distances (Wasserstein, Jensen–Shannon).
   * @default 1000
   */
  small_reference_rows?: number;
  /**
   * Confidence of the statistical tests: a column drifts when its p-value is at most
   * 1 − confidence (KS) or below it (chi-squared, z), as in Evidently.
   * @default 0.95
   */
  confidence?: number;
  /** A distance of at least this much means the column drifted. @default 0.1 */
  distance_threshold?: number;
  /** The batch drifted when at least this share of the tested features drifted. @default 0.5 */
  dataset_share?: number;
  /** The profiled columns to check, or `null` for all of them. @default null */
  columns?: readonly string[] | null;
}

/** Defaults of {@link DriftOptions}: Evidently's defaults. */
export const DEFAULT_DRIFT_OPTIONS: Readonly<Required<DriftOptions>> = {
  small_reference_rows: 1000,
  confidence: 0.95,
  distance_threshold: 0.1,
  dataset_share: 0.5,
  columns: null,
};

/** The thresholds a report was computed with. */
export interface DriftSettings {
  /** See {@link DriftOptions.small_reference_rows}. */
  small_reference_rows: number;
  /** See {@link DriftOptions.confidence}. */
  confidence: number;
  /** See {@link DriftOptions.distance_threshold}. */
  distance_threshold: number;
  /** See {@link DriftOptions.dataset_share}. */
  dataset_share: number;
}

/** The drift result of one feature. */
export interface ColumnDrift {
  /** Column name as in the data. */
  column: string;
  /** The column's kind in the training profile. */
  kind: "numeric" | "categorical";
  /** The test or distance chosen by the default rule. */
  test: DriftTestName;
  /**
   * The test statistic: KS D, chi-squared, z, normalised Wasserstein distance or
   * Jensen–Shannon distance; `null` when untested. Chi-squared is `Infinity` when the batch
   * holds a category the reference never had (`JSON.stringify` writes that as `null`).
   */
  statistic: number | null;
  /** The p-value of a statistical test; `null` for distances and untested columns. */
  p_value: number | null;
  /** What is compared with `threshold`: the p-value of a test or the distance. */
  score: number | null;
  /** The p-value bound (1 − confidence) of a test, or the distance threshold. */
  threshold: number;
  /** Whether this column drifted. */
  drifted: boolean;
  /**
   * Whether the reference side is the full training column. `false` when the profile only
   * holds a sample (more non-null values than its sample size) or, for the Wasserstein
   * distance, when it is computed from the profile's 101 percentiles.
   */
  exact: boolean;
  /** Non-null reference values: what the test choice depends on. */
  reference_values: number;
  /** Non-null (and, for numbers, finite) values in the batch. */
  current_values: number;
  /** Rows in the batch. */
  current_rows: number;
  /** Share of nulls (and NaN or infinities, for numbers) in training. */
  reference_null_rate: number;
  /** Share of nulls (and NaN or infinities, for numbers) in the batch. */
  current_null_rate: number;
  /** `current_null_rate − reference_null_rate`. */
  null_rate_change: number;
  /** Categorical: share of the batch's non-null values whose category training never saw. */
  unseen_share: number | null;
  /** Numeric: share of the batch's finite values outside the training [min, max]. */
  out_of_range_share: number | null;
}

/** The drift verdict for the whole batch. */
export interface DatasetDrift {
  /** Whether `share_drifted >= dataset_share`. */
  drifted: boolean;
  /** Drifted features over tested features (0 when none was tested). */
  share_drifted: number;
  /** Features that drifted. */
  n_drifted: number;
  /** Features tested. */
  n_columns: number;
  /** Features not tested because the batch or the reference held no values for them. */
  n_skipped: number;
  /** The share threshold used. */
  dataset_share: number;
}

/** The result of {@link driftReport}: what `--drift-report F.json` writes. */
export interface DriftReport {
  /** Format version. */
  version: number;
  /** Rows profiled in training. */
  reference_rows: number;
  /** Rows in the batch. */
  current_rows: number;
  /** The thresholds used. */
  settings: DriftSettings;
  /** One result per checked feature, in profile order. */
  columns: ColumnDrift[];
  /** The batch verdict. */
  dataset: DatasetDrift;
}

/** Evidently's floor for the reference std that normalises the Wasserstein distance. */
const MIN_WASSERSTEIN_NORM = 0.001;

/** Columns with at most this many distinct values are tested as categories (Evidently). */
const MAX_CATEGORY_LIKE_VALUES = 5;

/** Columns with at most this many distinct values get the z-test instead of chi-squared. */
const MAX_BINARY_VALUES = 2;

/**
 * Compares a batch with the training profile, feature by feature, with Evidently's default
 * drift tests (see the module description), and gives the batch verdict.
 *
 * The reference is the stored profile, never the training data:
 * - numeric columns use the profile's sorted sample, which is the whole column when it holds
 *   at most `sampleSize` (1000) non-null values: then KS, chi-squared and z match Evidently
 *   exactly. Larger columns get the Wasserstein distance from the 101 percentiles (see
 *   {@link quantileWassersteinDistance} for the error), normalised by the profile's std; a
 *   large numeric column with ≤ 5 distinct values is compared by Jensen–Shannon over its
 *   sample's value shares. Both are marked `exact: false`.
 * - categorical columns use the stored frequencies, which are exact.
 *
 * Nulls are dropped before testing, and for numbers NaN and infinities too; their share is
 * reported as the null rate. A column with no values on one side is reported with test
 * `"none"` and left out of the batch share.
 *
 * @param profile the run's `profile.json`
 * @param current the batch to check; extra columns are ignored
 * @param options thresholds and the columns to check
 * @returns per-feature results and the batch verdict
 * @throws {SchemaMismatchError} when profiled columns are missing from the batch (all named),
 *   a numeric column arrives as text, or `options.columns` names a column the profile lacks
 * @throws {DataValidationError} when the batch has no rows
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * const report = driftReport(profile, batch);
 * console.log(formatDriftSummary(report));
 * ```
 */
export function driftReport(
  profile: DataProfile,
  current: DataFrame,
  options: DriftOptions = {},
): DriftReport {
  const settings = resolveSettings(options);
  const profiled = selectProfiled(profile, options.columns ?? DEFAULT_DRIFT_OPTIONS.columns);
  const missing = profiled.filter((column) => !current.columns.includes(column.name));
  if (missing.length > 0) {
    const names = missing.map((column) => {
      const match = closestMatch(column.name, current.columns);
      return match === undefined
        ? `"${column.name}"`
        : `"${column.name}" (did you mean "${match}")`;
    });
    throw new SchemaMismatchError(
      `Cannot check drift: the batch is missing ${missing.length === 1 ? "column" : "columns"} ${
        names.join(", ")
      } (expected ${JSON.stringify(profiled.map((column) => column.name))}, found ${
        JSON.stringify(current.columns)
      }), pass the columns the model was trained on`,
    );
  }
  if (current.height === 0) {
    throw new DataValidationError(
      `Cannot check drift: the batch has no rows, expected at least 1`,
      [{
        column: null,
        rule: "min_rows",
        count: 0,
        message: "expected at least 1 row, found 0",
        examples: [],
        rows: [],
      }],
    );
  }
  const columns = profiled.map((column) =>
    column.kind === "numeric"
      ? numericDrift(column, current.getColumn(column.name), settings)
      : categoricalDrift(column, current.getColumn(column.name), settings)
  );
  const tested = columns.filter((column) => column.test !== "none");
  const nDrifted = tested.filter((column) => column.drifted).length;
  const share = tested.length === 0 ? 0 : nDrifted / tested.length;
  return {
    version: DRIFT_REPORT_VERSION,
    reference_rows: profile.rows,
    current_rows: current.height,
    settings,
    columns,
    dataset: {
      drifted: tested.length > 0 && share >= settings.dataset_share,
      share_drifted: share,
      n_drifted: nDrifted,
      n_columns: tested.length,
      n_skipped: columns.length - tested.length,
      dataset_share: settings.dataset_share,
    },
  };
}

function resolveSettings(options: DriftOptions): DriftSettings {
  const merged = { ...DEFAULT_DRIFT_OPTIONS, ...options };
  const { small_reference_rows, confidence, distance_threshold, dataset_share } = merged;
  if (!Number.isInteger(small_reference_rows) || small_reference_rows < 0) {
    throw new RangeError(
      `Cannot check drift: "small_reference_rows" is ${small_reference_rows}, expected an integer of at least 0`,
    );
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(
      `Cannot check drift: "confidence" is ${confidence}, expected a number between 0 and 1 such as 0.95`,
    );
  }
  if (!(distance_threshold > 0) || !Number.isFinite(distance_threshold)) {
    throw new RangeError(
      `Cannot check drift: "distance_threshold" is ${distance_threshold}, expected a positive number such as 0.1`,
    );
  }
  if (!(dataset_share > 0 && dataset_share <= 1)) {
    throw new RangeError(
      `Cannot check drift: "dataset_share" is ${dataset_share}, expected a share in (0, 1] such as 0.5`,
    );
  }
  return { small_reference_rows, confidence, distance_threshold, dataset_share };
}

function selectProfiled(
  profile: DataProfile,
  columns: readonly string[] | null,
): ColumnProfile[] {
  if (columns === null) return profile.columns;
  const names = profile.columns.map((column) => column.name);
  return columns.map((name) => {
    const found = profile.columns.find((column) => column.name === name);
    if (found === undefined) {
      throw new SchemaMismatchError(
        `Cannot check drift of column "${name}": the training profile has no such column${
          didYouMean(name, names)
        } (profiled ${JSON.stringify(names)})`,
      );
    }
    return found;
  });
}

/** 1 − confidence, rounded so that 0.95 gives exactly 0.05. */
function pValueThreshold(settings: DriftSettings): number {
  return Math.round((1 - settings.confidence) * 1e12) / 1e12;
}

type NumericProfile = Extract<ColumnProfile, { kind: "numeric" }>;

type CategoricalProfile = Extract<ColumnProfile, { kind: "categorical" }>;

interface Verdict {
  test: DriftTestName;
  statistic: number | null;
  p_value: number | null;
  score: number | null;
  threshold: number;
  drifted: boolean;
  exact: boolean;
}

function numericDrift(
  column: NumericProfile,
  series: Series,
  settings: DriftSettings,
): ColumnDrift {
  const rows = series.len();
  const values = finiteSorted(series, column.name);
  const referenceValues = Math.round(column.count * (1 - column.null_rate));
  const sample = Float64Array.from(column.sample);
  const sampleIsWhole = sample.length >= referenceValues;
  const small = referenceValues <= settings.small_reference_rows;
  const currentNullRate = rows === 0 ? 0 : (rows - values.length) / rows;
  let verdict: Verdict;
  if (values.length === 0 || referenceValues === 0 || sample.length === 0) {
    verdict = untested(small, settings);
  } else {
    const distinct = distinctUnion(sample, values, MAX_CATEGORY_LIKE_VALUES);
    if (distinct !== null) {
      verdict = countsVerdict(
        countValues(sample),
        countValues(values),
        distinct.length,
        small,
        sampleIsWhole,
        settings,
      );
    } else if (small) {
      const { statistic, pValue } = ksTwoSample(sample, values);
      const threshold = pValueThreshold(settings);
      verdict = {
        test: "ks",
        statistic,
        p_value: pValue,
        score: pValue,
        threshold,
        drifted: pValue <= threshold,
        exact: sampleIsWhole,
      };
    } else {
      const distance = sampleIsWhole
        ? wassersteinDistance(sample, values)
        : quantileWassersteinDistance(runningMax(column.percentiles), values);
      const normalised = distance / Math.max(column.std, MIN_WASSERSTEIN_NORM);
      verdict = {
        test: "wasserstein",
        statistic: normalised,
        p_value: null,
        score: normalised,
        threshold: settings.distance_threshold,
        drifted: normalised >= settings.distance_threshold,
        exact: sampleIsWhole,
      };
    }
  }
  const outside = values.length === 0
    ? 0
    : lowerBound(values, column.min) + (values.length - upperBound(values, column.max));
  return {
    column: column.name,
    kind: "numeric",
    ...verdict,
    reference_values: referenceValues,
    current_values: values.length,
    current_rows: rows,
    reference_null_rate: column.null_rate,
    current_null_rate: currentNullRate,
    null_rate_change: currentNullRate - column.null_rate,
    unseen_share: null,
    out_of_range_share: values.length === 0 || referenceValues === 0
      ? null
      : outside / values.length,
  };
}

function categoricalDrift(
  column: CategoricalProfile,
  series: Series,
  settings: DriftSettings,
): ColumnDrift {
  const rows = series.len();
  const currentCounts = valueCounts(series);
  const currentValues = Object.values(currentCounts).reduce((a, b) => a + b, 0);
  const referenceValues = Object.values(column.frequencies).reduce((a, b) => a + b, 0);
  const small = referenceValues <= settings.small_reference_rows;
  let unseen = 0;
  for (const [key, count] of Object.entries(currentCounts)) {
    if (!((column.frequencies[key] ?? 0) > 0)) unseen += count;
  }
  const verdict = currentValues === 0 || referenceValues === 0
    ? untested(small, settings)
    : countsVerdict(
      column.frequencies,
      currentCounts,
      unionKeys(column.frequencies, currentCounts).length,
      small,
      true,
      settings,
    );
  const currentNullRate = rows === 0 ? 0 : (rows - currentValues) / rows;
  return {
    column: column.name,
    kind: "categorical",
    ...verdict,
    reference_values: referenceValues,
    current_values: currentValues,
    current_rows: rows,
    reference_null_rate: column.null_rate,
    current_null_rate: currentNullRate,
    null_rate_change: currentNullRate - column.null_rate,
    unseen_share: currentValues === 0 ? null : unseen / currentValues,
    out_of_range_share: null,
  };
}

/** chi-squared / z for small references, Jensen–Shannon over value shares for large ones. */
function countsVerdict(
  reference: Readonly<Record<string, number>>,
  current: Readonly<Record<string, number>>,
  distinct: number,
  small: boolean,
  exact: boolean,
  settings: DriftSettings,
): Verdict {
  if (small) {
    const threshold = pValueThreshold(settings);
    if (distinct > MAX_BINARY_VALUES) {
      const { statistic, pValue } = chiSquareTest(reference, current);
      return {
        test: "chisquare",
        statistic,
        p_value: pValue,
        score: pValue,
        threshold,
        drifted: pValue < threshold,
        exact,
      };
    }
    const { statistic, pValue } = proportionZTest(reference, current);
    return {
      test: "z",
      statistic,
      p_value: pValue,
      score: pValue,
      threshold,
      drifted: pValue < threshold,
      exact,
    };
  }
  const keys = unionKeys(reference, current);
  const distance = jensenShannonDistance(
    keys.map((key) => reference[key] ?? 0),
    keys.map((key) => current[key] ?? 0),
  );
  return {
    test: "jensenshannon",
    statistic: distance,
    p_value: null,
    score: distance,
    threshold: settings.distance_threshold,
    drifted: distance >= settings.distance_threshold,
    exact,
  };
}

function untested(small: boolean, settings: DriftSettings): Verdict {
  return {
    test: "none",
    statistic: null,
    p_value: null,
    score: null,
    threshold: small ? pValueThreshold(settings) : settings.distance_threshold,
    drifted: false,
    exact: true,
  };
}

/** The batch's finite values, ascending, sorted by polars (much faster than in JS for millions). */
function finiteSorted(series: Series, name: string): Float64Array {
  if (series.nullCount() === series.len()) return new Float64Array(0);
  if (!isNumericDtype(series.dtype)) {
    throw new SchemaMismatchError(
      `Cannot check drift of column "${name}": expected a numeric column as in training, found dtype "${series.dtype.variant}", cast it to a number before predicting`,
    );
  }
  const values = series.cast(pl.Float64).dropNulls();
  const finite = values.filter(values.isFinite());
  if (finite.len() === 0) return new Float64Array(0);
  return finite.sort().toTypedArray() as Float64Array;
}

/**
 * The percentiles with each raised to the one before: interpolating between equal tied values
 * (v·(1 − w) + v·w) can land one ulp below v, which would read as a decreasing quantile.
 */
function runningMax(values: readonly number[]): Float64Array {
  const out = Float64Array.from(values);
  for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i]!, out[i - 1]!);
  return out;
}

/** Non-null value counts as text, the way the profile stores categories. */
function valueCounts(series: Series): Record<string, number> {
  const values = series.dropNulls().cast(pl.Utf8).rename("value");
  if (values.len() === 0) return {};
  const counts = values.valueCounts(false, false, "n");
  const keys = counts.getColumn("value").toArray() as string[];
  const ns = counts.getColumn("n").toArray() as (number | bigint)[];
  const out: Record<string, number> = {};
  keys.forEach((key, i) => {
    out[key] = Number(ns[i]);
  });
  return out;
}

/** Counts of each value of an ascending array, keyed as `String(value)`. */
function countValues(sorted: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < sorted.length;) {
    const value = sorted[i]!;
    let j = i;
    while (j < sorted.length && sorted[j] === value) j++;
    out[String(value)] = (out[String(value)] ?? 0) + (j - i);
    i = j;
  }
  return out;
}

/** The distinct values of two ascending arrays together, or `null` when more than `limit`. */
function distinctUnion(a: Float64Array, b: Float64Array, limit: number): number[] | null {
  const seen = new Set<number>();
  for (const sorted of [a, b]) {
    for (let i = 0; i < sorted.length; i++) {
      if (i > 0 && sorted[i] === sorted[i - 1]) continue;
      seen.add(sorted[i]!);
      if (seen.size > limit) return null;
    }
  }
  return [...seen];
}

/** Number of entries of an ascending array below `value`. */
function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries of an ascending array at or below `value`. */
function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Formats a drift report as a short aligned table, one row per feature, and a verdict line.
 *
 * @param report the result of {@link driftReport}
 * @returns the text to print, without a trailing newline
 * @example
 * ```ts
 * formatDriftSummary(report);
 * // column         test         score    rule      drift  nulls ref → cur  unseen
 * // Island         chisquare    <0.0001  p < 0.05  YES    0.0% → 0.0%      12.0%
 * // drift: 1 of 6 features drifted (17%) — dataset not drifted (threshold 50%)
 * ```
 */
export function formatDriftSummary(report: DriftReport): string {
  const header = ["column", "test", "score", "rule", "drift", "nulls ref → cur", "unseen"];
  const rows = report.columns.map((column) => [
    column.column,
    column.test,
    formatScore(column),
    formatRule(column),
    column.test === "none" ? "-" : column.drifted ? "YES" : "no",
    `${percent(column.reference_null_rate)} → ${percent(column.current_null_rate)}`,
    column.kind === "categorical"
      ? (column.unseen_share === null ? "-" : percent(column.unseen_share))
      : (column.out_of_range_share === null
        ? "-"
        : `${percent(column.out_of_range_share)} out of range`),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]!.length))
  );
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")
      .trimEnd();
  const { dataset } = report;
  const noun = dataset.n_columns === 1 ? "feature" : "features";
  let verdict = `drift: ${dataset.n_drifted} of ${dataset.n_columns} ${noun} drifted (${
    Math.round(dataset.share_drifted * 100)
  }%) — dataset ${dataset.drifted ? "DRIFTED" : "not drifted"} (threshold ${
    Math.round(dataset.dataset_share * 100)
  }%)`;
  if (dataset.n_skipped > 0) {
    verdict += `; ${dataset.n_skipped} skipped (no values to compare)`;
  }
  return [line(header), ...rows.map(line), verdict].join("\n");
}

function formatScore(column: ColumnDrift): string {
  if (column.score === null) return "-";
  if (column.p_value !== null && column.score < 1e-4) return "<0.0001";
  return column.score.toFixed(4);
}

function formatRule(column: ColumnDrift): string {
  switch (column.test) {
    case "ks":
      return `p ≤ ${column.threshold}`;
    case "chisquare":
    case "z":
      return `p < ${column.threshold}`;
    case "wasserstein":
    case "jensenshannon":
      return `≥ ${column.threshold}`;
    case "none":
      return "-";
  }
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
