/**
 * `RobustScaler`: centres numeric columns on the training median and divides by the training
 * interquartile range, so outliers barely move the statistics.
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
  streamQuantiles,
} from "./_base.ts";
import type { FrameSource, InputPolicy, RowContext, RowKernel, TransformerState } from "./_base.ts";

const KIND = "RobustScaler";
const VERSION = 1;

/** Options of `RobustScaler` (snake_case, as written under `params:` in config). */
export interface RobustScalerOptions {
  /**
   * Columns to scale; all must be numeric.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * The percentiles whose difference is the scale, `0 <= low < high <= 100`.
   *
   * @default [25, 75]
   */
  quantile_range?: [number, number];
}

/** The defaults merged under the options given to `RobustScaler`. */
export const DEFAULT_ROBUST_SCALER_OPTIONS: RobustScalerOptions = { quantile_range: [25, 75] };

const RANGE_MESSAGE = "expected [low, high], two percentiles with 0 <= low < high <= 100";

/** The strict schema of `RobustScaler` params, used by `fit` and by config validation. */
export const ROBUST_SCALER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  quantile_range: z
    .tuple([z.number({ error: RANGE_MESSAGE }), z.number({ error: RANGE_MESSAGE })], {
      error: RANGE_MESSAGE,
    })
    .refine(([low, high]) => 0 <= low && low < high && high <= 100, { error: RANGE_MESSAGE })
    .optional(),
});

/** What `RobustScaler.fit` learns, per scaled column. */
export type RobustScalerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The scaled columns. */
  columns: string[];
  /** Training median per column. */
  center: number[];
  /** Divisor per column: the interquartile range, or 1 when it is zero. */
  scale: number[];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  center: z.array(z.number()),
  scale: z.array(z.number().positive()),
});

/**
 * Scales numeric columns robustly: `(x - median) / (q_high - q_low)`, with the median and the
 * percentiles of `quantile_range` learned on the training split (linear interpolation, as
 * numpy's default), as scikit-learn's `RobustScaler`.
 *
 * A zero interquartile range counts as 1, so such a column is only centred. Nulls and NaN are
 * ignored when learning and kept by `transform`. Output columns are Float64, in place of the
 * inputs.
 *
 * @example
 * ```ts
 * const scaler = new RobustScaler({ quantile_range: [10, 90] }).fit(train);
 * const scaled = scaler.transform(val);
 * ```
 */
export class RobustScaler
  extends BaseTransformer<z.output<typeof ROBUST_SCALER_PARAMS>, RobustScalerState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options columns and quantile range; stored unchanged and validated by `fit`
   */
  constructor(options: RobustScalerOptions = {}) {
    super(options, {
      version: VERSION,
      params: ROBUST_SCALER_PARAMS,
      defaults: DEFAULT_ROBUST_SCALER_OPTIONS,
    });
  }

  /**
   * Learns the median and interquartile range of each column.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a column has no observed value or infinite values
   * @example
   * ```ts
   * new RobustScaler().fit(pl.DataFrame({ a: [1, 2, 3] }));
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof ROBUST_SCALER_PARAMS>,
  ): RobustScalerState {
    const action = `Cannot fit "${KIND}"`;
    const columns = resolveColumns(df, params.columns, action);
    requireNumeric(df, columns, action);
    requireObserved(df, columns, action);
    const [low, high] = params.quantile_range ?? [25, 75];
    const row = df.select(
      ...columns.flatMap((name, i) => {
        const x = observedValues(name);
        return [
          x.quantile(0.5, "linear").alias(`median${i}`),
          x.quantile(low / 100, "linear").alias(`low${i}`),
          x.quantile(high / 100, "linear").alias(`high${i}`),
        ];
      }),
    ).row(0) as number[];
    const center = columns.map((_, i) => Number(row[3 * i]));
    const range = columns.map((_, i) => Number(row[3 * i + 2]) - Number(row[3 * i + 1]));
    return robustState(df.columns, columns, center, range);
  }

  /**
   * Learns each column's median and quantile range from batches, by exact order statistics
   * (a few passes; equal to `learn` within float rounding of the interpolation).
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof ROBUST_SCALER_PARAMS>,
  ): Promise<RobustScalerState> {
    const action = `Cannot fit "${KIND}"`;
    const first = await firstBatch(source, action);
    const columns = resolveColumns(first, params.columns, action);
    requireNumeric(first, columns, action);
    const [low, high] = params.quantile_range ?? [25, 75];
    const moments = await streamMoments(source, columns, action);
    const q = await streamQuantiles(source, columns, [0.5, low / 100, high / 100], moments);
    return robustState(
      first.columns,
      columns,
      q.map((values) => values[0]!),
      q.map((values) => values[2]! - values[1]!),
    );
  }

  /**
   * Returns a new frame with each fitted column replaced by `(x - center) / scale` as Float64.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the scaled frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or not numeric
   * @example
   * ```ts
   * scaler.transform(pl.DataFrame({ a: [3] })); // a: [0.5] when trained on [1, 2, 3]
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
          pl.col(name).cast(pl.Float64).sub(pl.lit(state.center[i]!)).div(pl.lit(state.scale[i]!))
            .alias(name),
        ],
      ]),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * `(x - center) * (1 / scale)` per value, as polars divides by a constant.
   *
   * @param c where the fitted columns are
   * @param _params the parsed options
   * @param state the learned centres and scales
   * @returns the kernel
   */
  protected override rowKernel(
    c: RowContext,
    _params: unknown,
    state: RobustScalerState,
  ): RowKernel {
    const inverses = state.scale.map((s) => 1 / s);
    return mapNumbers(c, (x, i) => (x - state.center[i]!) * inverses[i]!);
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
   * const copy = RobustScaler.fromJSON(JSON.parse(JSON.stringify(scaler)));
   * ```
   */
  static fromJSON(json: TransformerState): RobustScaler {
    const { params, state } = readState(json, KIND, VERSION, ROBUST_SCALER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, { center: state.center, scale: state.scale });
    return new RobustScaler(params as RobustScalerOptions).restore(params, state);
  }
}

// As scikit-learn: a range within rounding error of zero counts as 1, so the column is only
// centred instead of divided by zero.
function handleZeroScale(range: number): number {
  return range < 10 * Number.EPSILON ? 1 : range;
}

/** The scaler's state from each column's training median and quantile range. */
function robustState(
  inputColumns: string[],
  columns: string[],
  center: number[],
  range: number[],
): RobustScalerState {
  requireFiniteStats(
    KIND,
    Object.fromEntries(columns.map((name, i) => [name, [center[i]!, range[i]!]])),
  );
  return { input_columns: inputColumns, columns, center, scale: range.map(handleZeroScale) };
}
