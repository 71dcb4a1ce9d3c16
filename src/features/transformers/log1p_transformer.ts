/**
 * `Log1pTransformer`: replaces numeric columns by `ln(1 + x)`, which tames right-skewed
 * measurements such as body mass or income.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import { moveUlps } from "../../data/mod.ts";
import { DataValidationError } from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import {
  BaseTransformer,
  COLUMNS_PARAM,
  firstBatch,
  INPUT_COLUMNS_STATE,
  mapNumbers,
  NUMERIC_POLICY,
  offendingRows,
  readState,
  refusal,
  replaceColumns,
  requireColumnArrays,
  requireColumns,
  requireNumeric,
  resolveColumns,
} from "./_base.ts";
import type { FrameSource, InputPolicy, RowContext, RowKernel, TransformerState } from "./_base.ts";

const KIND = "Log1pTransformer";
const VERSION = 1;

/**
 * How far (in Float64 values) polars' `log1p` (the platform libm) may differ from
 * `Math.log1p`: both are within 1 ulp of the exact value, so they differ by under 2.
 */
const LOG1P_SLACK_ULPS = 4;

/** Options of `Log1pTransformer` (snake_case, as written under `params:` in config). */
export interface Log1pTransformerOptions {
  /**
   * Columns to transform; all must be numeric.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
}

/** The defaults merged under the options given to `Log1pTransformer`. */
export const DEFAULT_LOG1P_TRANSFORMER_OPTIONS: Log1pTransformerOptions = {};

/** The strict schema of `Log1pTransformer` params, used by `fit` and by config validation. */
export const LOG1P_TRANSFORMER_PARAMS = z.strictObject({ columns: COLUMNS_PARAM });

/** What `Log1pTransformer.fit` records: only which columns it applies to. */
export type Log1pTransformerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The transformed columns. */
  columns: string[];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
});

/**
 * Replaces numeric columns by `ln(1 + x)` as Float64 (polars' `log1p`, accurate near zero).
 *
 * `fit` learns nothing from the values; it fixes the columns and checks their domain. Values
 * below -1 have no logarithm: `fit` and `transform` reject them with a `DataValidationError`
 * naming the column and the first bad value. -1 gives -Infinity. Null stays null and NaN stays
 * NaN.
 *
 * @example
 * ```ts
 * const log = new Log1pTransformer({ columns: ["Body Mass (g)"] }).fit(train);
 * const logged = log.transform(val);
 * ```
 */
