/**
 * `OneHotEncoder`: replaces each categorical column by one Float64 indicator column per training
 * category, optionally keeping only the most frequent ones.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import { RowUnsupported } from "../../data/mod.ts";
import type { RowColumn } from "../../data/mod.ts";
import { DataValidationError, SchemaMismatchError } from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import {
  BaseTransformer,
  categoryValues,
  COLUMNS_PARAM,
  compareCategories,
  countCategories,
  INPUT_COLUMNS_STATE,
  isOneOf,
  learnCategoryBatches,
  listNames,
  namesOut,
  offendingRows,
  readState,
  refusal,
  replaceColumns,
  requireCategorical,
  requireColumnArrays,
  requireColumns,
  requireConsistentState,
  requireNoNulls,
  requireObserved,
  requireRowTypes,
  resolveColumns,
} from "./_base.ts";
import type {
  CategoryCount,
  FrameSource,
  InputPolicy,
  RowContext,
  RowKernel,
  TransformerState,
} from "./_base.ts";

const KIND = "OneHotEncoder";
const VERSION = 1;

/** Options of `OneHotEncoder` (snake_case, as written under `params:` in config). */
export interface OneHotEncoderOptions {
  /**
   * Columns to encode: text, categorical, boolean or integer columns.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * Keep only the N most frequent training categories of each column (ties broken by category
   * name); the others, and unknown values, go to an extra `<column>_other` indicator.
   *
   * @default undefined (keep every category, no other column)
   */
  top_n?: number;
  /**
   * What to do with a category not seen in training: `"ignore"` gives all-zero indicators (or
   * the other indicator when `top_n` is set) and counts it in `transformWithReport`; `"error"`
   * throws `DataValidationError`.
   *
   * @default "ignore"
   */
  handle_unknown?: "ignore" | "error";
  /**
   * What to do with nulls: `"error"` throws `DataValidationError` naming the column and count
   * (the cleaner should have handled them); `"category"` treats null as a category with a
   * `<column>_null` indicator.
   *
   * @default "error"
   */
  handle_null?: "error" | "category";
}

/** The defaults merged under the options given to `OneHotEncoder`. */
export const DEFAULT_ONE_HOT_ENCODER_OPTIONS: OneHotEncoderOptions = {
  handle_unknown: "ignore",
  handle_null: "error",
};

/** The strict schema of `OneHotEncoder` params, used by `fit` and by config validation. */
export const ONE_HOT_ENCODER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  top_n: z.int({ error: "expected a positive integer" })
    .positive({ error: "expected a positive integer" })
    .optional(),
  handle_unknown: z.enum(["ignore", "error"], { error: 'expected "ignore" or "error"' }).optional(),
  handle_null: z.enum(["error", "category"], { error: 'expected "error" or "category"' })
    .optional(),
});

/** What `OneHotEncoder.fit` learns, per encoded column. */
export type OneHotEncoderState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The encoded columns. */
  columns: string[];
  /** Every non-null training category per column, sorted. */
  categories: string[][];
  /** Whether null was a training category (only with `handle_null: "category"`). */
  has_null: boolean[];
  /** The categories with their own indicator, sorted: all of them unless `top_n` is set. */
  kept: string[][];
  /** Whether the `<column>_null` indicator exists. */
  keep_null: boolean[];
  /** Whether the `<column>_other` indicator exists (`top_n` is set). */
  other: boolean;
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  categories: z.array(z.array(z.string())),
  has_null: z.array(z.boolean()),
  kept: z.array(z.array(z.string())),
  keep_null: z.array(z.boolean()),
  other: z.boolean(),
});

/** The result of `OneHotEncoder.transformWithReport`. */
export interface OneHotEncoderReport {
  /** The encoded frame, as `transform` returns it. */
  frame: DataFrame;
  /**
   * Rows per encoded column whose value was not a training category (0 when none). Only
   * reached with `handle_unknown: "ignore"`; with `"error"` such rows throw.
   */
  unknownCounts: Record<string, number>;
}

