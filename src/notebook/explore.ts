/**
 * What the notebooks need to explore any profile's data without naming a column: the role of
 * each column (numeric, categorical, date), the numeric columns ranked by how much they say about
 * the target, the rows with missing values, and the target per split and per category.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { anovaF } from "../features/mod.ts";
import { dtypeVariant, isNumericDtype } from "../utils/mod.ts";
import { SchemaMismatchError } from "../errors.ts";

/** The learning task of a target. */
export type Task = "classification" | "regression";

/** Options of {@link columnRoles}. */
export interface ColumnRolesOptions {
  /** The target column (never given a role). */
  target: string;
  /**
   * Identifier columns (never given a role).
   * @default []
   */
  idColumns?: readonly string[];
  /**
   * Most distinct values of a text column that counts as categorical; text columns with more
   * are `text`.
   * @default 20
   */
  maxCategories?: number;
  /**
   * The column a derived target is computed from (`data.derive_target.source`): given no role,
   * since it holds the answer.
   * @default null
   */
  targetSource?: string | null;
  /**
   * The split's time column (`split.time_column`): the date column the target is drawn over.
   * `null` picks the first Date or Datetime column, if any.
   * @default null
   */
  timeColumn?: string | null;
}

/** Defaults of {@link ColumnRolesOptions}. */
export const DEFAULT_COLUMN_ROLES_OPTIONS: Readonly<Omit<Required<ColumnRolesOptions>, "target">> =
  {
    idColumns: [],
    maxCategories: 20,
    targetSource: null,
    timeColumn: null,
  };

/** The columns of a frame by role, each list in frame order. */
export interface ColumnRoles {
  /** Integer, float and decimal columns. */
  numeric: string[];
  /** Text, categorical and boolean columns with at most `maxCategories` distinct values. */
  categorical: string[];
  /** Text and categorical columns with more distinct values (names, codes, free text). */
  text: string[];
  /** Date and datetime columns. */
  temporal: string[];
  /** Everything else: lists, structs, binary. */
  other: string[];
  /**
   * The date column to draw the target over: `timeColumn` when given and present, else the
   * first of `temporal`, else `null`.
   */
  time: string | null;
}

/**
 * Sorts the columns of a frame by role, leaving out the target, the column a derived target comes
 * from and the identifier columns, and
 * picks the date column to draw the target over.
 *
 * @param df the frame
 * @param options the target, identifier columns, the categorical cut-off and the time column
 * @returns the numeric, categorical, text, temporal and other columns, and the time column
 * @throws {SchemaMismatchError} when the target is not in the frame
 * @example
 * ```ts
 * columnRoles(data.train, {
 *   target: config.data.target,
 *   idColumns: config.data.id_columns,
 *   targetSource: config.data.derive_target?.source ?? null,
 *   timeColumn: config.split.time_column,
 * });
 * ```
 */
export function columnRoles(df: DataFrame, options: ColumnRolesOptions): ColumnRoles {
  const settings = { ...DEFAULT_COLUMN_ROLES_OPTIONS, ...options };
  requireTarget(df, settings.target, "Cannot sort columns by role");
  const roles: ColumnRoles = {
    numeric: [],
    categorical: [],
    text: [],
    temporal: [],
    other: [],
    time: null,
  };
  for (const name of df.columns) {
    if (
      name === settings.target || name === settings.targetSource ||
      settings.idColumns.includes(name)
    ) continue;
    const series = df.getColumn(name);
    const variant = dtypeVariant(series.dtype);
    if (isNumericDtype(series.dtype)) roles.numeric.push(name);
    else if (variant === "Date" || variant === "Datetime") roles.temporal.push(name);
    else if (["String", "Utf8", "Categorical", "Enum", "Bool"].includes(variant)) {
      if (series.nUnique() <= settings.maxCategories) roles.categorical.push(name);
      else if (variant === "Bool") roles.categorical.push(name);
      else roles.text.push(name);
    } else roles.other.push(name);
  }
  const declared = settings.timeColumn;
  roles.time = declared !== null && df.columns.includes(declared)
    ? declared
    : roles.temporal[0] ?? null;
  return roles;
}

