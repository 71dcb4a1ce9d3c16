/**
 * Growth of one random-forest tree: depth-first, each node split on the best impurity decrease
 * among a fresh random subset of the features, until it is pure, too small for two leaves of
 * `min_samples_leaf` rows, at `max_depth`, or no cut decreases the impurity. The tree is
 * returned in the node-table form of `grow.ts`, so the tree file and flat prediction serve it.
 *
 * @module
 */
import type { Random } from "../../utils/mod.ts";
import { binColumns, type BinnedMatrix, MISSING_BIN } from "./binning.ts";
import type { Tree } from "./grow.ts";
import { BINS_PER_FEATURE } from "./histogram.ts";
import {
  buildImpurityHistogram,
  findImpuritySplit,
  type ImpurityCriterion,
  type ImpuritySplit,
  impurityStride,
  type NodeRows,
  nodeTotals,
  occupiedBins,
  weightedImpurity,
} from "./impurity.ts";

/** The training data of one tree. */
export interface ImpurityTreeData {
  /** The binned training features. */
  binned: BinnedMatrix;
  /** Weight of every training row (bootstrap count × class weight); 0 leaves a row out. */
  weights: Float64Array;
  /** Bootstrap count of every training row; 0 leaves a row out. */
  counts: Float64Array;
  /** Label of every row (classification) or null. */
  labels: Int32Array | null;
  /** Target of every row (regression) or null. */
  values: Float64Array | null;
}

/** What shapes one tree. */
export interface ImpurityTreeOptions {
  /** The criterion. */
  criterion: ImpurityCriterion;
  /** The class count (classification); 1 for regression. */
  classes: number;
  /** Features tried at each node, drawn without replacement; all when ≥ the feature count. */
  maxFeatures: number;
  /** Most depth (the root is depth 0); `Infinity` for none. */
  maxDepth: number;
  /** Fewest rows (bootstrap draws) per leaf. */
  minSamplesLeaf: number;
  /** Value-bin count of every feature (0 for a constant or all-missing one). */
  valueBins: Int32Array;
  /** Bin edges of every feature, to turn a bin split into a value threshold. */
  thresholds: readonly Float32Array[];
}

/**
 * Grows one tree. For classification it returns one tree per class, sharing the structure, whose
 * leaf values are the leaf's weighted class shares, so summing tree `t·k + c` into score `c`
 * adds the class-`c` share; for regression one tree whose leaves hold the weighted mean.
 *
 * @param data the binned features, row weights and targets
 * @param options criterion, feature subsampling, depth and leaf size
 * @param random the tree's stream, for the feature draws
 * @returns `classes` trees (1 for regression)
 * @example
 * ```ts
 * const [tree] = growImpurityTree(data, { criterion: "squared_error", classes: 1, ... }, random);
 * ```
 */