/**
 * One-hot encodes categorical columns: each column is replaced, at its position, by indicator
 * columns `<column>_<category>` (Float64 0/1) for its sorted training categories.
 *
 * Text, categorical, boolean and integer columns are read as text (`1` → `"1"`, `true` →
 * `"true"`); float columns are refused. With `top_n`, only the most frequent categories keep
 * their own indicator and the rest share `<column>_other`, which is always last. Unknown
 * categories at transform time give all-zero rows (or the other indicator) and are counted:
 * call `transformWithReport` to get the counts, or set `handle_unknown: "error"`. Nulls throw
 * unless `handle_null: "category"` gives them a `<column>_null` indicator (after the sorted
 * categories); a null at transform time when none was seen in training counts as unknown.
 *
 * @example
 * ```ts
 * const encoder = new OneHotEncoder({ columns: ["Island"], top_n: 2 }).fit(train);
 * const { frame, unknownCounts } = encoder.transformWithReport(val);
 * ```
 */
export class OneHotEncoder
  extends BaseTransformer<z.output<typeof ONE_HOT_ENCODER_PARAMS>, OneHotEncoderState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options columns, `top_n`, `handle_unknown` and `handle_null`; stored unchanged and
   *   validated by `fit`
   */
  constructor(options: OneHotEncoderOptions = {}) {
    super(options, {
      version: VERSION,
      params: ONE_HOT_ENCODER_PARAMS,
      defaults: DEFAULT_ONE_HOT_ENCODER_OPTIONS,
    });
  }

  /**
   * Learns the categories of each column (and which to keep with `top_n`).
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing or a float, or an output name clashes
   * @throws {DataValidationError} when a column holds nulls (with `handle_null: "error"`) or
   *   only nulls
   * @example
   * ```ts
   * new OneHotEncoder().fit(pl.DataFrame({ s: ["a", "b"] })).featureNamesOut(); // ["s_a", "s_b"]
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof ONE_HOT_ENCODER_PARAMS>,
  ): OneHotEncoderState {
    const action = `Cannot fit "${KIND}"`;
    const columns = resolveColumns(df, params.columns, action);
    requireCategorical(df, columns, action);
    requireObserved(df, columns, action);
    if (params.handle_null !== "category") {
      requireNoNulls(
        df,
        columns,
        action,
        `impute them in cleaning, or set handle_null: "category"`,
      );
    }
    return oneHotState(
      df.columns,
      columns,
      columns.map((name) => countCategories(df, name)),
      params,
    );
  }

  /**
   * Learns the categories of each column from batches: their counts are summed batch by batch,
   * so the categories and the `top_n` kept equal `learn`'s exactly.
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof ONE_HOT_ENCODER_PARAMS>,
  ): Promise<OneHotEncoderState> {
    const { first, columns, counts } = await learnCategoryBatches(
      source,
      params.columns,
      `Cannot fit "${KIND}"`,
      {
        allowed: params.handle_null === "category",
        fix: `impute them in cleaning, or set handle_null: "category"`,
      },
    );
    return oneHotState(first.columns, columns, counts, params);
  }

  /**
   * Returns a new frame with each fitted column replaced by its indicator columns.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the encoded frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or a float, or an indicator
   *   name is already a column
   * @throws {DataValidationError} on nulls (with `handle_null: "error"`) or unknown categories
   *   (with `handle_unknown: "error"`)
   * @example
   * ```ts
   * encoder.transform(pl.DataFrame({ s: ["b"] })); // s_a: [0], s_b: [1]
   * ```
   */
  override transform(df: DataFrame): DataFrame {
    return this.#encode(df, { report: false, float64: true }).frame;
  }

  /**
   * Encodes like `transform` and also returns how many rows of each column held a category not
   * seen in training. Counting is one vectorised pass; nothing is stored on the encoder.
   *
   * @param df a frame with the fitted columns
   * @returns the encoded frame and the unknown counts per encoded column
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} as `transform`
   * @throws {DataValidationError} as `transform`
   * @example
   * ```ts
   * encoder.transformWithReport(val).unknownCounts; // { Island: 3 }
   * ```
   */
  transformWithReport(df: DataFrame): OneHotEncoderReport {
    return this.#encode(df, { report: true, float64: true });
  }

  /**
   * Encodes like `transform`, with Boolean indicator columns instead of Float64 0/1 (the same
   * values once cast); `FeaturePipeline` builds feature frames and matrices from this.
   *
   * @param df a frame with the fitted columns
   * @returns the encoded frame, indicators as Boolean
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} as `transform`
   * @throws {DataValidationError} as `transform`
   * @example
   * ```ts
   * encoder.transformCompact(pl.DataFrame({ s: ["b"] })); // s_a: [false], s_b: [true]
   * ```
   */
  transformCompact(df: DataFrame): DataFrame {
    return this.#encode(df, { report: false, float64: false }).frame;
  }

  /**
   * The work of every transform. `report` asks for the unknown-category counts (they are always
   * taken with `handle_unknown: "error"`, which rejects unknowns; plain `transform` skips that
   * pass otherwise), and `float64` casts the indicators to Float64.
   */
  #encode(df: DataFrame, options: { report: boolean; float64: boolean }): OneHotEncoderReport {
    const { params, state } = this.fitted("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    requireCategorical(df, state.columns, action);
    const nullAsCategory = params.handle_null === "category";
    if (!nullAsCategory) {
      requireNoNulls(
        df,
        state.columns,
        action,
        `impute them in cleaning, or set handle_null: "category"`,
      );
    }
    let unknownCounts: Record<string, number> = {};
    // `transform` with handle_unknown "ignore" has no use for the counts: skip that pass.
    if (options.report || params.handle_unknown === "error") {
      const unknownMasks = state.columns.map((name, i) => unknownMask(name, state, i));
      const counts = df.select(...unknownMasks.map((mask, i) => mask.sum().alias(`u${i}`))).row(
        0,
      ) as unknown[];
      unknownCounts = Object.fromEntries(
        state.columns.map((name, i) => [name, Number(counts[i])]),
      );
      if (params.handle_unknown === "error") requireKnown(df, state, unknownMasks, unknownCounts);
    }
    const outputs = new Map<string, Expr[]>();
    const passThrough = new Set(df.columns.filter((name) => !state.columns.includes(name)));
    state.columns.forEach((name, i) => {
      const names = outputNames(state, i);
      const clash = names.find((output) => passThrough.has(output));
      if (clash !== undefined) {
        throw new SchemaMismatchError(
          `${action}: indicator "${clash}" for column "${name}" is already a column of the frame; rename or drop that column first`,
        );
      }
      outputs.set(name, indicators(name, state, i, names, options.float64));
    });
    return { frame: replaceColumns(df, outputs), unknownCounts };
  }

  /**
   * Returns the output column names for a frame laid out like the one given to `fit`: each
   * encoded column replaced by its indicators.
   *
   * @returns the names
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * new OneHotEncoder({ top_n: 1 }).fit(pl.DataFrame({ s: ["a", "a", "b"] })).featureNamesOut();
   * // ["s_a", "s_other"]
   * ```
   */
  override featureNamesOut(): string[] {
    const { state } = this.fitted("list the features of");
    return namesOut(
      state.input_columns,
      new Map(state.columns.map((name, i) => [name, outputNames(state, i)])),
    );
  }

  /**
   * One 0/1 value per indicator of each encoded column, in `featureNamesOut` order; a null or
   * an unseen category is refused when the options refuse it.
   *
   * @param c where the fitted columns are
   * @param params the parsed options
   * @param state the learned categories and indicators
   * @returns the kernel
   * @throws {RowUnsupported} when a column is not text or integers, or an indicator name
   *   clashes with a column passed through
   */
  protected override rowKernel(
    c: RowContext,
    params: z.output<typeof ONE_HOT_ENCODER_PARAMS>,
    state: OneHotEncoderState,
  ): RowKernel {
    requireRowTypes(c, ["str", "i64"], "categories");
    const categories = state.categories.map((list) => new Set(list));
    const { has_null: hasNull, kept, keep_null: keepNull, other } = state;
    const keptSets = kept.map((list) => new Set(list));
    const nullAsCategory = params.handle_null === "category";
    const unknownIsError = params.handle_unknown === "error";
    const names = new Map(c.positions.map((k, i) => [k, outputNames(state, i)]));
    const passThrough = new Set(c.columns.filter((_, k) => !c.indexOf.has(k)).map((x) => x.name));
    for (const list of names.values()) {
      const clash = list.find((name) => passThrough.has(name));
      if (clash !== undefined) throw new RowUnsupported(`${c.where} indicator "${clash}" clashes`);
    }
    const indexOf = c.indexOf;
    return {
      columns: c.columns.flatMap((column, k) =>
        names.get(k)?.map((name): RowColumn => ({ name, dtype: "f64" })) ?? [column]
      ),
      slackUlps: 0,
      apply: (values) =>
        values.flatMap((v, k) => {
          const i = indexOf.get(k);
          if (i === undefined) return [v];
          const text = v === null ? null : String(v);
          if (text === null && !nullAsCategory) {
            throw refusal(c, `nulls in "${c.columns[k]!.name}"`);
          }
          const known = text === null ? hasNull[i]! : categories[i]!.has(text);
          if (!known && unknownIsError) {
            throw refusal(c, `unseen values of "${c.columns[k]!.name}"`);
          }
          const out: number[] = kept[i]!.map((category) => (text === category ? 1 : 0));
          if (keepNull[i]) out.push(text === null ? 1 : 0);
          if (other) out.push((text === null ? keepNull[i]! : keptSets[i]!.has(text)) ? 0 : 1);
          return out;
        }),
    };
  }

  /**
   * Takes text and integers; accepts nulls with `handle_null: "category"` and encodes unseen
   * categories unless `handle_unknown` is `"error"`.
   *
   * @param params the parsed options
   * @returns the policy
   */
  protected override policy(params: z.output<typeof ONE_HOT_ENCODER_PARAMS>): InputPolicy {
    return {
      dtypes: ["str", "i64"],
      nulls: params.handle_null === "category" ? "accept" : "refuse",
      unseen: params.handle_unknown === "error" ? "refuse" : "encode",
      minimum: null,
    };
  }

  /**
   * Rebuilds a fitted encoder from `toJSON()` output.
   *
   * @param json the serialised encoder
   * @returns a fitted encoder
   * @throws {ArtifactError} when the kind, version, params or state are wrong
   * @example
   * ```ts
   * const copy = OneHotEncoder.fromJSON(JSON.parse(JSON.stringify(encoder)));
   * ```
   */
  static fromJSON(json: TransformerState): OneHotEncoder {
    const { params, state } = readState(json, KIND, VERSION, ONE_HOT_ENCODER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, {
      categories: state.categories,
      has_null: state.has_null,
      kept: state.kept,
      keep_null: state.keep_null,
    });
    requireConsistentState(
      state.other === (params.top_n !== undefined),
      KIND,
      `"other" is ${state.other} but top_n is ${params.top_n ?? "not set"}`,
    );
    state.kept.forEach((kept, i) => {
      const known = new Set(state.categories[i]);
      requireConsistentState(
        kept.every((category) => known.has(category)) &&
          (!state.keep_null[i] || state.has_null[i]!),
        KIND,
        `kept categories of column "${state.columns[i]}" are not among its categories`,
      );
    });
    return new OneHotEncoder(params as OneHotEncoderOptions).restore(params, state);
  }
}