/** Options of {@link rankNumericColumns}. */
export interface RankColumnsOptions {
  /** The target column. */
  target: string;
  /** The task, which picks the score. */
  task: Task;
  /** The numeric columns to rank. */
  columns: readonly string[];
}

/** A column and its score against the target. */
export interface ColumnScore {
  /** The column. */
  column: string;
  /** Its score: higher says more about the target. */
  score: number;
  /** Rows scored: those where both the column and the target are present and finite. */
  rows: number;
}

/** The ranking of {@link rankNumericColumns}. */
export interface ColumnRanking {
  /** The rule, in words, for a notebook to print. */
  rule: string;
  /** The name of the score, for chart axes. */
  scoreName: string;
  /** Every column with its score, best first (ties by column order). */
  scores: ColumnScore[];
}

/**
 * Ranks numeric columns by how much each one alone says about the target: the ANOVA F
 * statistic between the classes (as `top_k` with `score: anova_f` in feature selection) for a
 * classification target, the absolute Pearson correlation for a regression target. Each column
 * is scored on the rows where it and the target are present and finite; a constant column, or
 * one with fewer than 3 such rows, scores 0.
 *
 * @param df the frame (the training split or the cleaned data)
 * @param options the target, the task and the columns
 * @returns the rule and the scores, best first
 * @throws {SchemaMismatchError} when the target or a column is not in the frame
 * @throws {TypeError} when a column is not numeric, or a regression target is not numeric
 * @example
 * ```ts
 * const ranking = rankNumericColumns(clean, { target, task, columns: roles.numeric });
 * const top = ranking.scores.slice(0, 8).map((s) => s.column);
 * ```
 */
export function rankNumericColumns(df: DataFrame, options: RankColumnsOptions): ColumnRanking {
  const { target, task, columns } = options;
  const action = "Cannot rank columns against the target";
  requireTarget(df, target, action);
  const missing = columns.filter((c) => !df.columns.includes(c));
  if (missing.length > 0) {
    throw new SchemaMismatchError(
      `${action}: ${missing.map((c) => `"${c}"`).join(", ")} not in the frame (columns are ${
        df.columns.map((c) => `"${c}"`).join(", ")
      })`,
    );
  }
  const notNumeric = columns.filter((c) => !isNumericDtype(df.getColumn(c).dtype));
  if (notNumeric.length > 0) {
    throw new TypeError(
      `${action}: ${notNumeric.map((c) => `"${c}"`).join(", ")} must be numeric columns`,
    );
  }
  if (task === "regression" && !isNumericDtype(df.getColumn(target).dtype)) {
    throw new TypeError(`${action}: a regression target "${target}" must be numeric`);
  }
  const targetValues = task === "classification"
    ? classIndexes(df.getColumn(target).cast(pl.Utf8).toArray() as (string | null)[])
    : (df.getColumn(target).cast(pl.Float64).toArray() as (number | null)[]).map((v) => v ?? NaN);
  const scores = columns.map((column, order) => {
    const raw = df.getColumn(column).cast(pl.Float64).toArray() as (number | null)[];
    const x: number[] = [];
    const y: number[] = [];
    raw.forEach((value, i) => {
      const t = targetValues[i]!;
      if (value !== null && Number.isFinite(value) && Number.isFinite(t)) {
        x.push(value);
        y.push(t);
      }
    });
    const constant = x.every((v) => v === x[0]);
    let score = 0;
    if (x.length >= 3 && !constant) {
      score = task === "classification" ? classScore(x, y) : Math.abs(pearson(x, y));
    }
    return { column, score: Number.isNaN(score) ? 0 : score, rows: x.length, order };
  });
  scores.sort((a, b) => b.score - a.score || a.order - b.order);
  return {
    rule: task === "classification"
      ? "ANOVA F between the classes (how far apart the class means are, against the spread within each class)"
      : "absolute Pearson correlation with the target",
    scoreName: task === "classification" ? "ANOVA F" : "|Pearson r|",
    scores: scores.map(({ column, score, rows }) => ({ column, score, rows })),
  };
}

