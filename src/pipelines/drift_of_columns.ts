/**
 * The drift check of rows held in memory, column by column: what the service's live drift
 * monitor runs on its sample of recent requests.
 *
 * @module
 */
import { driftReport } from "../data/mod.ts";
import type { DriftOptions, DriftReport } from "../data/mod.ts";
import { cleanInputRows } from "./inference_pipeline.ts";
import { columnsToFrame } from "./row_scorer.ts";
import type { RunArtifacts } from "./run_artifacts.ts";

/**
 * Checks rows held in memory, column by column, against a run's training profile, with the
 * code `checkDrift` runs on each batch of a file: the frame `scoreRows` would score
 * (`columnsToFrame`), parsed and cleaned as for scoring (`cleanInputRows`), then
 * `driftReport`. So the service's live drift reports and `deno task drift` agree on the same
 * rows.
 *
 * @param run the opened run
 * @param columns raw values per input column (text, numbers, booleans or null), all of one length
 * @param options drift thresholds
 * @returns the drift report
 * @throws {SchemaMismatchError} when a column the run needs is missing
 * @throws {DataValidationError} when there are no rows
 * @throws {TypeError} when a value is not text, a number, a boolean or null
 * @throws {RangeError} when the columns differ in length, or an option is out of range
 * @example
 * ```ts
 * const report = driftOfColumns(run, new Map([["Island", ["Dream"]], ...]));
 * report.dataset.drifted; // false
 * ```
 */
export function driftOfColumns(
  run: RunArtifacts,
  columns: ReadonlyMap<string, readonly unknown[]>,
  options: DriftOptions = {},
): DriftReport {
  return driftReport(run.profile, cleanInputRows(run, columnsToFrame(run, columns)), options);
}
