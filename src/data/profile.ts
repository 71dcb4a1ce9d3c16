/**
 * What a run remembers about its training data: the input signature (`schema.json`) that new
 * rows are checked against, and a profile (`profile.json`) that drift checks compare with.
 *
 * Both are plain JSON computed from the cleaned training split, so inference needs no access to
 * the training data.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Series } from "nodejs-polars";
import { didYouMean, SchemaMismatchError } from "../errors.ts";
import { isDateDtype, isNumericDtype, Random } from "../utils/mod.ts";

/** Version of the signature and profile formats. */
export const PROFILE_VERSION = 1;

/** The expected type and domain of one input column. */
export type ColumnSignature =
  | {
    /** Column name as in the data. */
    name: string;
    /** Numeric column. */
    kind: "numeric";
    /** Polars dtype at training time, e.g. `Float64`. */
    dtype: string;
    /** Smallest value seen in training. */
    min: number;
    /** Largest value seen in training. */
    max: number;
    /** Whether training data held nulls. */
    nullable: boolean;
  }
  | {
    /** Column name as in the data. */
    name: string;
    /** String or boolean column with a finite set of values. */
    kind: "categorical";
    /** Polars dtype at training time. */
    dtype: string;
    /** Sorted distinct values seen in training. */
    categories: string[];
    /** Whether training data held nulls. */
    nullable: boolean;
  }
  | {
    /** Column name as in the data. */
    name: string;
    /** Date or datetime column. */
    kind: "temporal";
    /** Polars dtype at training time. */
    dtype: string;
    /** Earliest value, ISO 8601. */
    min: string;
    /** Latest value, ISO 8601. */
    max: string;
    /** Whether training data held nulls. */
    nullable: boolean;
  };

/** `schema.json`: the columns a row must hold to be scored, plus the target's description. */
export interface InputSignature {
  /** Format version. */
  version: number;
  /** Feature input columns, in training order. */
  columns: ColumnSignature[];
  /** The target column and its classes (classification) or range (regression). */
  target: ColumnSignature;
  /** Id or passthrough columns seen in training. */
  id_columns: string[];
}

/** The distribution of one column in training, enough for drift tests. */
export type ColumnProfile =
  | {
    name: string;
    kind: "numeric";
    /** Rows in the training split. */
    count: number;
    /** Share of nulls (and NaN). */
    null_rate: number;
    mean: number;
    std: number;
    min: number;
    max: number;
    /** The 0, 1, …, 100th percentiles (101 values, linear interpolation). */
    percentiles: number[];
    /** Up to `sampleSize` non-null values drawn without replacement with the run's seed. */
    sample: number[];
  }
  | {
    name: string;
    kind: "categorical";
    count: number;
    null_rate: number;
    /** Non-null value counts. */
    frequencies: Record<string, number>;
  };

/** `profile.json`. */
export interface DataProfile {
  /** Format version. */
  version: number;
  /** Rows profiled. */
  rows: number;
  /** One profile per input column, training order. */
  columns: ColumnProfile[];
}

/** Options of {@link profileFrame}. */
export interface ProfileOptions {
  /** Most values kept per numeric column for exact two-sample tests. @default 1000 */
  sampleSize?: number;
  /** Seed for the sample. @default 0 */
  seed?: number;
}

/** Defaults of {@link ProfileOptions}. */
export const DEFAULT_PROFILE_OPTIONS: Required<ProfileOptions> = { sampleSize: 1000, seed: 0 };

/**
 * Describes the columns a model needs, from the cleaned training split.
 *
 * @param df the cleaned training frame
 * @param columns the feature input columns
 * @param target the target column
 * @param idColumns id or passthrough columns
 * @returns the signature to save as `schema.json`
 * @throws {SchemaMismatchError} when a column is missing
 * @example
 * ```ts
 * const signature = inputSignature(train, ["Island", "Body Mass (g)"], "Species", []);
 * ```
 */
export function inputSignature(
  df: DataFrame,
  columns: readonly string[],
  target: string,
  idColumns: readonly string[] = [],
): InputSignature {
  requireColumns(df, [...columns, target], "describe the input signature");
  return {
    version: PROFILE_VERSION,
    columns: columns.map((name) => describeColumn(df.getColumn(name))),
    target: describeColumn(df.getColumn(target)),
    id_columns: idColumns.filter((name) => df.columns.includes(name)),
  };
}

