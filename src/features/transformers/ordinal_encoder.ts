/**
 * `OrdinalEncoder`: replaces each categorical column by the Float64 code of its value among the
 * sorted training categories.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import { DataValidationError } from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import {
  BaseTransformer,
  categoryValues,
  COLUMNS_PARAM,
  compareText,
  countCategories,
  INPUT_COLUMNS_STATE,
  isOneOf,
  learnCategoryBatches,
  listNames,
  numericColumnsOut,
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

const KIND = "OrdinalEncoder";
const VERSION = 1;

/** Options of `OrdinalEncoder` (snake_case, as written under `params:` in config). */
export interface OrdinalEncoderOptions {
  /**
   * Columns to encode: text, categorical, boolean or integer columns.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * The code given to a category not seen in training; it must not be a code of a training
   * category (`-1` is the usual choice). When not set, unknown categories throw.
   *
   * @default undefined (unknown categories throw `DataValidationError`)
   */
  unknown_value?: number;
  /**
   * What to do with nulls: `"error"` throws `DataValidationError` naming the column and count;
   * `"keep"` leaves them null in the output.
   *
   * @default "error"
   */
  handle_null?: "error" | "keep";
}

/** The defaults merged under the options given to `OrdinalEncoder`. */
export const DEFAULT_ORDINAL_ENCODER_OPTIONS: OrdinalEncoderOptions = { handle_null: "error" };

/** The strict schema of `OrdinalEncoder` params, used by `fit` and by config validation. */
export const ORDINAL_ENCODER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  unknown_value: z.number({ error: "expected a finite number" }).optional(),
  handle_null: z.enum(["error", "keep"], { error: 'expected "error" or "keep"' }).optional(),
});

/** What `OrdinalEncoder.fit` learns, per encoded column. */
export type OrdinalEncoderState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The encoded columns. */
  columns: string[];
  /** The sorted training categories per column; a category's code is its index. */
  categories: string[][];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  categories: z.array(z.array(z.string()).min(1)),
});

/**
 * Encodes categorical columns as ordinal codes: the sorted training categories map to
 * `0..k-1` (Float64), in place of the input column, as scikit-learn's `OrdinalEncoder`.
 *
 * Text, categorical, boolean and integer columns are read as text (`1` → `"1"`); float columns
 * are refused. Categories are sorted by text, so codes carry no meaning beyond identity; use
 * `OneHotEncoder` for models that would read order into them. Unknown categories throw unless
 * `unknown_value` is set; nulls throw unless `handle_null: "keep"`.
 *
 * @example
 * ```ts
 * const encoder = new OrdinalEncoder({ columns: ["Island"], unknown_value: -1 }).fit(train);
 * const encoded = encoder.transform(val);
 * ```
 */
