/**
 * An ensemble flattened for prediction: every node of every tree in one set of typed arrays,
 * with absolute child indexes, so the per-row walk reads a few arrays and no tree objects.
 *
 * @module
 */
import type { Tree } from "./grow.ts";
import { CATEGORY_WORDS } from "./split.ts";
import { categoryBinOf, type CategoryLookup } from "./binning.ts";

/** The nodes of all trees, tree after tree; child indexes are absolute. */
export interface FlatForest {
  /** The root node of each tree. */
  readonly roots: Int32Array;
  /** The split feature; −1 for a leaf. */
  readonly feature: Int32Array;
  /** The largest value that goes left. */
  readonly threshold: Float32Array;
  /** 1 when missing values go left. */
  readonly missingLeft: Uint8Array;
  /** The left child. */
  readonly left: Int32Array;
  /** The right child. */
  readonly right: Int32Array;
  /** The leaf value. */
  readonly value: Float32Array;
  /**
   * For a categorical node, where its bin set starts in `words`; −1 for a numeric node or leaf.
   */
  readonly setStart: Int32Array;
  /** The bin sets of every categorical node, 8 words each. */
  readonly words: Uint32Array;
  /** The code-to-bin table of each categorical feature; null for a numeric one. */
  readonly lookups: readonly (CategoryLookup | null)[];
}

/**
 * Flattens trees into one node table.
 *
 * @param trees the trees, in boosting order
 * @param lookups the code-to-bin table of each categorical feature (null for numeric ones);
 *   every feature a categorical node splits on needs one
 * @returns the flat forest
 * @throws {RangeError} when a categorical node's feature has no table
 * @example
 * ```ts
 * const forest = flattenTrees(trees);
 * ```
 */
export function flattenTrees(
  trees: readonly Tree[],
  lookups: readonly (CategoryLookup | null)[] = [],
): FlatForest {
  let total = 0;
  let totalWords = 0;
  for (const tree of trees) {
    total += tree.feature.length;
    totalWords += tree.categories.length;
  }
  const setStart = new Int32Array(total).fill(-1);
  const words = new Uint32Array(totalWords);
  let wordsAt = 0;
  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(total);
  const threshold = new Float32Array(total);
  const missingLeft = new Uint8Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const value = new Float32Array(total);
  let at = 0;
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t]!;
    roots[t] = at;
    feature.set(tree.feature, at);
    threshold.set(tree.threshold, at);
    missingLeft.set(tree.missingLeft, at);
    value.set(tree.value, at);
    for (let i = 0; i < tree.feature.length; i++) {
      left[at + i] = tree.left[i]! < 0 ? -1 : at + tree.left[i]!;
      right[at + i] = tree.right[i]! < 0 ? -1 : at + tree.right[i]!;
      if (tree.categorical[i] === 1) {
        if (!lookups[tree.feature[i]!]) {
          throw new RangeError(
            `Cannot flatten trees: node ${i} of tree ${t} splits feature ${
              tree.feature[i]
            } by category, but the feature has no category table`,
          );
        }
        setStart[at + i] = wordsAt + tree.bin[i]! * CATEGORY_WORDS;
      }
    }
    words.set(tree.categories, wordsAt);
    wordsAt += tree.categories.length;
    at += tree.feature.length;
  }
  return { roots, feature, threshold, missingLeft, left, right, value, setStart, words, lookups };
}

/**
 * Adds every tree's leaf value for one row to its score: tree `t` adds to `scores[t % k]`.
 *
 * @param forest the flat forest
 * @param row the features (row-major) and where the row starts
 * @param scores the row's `k` scores, starting values included; updated in place
 * @example
 * ```ts
 * scores.set(base);
 * addForest(forest, { data: x.data, offset: i * x.cols }, scores);
 * ```
 */
export function addForest(
  forest: FlatForest,
  row: { data: Float32Array; offset: number },
  scores: Float64Array,
): void {
  const { roots, feature, left, right, value } = forest;
  const { data, offset } = row;
  const k = scores.length;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t]!;
    let f = feature[node]!;
    while (f >= 0) {
      node = goesLeft(forest, node, data[offset + f]!) ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    scores[t % k]! += value[node]!;
  }
}

/**
 * Adds every tree's leaf values for many rows, tree after tree, so each tree's nodes stay in
 * cache while every row walks it: the faster order for forests of deep trees. Tree `t` adds to
 * score `t % k` of each row.
 *
 * @param forest the flat forest
 * @param x the features (row-major), `rows × cols`
 * @param scores `rows × k` scores, starting values included; updated in place
 * @example
 * ```ts
 * const scores = new Float64Array(x.rows * k);
 * addForestRows(forest, x, scores);
 * ```
 */
export function addForestRows(
  forest: FlatForest,
  x: { data: Float32Array; rows: number; cols: number },
  scores: Float64Array,
): void {
  const { roots, feature, left, right, value } = forest;
  const { data, rows, cols } = x;
  const k = rows === 0 ? 1 : scores.length / rows;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
    const c = t % k;
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      let node = root;
      let f = feature[node]!;
      while (f >= 0) {
        node = goesLeft(forest, node, data[offset + f]!) ? left[node]! : right[node]!;
        f = feature[node]!;
      }
      scores[i * k + c]! += value[node]!;
    }
  }
}

/** Whether a row whose split feature holds `v` goes left at `node`. */
function goesLeft(forest: FlatForest, node: number, v: number): boolean {
  const start = forest.setStart[node]!;
  if (start < 0) return v !== v ? forest.missingLeft[node] === 1 : v <= forest.threshold[node]!;
  const b = categoryBinOf(v, forest.lookups[forest.feature[node]!]!);
  return ((forest.words[start + (b >>> 5)]! >>> (b & 31)) & 1) === 1;
}
