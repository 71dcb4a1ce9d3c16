/**
 * A dense row-major float matrix: the hand-off from feature frames to models.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Series } from "nodejs-polars";
import { SchemaMismatchError } from "../errors.ts";
import { dtypeKind, isNumericDtype } from "./dtypes.ts";

/** A dense row-major matrix of 32-bit floats: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  /** The values, row after row. */
  readonly data: Float32Array;
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
}

/**
 * Rows copied out of polars at a time. Each column of a block arrives as one small Float64Array
 * that stays in cache while it is interleaved; whole-column copies would allocate (and fault in)
 * a second full-size buffer per column, and much smaller blocks pay nodejs-polars' per-call
 * overhead too often.
 */
const COPY_BLOCK_ROWS = 16_384;
/**
 * Rows interleaved at a time inside a block: every column is written into the same
 * `INTERLEAVE_ROWS × cols` stretch of the output while it is still in cache, instead of one
 * strided pass per column over the whole matrix.
 */
const INTERLEAVE_ROWS = 1_024;

/**
 * Copies numeric and Boolean columns of a frame into a row-major `Matrix`, without per-row
 * objects.
 *
 * Values are read as Float64 (as `series.cast(pl.Float64)` gives them: true is 1, false 0) and
 * rounded once to Float32 when stored.
 *
 * @param df the frame; every selected column must be numeric or Boolean, with no nulls
 * @param columns the columns to copy, in order; defaults to all columns
 * @returns the matrix
 * @throws {SchemaMismatchError} when a column is missing, not numeric, or holds nulls
 * @example
 * ```ts
 * const x = frameToMatrix(pl.DataFrame({ a: [1, 2], b: [3, 4] })); // data [1, 3, 2, 4]
 * ```
 */
export function frameToMatrix(df: DataFrame, columns: readonly string[] = df.columns): Matrix {
  const rows = df.height;
  const cols = columns.length;
  const found = df.columns;
  const sources = columns.map((name) => matrixColumn(df, name, found));
  const data = new Float32Array(rows * cols);
  // Boolean columns (one-hot indicators) are mostly false: write 1 where true, 0 is already there.
  sources.forEach((source, j) => {
    if (source.kind !== "bool") return;
    const hot = source.series.argTrue().toTypedArray() as Uint32Array;
    for (let h = 0; h < hot.length; h++) data[hot[h]! * cols + j] = 1;
  });
  const numeric = sources.flatMap((source, j) => source.kind === "number" ? [j] : []);
  if (numeric.length === 0) return { data, rows, cols };
  for (let start = 0; start < rows; start += COPY_BLOCK_ROWS) {
    const length = Math.min(COPY_BLOCK_ROWS, rows - start);
    const block = numeric.map((j) =>
      sources[j]!.series.slice(start, length).toTypedArray() as Float64Array
    );
    interleave(block, numeric, length, data, start * cols, cols);
  }
  return { data, rows, cols };
}

/**
 * Returns the rows of `matrix` at `indexes`, in that order.
 *
 * @param matrix the source
 * @param indexes row indexes
 * @returns a new matrix
 * @example
 * ```ts
 * takeRows({ data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 }, [1]); // data [3, 4]
 * ```
 */
export function takeRows(matrix: Matrix, indexes: ArrayLike<number>): Matrix {
  const { cols } = matrix;
  const data = new Float32Array(indexes.length * cols);
  for (let i = 0; i < indexes.length; i++) {
    const start = indexes[i]! * cols;
    data.set(matrix.data.subarray(start, start + cols), i * cols);
  }
  return { data, rows: indexes.length, cols };
}

/** A checked matrix column: Boolean, or numbers as Float64 values. */
interface MatrixColumn {
  kind: "bool" | "number";
  series: Series;
}

/** The column, after the checks that make it a valid matrix column. */
function matrixColumn(df: DataFrame, name: string, found: readonly string[]): MatrixColumn {
  if (!found.includes(name)) {
    throw new SchemaMismatchError(
      `Cannot build a matrix: missing column "${name}" (found ${JSON.stringify(found)})`,
    );
  }
  const series = df.getColumn(name);
  const bool = dtypeKind(series.dtype) === "bool";
  if (!isNumericDtype(series.dtype) && !bool) {
    throw new SchemaMismatchError(
      `Cannot build a matrix: column "${name}" is ${series.dtype}, expected a numeric column; encode it first`,
    );
  }
  const nulls = series.nullCount();
  if (nulls > 0) {
    throw new SchemaMismatchError(
      `Cannot build a matrix: column "${name}" has ${nulls} null values; impute or drop them first`,
    );
  }
  if (bool) return { kind: "bool", series };
  // Values are read as Float64 and rounded to Float32 once, when stored; feature frames are
  // Float64 already, so they need no cast (and no second native copy of the column).
  return {
    kind: "number",
    series: series.dtype.equals(pl.Float64) ? series : series.cast(pl.Float64),
  };
}

/**
 * Writes `length` rows of the block's columns (matrix columns `targets`) into `out` from
 * element `offset` on, `INTERLEAVE_ROWS` rows at a time so that the rows being written stay in
 * cache while every column is written.
 */
function interleave(
  block: readonly Float64Array[],
  targets: readonly number[],
  length: number,
  out: Float32Array,
  offset: number,
  cols: number,
): void {
  for (let first = 0; first < length; first += INTERLEAVE_ROWS) {
    const end = Math.min(length, first + INTERLEAVE_ROWS);
    for (let c = 0; c < block.length; c++) {
      const values = block[c]!;
      for (let i = first, k = offset + first * cols + targets[c]!; i < end; i++, k += cols) {
        out[k] = values[i]!;
      }
    }
  }
}
