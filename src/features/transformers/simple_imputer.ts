/**
 * `SimpleImputer`: fills missing values with a statistic learned on the training split (mean,
 * median, most frequent value) or with a constant.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import { RowUnsupported } from "../../data/mod.ts";
import type { RowColumn } from "../../data/mod.ts";
import { SchemaMismatchError } from "../../errors.ts";
import {
  BaseTransformer,
  categoryValues,
  COLUMNS_PARAM,
  dtypeName,
  firstBatch,
  INPUT_COLUMNS_STATE,
  isNumericDtype,
  isTextDtype,
  observedValues,
  readState,
  replaceColumns,
  requireColumnArrays,
  requireColumns,
  requireConsistentState,
  requireFiniteStats,
  requireObserved,
  resolveColumns,
  streamCategoryCounts,
  streamMoments,
  streamQuantiles,
} from "./_base.ts";
import type { FrameSource, InputPolicy, RowContext, RowKernel, TransformerState } from "./_base.ts";

const KIND = "SimpleImputer";
const VERSION = 1;

/** The statistics `SimpleImputer` can fill with. */
export const IMPUTE_STRATEGIES = ["mean", "median", "most_frequent", "constant"] as const;
/** One of `IMPUTE_STRATEGIES`. */
export type ImputeStrategy = (typeof IMPUTE_STRATEGIES)[number];

/** Options of `SimpleImputer` (snake_case, as written under `params:` in config). */
export interface SimpleImputerOptions {
  /**
   * Columns to fill: numeric columns for every strategy, text columns for `most_frequent` and
   * `constant`.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * What to fill with: the training `mean` or `median` (numeric columns), the training
   * `most_frequent` value (ties go to the smallest), or `constant` (`fill_value`).
   *
   * @default "mean"
   */
  strategy?: ImputeStrategy;
  /**
   * The value used by `strategy: "constant"` (required then, refused otherwise): a number for
   * numeric columns, a string for text columns.
   *
   * @default undefined
   */
  fill_value?: number | string;
}

/** The defaults merged under the options given to `SimpleImputer`. */
export const DEFAULT_SIMPLE_IMPUTER_OPTIONS: SimpleImputerOptions = { strategy: "mean" };

/** The strict schema of `SimpleImputer` params, used by `fit` and by config validation. */
export const SIMPLE_IMPUTER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  strategy: z.enum(IMPUTE_STRATEGIES, {
    error: 'expected "mean", "median", "most_frequent" or "constant"',
  }).optional(),
  fill_value: z.union([z.number(), z.string()], { error: "expected a number or a string" })
    .optional(),
}).superRefine((params, context) => {
  const constant = params.strategy === "constant";
  if (constant && params.fill_value === undefined) {
    context.addIssue({
      code: "custom",
      path: ["fill_value"],
      message: 'expected a fill value when strategy is "constant"',
    });
  }
  if (!constant && params.fill_value !== undefined) {
    context.addIssue({
      code: "custom",
      path: ["fill_value"],
      message: 'expected no fill_value unless strategy is "constant"',
    });
  }
});

/** What `SimpleImputer.fit` learns, per filled column. */
export type SimpleImputerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The filled columns. */
  columns: string[];
  /** Whether each column is filled as a number (output Float64) or as text (output String). */
  kinds: ("numeric" | "text")[];
  /** The fill value per column. */
  fill: (number | string)[];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  kinds: z.array(z.enum(["numeric", "text"])),
  fill: z.array(z.union([z.number(), z.string()])),
});

/**
 * Fills missing values, as scikit-learn's `SimpleImputer`: a null is missing, and so is NaN in
 * a float column.
 *
 * Numeric columns (every strategy) come out as Float64; text and categorical columns
 * (`most_frequent`, `constant`) come out as String. Boolean and other columns are refused.
 * Statistics ignore missing values; a column with none observed cannot give a statistic and
 * throws (`constant` needs no statistic and accepts it).
 *
 * @example
 * ```ts
 * const imputer = new SimpleImputer({ strategy: "median", columns: ["Body Mass (g)"] }).fit(train);
 * const filled = imputer.transform(val);
 * ```
 */