function nonNull(values: readonly (string | null)[]): string[] {
  return values.filter((value): value is string => value !== null);
}

// The N largest counts, ties broken by category name; returned in category order.
function mostFrequent(
  counts: readonly { value: string | null; count: number }[],
  n: number,
): { value: string | null; count: number }[] {
  return [...counts]
    .sort((a, b) => b.count - a.count || compareCategories(a.value, b.value))
    .slice(0, n)
    .sort((a, b) => compareCategories(a.value, b.value));
}

function outputNames(state: OneHotEncoderState, i: number): string[] {
  const name = state.columns[i]!;
  const names = state.kept[i]!.map((category) => `${name}_${category}`);
  if (state.keep_null[i]) names.push(`${name}_null`);
  if (state.other) names.push(`${name}_other`);
  return names;
}

function requireDistinctNames(inputColumns: readonly string[], state: OneHotEncoderState): void {
  const taken = new Map<string, string>(
    inputColumns.filter((name) => !state.columns.includes(name)).map((
      name,
    ) => [name, "a column of the frame"]),
  );
  state.columns.forEach((column, i) => {
    for (const output of outputNames(state, i)) {
      const owner = taken.get(output);
      if (owner !== undefined) {
        throw new SchemaMismatchError(
          `Cannot fit "${KIND}": indicator "${output}" for column "${column}" clashes with ${owner}; rename the column or the category in cleaning`,
        );
      }
      taken.set(output, `an indicator of column "${column}"`);
    }
  });
}

