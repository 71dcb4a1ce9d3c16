/**
 * The input checks shared by the tree models: the feature matrix (unlike `checkMatrix`, NaN, a
 * missing value, and infinities are valid feature values for trees) and the inputs of `fit`.
 *
 * @module
 */
import type { Matrix } from "../../utils/mod.ts";
import { DataValidationError, SchemaMismatchError } from "../../errors.ts";
import {
  checkTargets,
  checkTwoClassesPresent,
  type ModelTask,
  type Targets,
} from "../base_model.ts";
import type { FitOptions } from "../train.ts";

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

/** What a tree model was built for, as {@link checkTreeFitInputs} checks it. */
export interface TreeModelSpec {
  /** The family name, for messages. */
  family: string;
  task: ModelTask;
  inputDim: number;
  classes: readonly string[];
}

/**
 * The checks every tree family runs before fitting: the training features and targets, at least
 * one row, two classes for a classifier, and the validation split when one is given (an empty
 * one counts as none).
 *
 * @param spec the model's family, task, width and classes
 * @param x the training features
 * @param y the training targets
 * @param options the fit options, for the validation split
 * @returns the validation split to use, or `undefined`
 * @throws {TypeError} or {SchemaMismatchError} for malformed or mis-sized matrices
 * @throws {DataValidationError} for no rows, one class, or targets that do not fit the task
 * @example
 * ```ts
 * const validation = checkTreeFitInputs(spec, x, y, options);
 * ```
 */
export function checkTreeFitInputs(
  spec: TreeModelSpec,
  x: Matrix,
  y: Targets,
  options: FitOptions,
): FitOptions["validation"] {
  const { family, task, inputDim, classes } = spec;
  const action = `fit "${family}"`;
  checkFeatureShape(x, inputDim, action);
  checkTargets(y, { rows: x.rows, task, classes, action });
  if (x.rows === 0) {
    throw new DataValidationError(
      `Cannot fit "${family}": the training split has no rows; check the data and split.ratios`,
    );
  }
  if (y.kind === "classification") checkTwoClassesPresent(family, y);
  const validation = options.validation !== undefined && options.validation.x.rows > 0
    ? options.validation
    : undefined;
  if (validation !== undefined) {
    const inValidation = `${action} (validation set)`;
    checkFeatureShape(validation.x, inputDim, inValidation);
    checkTargets(validation.y, { rows: validation.x.rows, task, classes, action: inValidation });
  }
  return validation;
}
