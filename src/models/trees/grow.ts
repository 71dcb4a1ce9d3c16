/**
 * Leaf-wise tree growth: the leaf whose best split gains most is split next, until the tree
 * has `max_leaves` leaves, no leaf can split, or every splittable leaf is at `max_depth`.
 *
 * @module
 */
import { type BinnedMatrix, MISSING_BIN } from "./binning.ts";
import { buildHistogram, type Histogram, newHistogram, subtractHistogram } from "./histogram.ts";
import {
  CATEGORY_WORDS,
  findBestSplit,
  inCategorySet,
  leafValue,
  type NodeStats,
  type SplitCandidate,
  type SplitOptions,
} from "./split.ts";

/**
 * One tree, as parallel arrays indexed by node (node 0 is the root). An inner node sends a row
 * left when its value is at most `threshold` (its bin at most `bin`), or, when the value is
 * missing, when `missingLeft` is 1. A categorical node (`categorical` 1) sends a row left when
 * its category's bin is in the node's bin set: words `8·bin … 8·bin + 7` of `categories`. A leaf
 * has `feature` −1 and adds `value` to the score.
 */
export interface Tree {
  /** The feature an inner node splits on; −1 for a leaf. */
  feature: Int32Array;
  /** The last bin that goes left (training-time routing on binned rows). */
  bin: Int32Array;
  /** The largest value that goes left (prediction on raw rows); NaN for a categorical node. */
  threshold: Float32Array;
  /** 1 for a split on a categorical feature. */
  categorical: Uint8Array;
  /** The bin sets of the categorical nodes, 8 words each, in the order of their `bin` index. */
  categories: Uint32Array;
  /** 1 when missing values go left. */
  missingLeft: Uint8Array;
  /** Index of the left child; −1 for a leaf. */
  left: Int32Array;
  /** Index of the right child; −1 for a leaf. */
  right: Int32Array;
  /** The leaf value, shrinkage applied; 0 for inner nodes. */
  value: Float32Array;
  /** The split's gain; 0 for a leaf. */
  gain: Float32Array;
  /** Training rows (of the round's sample) that reached the node. */
  count: Float32Array;
}

/** What shapes a tree. */
export interface GrowOptions extends SplitOptions {
  /** Most leaves. */
  maxLeaves: number;
  /** Most depth (the root is depth 0); `Infinity` for none. */
  maxDepth: number;
  /** Shrinkage applied to leaf values. */
  learningRate: number;
  /** Features this tree may split on, ascending. */
  features: Int32Array;
  /** Value-bin count of every feature. */
  valueBins: Int32Array;
  /** Bin edges of every feature, to turn a bin split into a value threshold. */
  thresholds: readonly Float32Array[];
  /**
   * 1 for each categorical feature, split by sets of categories (see `findBestSplit`).
   * @default every feature numeric
   */
  categorical?: Uint8Array;
  /**
   * Called once per leaf when the tree is done, with the leaf value and the leaf's rows (a view
   * into `data.rows`), so the caller can update the sampled rows' scores without a tree walk.
   * @default none
   */
  onLeaf?: (value: number, rows: Uint32Array) => void;
  /**
   * Re-fits a finished leaf: called once per leaf with the leaf's rows (a view into
   * `data.rows`) and its gradient statistics, it returns the leaf value before shrinkage in
   * place of the Newton step. Losses whose hessian carries no curvature (absolute error, Huber)
   * use it to take the median of the leaf's residuals; the tree's shape stays as the gradients
   * grew it.
   * @default the Newton step `−G / (H + l2)`
   */
  leafValue?: (rows: Uint32Array, stats: NodeStats) => number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  histogram: Histogram;
  stats: NodeStats;
  split: SplitCandidate | null;
}

/**
 * Grows one tree on the sampled rows of a round.
 *
 * @param binned the binned training features
 * @param data gradients and hessians of every training row, and the sampled rows (reordered in
 *   place, leaf by leaf)
 * @param options leaves, depth, split constraints, shrinkage and features
 * @returns the tree
 * @example
 * ```ts
 * const tree = growTree(binned, { grad, hess, rows }, { maxLeaves: 31, maxDepth: Infinity, ... });
 * ```
 */
