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
  BaseTransformer,
  COLUMNS_PARAM,
  firstBatch,
  INPUT_COLUMNS_STATE,
  mapNumbers,
  NUMERIC_POLICY,
  observedValues,
  readState,
  replaceColumns,
  requireColumnArrays,
  requireColumns,
  requireFiniteStats,
  requireNumeric,
  requireObserved,
  resolveColumns,
  streamMoments,
} from "./_base.ts";
import type { FrameSource, InputPolicy, RowContext, RowKernel, TransformerState } from "./_base.ts";

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
export class MinMaxScaler
  extends BaseTransformer<z.output<typeof MIN_MAX_SCALER_PARAMS>, MinMaxScalerState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options columns and feature range; stored unchanged and validated by `fit`
   */
  constructor(options: MinMaxScalerOptions = {}) {
    super(options, {
      version: VERSION,
      params: MIN_MAX_SCALER_PARAMS,
      defaults: DEFAULT_MIN_MAX_SCALER_OPTIONS,
    });
  }

  /**
   * Learns the minimum and maximum of each column.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a column has no observed value or infinite values
   * @example
   * ```ts
   * new MinMaxScaler().fit(pl.DataFrame({ a: [1, 2, 3] }));
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof MIN_MAX_SCALER_PARAMS>,
  ): MinMaxScalerState {
    const action = `Cannot fit "${KIND}"`;
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
    return minMaxState(df.columns, columns, dataMin, dataMax, [low, high]);
  }

  /**
   * Learns each column's minimum and maximum from batches (exactly `learn`'s).
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof MIN_MAX_SCALER_PARAMS>,
  ): Promise<MinMaxScalerState> {
    const action = `Cannot fit "${KIND}"`;
    const first = await firstBatch(source, action);
    const columns = resolveColumns(first, params.columns, action);
    requireNumeric(first, columns, action);
    const moments = await streamMoments(source, columns, action);
    return minMaxState(
      first.columns,
      columns,
      moments.map((m) => m.min),
      moments.map((m) => m.max),
      params.feature_range ?? [0, 1],
    );
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
  override transform(df: DataFrame): DataFrame {
    const { state } = this.fitted("transform with");
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
   * `x * scale + min` per value (`+ min` left out when it is 0, as polars leaves it out).
   *
   * @param c where the fitted columns are
   * @param _params the parsed options
   * @param state the learned scales and offsets
   * @returns the kernel
   */
  protected override rowKernel(
    c: RowContext,
    _params: unknown,
    state: MinMaxScalerState,
  ): RowKernel {
    // Polars simplifies `x + 0` to `x`, which keeps the sign of a -0 that `x + 0` would lose.
    return mapNumbers(c, (x, i) => {
      const y = x * state.scale[i]!;
      return state.min[i] === 0 ? y : y + state.min[i]!;
    });
  }

  /**
   * Takes numbers; nulls and NaN pass through as missing.
   *
   * @returns the policy
   */
  protected override policy(): InputPolicy {
    return NUMERIC_POLICY;
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
    return new MinMaxScaler(params as MinMaxScalerOptions).restore(params, state);
  }
}

// As scikit-learn: a range within rounding error of zero counts as 1, so a constant column maps
// to the low end of the feature range instead of dividing by zero.
function handleZeroScale(range: number): number {
  return range < 10 * Number.EPSILON ? 1 : range;
}

/** The scaler's state from each column's training minimum and maximum. */
function minMaxState(
  inputColumns: string[],
  columns: string[],
  dataMin: number[],
  dataMax: number[],
  [low, high]: readonly [number, number],
): MinMaxScalerState {
  const dataRange = columns.map((_, i) => dataMax[i]! - dataMin[i]!);
  requireFiniteStats(
    KIND,
    Object.fromEntries(
      columns.map((name, i) => [name, [dataMin[i]!, dataMax[i]!, dataRange[i]!]]),
    ),
  );
  const scale = dataRange.map((range) => (high - low) / handleZeroScale(range));
  const min = columns.map((_, i) => low - dataMin[i]! * scale[i]!);
  return {
    input_columns: inputColumns,
    columns,
    data_min: dataMin,
    data_max: dataMax,
    scale,
    min,
  };
}