export class SimpleImputer
  extends BaseTransformer<z.output<typeof SIMPLE_IMPUTER_PARAMS>, SimpleImputerState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options columns, `strategy` and `fill_value`; stored unchanged and validated by `fit`
   */
  constructor(options: SimpleImputerOptions = {}) {
    super(options, {
      version: VERSION,
      params: SIMPLE_IMPUTER_PARAMS,
      defaults: DEFAULT_SIMPLE_IMPUTER_OPTIONS,
    });
  }

  /**
   * Learns the fill value of each column.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing, of a type the strategy cannot fill,
   *   or of a type `fill_value` does not match
   * @throws {DataValidationError} when a column has no observed value (except for `constant`)
   * @example
   * ```ts
   * new SimpleImputer().fit(pl.DataFrame({ a: [1, null, 3] })); // fills with 2
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof SIMPLE_IMPUTER_PARAMS>,
  ): SimpleImputerState {
    const action = `Cannot fit "${KIND}"`;
    const strategy = params.strategy ?? "mean";
    const columns = resolveColumns(df, params.columns, action);
    const kinds = columns.map((name) => columnKind(df, name, action));
    requireStrategyFits(columns, kinds, strategy, params.fill_value, df, action);
    if (strategy !== "constant") requireObserved(df, columns, action);
    const fill = learnFill(df, columns, kinds, strategy, params.fill_value);
    return imputerState(df.columns, columns, kinds, fill);
  }

  /**
   * Learns each column's fill value from batches: the mean from merged moments, the median
   * from exact order statistics, the most frequent value from exact counts (ties: the
   * smallest, as `learn`).
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof SIMPLE_IMPUTER_PARAMS>,
  ): Promise<SimpleImputerState> {
    const action = `Cannot fit "${KIND}"`;
    const strategy = params.strategy ?? "mean";
    const first = await firstBatch(source, action);
    const columns = resolveColumns(first, params.columns, action);
    const kinds = columns.map((name) => columnKind(first, name, action));
    requireStrategyFits(columns, kinds, strategy, params.fill_value, first, action);
    let fill: (number | string)[];
    if (strategy === "constant") {
      fill = columns.map(() => params.fill_value!);
    } else if (strategy === "most_frequent") {
      fill = await streamMostFrequent(source, columns, kinds, first, action);
    } else {
      const moments = await streamMoments(source, columns, action);
      fill = strategy === "mean"
        ? moments.map((m) => m.mean)
        : (await streamQuantiles(source, columns, [0.5], moments)).map((q) => q[0]!);
    }
    return imputerState(first.columns, columns, kinds, fill);
  }

  /**
   * Returns a new frame with the missing values of each fitted column filled.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the filled frame: numeric columns as Float64, text columns as String
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or changed between number and
   *   text
   * @example
   * ```ts
   * imputer.transform(pl.DataFrame({ a: [null, 5] })); // a: [2, 5]
   * ```
   */
  override transform(df: DataFrame): DataFrame {
    const { state } = this.fitted("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    state.columns.forEach((name, i) => {
      const kind = columnKind(df, name, action);
      if (kind !== state.kinds[i]) {
        throw new SchemaMismatchError(
          `${action}: column "${name}" is ${dtypeName(df, name)}, expected ${
            state.kinds[i] === "numeric" ? "a numeric" : "a text"
          } column as in training; cast it back in cleaning`,
        );
      }
    });
    const outputs = new Map<string, Expr[]>(
      state.columns.map((name, i) => {
        const values = state.kinds[i] === "numeric" ? observedValues(name) : categoryValues(name);
        return [name, [values.fillNull(pl.lit(state.fill[i]!)).alias(name)]];
      }),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * Fills a null (and NaN in a numeric column) with the learned value; other values pass.
   *
   * @param c where the fitted columns are
   * @param _params the parsed options
   * @param state the learned kinds and fill values
   * @returns the kernel
   * @throws {RowUnsupported} when a column's dtype does not match the kind it was fitted as
   */
  protected override rowKernel(
    c: RowContext,
    _params: unknown,
    state: SimpleImputerState,
  ): RowKernel {
    const { kinds, fill } = state;
    c.positions.forEach((k, i) => {
      const dtype = c.columns[k]!.dtype;
      const kind = dtype === "f64" || dtype === "i64" ? "numeric" : dtype === "str" ? "text" : "";
      const matches = kind === kinds[i] &&
        (kind === "numeric" ? typeof fill[i] === "number" : typeof fill[i] === "string");
      if (!matches) {
        throw new RowUnsupported(`${c.where} fills "${c.columns[k]!.name}" (${dtype})`);
      }
    });
    const indexOf = c.indexOf;
    return {
      columns: c.columns.map((column, k): RowColumn => {
        const i = indexOf.get(k);
        return i === undefined
          ? column
          : { name: column.name, dtype: kinds[i] === "numeric" ? "f64" : "str" };
      }),
      slackUlps: 0,
      apply: (values) =>
        values.map((v, k) => {
          const i = indexOf.get(k);
          if (i === undefined) return v;
          // Numbers: NaN is missing too.
          return v === null || (kinds[i] === "numeric" && Number.isNaN(v)) ? fill[i]! : v;
        }),
    };
  }

  /**
   * Takes numbers and text, and accepts nulls: filling them is its job.
   *
   * @returns the policy
   */
  protected override policy(): InputPolicy {
    return { dtypes: ["f64", "i64", "str"], nulls: "accept", unseen: "none", minimum: null };
  }

  /**
   * Rebuilds a fitted imputer from `toJSON()` output.
   *
   * @param json the serialised imputer
   * @returns a fitted imputer
   * @throws {ArtifactError} when the kind, version, params or state are wrong
   * @example
   * ```ts
   * const copy = SimpleImputer.fromJSON(JSON.parse(JSON.stringify(imputer)));
   * ```
   */
  static fromJSON(json: TransformerState): SimpleImputer {
    const { params, state } = readState(json, KIND, VERSION, SIMPLE_IMPUTER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, { kinds: state.kinds, fill: state.fill });
    state.kinds.forEach((kind, i) => {
      requireConsistentState(
        kind === "numeric" ? typeof state.fill[i] === "number" : typeof state.fill[i] === "string",
        KIND,
        `fill value ${JSON.stringify(state.fill[i])} of column "${
          state.columns[i]
        }" does not match its kind "${kind}"`,
      );
    });
    return new SimpleImputer(params as SimpleImputerOptions).restore(params, state);
  }
}