export function growTree(
  binned: BinnedMatrix,
  data: { grad: Float64Array; hess: Float64Array; rows: Uint32Array },
  options: GrowOptions,
): Tree {
  const { grad, hess, rows } = data;
  const { features, valueBins, maxLeaves, maxDepth } = options;
  const nodes = {
    feature: [] as number[],
    bin: [] as number[],
    threshold: [] as number[],
    categorical: [] as number[],
    missingLeft: [] as number[],
    left: [] as number[],
    right: [] as number[],
    value: [] as number[],
    gain: [] as number[],
    count: [] as number[],
  };
  function addNode(count: number): number {
    nodes.feature.push(-1);
    nodes.bin.push(0);
    nodes.threshold.push(0);
    nodes.categorical.push(0);
    nodes.missingLeft.push(0);
    nodes.left.push(-1);
    nodes.right.push(-1);
    nodes.value.push(0);
    nodes.gain.push(0);
    nodes.count.push(count);
    return nodes.feature.length - 1;
  }
  function withSplit(leaf: Leaf): Leaf {
    leaf.split = leaf.depth < maxDepth
      ? findBestSplit(
        leaf.histogram,
        { stats: leaf.stats, features, valueBins, categorical: options.categorical },
        options,
      )
      : null;
    return leaf;
  }

  let grad0 = 0;
  let hess0 = 0;
  for (const r of rows) {
    grad0 += grad[r]!;
    hess0 += hess[r]!;
  }
  const rootHistogram = newHistogram(binned.cols);
  buildHistogram(binned, data, features, rootHistogram);
  const leaves: Leaf[] = [withSplit({
    node: addNode(rows.length),
    start: 0,
    end: rows.length,
    depth: 0,
    histogram: rootHistogram,
    stats: { grad: grad0, hess: hess0, count: rows.length },
    split: null,
  })];
  const scratch = new Uint32Array(rows.length);
  const categorySets: Uint32Array[] = [];

  while (leaves.length < maxLeaves) {
    let pick = -1;
    for (let i = 0; i < leaves.length; i++) {
      const split = leaves[i]!.split;
      if (split === null) continue;
      const current = pick < 0 ? null : leaves[pick]!;
      if (
        current === null || split.gain > current.split!.gain ||
        (split.gain === current.split!.gain && leaves[i]!.node < current.node)
      ) pick = i;
    }
    if (pick < 0) break;
    const leaf = leaves[pick]!;
    const split = leaf.split!;
    const mid = partition(binned, rows, scratch, leaf, split);
    const n = leaf.node;
    nodes.feature[n] = split.feature;
    if (split.categories !== null) {
      nodes.categorical[n] = 1;
      nodes.bin[n] = categorySets.length;
      nodes.threshold[n] = NaN;
      categorySets.push(split.categories);
    } else {
      nodes.bin[n] = split.bin;
      const edges = options.thresholds[split.feature]!;
      // The last value bin has no upper edge: every value goes left, only missing rows go right.
      nodes.threshold[n] = split.bin < edges.length ? edges[split.bin]! : Infinity;
    }
    nodes.missingLeft[n] = split.missingLeft ? 1 : 0;
    nodes.gain[n] = split.gain;
    const leftNode = addNode(split.left.count);
    const rightNode = addNode(split.right.count);
    nodes.left[n] = leftNode;
    nodes.right[n] = rightNode;

    const leftSmaller = split.left.count <= split.right.count;
    const small = newHistogram(binned.cols);
    const smallRows = leftSmaller ? rows.subarray(leaf.start, mid) : rows.subarray(mid, leaf.end);
    buildHistogram(binned, { grad, hess, rows: smallRows }, features, small);
    subtractHistogram(leaf.histogram, small, features, leaf.histogram);
    const depth = leaf.depth + 1;
    const left = withSplit({
      node: leftNode,
      start: leaf.start,
      end: mid,
      depth,
      histogram: leftSmaller ? small : leaf.histogram,
      stats: split.left,
      split: null,
    });
    const right = withSplit({
      node: rightNode,
      start: mid,
      end: leaf.end,
      depth,
      histogram: leftSmaller ? leaf.histogram : small,
      stats: split.right,
      split: null,
    });
    leaves.splice(pick, 1, left, right);
  }
  for (const leaf of leaves) {
    const raw = options.leafValue === undefined
      ? leafValue(leaf.stats, options.l2)
      : options.leafValue(rows.subarray(leaf.start, leaf.end), leaf.stats);
    nodes.value[leaf.node] = options.learningRate * raw;
  }
  const values = Float32Array.from(nodes.value);
  if (options.onLeaf !== undefined) {
    for (const leaf of leaves) {
      options.onLeaf(values[leaf.node]!, rows.subarray(leaf.start, leaf.end));
    }
  }
  return {
    feature: Int32Array.from(nodes.feature),
    bin: Int32Array.from(nodes.bin),
    threshold: Float32Array.from(nodes.threshold),
    categorical: Uint8Array.from(nodes.categorical),
    categories: joinSets(categorySets),
    missingLeft: Uint8Array.from(nodes.missingLeft),
    left: Int32Array.from(nodes.left),
    right: Int32Array.from(nodes.right),
    value: values,
    gain: Float32Array.from(nodes.gain),
    count: Float32Array.from(nodes.count),
  };
}

