/**
 * `MinMaxScaler`: maps numeric columns linearly so the training minimum and maximum land on the
 * ends of a feature range.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import {
  COLUMNS_PARAM,
  INPUT_COLUMNS_STATE,
  jsonParams,
  namesOut,
  notFitted,
  observedValues,
  parseOptions,
  readState,
  replaceColumns,
  requireColumnArrays,
  requireColumns,
  requireFiniteStats,
  requireNumeric,
  requireObserved,
  resolveColumns,
} from "./_base.ts";
import type { Transformer, TransformerState } from "./_base.ts";

const KIND = "MinMaxScaler";
const VERSION = 1;

/** Options of `MinMaxScaler` (snake_case, as written under `params:` in config). */
export interface MinMaxScalerOptions {
  /**
   * Columns to scale; all must be numeric.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * The `[min, max]` the training minimum and maximum map to; `min < max`.
   *
   * @default [0, 1]
   */
  feature_range?: [number, number];
}

/** The defaults merged under the options given to `MinMaxScaler`. */
export const DEFAULT_MIN_MAX_SCALER_OPTIONS: MinMaxScalerOptions = { feature_range: [0, 1] };

const RANGE_MESSAGE = "expected [min, max], two finite numbers with min < max";

/** The strict schema of `MinMaxScaler` params, used by `fit` and by config validation. */
export const MIN_MAX_SCALER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  feature_range: z
    .tuple([z.number({ error: RANGE_MESSAGE }), z.number({ error: RANGE_MESSAGE })], {
      error: RANGE_MESSAGE,
    })
    .refine(([low, high]) => low < high, { error: RANGE_MESSAGE })
    .optional(),
});

/** What `MinMaxScaler.fit` learns, per scaled column. */
export type MinMaxScalerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The scaled columns. */
  columns: string[];
  /** Training minimum per column. */
  data_min: number[];
  /** Training maximum per column. */
  data_max: number[];
  /** Multiplier per column: `(range max - range min) / (data max - data min)`. */
  scale: number[];
  /** Offset per column, added after scaling: `range min - data min * scale`. */
  min: number[];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  data_min: z.array(z.number()),
  data_max: z.array(z.number()),
  scale: z.array(z.number()),
  min: z.array(z.number()),
});

/**
 * Scales numeric columns linearly so the training minimum maps to `feature_range[0]` and the
 * training maximum to `feature_range[1]`: `x * scale + min`, as scikit-learn's `MinMaxScaler`.
 *
 * Values outside the training range map outside the feature range (no clipping). A constant
 * column uses a data range of 1, so it maps to `feature_range[0]`. Nulls and NaN are ignored
 * when learning and kept by `transform`. Output columns are Float64, in place of the inputs.
 *
 * @example
 * ```ts
 * const scaler = new MinMaxScaler({ feature_range: [-1, 1] }).fit(train);
 * const scaled = scaler.transform(val);
 * ```
 */
export class MinMaxScaler implements Transformer<MinMaxScalerState> {
  /** Registry key. */
  readonly kind = KIND;
  #options: MinMaxScalerOptions;
  #params: z.output<typeof MIN_MAX_SCALER_PARAMS> | null = null;
  #state: MinMaxScalerState | null = null;

  /**
   * @param options columns and feature range; stored unchanged and validated by `fit`
   */
  constructor(options: MinMaxScalerOptions = {}) {
    this.#options = options;
  }

  /** Whether `fit` or `fromJSON` has given this scaler its statistics. */
  get isFitted(): boolean {
    return this.#state !== null;
  }

