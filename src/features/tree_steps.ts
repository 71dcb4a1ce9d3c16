/**
 * The feature steps a tree family trains on: the configured steps, rewritten so that trees read
 * raw numbers and category codes.
 *
 * @module
 */
import type { FeaturesConfig } from "../config/mod.ts";

/** One configured feature step. */
type FeatureStep = FeaturesConfig["steps"][number];

/**
 * Transformers that only rescale a column monotonically. A tree splits on bins learned from the
 * ranks of the values, so it makes the same splits with or without them: they are dropped.
 */
export const TREE_DROPPED_TRANSFORMERS: readonly string[] = [
  "StandardScaler",
  "MinMaxScaler",
  "RobustScaler",
  "Log1pTransformer",
];

/**
 * Rewrites feature steps for a tree family (`gbdt`, `random_forest`), so one profile serves
 * networks and trees alike:
 * - monotone rescalers (`TREE_DROPPED_TRANSFORMERS`) are dropped: numeric columns reach the
 *   trees as they are, and a step left without transformers passes its columns through;
 * - with `categorySplits` (a family that splits categories natively: `gbdt`), a `OneHotEncoder`
 *   becomes an `OrdinalEncoder` of the same columns with `unknown_value: -1`: one category code
 *   per column instead of an indicator per category. `gbdt` splits the codes by sets of
 *   categories (a category unseen in training, −1, goes where missing values go) and keeps up to
 *   255 categories itself, so `top_n` is dropped too. An encoder with `handle_null: "category"`
 *   is kept, since a code column cannot hold a null category. Without `categorySplits`
 *   (`random_forest`, which would read codes as ordered numbers) one-hot stays.
 * Every other transformer (imputers, binners, explicit encoders) is kept as configured.
 *
 * @param steps `config.features.steps`
 * @param options whether the family splits category codes natively
 * @returns the steps the tree family trains on (the input is not changed)
 * @example
 * ```ts
 * treeFeatureSteps([{ name: "airports", columns: ["origin"], transformers: [{ kind: "OneHotEncoder", params: { top_n: 20 } }] }], { categorySplits: true });
 * // [{ name: "airports", columns: ["origin"], transformers: [{ kind: "OrdinalEncoder", params: { unknown_value: -1 } }] }]
 * ```
 */
export function treeFeatureSteps(
  steps: readonly FeatureStep[],
  options: { categorySplits: boolean },
): FeatureStep[] {
  return steps.map((step) => ({
    ...step,
    transformers: step.transformers.flatMap((spec) => {
      if (TREE_DROPPED_TRANSFORMERS.includes(spec.kind)) return [];
      if (!options.categorySplits || spec.kind !== "OneHotEncoder") return [spec];
      if (spec.params.handle_null === "category") return [spec];
      const columns = spec.params.columns;
      return [{
        kind: "OrdinalEncoder",
        params: { ...(columns === undefined ? {} : { columns }), unknown_value: -1 },
      }];
    }),
  }));
}
