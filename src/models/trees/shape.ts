/**
 * The feature-matrix check shared by the tree models: unlike `checkMatrix`, NaN (a missing
 * value) and infinities are valid feature values for trees.
 *
 * @module
 */
import type { Matrix } from "../../utils/mod.ts";
import { SchemaMismatchError } from "../../errors.ts";

/**
 * Checks that `x` is a well-formed matrix of `inputDim` columns.
 *
 * @param x the features
 * @param inputDim the expected column count
 * @param action what was being done, for the message (e.g. `fit "gbdt"`)
 * @throws {TypeError} for a malformed matrix
 * @throws {SchemaMismatchError} when the column count differs from `inputDim`
 * @example
 * ```ts
 * checkFeatureShape(x, 4, `predict with "gbdt"`);
 * ```
 */
export function checkFeatureShape(x: Matrix, inputDim: number, action: string): void {
  if (
    !(x.data instanceof Float32Array) || !Number.isInteger(x.rows) || !Number.isInteger(x.cols) ||
    x.rows < 0 || x.data.length !== x.rows * x.cols
  ) {
    throw new TypeError(
      `Cannot ${action}: the matrix is malformed (rows ${x.rows}, cols ${x.cols}, ` +
        `${x.data?.length} values); expected a Float32Array of rows × cols values`,
    );
  }
  if (x.cols !== inputDim) {
    throw new SchemaMismatchError(
      `Cannot ${action}: the input has ${x.cols} columns, expected ${inputDim} ` +
        `(the feature columns the model was built for); transform the rows with the run's feature pipeline`,
    );
  }
}