/**
 * Profiles the distribution of each column for later drift checks.
 *
 * @param df the cleaned training frame
 * @param columns the columns to profile
 * @param options sample size and seed
 * @returns the profile to save as `profile.json`
 * @throws {SchemaMismatchError} when a column is missing
 * @example
 * ```ts
 * const profile = profileFrame(train, ["Body Mass (g)", "Island"], { seed: 42 });
 * ```
 */
export function profileFrame(
  df: DataFrame,
  columns: readonly string[],
  options: ProfileOptions = {},
): DataProfile {
  const { sampleSize, seed } = { ...DEFAULT_PROFILE_OPTIONS, ...options };
  requireColumns(df, columns, "profile the training data");
  const rng = new Random(seed);
  return {
    version: PROFILE_VERSION,
    rows: df.height,
    columns: columns.map((name) => profileColumn(df.getColumn(name), sampleSize, rng)),
  };
}

function describeColumn(series: Series): ColumnSignature {
  const dtype = series.dtype.variant;
  const nullable = series.nullCount() > 0;
  const name = series.name;
  if (isNumericDtype(series.dtype)) {
    const [min, max] = minMax(finite(series));
    return { name, kind: "numeric", dtype, min, max, nullable };
  }
  if (isDateDtype(dtype)) {
    // Dates count days and datetimes count their own unit: compare in milliseconds.
    const nonNull = series.dropNulls().cast(pl.Datetime("ms"));
    const min = nonNull.min() as unknown as Date | number;
    const max = nonNull.max() as unknown as Date | number;
    return { name, kind: "temporal", dtype, min: isoString(min), max: isoString(max), nullable };
  }
  const categories = series.dropNulls().cast(pl.Utf8).unique().sort().toArray() as string[];
  return { name, kind: "categorical", dtype, categories, nullable };
}

function profileColumn(series: Series, sampleSize: number, rng: Random): ColumnProfile {
  const count = series.len();
  if (isNumericDtype(series.dtype)) {
    const values = finite(series);
    const sorted = Float64Array.from(values).sort();
    const nullRate = count === 0 ? 0 : (count - values.length) / count;
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length);
    const percentiles = Array.from({ length: 101 }, (_, p) => quantileSorted(sorted, p / 100));
    const order = rng.permutation(values.length);
    const take = Math.min(sampleSize, values.length);
    const sample = Array.from(order.subarray(0, take), (i) => values[i]!).sort((a, b) => a - b);
    return {
      name: series.name,
      kind: "numeric",
      count,
      null_rate: nullRate,
      mean,
      std: Math.sqrt(variance),
      min: sorted[0] ?? NaN,
      max: sorted[sorted.length - 1] ?? NaN,
      percentiles,
      sample,
    };
  }
  const nonNull = series.dropNulls().cast(pl.Utf8);
  const frequencies: Record<string, number> = {};
  for (const value of nonNull.toArray() as string[]) {
    frequencies[value] = (frequencies[value] ?? 0) + 1;
  }
  const sortedFrequencies = Object.fromEntries(
    Object.entries(frequencies).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return {
    name: series.name,
    kind: "categorical",
    count,
    null_rate: count === 0 ? 0 : (count - nonNull.len()) / count,
    frequencies: sortedFrequencies,
  };
}

/** Linear-interpolation quantile of an ascending array (numpy's default). */
function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  // Equal neighbours return the value itself: interpolating could land one ulp below it.
  if (weight === 0 || sorted[lower] === sorted[upper]) return sorted[lower]!;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

function finite(series: Series): number[] {
  return (series.toArray() as (number | bigint | null)[])
    .filter((v) => v !== null)
    .map(Number)
    .filter(Number.isFinite);
}

function minMax(values: number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function isoString(value: Date | number): string {
  return value instanceof Date ? value.toISOString() : new Date(Number(value)).toISOString();
}

function requireColumns(df: DataFrame, columns: readonly string[], action: string): void {
  for (const name of columns) {
    if (!df.columns.includes(name)) {
      throw new SchemaMismatchError(
        `Cannot ${action}: missing column "${name}"${didYouMean(name, df.columns)} (found ${
          JSON.stringify(df.columns)
        })`,
      );
    }
  }
}