/**
 * The leaf value a binned row reaches.
 *
 * @param tree the tree
 * @param binned the binned rows
 * @param row the row index
 * @returns the leaf value
 * @example
 * ```ts
 * scores[i] += treeValueBinned(tree, binned, i);
 * ```
 */
export function treeValueBinned(tree: Tree, binned: BinnedMatrix, row: number): number {
  let node = 0;
  const n = binned.rows;
  while (tree.feature[node]! >= 0) {
    const b = binned.bins[tree.feature[node]! * n + row]!;
    const goLeft = tree.categorical[node] === 1
      ? inTreeSet(tree.categories, tree.bin[node]!, b)
      : b === MISSING_BIN
      ? tree.missingLeft[node] === 1
      : b <= tree.bin[node]!;
    node = goLeft ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/** Stable partition of the leaf's rows: left rows first. Returns where the right rows start. */
function partition(
  binned: BinnedMatrix,
  rows: Uint32Array,
  scratch: Uint32Array,
  leaf: Leaf,
  split: SplitCandidate,
): number {
  const column = binned.bins.subarray(
    split.feature * binned.rows,
    (split.feature + 1) * binned.rows,
  );
  let l = leaf.start;
  let r = 0;
  const set = split.categories;
  for (let i = leaf.start; i < leaf.end; i++) {
    const row = rows[i]!;
    const b = column[row]!;
    const goLeft = set !== null
      ? inCategorySet(set, b)
      : b === MISSING_BIN
      ? split.missingLeft
      : b <= split.bin;
    if (goLeft) rows[l++] = row;
    else scratch[r++] = row;
  }
  rows.set(scratch.subarray(0, r), l);
  return l;
}

/**
 * Whether bin `b` is in bin set `index` of a tree (8 words per set).
 *
 * @param categories the tree's bin sets
 * @param index the node's set index (its `bin`)
 * @param b the bin
 * @returns true when the bin goes left
 * @example
 * ```ts
 * inTreeSet(tree.categories, tree.bin[node], 3);
 * ```
 */
export function inTreeSet(categories: Uint32Array, index: number, b: number): boolean {
  return ((categories[index * CATEGORY_WORDS + (b >>> 5)]! >>> (b & 31)) & 1) === 1;
}

function joinSets(sets: readonly Uint32Array[]): Uint32Array {
  const out = new Uint32Array(sets.length * CATEGORY_WORDS);
  sets.forEach((set, i) => out.set(set, i * CATEGORY_WORDS));
  return out;
}