export function growImpurityTree(
  data: ImpurityTreeData,
  options: ImpurityTreeOptions,
  random: Random,
): Tree[] {
  const { binned, weights, counts, labels, values } = data;
  const { criterion, classes, maxDepth, minSamplesLeaf, valueBins, thresholds } = options;
  const n = binned.rows;
  const p = binned.cols;
  const stride = impurityStride(criterion, classes);
  const outputs = criterion === "squared_error" ? 1 : classes;
  const maxFeatures = Math.min(p, Math.max(1, options.maxFeatures));
  let inBag = 0;
  for (let i = 0; i < n; i++) if (counts[i]! > 0) inBag++;
  const columns = binColumns(binned);
  const rows = new Uint32Array(inBag);
  for (let i = 0, j = 0; i < n; i++) if (counts[i]! > 0) rows[j++] = i;
  const scratch = new Uint32Array(inBag);
  const histogram = new Float64Array(BINS_PER_FEATURE * stride);
  const features = Int32Array.from({ length: p }, (_, f) => f);
  const chosen = new Int32Array(maxFeatures);
  const binScratch = {
    seen: new Uint8Array(BINS_PER_FEATURE),
    out: new Uint8Array(BINS_PER_FEATURE),
  };

  const feature: number[] = [];
  const bin: number[] = [];
  const threshold: number[] = [];
  const missingLeft: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const gain: number[] = [];
  const count: number[] = [];
  const leafValues: number[][] = Array.from({ length: outputs }, () => []);
  const addNode = (): number => {
    feature.push(-1);
    bin.push(0);
    threshold.push(0);
    missingLeft.push(0);
    left.push(-1);
    right.push(-1);
    gain.push(0);
    count.push(0);
    for (const v of leafValues) v.push(0);
    return feature.length - 1;
  };

  const stack: { node: number; start: number; end: number; depth: number }[] = [
    { node: addNode(), start: 0, end: inBag, depth: 0 },
  ];
  while (stack.length > 0) {
    const { node, start, end, depth } = stack.pop()!;
    const rowsOf: NodeRows = { rows, start, end, weights, counts, labels, values };
    const totals = nodeTotals(rowsOf, stride);
    count[node] = totals[stride - 1]!;
    let split: ImpuritySplit | null = null;
    if (
      depth < maxDepth && totals[stride - 1]! >= 2 * minSamplesLeaf &&
      weightedImpurity(criterion, totals, 0, stride) > 0
    ) {
      // A partial Fisher–Yates draw of the node's features, tried in ascending order.
      for (let j = 0; j < maxFeatures; j++) {
        const r = j + random.int(p - j);
        const f = features[r]!;
        features[r] = features[j]!;
        features[j] = f;
        chosen[j] = f;
      }
      chosen.sort();
      for (const f of chosen) {
        if (valueBins[f] === 0) continue;
        const column = columns[f]!;
        buildImpurityHistogram(histogram, column, rowsOf, stride);
        const bins = occupiedBins(column, rowsOf, binScratch);
        const candidate = findImpuritySplit(
          histogram,
          { totals, feature: f, valueBins: valueBins[f]!, bins },
          { criterion, stride, minSamplesLeaf },
        );
        // Zero only the bins this node's rows touched, not the whole histogram.
        for (const b of bins) histogram.fill(0, b * stride, (b + 1) * stride);
        histogram.fill(0, MISSING_BIN * stride, (MISSING_BIN + 1) * stride);
        if (candidate !== null && (split === null || candidate.gain > split.gain)) {
          split = candidate;
        }
      }
    }
    if (split === null) {
      setLeafValues(leafValues, node, totals, criterion);
      continue;
    }
    const edges = thresholds[split.feature]!;
    feature[node] = split.feature;
    bin[node] = split.bin;
    threshold[node] = split.bin < edges.length ? edges[split.bin]! : Infinity;
    missingLeft[node] = split.missingLeft ? 1 : 0;
    gain[node] = split.gain;
    const middle = partition(binned, { rows, scratch, start, end }, split);
    const l = addNode();
    const r = addNode();
    left[node] = l;
    right[node] = r;
    // Right pushed first, so the left subtree is grown (and numbered) first.
    stack.push({ node: r, start: middle, end, depth: depth + 1 });
    stack.push({ node: l, start, end: middle, depth: depth + 1 });
  }
  return leafValues.map((value) => ({
    feature: Int32Array.from(feature),
    bin: Int32Array.from(bin),
    threshold: Float32Array.from(threshold),
    // Random forests have no categorical splits (they train on one-hot columns).
    categorical: new Uint8Array(feature.length),
    categories: new Uint32Array(0),
    missingLeft: Uint8Array.from(missingLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float32Array.from(value),
    gain: Float32Array.from(gain),
    count: Float32Array.from(count),
  }));
}

/**
 * The leaf a binned training row reaches in a tree grown by `growImpurityTree`.
 *
 * @param tree the tree (any of a classification tree's per-class copies)
 * @param binned the binned features
 * @param row the row index
 * @returns the leaf's node index
 * @example
 * ```ts
 * const leaf = leafOfBinned(trees[0], binned, i);
 * ```
 */
export function leafOfBinned(tree: Tree, binned: BinnedMatrix, row: number): number {
  let node = 0;
  const base = row * binned.stride;
  while (tree.feature[node]! >= 0) {
    const b = binned.bins[base + tree.feature[node]!]!;
    const goLeft = b === MISSING_BIN ? tree.missingLeft[node] === 1 : b <= tree.bin[node]!;
    node = goLeft ? tree.left[node]! : tree.right[node]!;
  }
  return node;
}

function setLeafValues(
  leafValues: number[][],
  node: number,
  totals: Float64Array,
  criterion: ImpurityCriterion,
): void {
  if (criterion === "squared_error") {
    leafValues[0]![node] = totals[0]! > 0 ? totals[1]! / totals[0]! : 0;
    return;
  }
  let w = 0;
  for (let c = 0; c < leafValues.length; c++) w += totals[c]!;
  for (let c = 0; c < leafValues.length; c++) {
    leafValues[c]![node] = w > 0 ? totals[c]! / w : 1 / leafValues.length;
  }
}

/** Stable partition of a node's rows: left rows first. Returns where the right rows start. */
function partition(
  binned: BinnedMatrix,
  buffers: { rows: Uint32Array; scratch: Uint32Array; start: number; end: number },
  split: ImpuritySplit,
): number {
  const { rows, scratch, start, end } = buffers;
  const column = binColumns(binned)[split.feature]!;
  let l = start;
  let r = 0;
  for (let i = start; i < end; i++) {
    const row = rows[i]!;
    const b = column[row]!;
    const goLeft = b === MISSING_BIN ? split.missingLeft : b <= split.bin;
    if (goLeft) rows[l++] = row;
    else scratch[r++] = row;
  }
  rows.set(scratch.subarray(0, r), l);
  return l;
}