/** ANOVA F, or 0 when only one class is present among the scored rows. */
function classScore(x: number[], y: number[]): number {
  if (y.every((v) => v === y[0])) return 0;
  return anovaF(x, y).f;
}

function classIndexes(values: (string | null)[]): number[] {
  const index = new Map<string, number>();
  return values.map((v) => {
    if (v === null) return NaN;
    if (!index.has(v)) index.set(v, index.size);
    return index.get(v)!;
  });
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/**
 * The rows holding at least one missing value: a null in any column, or NaN in a float column.
 *
 * @param df the frame
 * @returns those rows, in order
 * @example
 * ```ts
 * await showTable(rowsWithMissing(data.raw), { head: 20, tail: 0 });
 * ```
 */
export function rowsWithMissing(df: DataFrame): DataFrame {
  if (df.width === 0) return df;
  const missing = df.columns.map((name) => {
    const variant = dtypeVariant(df.getColumn(name).dtype);
    const isNull = pl.col(name).isNull();
    return variant === "Float32" || variant === "Float64"
      ? isNull.or(pl.col(name).isNan())
      : isNull;
  });
  const any = missing.slice(1).reduce((acc, expr) => acc.or(expr), missing[0]!);
  return df.filter(any);
}

/** Options of {@link targetBySplit} and {@link targetByCategory}. */
export interface TargetSummaryOptions {
  /** The target column. */
  target: string;
  /** The task: classes are counted, numbers summarised. */
  task: Task;
}

/**
 * Summarises the target in each split: for classification the rows and share of every class
 * (one row per split and class), for regression the rows, mean, standard deviation, minimum,
 * median and maximum (one row per split).
 *
 * @param splits the frames by split name, e.g. `{ train, val, test }`
 * @param options the target and the task
 * @returns a frame with a `split` column first
 * @throws {SchemaMismatchError} when a split lacks the target
 * @example
 * ```ts
 * await showTable(targetBySplit({ train: data.train, val: data.val, test: data.test }, { target, task }));
 * ```
 */
export function targetBySplit(
  splits: Readonly<Record<string, DataFrame>>,
  options: TargetSummaryOptions,
): DataFrame {
  const { target, task } = options;
  const frames = Object.entries(splits).map(([split, df]) => {
    requireTarget(df, target, `Cannot summarise the target of split "${split}"`);
    if (task === "classification") {
      const counts = df.select(pl.col(target).cast(pl.Utf8).alias(target)).groupBy(target).len()
        .sort(target);
      return counts.select(
        pl.lit(split).alias("split"),
        pl.col(target),
        pl.col("len").cast(pl.Int64).alias("rows"),
        pl.col("len").cast(pl.Float64).div(pl.lit(Math.max(df.height, 1))).alias("share"),
      );
    }
    const y = pl.col(target).cast(pl.Float64);
    return df.select(
      pl.lit(split).alias("split"),
      pl.lit(df.height).cast(pl.Int64).alias("rows"),
      y.mean().alias("mean"),
      y.std().alias("std"),
      y.min().alias("min"),
      y.median().alias("median"),
      y.max().alias("max"),
    );
  });
  return frames.slice(1).reduce((acc, frame) => acc.vstack(frame), frames[0]!);
}

/**
 * Summarises the target per value of a categorical column: for classification the rows of
 * every (value, class) pair, for regression the rows, mean and median of the target per value.
 *
 * @param df the frame
 * @param column the categorical column
 * @param options the target and the task
 * @returns the summary, sorted by the column's value
 * @throws {SchemaMismatchError} when the column or the target is not in the frame
 * @example
 * ```ts
 * await showTable(targetByCategory(clean, roles.categorical[0]!, { target, task }));
 * ```
 */
export function targetByCategory(
  df: DataFrame,
  column: string,
  options: TargetSummaryOptions,
): DataFrame {
  const { target, task } = options;
  const action = `Cannot summarise "${target}" per value of "${column}"`;
  requireTarget(df, target, action);
  requireTarget(df, column, action);
  const key = pl.col(column).cast(pl.Utf8).alias(column);
  if (task === "classification") {
    return df.select(key, pl.col(target).cast(pl.Utf8).alias(target)).groupBy([column, target])
      .len().rename({ len: "rows" }).sort([column, target]);
  }
  const y = pl.col(target).cast(pl.Float64);
  return df.select(key, y.alias(target)).groupBy(column).agg(
    pl.len().alias("rows"),
    pl.col(target).mean().alias(`mean ${target}`),
    pl.col(target).median().alias(`median ${target}`),
  ).sort(column);
}

function requireTarget(df: DataFrame, column: string, action: string): void {
  if (!df.columns.includes(column)) {
    throw new SchemaMismatchError(
      `${action}: column "${column}" is not in the frame (columns are ${
        df.columns.map((c) => `"${c}"`).join(", ")
      })`,
    );
  }
}

/** A `features.derived` entry of kind `ratio`: `columns[0] / columns[1]`. */
export interface RatioFeature {
  /** The new column's name, `"a / b"`. */
  name: string;
  /** Always `"ratio"`. */
  kind: "ratio";
  /** The dividend and the divisor. */
  columns: [string, string];
}

/** Options of {@link ratioCandidates}. */
export interface RatioCandidatesOptions {
  /**
   * Most candidates returned.
   * @default 2
   */
  count?: number;
  /**
   * How many of the best-ranked columns are paired.
   * @default 3
   */
  fromTop?: number;
}

/** Defaults of {@link RatioCandidatesOptions}. */
export const DEFAULT_RATIO_CANDIDATES_OPTIONS: Readonly<Required<RatioCandidatesOptions>> = {
  count: 2,
  fromTop: 3,
};

/**
 * Proposes ratio features from the best-ranked numeric columns: each ordered pair of the
 * `fromTop` best columns of `ranking` (better first), kept when both columns have no missing or
 * non-finite value in `df` and the divisor is always positive, so the ratio is defined on every
 * row; the first `count` pairs in ranking order.
 *
 * @param df the frame the features would be computed on (the training split)
 * @param ranking the ranking of {@link rankNumericColumns}
 * @param options how many candidates, from how many top columns
 * @returns `features.derived` entries of kind `ratio`, named `"a / b"`
 * @example
 * ```ts
 * const candidates = ratioCandidates(data.train, ranking);
 * const withCandidates = addDerivedFeatures(data.train, candidates);
 * ```
 */
export function ratioCandidates(
  df: DataFrame,
  ranking: ColumnRanking,
  options: RatioCandidatesOptions = {},
): RatioFeature[] {
  const { count, fromTop } = { ...DEFAULT_RATIO_CANDIDATES_OPTIONS, ...options };
  const top = ranking.scores.slice(0, fromTop).map((s) => s.column)
    .filter((column) => df.columns.includes(column) && completeColumn(df, column));
  const candidates: RatioFeature[] = [];
  for (let i = 0; i < top.length; i++) {
    for (let j = i + 1; j < top.length; j++) {
      const [a, b] = [top[i]!, top[j]!];
      const divisorMin = Number(df.getColumn(b).cast(pl.Float64).min());
      if (!(divisorMin > 0)) continue;
      candidates.push({ name: `${a} / ${b}`, kind: "ratio", columns: [a, b] });
    }
  }
  return candidates.slice(0, count);
}

function completeColumn(df: DataFrame, column: string): boolean {
  const values = df.getColumn(column).cast(pl.Float64);
  if (values.nullCount() > 0) return false;
  return (values.toArray() as number[]).every((v) => Number.isFinite(v));
}