function columnKind(df: DataFrame, name: string, action: string): "numeric" | "text" {
  const dtype = dtypeName(df, name);
  if (isNumericDtype(dtype)) return "numeric";
  if (isTextDtype(dtype)) return "text";
  throw new SchemaMismatchError(
    `${action}: column "${name}" is ${dtype}, expected a numeric or text column; cast it in cleaning or leave it out with the columns option`,
  );
}

function requireStrategyFits(
  columns: readonly string[],
  kinds: readonly ("numeric" | "text")[],
  strategy: ImputeStrategy,
  fillValue: number | string | undefined,
  df: DataFrame,
  action: string,
): void {
  columns.forEach((name, i) => {
    const kind = kinds[i]!;
    if ((strategy === "mean" || strategy === "median") && kind === "text") {
      throw new SchemaMismatchError(
        `${action}: column "${name}" is ${
          dtypeName(df, name)
        }, strategy "${strategy}" needs a numeric column; use "most_frequent" or "constant" for text, or leave it out with the columns option`,
      );
    }
    const fillMatches = kind === "numeric"
      ? typeof fillValue === "number"
      : typeof fillValue === "string";
    if (strategy === "constant" && !fillMatches) {
      throw new SchemaMismatchError(
        `${action}: fill_value ${
          JSON.stringify(fillValue)
        } is a ${typeof fillValue} but column "${name}" is ${dtypeName(df, name)}, expected a ${
          kind === "numeric" ? "number" : "string"
        }; use one imputer per kind of column with the columns option`,
      );
    }
  });
}

