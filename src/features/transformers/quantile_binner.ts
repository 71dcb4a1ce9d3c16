/**
 * `QuantileBinner`: replaces numeric columns by the index of their training-quantile bin, so
 * each bin holds about the same number of training rows.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import { lessThan } from "../../data/mod.ts";
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
  requireConsistentState,
  requireFiniteStats,
  requireNumeric,
  requireObserved,
  resolveColumns,
  streamMoments,
  streamQuantiles,
} from "./_base.ts";
import type { FrameSource, InputPolicy, RowContext, RowKernel, TransformerState } from "./_base.ts";

const KIND = "QuantileBinner";
const VERSION = 1;

/** Options of `QuantileBinner` (snake_case, as written under `params:` in config). */
export interface QuantileBinnerOptions {
  /**
   * Columns to bin; all must be numeric.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * How many bins to aim for, at least 2; repeated quantiles merge bins, so a column may get
   * fewer.
   *
   * @default 5
   */
  n_bins?: number;
}

/** The defaults merged under the options given to `QuantileBinner`. */
export const DEFAULT_QUANTILE_BINNER_OPTIONS: QuantileBinnerOptions = { n_bins: 5 };

const BINS_MESSAGE = "expected an integer of at least 2";

/** The strict schema of `QuantileBinner` params, used by `fit` and by config validation. */
export const QUANTILE_BINNER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  n_bins: z.int({ error: BINS_MESSAGE }).min(2, { error: BINS_MESSAGE }).max(10_000, {
    error: "expected at most 10000 bins",
  }).optional(),
});

/** What `QuantileBinner.fit` learns, per binned column. */
export type QuantileBinnerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The binned columns. */
  columns: string[];
  /** Increasing bin edges per column, from the training minimum to the training maximum. */
  edges: number[][];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  edges: z.array(z.array(z.number()).min(1)),
});

/**
 * Bins numeric columns by training quantiles, as scikit-learn's `KBinsDiscretizer` with
 * `strategy="quantile"` and `encode="ordinal"`.
 *
 * `fit` takes the quantiles `0, 1/n, ..., 1` of each column (linear interpolation) as edges and
 * drops edges within 1e-8 of the previous one, so a column with repeated values gets fewer
 * bins. `transform` outputs the bin index as Float64, `0..bins-1`: a value equal to an inner edge
 * goes to the upper bin, and values beyond the training range go to the end bins. Nulls and NaN
 * are ignored when learning; `transform` keeps them (null stays null, NaN stays NaN).
 *
 * @example
 * ```ts
 * const binner = new QuantileBinner({ n_bins: 4, columns: ["Body Mass (g)"] }).fit(train);
 * const binned = binner.transform(val);
 * ```
 */
