/**
 * The `linear` family: softmax or linear regression as one tfjs Dense layer.
 *
 * @module
 */
import { LINEAR_PARAMS, LinearModel } from "../linear.ts";
import type { LinearParams } from "../linear.ts";
import type { ModelFamilyEntry } from "./_registry.ts";

/** The `linear` family entry. */
export const LINEAR_FAMILY: ModelFamilyEntry<LinearParams> = {
  name: "linear",
  params: LINEAR_PARAMS,
  create: (params, options) => new LinearModel({ ...options, l2: params.l2 }),
  load: (dir) => LinearModel.load(dir),
};
