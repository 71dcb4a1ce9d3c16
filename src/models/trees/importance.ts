/**
 * Feature importance read from fitted trees: the total gain of the splits on each feature and
 * how many splits use it. Any model made of `Tree`s (boosted rounds, a forest) can use it.
 *
 * @module
 */
import type { Tree } from "./grow.ts";

/** The importance of one feature, by the column index of the model's input matrix. */
export interface TreeFeatureImportance {
  /** The feature's column in the model's input matrix. */
  feature: number;
  /** Sum of the gains of every split on the feature, over all trees. */
  gain: number;
  /** Number of splits on the feature, over all trees. */
  splits: number;
}

/**
 * Sums the split gain and counts the splits of every feature over a set of trees.
 *
 * Gains are summed as stored in each tree (the loss reduction of the split, before shrinkage).
 * Features that no tree splits on are listed with gain 0 and 0 splits, so the result always has
 * `inputDim` entries, in column order.
 *
 * @param trees the fitted trees
 * @param inputDim the model's input width
 * @returns one entry per input column, in column order
 * @throws {RangeError} when `inputDim` is not a positive integer or a tree splits on a column
 *   outside `0 … inputDim − 1`
 * @example
 * ```ts
 * const importance = treeFeatureImportance(trees, 4);
 * importance[0]; // { feature: 0, gain: 12.5, splits: 3 }
 * ```
 */
export function treeFeatureImportance(
  trees: readonly Tree[],
  inputDim: number,
): TreeFeatureImportance[] {
  if (!Number.isInteger(inputDim) || inputDim < 1) {
    throw new RangeError(
      `Cannot compute tree feature importance: "inputDim" is ${inputDim}, expected a positive integer`,
    );
  }
  const gain = new Float64Array(inputDim);
  const splits = new Float64Array(inputDim);
  for (const [t, tree] of trees.entries()) {
    for (let node = 0; node < tree.feature.length; node++) {
      const f = tree.feature[node]!;
      if (f < 0) continue;
      if (f >= inputDim) {
        throw new RangeError(
          `Cannot compute tree feature importance: tree ${t} node ${node} splits on column ${f}, but the model has ${inputDim} inputs`,
        );
      }
      gain[f] = gain[f]! + tree.gain[node]!;
      splits[f] = splits[f]! + 1;
    }
  }
  return Array.from({ length: inputDim }, (_, feature) => ({
    feature,
    gain: gain[feature]!,
    splits: splits[feature]!,
  }));
}