export class QuantileBinner
  extends BaseTransformer<z.output<typeof QUANTILE_BINNER_PARAMS>, QuantileBinnerState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options columns and number of bins; stored unchanged and validated by `fit`
   */
  constructor(options: QuantileBinnerOptions = {}) {
    super(options, {
      version: VERSION,
      params: QUANTILE_BINNER_PARAMS,
      defaults: DEFAULT_QUANTILE_BINNER_OPTIONS,
    });
  }

  /**
   * Learns the quantile edges of each column.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a column has no observed value or infinite values
   * @example
   * ```ts
   * new QuantileBinner().fit(pl.DataFrame({ a: [1, 2, 3] }));
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof QUANTILE_BINNER_PARAMS>,
  ): QuantileBinnerState {
    const action = `Cannot fit "${KIND}"`;
    const columns = resolveColumns(df, params.columns, action);
    requireNumeric(df, columns, action);
    requireObserved(df, columns, action);
    const nBins = params.n_bins ?? 5;
    const probabilities = Array.from({ length: nBins + 1 }, (_, k) => k / nBins);
    const row = df.select(
      ...columns.flatMap((name, i) => {
        const x = observedValues(name);
        return probabilities.map((p, k) => x.quantile(p, "linear").alias(`q${i}_${k}`));
      }),
    ).row(0) as number[];
    const quantiles = columns.map((_, i) =>
      probabilities.map((_, k) => Number(row[i * probabilities.length + k]))
    );
    return binnerState(df.columns, columns, quantiles);
  }

  /**
   * Learns each column's quantile edges from batches, by exact order statistics (a few passes;
   * equal to `learn` within float rounding of the interpolation).
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the learned state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof QUANTILE_BINNER_PARAMS>,
  ): Promise<QuantileBinnerState> {
    const action = `Cannot fit "${KIND}"`;
    const first = await firstBatch(source, action);
    const columns = resolveColumns(first, params.columns, action);
    requireNumeric(first, columns, action);
    const nBins = params.n_bins ?? 5;
    const probabilities = Array.from({ length: nBins + 1 }, (_, k) => k / nBins);
    const moments = await streamMoments(source, columns, action);
    return binnerState(
      first.columns,
      columns,
      await streamQuantiles(source, columns, probabilities, moments),
    );
  }

  /**
   * Returns a new frame with each fitted column replaced by its bin index as Float64.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the binned frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or not numeric
   * @example
   * ```ts
   * binner.transform(pl.DataFrame({ a: [100] })); // a: [n_bins - 1] when trained below 100
   * ```
   */
  override transform(df: DataFrame): DataFrame {
    const { state } = this.fitted("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    requireNumeric(df, state.columns, action);
    const outputs = new Map<string, Expr[]>(
      state.columns.map((name, i) => [name, [binIndex(name, state.edges[i]!).alias(name)]]),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * The index of the bin per value: how many inner edges lie at or below it (NaN stays NaN).
   *
   * @param c where the fitted columns are
   * @param _params the parsed options
   * @param state the learned edges
   * @returns the kernel
   */
  protected override rowKernel(
    c: RowContext,
    _params: unknown,
    state: QuantileBinnerState,
  ): RowKernel {
    const inner = state.edges.map((edges) => edges.slice(1, -1));
    return mapNumbers(c, (x, i) => {
      if (Number.isNaN(x)) return NaN;
      let index = 0;
      for (const edge of inner[i]!) if (!lessThan(x, edge)) index++;
      return index;
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
   * Rebuilds a fitted binner from `toJSON()` output.
   *
   * @param json the serialised binner
   * @returns a fitted binner
   * @throws {ArtifactError} when the kind, version, params or state are wrong
   * @example
   * ```ts
   * const copy = QuantileBinner.fromJSON(JSON.parse(JSON.stringify(binner)));
   * ```
   */
  static fromJSON(json: TransformerState): QuantileBinner {
    const { params, state } = readState(json, KIND, VERSION, QUANTILE_BINNER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, { edges: state.edges });
    for (const [i, edges] of state.edges.entries()) {
      requireConsistentState(
        edges.every((edge, k) => k === 0 || edge > edges[k - 1]!),
        KIND,
        `edges of column "${state.columns[i]}" are not increasing: ${JSON.stringify(edges)}`,
      );
    }
    return new QuantileBinner(params as QuantileBinnerOptions).restore(params, state);
  }
}

// As scikit-learn: an edge within 1e-8 of the one before it would make an empty bin.
function dedupeEdges(quantiles: readonly number[]): number[] {
  return quantiles.filter((edge, k) => k === 0 || edge - quantiles[k - 1]! > 1e-8);
}

// The bin index is the number of inner edges at or below x (numpy's searchsorted, side
// "right"): a sum of vectorised comparisons, added as UInt32 (three times faster than a
// horizontal Float64 sum on millions of rows). Nulls and NaN are kept as they are.
function binIndex(column: string, edges: readonly number[]): Expr {
  const x = pl.col(column).cast(pl.Float64);
  const inner = edges.slice(1, -1);
  const index = inner.length === 0
    ? pl.lit(0)
    : inner.map((edge) => x.gtEq(pl.lit(edge)).cast(pl.UInt32)).reduce((sum, next) =>
      sum.add(next)
    );
  return pl.when(x.isNull()).then(pl.lit(null).cast(pl.Float64))
    .when(x.isNan()).then(pl.lit(Number.NaN))
    .otherwise(index.cast(pl.Float64));
}

/** The binner's state from each column's training quantiles. */
function binnerState(
  inputColumns: string[],
  columns: string[],
  quantiles: number[][],
): QuantileBinnerState {
  requireFiniteStats(KIND, Object.fromEntries(columns.map((name, i) => [name, quantiles[i]!])));
  return { input_columns: inputColumns, columns, edges: quantiles.map(dedupeEdges) };
}
