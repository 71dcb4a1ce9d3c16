/**
 * The `baseline` family: the training class priors or the training mean.
 *
 * @module
 */
import { BASELINE_PARAMS, BaselineModel } from "../baseline.ts";
import type { BaselineParams } from "../baseline.ts";
import type { ModelFamilyEntry } from "./_registry.ts";

/** The `baseline` family entry. */
export const BASELINE_FAMILY: ModelFamilyEntry<BaselineParams> = {
  name: "baseline",
  params: BASELINE_PARAMS,
  create: (_params, options) =>
    new BaselineModel({ task: options.task, inputDim: options.inputDim, classes: options.classes }),
  load: (dir) => BaselineModel.load(dir),
};