// True where the value is not a training category: an unseen text, or a null when nulls are a
// category but none was seen in training.
function unknownMask(name: string, state: OneHotEncoderState, i: number): Expr {
  const values = categoryValues(name);
  const unseenText = values.isNotNull().and(isOneOf(name, state.categories[i]!).not());
  return state.has_null[i] ? unseenText : unseenText.or(values.isNull());
}

function indicators(
  name: string,
  state: OneHotEncoderState,
  i: number,
  names: string[],
  float64: boolean,
): Expr[] {
  const values = categoryValues(name);
  const exprs = state.kept[i]!.map((category) => values.eq(pl.lit(category)).fillNull(false));
  if (state.keep_null[i]) exprs.push(values.isNull());
  if (state.other) {
    const kept = isOneOf(name, state.kept[i]!);
    exprs.push((state.keep_null[i] ? kept.or(values.isNull()) : kept).not());
  }
  return exprs.map((expr, k) => (float64 ? expr.cast(pl.Float64) : expr).alias(names[k]!));
}

function requireKnown(
  df: DataFrame,
  state: OneHotEncoderState,
  masks: readonly Expr[],
  counts: Record<string, number>,
): void {
  const issues: ValidationIssue[] = state.columns.flatMap((name, i) => {
    const count = counts[name] ?? 0;
    if (count === 0) return [];
    const { examples, rows } = offendingRows(df, name, masks[i]!);
    return [{
      column: name,
      rule: "allowed",
      count,
      message: `column "${name}" has ${count} ${
        count === 1 ? "value" : "values"
      } not seen in training (e.g. ${JSON.stringify(examples[0] ?? null)} at row ${
        rows[0]
      }), expected one of ${listNames(state.categories[i]!)}`,
      examples,
      rows,
    }];
  });
  if (issues.length === 0) return;
  throw new DataValidationError(
    `Cannot transform with "${KIND}": ${
      issues.map((issue) => issue.message).join("; ")
    }; set handle_unknown: "ignore" to encode them as zeros, or refit on data that has them`,
    issues,
  );
}

/** The encoder's state from each column's counted categories. */
function oneHotState(
  inputColumns: string[],
  columns: string[],
  counts: CategoryCount[][],
  params: z.output<typeof ONE_HOT_ENCODER_PARAMS>,
): OneHotEncoderState {
  const state: OneHotEncoderState = {
    input_columns: inputColumns,
    columns,
    categories: [],
    has_null: [],
    kept: [],
    keep_null: [],
    other: params.top_n !== undefined,
  };
  for (const columnCounts of counts) {
    const kept = params.top_n === undefined
      ? columnCounts
      : mostFrequent(columnCounts, params.top_n);
    state.categories.push(nonNull(columnCounts.map((entry) => entry.value)));
    state.has_null.push(columnCounts.some((entry) => entry.value === null));
    state.kept.push(nonNull(kept.map((entry) => entry.value)));
    state.keep_null.push(kept.some((entry) => entry.value === null));
  }
  requireDistinctNames(inputColumns, state);
  return state;
}
