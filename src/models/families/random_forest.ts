/**
 * The `random_forest` family: bagged impurity trees with per-split feature subsampling and an
 * out-of-bag score, on the same binned features and node tables as `gbdt`.
 *
 * @module
 */
import { RANDOM_FOREST_PARAMS, RandomForestModel } from "../trees/mod.ts";
import type { RandomForestParams } from "../trees/mod.ts";
import type { ModelFamilyEntry } from "./_registry.ts";

/** The `random_forest` family entry. */
export const RANDOM_FOREST_FAMILY: ModelFamilyEntry<RandomForestParams> = {
  name: "random_forest",
  params: RANDOM_FOREST_PARAMS,
  create: (params, options) =>
    new RandomForestModel({
      task: options.task,
      inputDim: options.inputDim,
      classes: options.classes,
      seed: options.seed,
      params,
    }),
  load: (dir) => RandomForestModel.load(dir),
};
