/**
 * What one entry of a family's training history is: an epoch for the networks, a round (one
 * boosting round, or one tree of a forest) for the tree families.
 *
 * @module
 */

/**
 * The tree families. Their recorded loss is the plain loss even where they have an `l2` param:
 * tree ensembles apply `l2` to leaf values while searching splits and record the plain training
 * loss per round, so their curves carry no penalty.
 */
export const TREE_FAMILIES: readonly string[] = ["gbdt", "random_forest"];

/**
 * The families that split category codes by sets of categories (native categorical splits).
 * Other tree families would read codes as ordered numbers, so they keep one-hot columns.
 */
export const CATEGORY_SPLIT_FAMILIES: readonly string[] = ["gbdt"];

/** What one entry of a training history is called in charts, reports and the terminal. */
export type TrainingStepName = "epoch" | "round";

/**
 * What one step of a family's training history is called: `"round"` for the tree families
 * (one boosting round or tree per entry), `"epoch"` for every other family.
 *
 * @param family the model family, e.g. `config.model.family`
 * @returns `"round"` or `"epoch"`
 * @example
 * ```ts
 * trainingStepName("gbdt"); // "round"
 * trainingStepName("mlp"); // "epoch"
 * ```
 */
export function trainingStepName(family: string): TrainingStepName {
  return TREE_FAMILIES.includes(family) ? "round" : "epoch";
}
