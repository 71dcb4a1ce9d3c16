/**
 * What a transformer's `fitBatches` gathers from a training split that arrives in batches:
 * moments (count, mean, variance, min, max), exact category counts, and re-readable value
 * streams for exact quantiles. Each batch is reduced by polars and the results are merged, so
 * a streamed fit equals the in-memory fit exactly for counts and categories and within float
 * rounding for means and variances.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { EMPTY_MOMENTS, linearQuantiles, mergeMoments } from "../../data/mod.ts";
import type { Moments, NumberSource } from "../../data/mod.ts";
import { DataValidationError } from "../../errors.ts";
import { observedValues, requireObserved, resolveColumns } from "./_columns.ts";
import {
  categoryValues,
  compareCategories,
  requireCategorical,
  requireNoNulls,
} from "./_categories.ts";
import type { CategoryCount } from "./_categories.ts";

/**
 * A re-readable stream of training frames: each call starts a new pass over the same rows, in
 * the same order. Out-of-core training reads it from shard files; tests from a list of frames.
 */
export type FrameSource = () => AsyncIterable<DataFrame>;

/**
 * Builds a {@link FrameSource} over frames held in memory (tests, notebooks).
 *
 * @param frames the batches, in order
 * @returns a source yielding them on every pass
 * @example
 * ```ts
 * await new StandardScaler().fitBatches(frameSource([df.slice(0, 100), df.slice(100)]));
 * ```
 */
export function frameSource(frames: readonly DataFrame[]): FrameSource {
  return async function* () {
    for (const frame of frames) yield frame;
  };
}

/**
 * Returns the first batch of a source with rows, for the schema checks a fit makes once.
 *
 * @param source the training batches
 * @param action what failed, e.g. `Cannot fit "StandardScaler"`
 * @returns the first non-empty batch
 * @throws {DataValidationError} when no batch holds a row
 * @example
 * ```ts
 * const first = await firstBatch(source, `Cannot fit "StandardScaler"`);
 * ```
 */
export async function firstBatch(source: FrameSource, action: string): Promise<DataFrame> {
  let empty: DataFrame | null = null;
  for await (const frame of source()) {
    if (frame.height > 0) return frame;
    empty ??= frame;
  }
  throw new DataValidationError(
    `${action}: the training batches hold no rows${
      empty === null ? "" : ` (columns ${JSON.stringify(empty.columns)})`
    }; check the split and the input file`,
  );
}

/**
 * The moments of each numeric column's observed values (nulls and NaN left out) over every
 * batch; throws as `requireObserved` when a column has none.
 *
 * @param source the training batches
 * @param columns numeric columns
 * @param action what failed
 * @returns one `Moments` per column
 * @throws {DataValidationError} when a column holds no observed value
 * @example
 * ```ts
 * const [mass] = await streamMoments(source, ["mass"], action); // mass.mean, mass.m2 / mass.count
 * ```
 */
export async function streamMoments(
  source: FrameSource,
  columns: readonly string[],
  action: string,
): Promise<Moments[]> {
  let moments = columns.map(() => ({ ...EMPTY_MOMENTS }));
  let schema: DataFrame | null = null;
  for await (const frame of source()) {
    schema ??= frame.head(0);
    if (frame.height === 0) continue;
    const row = frame.select(
      ...columns.flatMap((name, i) => {
        const x = observedValues(name);
        return [
          x.count().alias(`n${i}`),
          x.mean().alias(`mean${i}`),
          x.sub(x.mean()).pow(2).sum().alias(`m2${i}`),
          x.min().alias(`min${i}`),
          x.max().alias(`max${i}`),
        ];
      }),
    ).row(0) as unknown[];
    moments = moments.map((before, i) => {
      const count = Number(row[5 * i]);
      if (count === 0) return before;
      return mergeMoments(before, {
        count,
        mean: Number(row[5 * i + 1]),
        m2: Number(row[5 * i + 2]),
        min: Number(row[5 * i + 3]),
        max: Number(row[5 * i + 4]),
      });
    });
  }
  const empty = columns.filter((_, i) => moments[i]!.count === 0);
  if (empty.length > 0 && schema !== null) requireObserved(schema, empty, action);
  return moments;
}

