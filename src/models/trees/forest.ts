/**
 * An ensemble flattened for prediction: every node of every tree in one set of typed arrays,
 * with absolute child indexes, so the walk reads a few arrays and no tree objects.
 *
 * Prediction first bins each row once, by the thresholds the forest's splits use (and the
 * category tables), into one byte per feature; every tree then walks the bytes. A numeric split
 * `value ≤ threshold` becomes `bin ≤ index of threshold`, which is the same test: the bins are
 * cut at exactly those thresholds. When any split is categorical, every split is stored as the
 * set of bins that go left (256 bits), and each step down a tree is one bit test.
 *
 * @module
 */
import type { Tree } from "./grow.ts";
import { CATEGORY_WORDS } from "./split.ts";
import { binOf, categoryBinOf, type CategoryLookup, MISSING_BIN } from "./binning.ts";

/** The nodes of all trees, tree after tree; child indexes are absolute. */
export interface FlatForest {
  /** The root node of each tree. */
  readonly roots: Int32Array;
  /** The split feature; −1 for a leaf. */
  readonly feature: Int32Array;
  /** The left child at `2·node`, the right one at `2·node + 1`. */
  readonly children: Int32Array;
  /** The leaf value. */
  readonly value: Float32Array;
  /** A numeric split's last bin that goes left, in the feature's prediction bins. */
  readonly splitBin: Uint8Array;
  /** 1 when missing values go left. */
  readonly missingLeft: Uint8Array;
  /**
   * When any split is categorical: the bins that go left at every node, 8 words per node;
   * otherwise null (numeric splits compare `splitBin`).
   */
  readonly sets: Uint32Array | null;
  /** The prediction bins of each numeric feature: the thresholds its splits use, ascending. */
  readonly edges: readonly Float32Array[];
  /** The code-to-bin table of each categorical feature; null for a numeric one. */
  readonly lookups: readonly (CategoryLookup | null)[];
}

/** Rows scored together: each tree walks a block while the block's bins stay in cache. */
const BLOCK_ROWS = 2048;

/**
 * Flattens trees into one node table.
 *
 * @param trees the trees, in boosting order
 * @param lookups the code-to-bin table of each categorical feature (null for numeric ones);
 *   every feature a categorical node splits on needs one
 * @returns the flat forest
 * @throws {RangeError} when a categorical node's feature has no table, or a feature's splits use
 *   more than 255 distinct thresholds (no trained forest does)
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
  let anyCategorical = false;
  let width = lookups.length;
  for (const tree of trees) {
    total += tree.feature.length;
    if (tree.categorical.includes(1)) anyCategorical = true;
    for (const f of tree.feature) width = Math.max(width, f + 1);
  }
  const edges = predictionEdges(trees, width);
  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(total);
  const children = new Int32Array(2 * total).fill(-1);
  const value = new Float32Array(total);
  const splitBin = new Uint8Array(total);
  const missingLeft = new Uint8Array(total);
  const sets = anyCategorical ? new Uint32Array(total * CATEGORY_WORDS) : null;
  let at = 0;
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t]!;
    roots[t] = at;
    feature.set(tree.feature, at);
    value.set(tree.value, at);
    missingLeft.set(tree.missingLeft, at);
    for (let i = 0; i < tree.feature.length; i++) {
      const node = at + i;
      const f = tree.feature[i]!;
      if (f < 0) continue;
      children[2 * node] = at + tree.left[i]!;
      children[2 * node + 1] = at + tree.right[i]!;
      if (tree.categorical[i] === 1) {
        if (!lookups[f]) {
          throw new RangeError(
            `Cannot flatten trees: node ${i} of tree ${t} splits feature ${f} by category, but the feature has no category table`,
          );
        }
        const start = tree.bin[i]! * CATEGORY_WORDS;
        sets!.set(tree.categories.subarray(start, start + CATEGORY_WORDS), node * CATEGORY_WORDS);
        continue;
      }
      const b = binOf(tree.threshold[i]!, edges[f]!);
      splitBin[node] = b;
      if (sets !== null) {
        // The same split as a set: bins 0..b, and the missing bin when missing values go left.
        for (let k = 0; k <= b; k++) sets[node * CATEGORY_WORDS + (k >>> 5)]! |= 1 << (k & 31);
        if (tree.missingLeft[i] === 1) {
          sets[node * CATEGORY_WORDS + (MISSING_BIN >>> 5)]! |= 1 << (MISSING_BIN & 31);
        }
      }
    }
    at += tree.feature.length;
  }
  return { roots, feature, children, value, splitBin, missingLeft, sets, edges, lookups };
}

/**
 * Adds every tree's leaf values for many rows: tree `t` adds to score `t % k` of each row, in
 * tree order, so a row's sum is the same whatever the row count.
 *
 * @param forest the flat forest
 * @param x the features (row-major), `rows × cols`; NaN is a missing value
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
  const { rows, cols } = x;
  if (rows === 0) return;
  const k = scores.length / rows;
  const bins = new Uint8Array(Math.min(rows, BLOCK_ROWS) * cols);
  for (let start = 0; start < rows; start += BLOCK_ROWS) {
    const count = Math.min(BLOCK_ROWS, rows - start);
    binRows(forest, x, start, count, bins);
    if (forest.sets !== null) walkSets(forest, bins, { start, count, cols, k }, scores);
    else walkThresholds(forest, bins, { start, count, cols, k }, scores);
  }
}

/** Bins rows `start … start + count − 1` into `out`, row-major, one byte per feature. */
function binRows(
  forest: FlatForest,
  x: { data: Float32Array; cols: number },
  start: number,
  count: number,
  out: Uint8Array,
): void {
  const { data, cols } = x;
  for (let f = 0; f < cols; f++) {
    const lookup = forest.lookups[f] ?? null;
    const edges = forest.edges[f];
    if (lookup === null && (edges === undefined || edges.length === 0)) continue;
    for (let i = 0; i < count; i++) {
      const v = data[(start + i) * cols + f]!;
      out[i * cols + f] = lookup !== null ? categoryBinOf(v, lookup) : binOf(v, edges!);
    }
  }
}