function learnFill(
  df: DataFrame,
  columns: readonly string[],
  kinds: readonly ("numeric" | "text")[],
  strategy: ImputeStrategy,
  fillValue: number | string | undefined,
): (number | string)[] {
  if (strategy === "constant") return columns.map(() => fillValue!);
  if (strategy === "most_frequent") {
    return columns.map((name, i) => mostFrequentValue(df, name, kinds[i]!));
  }
  const row = df.select(
    ...columns.map((name, i) => {
      const values = observedValues(name);
      return (strategy === "mean" ? values.mean() : values.median()).alias(`s${i}`);
    }),
  ).row(0) as unknown[];
  return columns.map((_, i) => Number(row[i]));
}

// Ties go to the smallest value, as scikit-learn does: polars' mode() returns every most
// frequent value and min() picks the smallest, so millions of distinct values never reach JS.
function mostFrequentValue(df: DataFrame, name: string, kind: "numeric" | "text"): number | string {
  const values = kind === "numeric" ? observedValues(name) : categoryValues(name);
  const best = df.select(values.dropNulls().mode().min().alias("value"));
  // requireObserved ran first, so there is a value.
  return best.getColumn("value").toArray()[0] as number | string;
}

/** The imputer's state from each column's fill value. */
function imputerState(
  inputColumns: string[],
  columns: string[],
  kinds: ("numeric" | "text")[],
  fill: (number | string)[],
): SimpleImputerState {
  requireFiniteStats(
    KIND,
    Object.fromEntries(
      columns.flatMap((name, i) => typeof fill[i] === "number" ? [[name, [fill[i]]]] : []),
    ),
  );
  return { input_columns: inputColumns, columns, kinds, fill };
}

/**
 * Each column's most frequent observed value over every batch, ties to the smallest (as
 * `mostFrequentValue` on the whole split). Numbers are counted by value, text by category.
 */
async function streamMostFrequent(
  source: FrameSource,
  columns: readonly string[],
  kinds: readonly ("numeric" | "text")[],
  schema: DataFrame,
  action: string,
): Promise<(number | string)[]> {
  const numberCounts = columns.map(() => new Map<number, number>());
  const text = columns.filter((_, i) => kinds[i] === "text");
  const textCounts = text.length > 0 ? await streamCategoryCounts(source, text) : [];
  if (text.length < columns.length) {
    for await (const frame of source()) {
      if (frame.height === 0) continue;
      columns.forEach((name, i) => {
        if (kinds[i] !== "numeric") return;
        const grouped = frame.select(observedValues(name).alias("value")).dropNulls()
          .groupBy("value").agg(pl.len().alias("count"));
        const values = grouped.getColumn("value").toArray() as number[];
        const counts = grouped.getColumn("count").toArray() as unknown[];
        const into = numberCounts[i]!;
        values.forEach((v, k) => into.set(v, (into.get(v) ?? 0) + Number(counts[k])));
      });
    }
  }
  const best = columns.map((name, i): number | string | null => {
    const entries: [number | string, number][] = kinds[i] === "numeric"
      ? [...numberCounts[i]!]
      : textCounts[text.indexOf(name)]!.flatMap((entry) =>
        entry.value === null ? [] : [[entry.value, entry.count] as [string, number]]
      );
    let top: [number | string, number] | null = null;
    for (const entry of entries) {
      if (top === null || entry[1] > top[1] || (entry[1] === top[1] && entry[0] < top[0])) {
        top = entry;
      }
    }
    return top === null ? null : top[0];
  });
  const empty = columns.filter((_, i) => best[i] === null);
  if (empty.length > 0) requireObserved(schema.head(0), empty, action);
  return best as (number | string)[];
}
