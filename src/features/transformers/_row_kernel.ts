/**
 * The row form every transformer compiles beside `transform(frame)`: a {@link RowKernel}, a
 * plain function of one row of the frame the transformer is given, built from its typed
 * fitted state; and the {@link InputPolicy} a transformer answers about the values it takes.
 * The helpers here are the plumbing the kernels share.
 *
 * @module
 */
import { RowRefused, RowUnsupported } from "../../data/mod.ts";
import type { RowColumn, RowDtype, RowValue } from "../../data/mod.ts";

/** A fitted transformer compiled for one row at a time. */
export interface RowKernel {
  /** The row's columns after the transformer, in order (names and dtypes). */
  readonly columns: readonly RowColumn[];
  /**
   * How many Float64 steps (ulps) a result may differ from polars' because polars computes it
   * with the platform libm (`log1p`); 0 when the kernel is exact. A scorer evaluates a row at
   * `shift = ±slackUlps` to tell whether the difference can matter.
   */
  readonly slackUlps: number;
  /**
   * Transforms one row.
   *
   * @param values the row's cells, laid out as the columns given to `compileRow`
   * @param shift Float64 steps to move inexact results by (0 for the exact kernel)
   * @returns the transformed cells, laid out as {@link RowKernel.columns}
   * @throws {RowRefused} when the frame path would refuse the value (an unseen category the
   *   transformer refuses, a null it refuses, a value below its domain)
   */
  apply(values: readonly RowValue[], shift?: number): RowValue[];
}

/** What a transformer does with the values of its columns: asked of it, never guessed by kind. */
export interface InputPolicy {
  /** The row dtypes its columns may have. */
  readonly dtypes: readonly RowDtype[];
  /**
   * A null (or NaN in a Float64 column): `"accept"` when the transformer handles it (fills it,
   * encodes it, or keeps it as an accepted value), so it is not a problem of the row;
   * `"propagate"` when it passes through as missing; `"refuse"` when `transform` throws.
   */
  readonly nulls: "accept" | "propagate" | "refuse";
  /**
   * A category not seen in training: `"encode"` maps it (to zeros, `other` or an unknown
   * value), `"refuse"` throws, `"none"` for transformers of numbers.
   */
  readonly unseen: "encode" | "refuse" | "none";
  /** The lowest number it accepts (values below are refused), or `null` for any number. */
  readonly minimum: number | null;
}

/** The policy of a transformer of numbers that keeps nulls and NaN as missing. */
export const NUMERIC_POLICY: InputPolicy = Object.freeze({
  dtypes: Object.freeze(["f64", "i64"] as const),
  nulls: "propagate",
  unseen: "none",
  minimum: null,
});

/** The row frame a transformer is compiled against, and where its columns are in it. */
export interface RowContext {
  /** The transformer's kind, quoted, for messages. */
  readonly where: string;
  /** The row frame the transformer gets. */
  readonly columns: readonly RowColumn[];
  /** Positions in the frame of the transformed columns, in state order. */
  readonly positions: readonly number[];
  /** By frame position: the column's index in the state arrays. */
  readonly indexOf: ReadonlyMap<number, number>;
}

/**
 * Locates a transformer's fitted columns in a row frame.
 *
 * @param kind the transformer's kind
 * @param transformed its fitted columns, in state order
 * @param columns the row frame it is compiled against
 * @returns the context its kernel is built from
 * @throws {RowUnsupported} when a fitted column is not in the frame
 */
export function rowContext(
  kind: string,
  transformed: readonly string[],
  columns: readonly RowColumn[],
): RowContext {
  const where = `"${kind}"`;
  const positions = transformed.map((name) => {
    const k = columns.findIndex((c) => c.name === name);
    if (k < 0) throw new RowUnsupported(`${where} transforms missing column "${name}"`);
    return k;
  });
  return { where, columns, positions, indexOf: new Map(positions.map((k, i) => [k, i])) };
}

/**
 * Refuses to compile when a transformed column's dtype is not one the transformer takes.
 *
 * @param c the context
 * @param allowed the dtypes it takes
 * @param what what it needs, for the message (e.g. `numbers`)
 * @throws {RowUnsupported} naming the first column of another dtype
 */
export function requireRowTypes(c: RowContext, allowed: readonly RowDtype[], what: string): void {
  for (const k of c.positions) {
    if (!allowed.includes(c.columns[k]!.dtype)) {
      throw new RowUnsupported(`${c.where} needs ${what}, "${c.columns[k]!.name}" is not`);
    }
  }
}

/**
 * The frame after a transformer that turns its columns into Float64 in place.
 *
 * @param c the context
 * @returns the output columns
 */
export function numericColumnsOut(c: RowContext): RowColumn[] {
  return c.columns.map((column, k) =>
    c.indexOf.has(k) ? { name: column.name, dtype: "f64" as RowDtype } : column
  );
}

/**
 * A kernel applying a numeric function to the transformed columns of numbers; other columns
 * and nulls pass through, and the outputs are Float64.
 *
 * @param c the context
 * @param apply the function of a value, its column's state index and the ulp shift
 * @param slackUlps how inexact `apply` may be (see {@link RowKernel.slackUlps})
 * @returns the kernel
 * @throws {RowUnsupported} when a transformed column is not numeric
 */
export function mapNumbers(
  c: RowContext,
  apply: (x: number, i: number, shift: number) => number,
  slackUlps = 0,
): RowKernel {
  requireRowTypes(c, ["f64", "i64"], "numbers");
  const indexOf = c.indexOf;
  return {
    columns: numericColumnsOut(c),
    slackUlps,
    apply: (values, shift = 0) =>
      values.map((v, k) => {
        const i = indexOf.get(k);
        return i === undefined || v === null ? v : apply(v as number, i, shift);
      }),
  };
}

/**
 * The fallback a kernel throws for a value its frame path refuses.
 *
 * @param c the context
 * @param what what is refused, e.g. `nulls in "Sex"`
 * @returns the fallback to throw
 */
export function refusal(c: RowContext, what: string): RowRefused {
  return new RowRefused(`${c.where} refuses ${what}`);
}