  /**
   * Learns the minimum and maximum of each column; replaces any earlier state.
   *
   * @param df the training split
   * @returns this scaler, fitted
   * @throws {TypeError} when an option has the wrong type
   * @throws {RangeError} when an option is out of range
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a column has no observed value or infinite values
   * @example
   * ```ts
   * new MinMaxScaler().fit(pl.DataFrame({ a: [1, 2, 3] }));
   * ```
   */
  fit(df: DataFrame): this {
    // A failed fit leaves the transformer unfitted, never with the previous split's state.
    this.#state = null;
    const action = `Cannot fit "${KIND}"`;
    const params = parseOptions(
      MIN_MAX_SCALER_PARAMS,
      { ...DEFAULT_MIN_MAX_SCALER_OPTIONS, ...this.#options },
      KIND,
    );
    const columns = resolveColumns(df, params.columns, action);
    requireNumeric(df, columns, action);
    requireObserved(df, columns, action);
    const [low, high] = params.feature_range ?? [0, 1];
    const row = df.select(
      ...columns.flatMap((name, i) => {
        const x = observedValues(name);
        return [x.min().alias(`min${i}`), x.max().alias(`max${i}`)];
      }),
    ).row(0) as number[];
    const dataMin = columns.map((_, i) => Number(row[2 * i]));
    const dataMax = columns.map((_, i) => Number(row[2 * i + 1]));
    const dataRange = columns.map((_, i) => dataMax[i]! - dataMin[i]!);
    requireFiniteStats(
      KIND,
      Object.fromEntries(
        columns.map((name, i) => [name, [dataMin[i]!, dataMax[i]!, dataRange[i]!]]),
      ),
    );
    const scale = dataRange.map((range) => (high - low) / handleZeroScale(range));
    const min = columns.map((_, i) => low - dataMin[i]! * scale[i]!);
    this.#params = params;
    this.#state = {
      input_columns: df.columns,
      columns,
      data_min: dataMin,
      data_max: dataMax,
      scale,
      min,
    };
    return this;
  }

  /**
   * Returns a new frame with each fitted column replaced by `x * scale + min` as Float64.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the scaled frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or not numeric
   * @example
   * ```ts
   * scaler.transform(pl.DataFrame({ a: [5] })); // a: [0.5] when trained on [0, 10]
   * ```
   */
  transform(df: DataFrame): DataFrame {
    const state = this.#requireState("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    requireNumeric(df, state.columns, action);
    const outputs = new Map<string, Expr[]>(
      state.columns.map((name, i) => [
        name,
        [
          pl.col(name).cast(pl.Float64).mul(pl.lit(state.scale[i]!)).add(pl.lit(state.min[i]!))
            .alias(name),
        ],
      ]),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * Fits on `df` and returns `df` transformed.
   *
   * @param df the training split
   * @returns the scaled frame
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a column has no observed value
   * @example
   * ```ts
   * new MinMaxScaler().fitTransform(pl.DataFrame({ a: [1, 3] })); // a: [0, 1]
   * ```
   */
  fitTransform(df: DataFrame): DataFrame {
    return this.fit(df).transform(df);
  }

  /**
   * Returns the output column names for a frame laid out like the one given to `fit`.
   *
   * @returns the names; scaling keeps every name
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * new MinMaxScaler().fit(pl.DataFrame({ a: [1, 3] })).featureNamesOut(); // ["a"]
   * ```
   */
  featureNamesOut(): string[] {
    const state = this.#requireState("list the features of");
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
  toJSON(): TransformerState<MinMaxScalerState> {
    const state = this.#requireState("serialise");
    return {
      kind: KIND,
      version: VERSION,
      params: jsonParams(this.#params ?? {}),
      state: structuredClone(state),
    };
  }

  /**
   * Rebuilds a fitted scaler from `toJSON()` output.
   *
   * @param json the serialised scaler
   * @returns a fitted scaler
   * @throws {ArtifactError} when the kind, version, params or state are wrong
   * @example
   * ```ts
   * const copy = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(scaler)));
   * ```
   */
  static fromJSON(json: TransformerState): MinMaxScaler {
    const { params, state } = readState(json, KIND, VERSION, MIN_MAX_SCALER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, {
      data_min: state.data_min,
      data_max: state.data_max,
      scale: state.scale,
      min: state.min,
    });
    const scaler = new MinMaxScaler(params as MinMaxScalerOptions);
    scaler.#params = params;
    scaler.#state = state;
    return scaler;
  }

  #requireState(action: string): MinMaxScalerState {
    if (this.#state === null) throw notFitted(KIND, action);
    return this.#state;
  }
}

// As scikit-learn: a range within rounding error of zero counts as 1, so a constant column maps
// to the low end of the feature range instead of dividing by zero.
function handleZeroScale(range: number): number {
  return range < 10 * Number.EPSILON ? 1 : range;
}
