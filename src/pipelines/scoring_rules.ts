/**
 * The rules every scoring path shares, written once: how far outside the training range a
 * number is refused, how that refusal reads, and how class probabilities become labels.
 * `scoreRows`, the row engine and the HTTP service's request parsing all ask these.
 *
 * @module
 */
import type { ColumnSignature } from "../data/mod.ts";
import { argmaxRows } from "../models/mod.ts";
import { isIntegerDtype } from "../utils/mod.ts";

/**
 * How far outside the training range a number may lie, in range widths, before its row is
 * refused: values that far out overflow the model's Float32 features. The HTTP service's
 * `maxRangeMultiple` defaults to it.
 */
export const MAX_RANGE_MULTIPLE = 1_000_000;

/**
 * The values below and above which a number of a column is refused as too far outside the
 * training range: `multiple` range widths (or `max(|max|, 1)` for a constant column) beyond
 * `[min, max]`.
 *
 * @param column the column's input signature
 * @param multiple how many widths out a value may lie
 * @returns `[lowest, highest]` accepted, or `null` when the column has no finite range
 * @example
 * ```ts
 * refusalLimits({ name: "x", kind: "numeric", dtype: "Float64", min: 0, max: 1, nullable: false }, 10);
 * // [-10, 11]
 * ```
 */
export function refusalLimits(
  column: ColumnSignature,
  multiple: number = MAX_RANGE_MULTIPLE,
): [number, number] | null {
  if (column.kind !== "numeric") return null;
  const { min, max } = column;
  if (!Number.isFinite(min) || !Number.isFinite(max)) return null;
  const width = max - min;
  const limit = multiple * (width > 0 ? width : Math.max(Math.abs(max), 1));
  return [min - limit, max + limit];
}

/**
 * The problem reported for a number beyond {@link refusalLimits}.
 *
 * @param shown the value as the caller shows it (quoted when it was text)
 * @param column the column's input signature
 * @param multiple the multiple the limits were computed with
 * @returns the problem text
 * @example
 * ```ts
 * tooFarProblem("1e300", column); // "value 1e300 is too far outside the training range …"
 * ```
 */
export function tooFarProblem(
  shown: string,
  column: ColumnSignature & { kind: "numeric" },
  multiple: number = MAX_RANGE_MULTIPLE,
): string {
  return `value ${shown} is too far outside the training range [${column.min}, ${column.max}] to score (more than ${multiple} times its width away); check the units`;
}

/**
 * The training range a numeric column's values are counted against for `out_of_range`
 * (values outside it are scored all the same, and reported).
 *
 * @param column the column's input signature
 * @returns `[min, max]`, or `null` for non-numeric columns and columns without a finite minimum
 * @example
 * ```ts
 * trainingRange(column); // [min, max]
 * ```
 */
export function trainingRange(column: ColumnSignature): [number, number] | null {
  return column.kind === "numeric" && Number.isFinite(column.min) ? [column.min, column.max] : null;
}

/**
 * What an input column's values must be, as "cannot parse … as …" problems say it.
 *
 * @param column the column's input signature
 * @returns `an integer`, `a number`, `a date or time (ISO 8601)` or `text`
 * @example
 * ```ts
 * describeInputKind(column); // "a number"
 * ```
 */
export function describeInputKind(column: ColumnSignature): string {
  if (column.kind === "numeric") return isIntegerDtype(column.dtype) ? "an integer" : "a number";
  if (column.kind === "temporal") return "a date or time (ISO 8601)";
  return "text";
}

/** Class labels and per-class probabilities of a classifier's output. */
export interface LabelledProbabilities {
  /** The most probable class of each row (the first on ties). */
  labels: string[];
  /** One array per class, aligned with the classes. */
  probabilities: Float64Array[];
}

/**
 * Turns a classifier's row-major probabilities into labels: each row's most probable class, the
 * first one on ties (the models' `argmaxRows`), with the probabilities split per class.
 *
 * @param output `rows × classes` probabilities, row by row
 * @param classes the classes, in the model's order
 * @returns the labels and the probabilities per class
 * @throws {RangeError} when the output does not split into rows of one value per class
 * @example
 * ```ts
 * labelsFromProbabilities(new Float32Array([0.2, 0.8]), ["a", "b"]).labels; // ["b"]
 * ```
 */
export function labelsFromProbabilities(
  output: Float32Array,
  classes: readonly string[],
): LabelledProbabilities {
  const k = classes.length;
  const best = argmaxRows(output, k);
  const n = best.length;
  const labels = new Array<string>(n);
  const probabilities = classes.map(() => new Float64Array(n));
  for (let i = 0, base = 0; i < n; i++, base += k) {
    for (let j = 0; j < k; j++) probabilities[j]![i] = output[base + j]!;
    labels[i] = classes[best[i]!]!;
  }
  return { labels, probabilities };
}