/**
 * The observed values of one numeric column, batch by batch, as a re-readable number stream
 * for `linearQuantiles`.
 *
 * @param source the training batches
 * @param column a numeric column
 * @returns the number source
 * @example
 * ```ts
 * await linearQuantiles(observedNumbers(source, "mass"), [0.5], moments);
 * ```
 */
export function observedNumbers(source: FrameSource, column: string): NumberSource {
  return async function* () {
    for await (const frame of source()) {
      if (frame.height === 0) continue;
      const values = frame.select(observedValues(column).alias("x")).getColumn("x").dropNulls();
      yield values.toTypedArray() as Float64Array;
    }
  };
}

/**
 * Exact linear-interpolation quantiles of each column's observed values, as polars'
 * `quantile(p, "linear")` on the whole split (within float rounding of the interpolation).
 *
 * @param source the training batches
 * @param columns numeric columns
 * @param probabilities the quantiles
 * @param moments each column's moments (from `streamMoments`)
 * @returns per column, one value per probability
 * @example
 * ```ts
 * const [[q25, q75]] = await streamQuantiles(source, ["mass"], [0.25, 0.75], moments);
 * ```
 */
export async function streamQuantiles(
  source: FrameSource,
  columns: readonly string[],
  probabilities: readonly number[],
  moments: readonly Moments[],
): Promise<number[][]> {
  const out: number[][] = [];
  for (const [i, name] of columns.entries()) {
    out.push(await linearQuantiles(observedNumbers(source, name), probabilities, moments[i]!));
  }
  return out;
}

/**
 * Each column's categories (as text, `null` for missing) with their row counts over every
 * batch, ordered as `countCategories` orders them: equal to it on the whole split.
 *
 * @param source the training batches
 * @param columns categorical columns
 * @returns per column, the counted categories
 * @example
 * ```ts
 * const [islands] = await streamCategoryCounts(source, ["Island"]); // [{ value: "Biscoe", count: 120 }, ...]
 * ```
 */
export async function streamCategoryCounts(
  source: FrameSource,
  columns: readonly string[],
): Promise<CategoryCount[][]> {
  const counts = columns.map(() => new Map<string | null, number>());
  for await (const frame of source()) {
    if (frame.height === 0) continue;
    columns.forEach((name, i) => {
      const grouped = frame.select(categoryValues(name).alias("value")).groupBy("value").agg(
        pl.len().alias("count"),
      );
      const values = grouped.getColumn("value").toArray() as (string | null)[];
      const numbers = grouped.getColumn("count").toArray() as unknown[];
      const into = counts[i]!;
      values.forEach((value, k) => into.set(value, (into.get(value) ?? 0) + Number(numbers[k])));
    });
  }
  return counts.map((map) =>
    [...map].map(([value, count]) => ({ value, count })).sort((a, b) =>
      compareCategories(a.value, b.value)
    )
  );
}

/**
 * What the category encoders learn from batches before building their state: the first batch
 * (the schema), the resolved columns and their categories counted over every batch, checked as
 * `learn` checks a whole frame: the columns are categorical and observed, and a null among the
 * counts is refused (unless `nulls.allowed`) by a second pass that names the rows.
 *
 * @param source the training batches
 * @param requested the `columns` param
 * @param action the message's start, e.g. `Cannot fit "OneHotEncoder"`
 * @param nulls whether nulls are categories, and the fix the refusal names
 * @returns the first batch, the columns and their counts
 * @throws {SchemaMismatchError | DataValidationError} as the encoders' `learn`
 * @example
 * ```ts
 * const { first, columns, counts } = await learnCategoryBatches(source, params.columns, action, { allowed: false, fix });
 * ```
 */
export async function learnCategoryBatches(
  source: FrameSource,
  requested: readonly string[] | undefined,
  action: string,
  nulls: { allowed: boolean; fix: string },
): Promise<{ first: DataFrame; columns: string[]; counts: CategoryCount[][] }> {
  const first = await firstBatch(source, action);
  const columns = resolveColumns(first, requested, action);
  requireCategorical(first, columns, action);
  const counts = await streamCategoryCounts(source, columns);
  const empty = columns.filter((_, i) => counts[i]!.every((entry) => entry.value === null));
  if (empty.length > 0) requireObserved(first.head(0), empty, action);
  if (!nulls.allowed && counts.some((column) => column.some((entry) => entry.value === null))) {
    for await (const frame of source()) requireNoNulls(frame, columns, action, nulls.fix);
  }
  return { first, columns, counts };
}
