/**
 * The `mlp` family: a multilayer perceptron of tfjs Dense layers.
 *
 * @module
 */
import { MLP_PARAMS, MlpModel } from "../mlp.ts";
import type { MlpParams } from "../mlp.ts";
import type { ModelFamilyEntry } from "./_registry.ts";

/** The `mlp` family entry. */
export const MLP_FAMILY: ModelFamilyEntry<MlpParams> = {
  name: "mlp",
  params: MLP_PARAMS,
  create: (params, options) =>
    new MlpModel({
      ...options,
      hiddenUnits: params.hidden_units,
      activation: params.activation,
      dropout: params.dropout,
      l2: params.l2,
    }),
  load: (dir) => MlpModel.load(dir),
};