export class Log1pTransformer
  extends BaseTransformer<z.output<typeof LOG1P_TRANSFORMER_PARAMS>, Log1pTransformerState> {
  /** Registry key. */
  override readonly kind = KIND;

  /**
   * @param options which columns to transform; stored unchanged and validated by `fit`
   */
  constructor(options: Log1pTransformerOptions = {}) {
    super(options, {
      version: VERSION,
      params: LOG1P_TRANSFORMER_PARAMS,
      defaults: DEFAULT_LOG1P_TRANSFORMER_OPTIONS,
    });
  }

  /**
   * Fixes the columns and checks that no value is below -1.
   *
   * @param df the training split
   * @param params the parsed options, defaults filled in
   * @returns the learned state; `fit` keeps it
   * @throws {SchemaMismatchError} when a column is missing or not numeric
   * @throws {DataValidationError} when a value is below -1
   * @example
   * ```ts
   * new Log1pTransformer().fit(pl.DataFrame({ a: [0, 9] }));
   * ```
   */
  protected override learn(
    df: DataFrame,
    params: z.output<typeof LOG1P_TRANSFORMER_PARAMS>,
  ): Log1pTransformerState {
    const action = `Cannot fit "${KIND}"`;
    const columns = resolveColumns(df, params.columns, action);
    requireNumeric(df, columns, action);
    requireDomain(df, columns, action);
    return { input_columns: df.columns, columns };
  }

  /**
   * Checks every batch as `learn` checks the whole split; the transformer learns no statistics.
   *
   * @param source the training batches
   * @param params the parsed options
   * @returns the state
   * @throws {SchemaMismatchError | DataValidationError} as `learn`
   */
  protected override async learnBatches(
    source: FrameSource,
    params: z.output<typeof LOG1P_TRANSFORMER_PARAMS>,
  ): Promise<Log1pTransformerState> {
    const action = `Cannot fit "${KIND}"`;
    const first = await firstBatch(source, action);
    const columns = resolveColumns(first, params.columns, action);
    requireNumeric(first, columns, action);
    for await (const frame of source()) requireDomain(frame, columns, action);
    return { input_columns: first.columns, columns };
  }

  /**
   * Returns a new frame with each fitted column replaced by `ln(1 + x)` as Float64.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the transformed frame
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or not numeric
   * @throws {DataValidationError} when a value is below -1
   * @example
   * ```ts
   * log.transform(pl.DataFrame({ a: [0] })); // a: [0]
   * ```
   */
  override transform(df: DataFrame): DataFrame {
    const { state } = this.fitted("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    requireNumeric(df, state.columns, action);
    requireDomain(df, state.columns, action);
    const outputs = new Map<string, Expr[]>(
      state.columns.map((name) => [name, [pl.col(name).cast(pl.Float64).log1p().alias(name)]]),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * `log1p(x)` per value; a value below -1 is refused as `transform` refuses it. Polars takes
   * the platform libm's `log1p`, within an ulp of `Math.log1p` either side, so the kernel
   * declares that slack.
   *
   * @param c where the fitted columns are
   * @returns the kernel
   */
  protected override rowKernel(c: RowContext): RowKernel {
    return mapNumbers(c, (x, _i, shift) => {
      if (x < -1) throw refusal(c, `${x}, below -1`);
      const y = Math.log1p(x);
      return shift === 0 || !Number.isFinite(y) ? y : moveUlps(y, shift);
    }, LOG1P_SLACK_ULPS);
  }

  /**
   * Takes numbers from -1 up; nulls and NaN pass through as missing.
   *
   * @returns the policy
   */
  protected override policy(): InputPolicy {
    return { ...NUMERIC_POLICY, minimum: -1 };
  }

  /**
   * Rebuilds a fitted transformer from `toJSON()` output.
   *
   * @param json the serialised transformer
   * @returns a fitted transformer
   * @throws {ArtifactError} when the kind, version, params or state are wrong
   * @example
   * ```ts
   * const copy = Log1pTransformer.fromJSON(JSON.parse(JSON.stringify(log)));
   * ```
   */
  static fromJSON(json: TransformerState): Log1pTransformer {
    const { params, state } = readState(
      json,
      KIND,
      VERSION,
      LOG1P_TRANSFORMER_PARAMS,
      STATE_SCHEMA,
    );
    requireColumnArrays(KIND, state, {});
    return new Log1pTransformer(params as Log1pTransformerOptions).restore(params, state);
  }
}

// One pass counts the bad values of every column; only a failing frame pays for the examples.
function requireDomain(df: DataFrame, columns: readonly string[], action: string): void {
  const counts = df.select(
    ...columns.map((name, i) => pl.col(name).cast(pl.Float64).lt(-1).sum().alias(`bad${i}`)),
  ).row(0) as number[];
  const bad = columns.filter((_, i) => Number(counts[i]) > 0);
  if (bad.length === 0) return;
  const issues: ValidationIssue[] = bad.map((name) => {
    const count = Number(counts[columns.indexOf(name)]);
    const { examples, rows } = offendingRows(df, name, pl.col(name).cast(pl.Float64).lt(-1));
    return {
      column: name,
      rule: "min",
      count,
      message: `column "${name}" has ${count} ${count === 1 ? "value" : "values"} below -1 (first ${
        examples[0]
      } at row ${rows[0]})`,
      examples,
      rows,
    };
  });
  const described = issues.map((issue) => issue.message).join(", ");
  throw new DataValidationError(
    `${action}: ${described}, expected values >= -1; shift or clip the column before taking the log`,
    issues,
  );
}