/** The walk when every split is numeric: `bin ≤ splitBin`, missing values to their side. */
function walkThresholds(
  forest: FlatForest,
  bins: Uint8Array,
  block: { start: number; count: number; cols: number; k: number },
  scores: Float64Array,
): void {
  const { roots, feature, children, value, splitBin, missingLeft } = forest;
  const { start, count, cols, k } = block;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
    const c = t % k;
    for (let i = 0; i < count; i++) {
      const row = i * cols;
      let node = root;
      let f = feature[node]!;
      while (f >= 0) {
        const b = bins[row + f]!;
        const right = b === MISSING_BIN ? 1 - missingLeft[node]! : b > splitBin[node]! ? 1 : 0;
        node = children[2 * node + right]!;
        f = feature[node]!;
      }
      scores[(start + i) * k + c]! += value[node]!;
    }
  }
}

/** The walk when some split is categorical: every node tests its bin set. */
function walkSets(
  forest: FlatForest,
  bins: Uint8Array,
  block: { start: number; count: number; cols: number; k: number },
  scores: Float64Array,
): void {
  const { roots, feature, children, value } = forest;
  const sets = forest.sets!;
  const { start, count, cols, k } = block;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!;
    const c = t % k;
    for (let i = 0; i < count; i++) {
      const row = i * cols;
      let node = root;
      let f = feature[node]!;
      while (f >= 0) {
        const b = bins[row + f]!;
        const left = (sets[node * CATEGORY_WORDS + (b >>> 5)]! >>> (b & 31)) & 1;
        node = children[2 * node + 1 - left]!;
        f = feature[node]!;
      }
      scores[(start + i) * k + c]! += value[node]!;
    }
  }
}

/** The distinct thresholds of each feature's numeric splits, ascending. */
function predictionEdges(trees: readonly Tree[], width: number): Float32Array[] {
  const thresholds = Array.from({ length: width }, () => new Set<number>());
  for (const tree of trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i]!;
      if (f >= 0 && tree.categorical[i] !== 1) thresholds[f]!.add(tree.threshold[i]!);
    }
  }
  return thresholds.map((set, f) => {
    // Bins 0 … size − 1 hold the thresholds; "above every threshold" is bin `size`, which
    // must not be the missing bin unless it cannot happen (+Infinity is a threshold).
    if (set.size > MISSING_BIN || (set.size === MISSING_BIN && !set.has(Infinity))) {
      throw new RangeError(
        `Cannot flatten trees: feature ${f} is split at ${set.size} distinct thresholds, more than the ${MISSING_BIN} a byte of bins holds`,
      );
    }
    return Float32Array.from(set).sort();
  });
}
