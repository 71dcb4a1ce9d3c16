/**
 * The `gbdt` family: histogram-based gradient-boosted decision trees on typed arrays.
 *
 * @module
 */
import { GBDT_PARAMS, GbdtModel } from "../trees/mod.ts";
import type { GbdtParams } from "../trees/mod.ts";
import type { ModelFamilyEntry } from "./_registry.ts";

/** The `gbdt` family entry. */
export const GBDT_FAMILY: ModelFamilyEntry<GbdtParams> = {
  name: "gbdt",
  params: GBDT_PARAMS,
  create: (params, options) =>
    new GbdtModel({
      task: options.task,
      inputDim: options.inputDim,
      classes: options.classes,
      seed: options.seed,
      categorical: options.categorical,
      params,
    }),
  load: (dir) => GbdtModel.load(dir),
};