export class OrdinalEncoder
  extends BaseTransformer<z.output<typeof ORDINAL_ENCODER_PARAMS>, OrdinalEncoderState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options columns, `unknown_value` and `handle_null`; stored unchanged and validated by
   *   `fit`
   */
  constructor(options: OrdinalEncoderOptions = {}) {
    super(options, {
      version: VERSION,
      params: ORDINAL_ENCODER_PARAMS,
      defaults: DEFAULT_ORDINAL_ENCODER_OPTIONS,
    });
  }

  /**
   * Learns the sorted categories of each column.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {RangeError} when `unknown_value` is a category code
   * @throws {SchemaMismatchError} when a column is missing or a float
   * @throws {DataValidationError} when a column holds nulls (with `handle_null: "error"`) or
   *   only nulls
   * @example
   * ```ts
   * new OrdinalEncoder().fit(pl.DataFrame({ s: ["b", "a"] })); // a → 0, b → 1
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof ORDINAL_ENCODER_PARAMS>,
  ): OrdinalEncoderState {
    const action = `Cannot fit "${KIND}"`;
    const columns = resolveColumns(df, params.columns, action);
    requireCategorical(df, columns, action);
    requireObserved(df, columns, action);
    if (params.handle_null !== "keep") {
      requireNoNulls(df, columns, action, `impute them in cleaning, or set handle_null: "keep"`);
    }
    return ordinalState(
      df.columns,
      columns,
      columns.map((name) => countCategories(df, name)),
      params,
      action,
    );
  }

  /**
   * Learns the categories of each column from batches (exactly `learn`'s).
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError | RangeError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof ORDINAL_ENCODER_PARAMS>,
  ): Promise<OrdinalEncoderState> {
    const action = `Cannot fit "${KIND}"`;
    const { first, columns, counts } = await learnCategoryBatches(source, params.columns, action, {
      allowed: params.handle_null === "keep",
      fix: `impute them in cleaning, or set handle_null: "keep"`,
    });
    return ordinalState(first.columns, columns, counts, params, action);
  }

  /**
   * Returns a new frame with each fitted column replaced by its category codes as Float64.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the encoded frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or a float
   * @throws {DataValidationError} on nulls (with `handle_null: "error"`) or unknown categories
   *   (without `unknown_value`)
   * @example
   * ```ts
   * encoder.transform(pl.DataFrame({ s: ["b"] })); // s: [1]
   * ```
   */
  override transform(df: DataFrame): DataFrame {
    const { params, state } = this.fitted("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    requireCategorical(df, state.columns, action);
    if (params.handle_null !== "keep") {
      requireNoNulls(
        df,
        state.columns,
        action,
        `impute them in cleaning, or set handle_null: "keep"`,
      );
    }
    if (params.unknown_value === undefined) requireKnown(df, state);
    const fallback = params.unknown_value === undefined
      ? pl.lit(null).cast(pl.Float64)
      : pl.lit(params.unknown_value);
    const outputs = new Map<string, Expr[]>(
      state.columns.map((name, i) => {
        const categories = state.categories[i]!;
        const codes = categories.map((_, code) => code);
        const values = categoryValues(name);
        const encoded = pl.when(values.isNull()).then(pl.lit(null).cast(pl.Float64)).otherwise(
          values.replaceStrict(categories, codes, fallback, pl.Float64),
        );
        return [name, [encoded.cast(pl.Float64).alias(name)]];
      }),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * The encoded columns: their outputs are category codes, which tree families split by sets of
   * categories.
   *
   * @returns the fitted columns
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * new OrdinalEncoder({ columns: ["Island"] }).fit(train).categoryCodeColumns(); // ["Island"]
   * ```
   */
  categoryCodeColumns(): string[] {
    return [...this.fitted("list the category columns of").state.columns];
  }

  /**
   * The code of each category; an unseen category gets `unknown_value` or is refused, and a
   * null is kept with `handle_null: "keep"` or refused.
   *
   * @param c where the fitted columns are
   * @param params the parsed options
   * @param state the learned categories
   * @returns the kernel
   * @throws {RowUnsupported} when a column is not text or integers
   */
  protected override rowKernel(
    c: RowContext,
    params: z.output<typeof ORDINAL_ENCODER_PARAMS>,
    state: OrdinalEncoderState,
  ): RowKernel {
    requireRowTypes(c, ["str", "i64"], "categories");
    const codes = state.categories.map((list) =>
      new Map(list.map((category, code) => [category, code]))
    );
    const keepNull = params.handle_null === "keep";
    const unknownValue = params.unknown_value;
    const indexOf = c.indexOf;
    return {
      columns: numericColumnsOut(c),
      slackUlps: 0,
      apply: (values) =>
        values.map((v, k) => {
          const i = indexOf.get(k);
          if (i === undefined) return v;
          if (v === null) {
            if (!keepNull) throw refusal(c, "nulls");
            return null;
          }
          const code = codes[i]!.get(String(v));
          if (code !== undefined) return code;
          if (unknownValue === undefined) throw refusal(c, "unseen values");
          return unknownValue;
        }),
    };
  }

  /**
   * Takes text and integers; accepts nulls with `handle_null: "keep"` and encodes unseen
   * categories when `unknown_value` is set.
   *
   * @param params the parsed options
   * @returns the policy
   */
  protected override policy(params: z.output<typeof ORDINAL_ENCODER_PARAMS>): InputPolicy {
    return {
      dtypes: ["str", "i64"],
      nulls: params.handle_null === "keep" ? "accept" : "refuse",
      unseen: params.unknown_value === undefined ? "refuse" : "encode",
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
   * const copy = OrdinalEncoder.fromJSON(JSON.parse(JSON.stringify(encoder)));
   * ```
   */
  static fromJSON(json: TransformerState): OrdinalEncoder {
    const { params, state } = readState(json, KIND, VERSION, ORDINAL_ENCODER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, { categories: state.categories });
    state.categories.forEach((categories, i) => {
      requireConsistentState(
        categories.every((category, k) => k === 0 || compareText(categories[k - 1]!, category) < 0),
        KIND,
        `categories of column "${state.columns[i]}" are not sorted and distinct`,
      );
    });
    return new OrdinalEncoder(params as OrdinalEncoderOptions).restore(params, state);
  }
}

function requireKnown(df: DataFrame, state: OrdinalEncoderState): void {
  const masks = state.columns.map((name, i) =>
    categoryValues(name).isNotNull().and(isOneOf(name, state.categories[i]!).not())
  );
  const counts = df.select(...masks.map((mask, i) => mask.sum().alias(`u${i}`))).row(
    0,
  ) as unknown[];
  const issues: ValidationIssue[] = state.columns.flatMap((name, i) => {
    const count = Number(counts[i]);
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
    }; set unknown_value (e.g. -1) to encode them, or refit on data that has them`,
    issues,
  );
}

/** The encoder's state from each column's counted categories. */
function ordinalState(
  inputColumns: string[],
  columns: string[],
  counts: CategoryCount[][],
  params: z.output<typeof ORDINAL_ENCODER_PARAMS>,
  action: string,
): OrdinalEncoderState {
  const categories = counts.map((columnCounts) =>
    columnCounts
      .map((entry) => entry.value)
      .filter((value): value is string => value !== null)
      .sort(compareText)
  );
  const unknownValue = params.unknown_value;
  if (unknownValue !== undefined) {
    columns.forEach((name, i) => {
      const clash = categories[i]![unknownValue];
      if (Number.isInteger(unknownValue) && clash !== undefined) {
        throw new RangeError(
          `${action}: option unknown_value ${unknownValue} is also the code of category "${clash}" in column "${name}", expected a value outside 0..${
            categories[i]!.length - 1
          }; use -1`,
        );
      }
    });
  }
  return { input_columns: inputColumns, columns, categories };
}
