/**
 * The `Transformer` contract and the `BaseTransformer` class every transformer in this folder
 * extends (options, fit state, not-fitted guard, JSON form, row kernel and input policy). The
 * helpers they share live by concern in `_columns.ts` (column and dtype checks), `_params.ts`
 * (options and artifact validation), `_categories.ts` (encoder helpers) and `_row_kernel.ts`
 * (row kernels), and are re-exported here so each transformer imports one module.
 *
 * Missing values: a null is missing, and so is NaN in a float column. Learned statistics ignore
 * both; transforms keep them (a null stays null, a NaN stays NaN) unless the transformer exists to
 * fill them (`SimpleImputer`).
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import type { z } from "zod";
import type { RowColumn } from "../../data/mod.ts";
import { rowContext } from "./_row_kernel.ts";
import type { InputPolicy, RowContext, RowKernel } from "./_row_kernel.ts";
import { namesOut, notFitted } from "./_columns.ts";
import { jsonParams, parseOptions } from "./_params.ts";
import type { JsonObject, JsonValue } from "./_json.ts";
import type { FrameSource } from "./_streaming.ts";
import { ConfigError } from "../../errors.ts";

export type { JsonObject, JsonValue } from "./_json.ts";

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
  /**
   * Optional: `fit` on a training split that arrives in batches (out-of-core training). The
   * state equals `fit`'s on the whole split: exactly for counts and categories, within float
   * rounding for means, variances and quantiles. Absent: the kind cannot be fitted in batches.
   */
  fitBatches?(source: FrameSource): Promise<this>;
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
  /**
   * Optional: the output columns that hold category codes (integers that name categories, not
   * quantities), which tree families split by sets of categories. Throws `NotFittedError`
   * before `fit`. Absent: no output is a category code.
   */
  categoryCodeColumns?(): string[];
  /** The output column names for a frame laid out like the one given to `fit`. */
  featureNamesOut(): string[];
  /** The fitted state: `{ kind, version, params, state }`. */
  toJSON(): TransformerState<S>;
  /**
   * Compiles the fitted transformer into a row kernel: `transform` for one row of plain values,
   * equal to the frame path bit for bit. Throws `NotFittedError` before `fit`, and
   * `RowUnsupported` when a column of `columns` has a dtype the transformer does not take.
   */
  compileRow(columns: readonly RowColumn[]): RowKernel;
  /** What the fitted transformer does with nulls, unseen categories and out-of-domain values. */
  inputPolicy(): InputPolicy;
}
/** How a transformer rebuilds itself from `toJSON()` output. */
export type TransformerFromJson = (json: TransformerState) => Transformer;

