/**
 * Derives a classification target from a numeric column (`data.derive_target`), e.g. "delayed"
 * from a flight's delay in minutes.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import type { TargetRule } from "../config/schema.ts";
import { ConfigError, didYouMean, SchemaMismatchError } from "../errors.ts";
import { isNumericDtype } from "../utils/mod.ts";

/**
 * Adds the target column `target` built by `rule`: `labels[1]` where `source > greater_than`,
 * `labels[0]` otherwise, null where the source is null or NaN.
 *
 * @param df the raw frame
 * @param rule `config.data.derive_target`
 * @param target the name of the column to add (`config.data.target`)
 * @returns a new frame with the target column appended
 * @throws {SchemaMismatchError} when the source column is missing or not numeric
 * @throws {ConfigError} when the frame already has a column named `target`
 * @example
 * ```ts
 * deriveTarget(flights, { source: "delay", greater_than: 15, labels: ["on_time", "delayed"] }, "delayed");
 * ```
 */
export function deriveTarget(df: DataFrame, rule: TargetRule, target: string): DataFrame {
  if (!df.columns.includes(rule.source)) {
    throw new SchemaMismatchError(
      `Cannot derive the target "${target}": the source column "${rule.source}" (data.derive_target.source) is missing${
        didYouMean(rule.source, df.columns)
      }; found ${JSON.stringify(df.columns)}`,
    );
  }
  if (df.columns.includes(target)) {
    throw new ConfigError(
      `Cannot derive the target "${target}": the data already has a column of that name; remove data.derive_target or choose another data.target`,
    );
  }
  const source = df.getColumn(rule.source);
  if (!isNumericDtype(source.dtype)) {
    throw new SchemaMismatchError(
      `Cannot derive the target "${target}": "${rule.source}" is ${source.dtype.variant}, expected a numeric column`,
    );
  }
  const value = pl.col(rule.source).cast(pl.Float64);
  return df.withColumns(
    pl.when(value.isNull().or(value.isNan())).then(pl.lit(null).cast(pl.Utf8))
      .when(value.gt(rule.greater_than)).then(pl.lit(rule.labels[1]))
      .otherwise(pl.lit(rule.labels[0]))
      .alias(target),
  );
}
