/**
 * The checks of the tree models' `fit` inputs. The feature matrix goes through
 * `checkFeatureShape` (unlike `checkMatrix`: NaN, a missing value, and infinities are valid
 * feature values for trees).
 *
 * @module
 */
import type { Matrix } from "../../utils/mod.ts";
import { DataValidationError } from "../../errors.ts";
import {
  checkFeatureShape,
  checkTargets,
  checkTwoClassesPresent,
  type ModelTask,
  type Targets,
} from "../base_model.ts";
import type { FitOptions } from "../train.ts";

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
