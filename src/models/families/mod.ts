/**
 * Model families: one file per family (`mlp`, `linear`, `baseline`, `gbdt`,
 * `random_forest`), each exporting a
 * `{ name, params, create, load }` entry, and the registry that `createModel`, `loadModel` and
 * config loading look families up in. A new family is one file plus one line below.
 *
 * @module
 */
import { registerModelFamily } from "./_registry.ts";
import { BASELINE_FAMILY } from "./baseline.ts";
import { GBDT_FAMILY } from "./gbdt.ts";
import { LINEAR_FAMILY } from "./linear.ts";
import { MLP_FAMILY } from "./mlp.ts";
import { RANDOM_FOREST_FAMILY } from "./random_forest.ts";

registerModelFamily(MLP_FAMILY);
registerModelFamily(LINEAR_FAMILY);
registerModelFamily(BASELINE_FAMILY);
registerModelFamily(GBDT_FAMILY);
registerModelFamily(RANDOM_FOREST_FAMILY);

export { hasModelFamily, modelFamily, modelFamilyNames, registerModelFamily } from "./_registry.ts";
export type { ModelFamilyEntry, ModelFamilyOptions } from "./_registry.ts";
export { BASELINE_FAMILY, GBDT_FAMILY, LINEAR_FAMILY, MLP_FAMILY, RANDOM_FOREST_FAMILY };
