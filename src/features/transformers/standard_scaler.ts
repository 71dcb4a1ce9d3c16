/**
 * `StandardScaler`: centres numeric columns on the training mean and divides by the training
 * standard deviation.
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

const KIND = "StandardScaler";
const VERSION = 1;

/** Options of `StandardScaler` (snake_case, as written under `params:` in config). */
export interface StandardScalerOptions {
  /**
   * Columns to scale; all must be numeric.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
}

/** The defaults merged under the options given to `StandardScaler`. */
export const DEFAULT_STANDARD_SCALER_OPTIONS: StandardScalerOptions = {};

/** The strict schema of `StandardScaler` params, used by `fit` and by config validation. */
export const STANDARD_SCALER_PARAMS = z.strictObject({ columns: COLUMNS_PARAM });

/** What `StandardScaler.fit` learns, per scaled column. */
export type StandardScalerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The scaled columns. */
  columns: string[];
  /** Training mean per column. */
  mean: number[];
  /** Divisor per column: the population standard deviation, or 1 for a constant column. */
  scale: number[];
  /** Observed (non-null, non-NaN) training values per column. */
  n_samples: number[];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  mean: z.array(z.number()),
  scale: z.array(z.number().positive()),
  n_samples: z.array(z.int().nonnegative()),
});

/**
 * Standardises numeric columns: `(x - mean) / std`, with the mean and the population standard
 * deviation (ddof = 0) learned on the training split, as scikit-learn's `StandardScaler`.
 *
 * A constant column (zero variance, allowing for rounding) is divided by 1, so it becomes 0.
 * Nulls and NaN are ignored when learning and kept by `transform` (null stays null, NaN stays
 * NaN). Output columns are Float64, in place of the input columns.
 *
 * @example
 * ```ts
 * const scaler = new StandardScaler({ columns: ["Body Mass (g)"] }).fit(train);
 * const scaled = scaler.transform(val);
 * ```
 */
export class StandardScaler
  extends BaseTransformer<z.output<typeof STANDARD_SCALER_PARAMS>, StandardScalerState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options which columns to scale; stored unchanged and validated by `fit`
   */
  constructor(options: StandardScalerOptions = {}) {
    super(options, {
      version: VERSION,
      params: STANDARD_SCALER_PARAMS,
      defaults: DEFAULT_STANDARD_SCALER_OPTIONS,
    });
  }

  /**
   * Learns the mean and standard deviation of each column.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a column has no observed value or infinite values
   * @example
   * ```ts
   * new StandardScaler().fit(pl.DataFrame({ a: [1, 2, 3] }));
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof STANDARD_SCALER_PARAMS>,
  ): StandardScalerState {
    const action = `Cannot fit "${KIND}"`;
    const columns = resolveColumns(df, params.columns, action);
    requireNumeric(df, columns, action);
    requireObserved(df, columns, action);
    const row = df.select(
      ...columns.flatMap((name, i) => {
        const x = observedValues(name);
        return [
          x.mean().alias(`mean${i}`),
          x.sub(x.mean()).pow(2).mean().alias(`var${i}`),
          x.count().alias(`n${i}`),
        ];
      }),
    ).row(0) as number[];
    const mean = columns.map((_, i) => Number(row[3 * i]));
    const variance = columns.map((_, i) => Number(row[3 * i + 1]));
    const nSamples = columns.map((_, i) => Number(row[3 * i + 2]));
    return scalerState(df.columns, columns, mean, variance, nSamples);
  }

  /**
   * Learns the mean and standard deviation of each column from batches, merging each batch's
   * moments (equal to `learn` on the whole split within float rounding).
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof STANDARD_SCALER_PARAMS>,
  ): Promise<StandardScalerState> {
    const action = `Cannot fit "${KIND}"`;
    const first = await firstBatch(source, action);
    const columns = resolveColumns(first, params.columns, action);
    requireNumeric(first, columns, action);
    const moments = await streamMoments(source, columns, action);
    return scalerState(
      first.columns,
      columns,
      moments.map((m) => m.mean),
      moments.map((m) => m.m2 / m.count),
      moments.map((m) => m.count),
    );
  }

  /**
   * Returns a new frame with each fitted column replaced by `(x - mean) / scale` as Float64.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the scaled frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or not numeric
   * @example
   * ```ts
   * scaler.transform(pl.DataFrame({ a: [2] })); // a: [0] when the training mean was 2
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
          pl.col(name).cast(pl.Float64).sub(pl.lit(state.mean[i]!)).div(pl.lit(state.scale[i]!))
            .alias(name),
        ],
      ]),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * `(x - mean) * (1 / scale)` per value: polars divides by a constant as a multiplication by
   * its reciprocal, so the kernel does too.
   *
   * @param c where the fitted columns are
   * @param _params the parsed options
   * @param state the learned means and scales
   * @returns the kernel
   */
  protected override rowKernel(
    c: RowContext,
    _params: unknown,
    state: StandardScalerState,
  ): RowKernel {
    const inverses = state.scale.map((s) => 1 / s);
    return mapNumbers(c, (x, i) => (x - state.mean[i]!) * inverses[i]!);
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
   * const copy = StandardScaler.fromJSON(JSON.parse(JSON.stringify(scaler)));
   * ```
   */
  static fromJSON(json: TransformerState): StandardScaler {
    const { params, state } = readState(json, KIND, VERSION, STANDARD_SCALER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, {
      mean: state.mean,
      scale: state.scale,
      n_samples: state.n_samples,
    });
    return new StandardScaler(params as StandardScalerOptions).restore(params, state);
  }
}

// scikit-learn's test for a constant feature: the variance is within the rounding error of
// computing it, so a column of 0.1s is not divided by 1e-17.
function isConstant(variance: number, mean: number, n: number): boolean {
  const eps = Number.EPSILON;
  return variance <= n * eps * variance + (n * mean * eps) ** 2;
}

/** The scaler's state from each column's mean, population variance and observed count. */
function scalerState(
  inputColumns: string[],
  columns: string[],
  mean: number[],
  variance: number[],
  nSamples: number[],
): StandardScalerState {
  requireFiniteStats(
    KIND,
    Object.fromEntries(columns.map((name, i) => [name, [mean[i]!, variance[i]!]])),
  );
  const scale = columns.map((_, i) =>
    isConstant(variance[i]!, mean[i]!, nSamples[i]!) ? 1 : Math.sqrt(variance[i]!)
  );
  return { input_columns: inputColumns, columns, mean, scale, n_samples: nSamples };
}
