/**
 * Leaf-wise tree growth: the leaf whose best split gains most is split next, until the tree
 * has `max_leaves` leaves, no leaf can split, or every splittable leaf is at `max_depth`.
 *
 * @module
 */
import { type BinnedMatrix, MISSING_BIN } from "./binning.ts";
import {
  BINS_PER_FEATURE,
  buildHistogramFromPairs,
  type Histogram,
  HISTOGRAM_STRIDE,
  interleaveGradients,
  newHistogram,
  newHistogramSums,
  subtractHistogram,
} from "./histogram.ts";
import {
  CATEGORY_WORDS,
  findBestSplit,
  inCategorySet,
  leafValue,
  type NodeStats,
  type SplitCandidate,
  type SplitOptions,
} from "./split.ts";
import { partitionRows } from "./partition.ts";
import type { HistogramThreads } from "./_histogram_threads.ts";

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
   * Called once per leaf when the tree is done, with the leaf value and the leaf's rows (a view
   * into `data.rows`), so the caller can update the sampled rows' scores without a tree walk.
   * @default none
   */
  onLeaf?: (value: number, rows: Uint32Array) => void;
  /**
   * 1 for each categorical feature, split by sets of categories (see `findBestSplit`).
   * @default every feature numeric
   */
  categorical?: Uint8Array;
  /**
   * Re-fits a finished leaf: called once per leaf with the leaf's rows (a view into
   * `data.rows`) and its gradient statistics, it returns the leaf value before shrinkage in
   * place of the Newton step. Losses whose hessian carries no curvature (absolute error, Huber)
   * use it to take the median of the leaf's residuals; the tree's shape stays as the gradients
   * grew it.
   * @default the Newton step `−G / (H + l2)`
   */
  leafValue?: (rows: Uint32Array, stats: NodeStats) => number;
  /**
   * Training threads that build large nodes' histograms and partition their rows in parallel;
   * `data.rows` should then be the view `threads.shareRows(rows)` returns (other rows are
   * handled on this thread). The tree is the same with or without them.
   * @default none: everything on this thread
   */
  threads?: HistogramThreads;
}

/** Per-tree scratch of growth: gradient pairs and partition room, one slot per training row. */
interface GrowBuffers {
  pairs: Float32Array;
  scratch: Uint32Array;
}

/**
 * Growth scratch is kept per binned matrix and reused by every tree grown on it (growth is
 * synchronous, so trees never share it at once): a fresh 24 bytes per training row and tree
 * would cost more than some trees take to grow.
 */
const scratchOf = new WeakMap<BinnedMatrix, GrowBuffers>();

function growBuffers(binned: BinnedMatrix): GrowBuffers {
  let buffers = scratchOf.get(binned);
  if (buffers === undefined) {
    buffers = {
      pairs: new Float32Array(2 * binned.rows),
      scratch: new Uint32Array(binned.rows),
    };
    scratchOf.set(binned, buffers);
  }
  return buffers;
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

  const sums = newHistogramSums(binned.cols);
  const pool = options.threads;
  // With threads the pool's shared buffers serve; the partition scratch is then its own.
  const buffers = pool === undefined ? growBuffers(binned) : { pairs: pool.pairs, scratch: null };
  const pairs = buffers.pairs;
  interleaveGradients(data, pairs);
  const build = (rowsOf: Uint32Array, out: Histogram) => {
    const part = { pairs, rows: rowsOf };
    if (pool === undefined) buildHistogramFromPairs(binned, part, features, out, sums);
    else pool.build(part, features, out, sums);
  };
  const rootHistogram = newHistogram(binned.cols);
  build(rows, rootHistogram);
  // The root's sums are those of any one feature's bins, missing bin included.
  let grad0 = 0;
  let hess0 = 0;
  if (features.length > 0) {
    const first = features[0]! * BINS_PER_FEATURE * HISTOGRAM_STRIDE;
    for (let b = 0; b < BINS_PER_FEATURE; b++) {
      grad0 += rootHistogram[first + b * HISTOGRAM_STRIDE]!;
      hess0 += rootHistogram[first + b * HISTOGRAM_STRIDE + 1]!;
    }
  } else {
    for (const r of rows) {
      grad0 += grad[r]!;
      hess0 += hess[r]!;
    }
  }
  const leaves: Leaf[] = [withSplit({
    node: addNode(rows.length),
    start: 0,
    end: rows.length,
    depth: 0,
    histogram: rootHistogram,
    stats: { grad: grad0, hess: hess0, count: rows.length },
    split: null,
  })];
  const partitionBuffers = { rows, scratch: buffers.scratch, pool };
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
    const mid = partition(binned, partitionBuffers, leaf, split);
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
    build(smallRows, small);
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
  const base = row * binned.stride;
  while (tree.feature[node]! >= 0) {
    const b = binned.bins[base + tree.feature[node]!]!;
    const left = tree.categorical[node] === 1
      ? inTreeSet(tree.categories, tree.bin[node]!, b)
      : goesLeft(b, tree.bin[node]!, tree.missingLeft[node] === 1);
    node = left ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/** Whether a row whose bin of the split's feature is `b` goes left at a split at `bin`. */
function goesLeft(b: number, bin: number, missingLeft: boolean): boolean {
  return b === MISSING_BIN ? missingLeft : b <= bin;
}

/** Stable partition of the leaf's rows: left rows first. Returns where the right rows start. */
function partition(
  binned: BinnedMatrix,
  buffers: { rows: Uint32Array; scratch: Uint32Array | null; pool: HistogramThreads | undefined },
  leaf: Leaf,
  split: SplitCandidate,
): number {
  // One "goes left" decision per bin, looked up per row by the kernel.
  const left = new Uint8Array(BINS_PER_FEATURE);
  const set = split.categories;
  for (let b = 0; b < BINS_PER_FEATURE; b++) {
    const goes = set !== null ? inCategorySet(set, b) : goesLeft(b, split.bin, split.missingLeft);
    left[b] = goes ? 1 : 0;
  }
  const side = { feature: split.feature, left };
  const range = { start: leaf.start, end: leaf.end };
  const { rows, pool } = buffers;
  if (pool !== undefined) return leaf.start + pool.partition(side, rows, range);
  const scratch = buffers.scratch!;
  const l = partitionRows(binned, side, rows, scratch, range);
  rows.set(scratch.subarray(leaf.start, leaf.end - l), leaf.start + l);
  return leaf.start + l;
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
