/**
 * A dense row-major float matrix: the hand-off from feature frames to models.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { SchemaMismatchError } from "../errors.ts";

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
 * Copies numeric columns of a frame into a row-major `Matrix`, without per-row objects.
 *
 * @param df the frame; every selected column must be numeric with no nulls
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
  const data = new Float32Array(rows * cols);
  columns.forEach((name, j) => {
    if (!df.columns.includes(name)) {
      throw new SchemaMismatchError(
        `Cannot build a matrix: missing column "${name}" (found ${JSON.stringify(df.columns)})`,
      );
    }
    const series = df.getColumn(name);
    if (!series.isNumeric() && String(series.dtype) !== "Bool") {
      throw new SchemaMismatchError(
        `Cannot build a matrix: column "${name}" is ${series.dtype}, expected a numeric column; encode it first`,
      );
    }
    if (series.nullCount() > 0) {
      throw new SchemaMismatchError(
        `Cannot build a matrix: column "${name}" has ${series.nullCount()} null values; impute or drop them first`,
      );
    }
    // One native copy per column, then a strided write: no per-value JS objects.
    const values = series.cast(pl.Float64).toTypedArray() as Float64Array;
    for (let i = 0, k = j; i < rows; i++, k += cols) data[k] = values[i]!;
  });
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
