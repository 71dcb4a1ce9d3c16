/**
 * Decision trees on typed arrays, independent of tfjs: quantile binning, gradient histograms,
 * split finding, leaf-wise growth, boosting losses, the tree file, and the `gbdt` model built
 * from them.
 *
 * @module
 */
export {
  binColumns,
  binMatrix,
  binOf,
  binStride,
  categoryBinOf,
  categoryLookup,
  describeCategoryBins,
  learnBinEdges,
  learnCategoryBins,
  MAX_CATEGORY_CODE,
  MAX_VALUE_BINS,
  MISSING_BIN,
  valueBinCounts,
} from "./binning.ts";
export type { BinEdges, BinnedMatrix, CategoryBins, CategoryLookup } from "./binning.ts";
export {
  BINS_PER_FEATURE,
  buildHistogram,
  HISTOGRAM_STRIDE,
  newHistogram,
  subtractHistogram,
} from "./histogram.ts";
export type { Histogram } from "./histogram.ts";
export {
  CATEGORY_WORDS,
  findBestSplit,
  inCategorySet,
  leafValue,
  MIN_CATEGORY_SUPPORT,
  MIN_CHILD_HESSIAN,
  nodeScore,
} from "./split.ts";
export type { NodeStats, SplitCandidate, SplitOptions } from "./split.ts";
export { growTree, inTreeSet, treeValueBinned } from "./grow.ts";
export type { GrowOptions, Tree } from "./grow.ts";
export {
  baseScores,
  gradients,
  huberDelta,
  lossAndMetric,
  lossFor,
  refitLeaf,
  REGRESSION_LOSSES,
  rowProbabilities,
  scoresPerRow,
} from "./losses.ts";
export type { LossExtras, LossName, LossTargets, RegressionLossName } from "./losses.ts";
export { addForestRows, flattenTrees } from "./forest.ts";
export type { FlatForest } from "./forest.ts";
export { decodeTrees, encodeTrees, TREES_FILE } from "./tree_file.ts";
export { treeFeatureImportance } from "./importance.ts";
export type { TreeFeatureImportance } from "./importance.ts";
export { BINNING_SAMPLE_ROWS, GBDT_PARAMS, GbdtModel } from "./gbdt.ts";
export type { CategoricalFeature } from "./gbdt.ts";
export type { GbdtOptions, GbdtParams } from "./gbdt.ts";
export { findImpuritySplit, impurityStride, occupiedBins, weightedImpurity } from "./impurity.ts";
export type { ImpurityCriterion, ImpuritySplit } from "./impurity.ts";
export { bootstrapCounts, treeSeed } from "./bootstrap.ts";
export { growImpurityTree } from "./impurity_tree.ts";
export { featuresPerSplit, RANDOM_FOREST_PARAMS, RandomForestModel } from "./random_forest.ts";
export type { OutOfBagScore, RandomForestOptions, RandomForestParams } from "./random_forest.ts";