export {
  mapNumbers,
  NUMERIC_POLICY,
  numericColumnsOut,
  refusal,
  requireRowTypes,
  rowContext,
} from "./_row_kernel.ts";
export type { InputPolicy, RowContext, RowKernel } from "./_row_kernel.ts";
export {
  dtypeName,
  isCategoricalDtype,
  isNumericDtype,
  isTextDtype,
  listNames,
  namesOut,
  notFitted,
  observedValues,
  replaceColumns,
  requireColumns,
  requireNumeric,
  requireObserved,
  resolveColumns,
} from "./_columns.ts";
export {
  COLUMNS_PARAM,
  compareText,
  formatValue,
  INPUT_COLUMNS_STATE,
  jsonParams,
  objectKeys,
  paramIssues,
  parseOptions,
  readState,
  requireColumnArrays,
  requireConsistentState,
  requireFiniteStats,
} from "./_params.ts";
export type { ParamIssue } from "./_params.ts";
export {
  categoryValues,
  compareCategories,
  countCategories,
  freeColumnName,
  isOneOf,
  offendingRows,
  requireCategorical,
  requireNoNulls,
} from "./_categories.ts";
export type { CategoryCount } from "./_categories.ts";
export {
  firstBatch,
  frameSource,
  learnCategoryBatches,
  observedNumbers,
  streamCategoryCounts,
  streamMoments,
  streamQuantiles,
} from "./_streaming.ts";
export type { FrameSource } from "./_streaming.ts";

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
 * A subclass supplies its `kind`, what `fit` learns (`learn`), what `transform` computes, its
 * row form (`rowKernel`, equal to `transform` bit for bit, which the contract test checks for
 * every registered kind) and its input policy (`policy`), and rebuilds itself in a static
 * `fromJSON` that checks the JSON with `readState` and ends with `restore`. With one line in
 * `_registry.ts` it is then usable from config, loadable from a run, and fast in serving.
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
 *   protected override rowKernel(c: RowContext): RowKernel {
 *     return mapNumbers(c, (x) => x * 2);
 *   }
 *   protected override policy(): InputPolicy {
 *     return NUMERIC_POLICY;
 *   }
 * }
 * ```
 */
export abstract class BaseTransformer<
  P extends object,
  S extends JsonValue & { input_columns: string[]; columns: string[] },
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
   * Learns from a training split that arrives in batches; replaces any earlier state. The
   * state equals `fit`'s on the concatenated batches: exactly for counts and categories,
   * within float rounding for means, variances and quantiles.
   *
   * @param source the training batches; called once per pass (quantiles take a few)
   * @returns this transformer, fitted
   * @throws {ConfigError} when this kind has no batch fit
   * @throws {TypeError | RangeError | SchemaMismatchError | DataValidationError} as `fit`
   * @example
   * ```ts
   * await new StandardScaler().fitBatches(frameSource([train.slice(0, 1000), train.slice(1000)]));
   * ```
   */
  async fitBatches(source: FrameSource): Promise<this> {
    this.#fitted = null;
    const params = parseOptions(
      this.#definition.params,
      { ...this.#definition.defaults, ...this.#options },
      this.kind,
    );
    const state = await this.learnBatches(source, params);
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
   * Compiles the fitted transformer into a row kernel for a row frame laid out as `columns`.
   *
   * @param columns the row frame's columns (names and dtypes), as the step gives them
   * @returns the kernel; `kernel.apply(row)` equals `transform` of a one-row frame bit for bit
   * @throws {NotFittedError} before `fit`
   * @throws {RowUnsupported} when a fitted column is missing or of a dtype it does not take
   * @example
   * ```ts
   * const kernel = scaler.compileRow([{ name: "a", dtype: "f64" }]);
   * kernel.apply([2]); // [(2 - mean) / scale]
   * ```
   */
  compileRow(columns: readonly RowColumn[]): RowKernel {
    const { params, state } = this.fitted("compile a row kernel of");
    return this.rowKernel(rowContext(this.kind, state.columns, columns), params, state);
  }

  /**
   * Answers what the fitted transformer does with the values of its columns: the dtypes it
   * takes, nulls, unseen categories and the lowest number it accepts.
   *
   * @returns the policy
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * encoder.inputPolicy().nulls; // "accept" when it encodes null as a category
   * ```
   */
  inputPolicy(): InputPolicy {
    return this.policy(this.fitted("ask the input policy of").params);
  }

  /**
   * Builds the row kernel from the typed fitted state.
   *
   * @param context where the fitted columns are in the row frame
   * @param params the parsed options
   * @param state the learned state
   * @returns the kernel
   */
  protected abstract rowKernel(context: RowContext, params: P, state: S): RowKernel;

  /**
   * The input policy for the parsed options.
   *
   * @param params the parsed options
   * @returns the policy
   */
  protected abstract policy(params: P): InputPolicy;

  /**
   * Checks the data and learns the state; `fit` has already parsed the options.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state
   */
  protected abstract learn(df: DataFrame, params: P): S;

  /**
   * Checks the batches and learns the state, as `learn` does on the whole split. The default
   * refuses: a kind opts in by overriding it.
   *
   * @param _source the training batches
   * @param _params the parsed options
   * @returns the learned state
   * @throws {ConfigError} always, unless overridden
   */
  protected learnBatches(_source: FrameSource, _params: P): Promise<S> {
    return Promise.reject(
      new ConfigError(
        `Cannot fit "${this.kind}" in batches: it has no streaming fit; use another transformer kind, or set data.out_of_core to false to train in memory`,
      ),
    );
  }

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
