/**
 * Impurity criteria of random-forest trees and their split search over per-bin histograms:
 * weighted class totals (Gini or entropy) for classification, weighted sums of the target
 * (squared error) for regression. A split's gain is the weighted impurity decrease
 * `W·I(parent) − W_L·I(left) − W_R·I(right)`, as in scikit-learn.
 *
 * @module
 */
import { MISSING_BIN } from "./binning.ts";

/** The impurity criteria: Gini and entropy (log base 2) classify, squared error regresses. */
export type ImpurityCriterion = "gini" | "entropy" | "squared_error";

/**
 * Values kept per bin: for classification, the weighted total of each class then the row
 * count (`classes + 1`); for regression, weight, weighted target, weighted squared target and
 * row count (4).
 *
 * @param criterion the criterion
 * @param classes the class count (classification)
 * @returns the histogram stride
 * @example
 * ```ts
 * impurityStride("gini", 3); // 4
 * ```
 */
export function impurityStride(criterion: ImpurityCriterion, classes: number): number {
  return criterion === "squared_error" ? 4 : classes + 1;
}

/**
 * The weighted impurity `W·I` of a node from its totals (one stride of values, count last).
 * Gini: `W − Σ w_c² / W`; entropy: `W·log2 W − Σ w_c·log2 w_c`; squared error:
 * `Σ w·y² − (Σ w·y)² / W`.
 *
 * @param criterion the criterion
 * @param totals the node's totals, `stride` values from `at`
 * @param at where the totals start
 * @param stride the histogram stride
 * @returns the weighted impurity (0 for an empty node)
 * @example
 * ```ts
 * weightedImpurity("gini", Float64Array.of(2, 2, 4), 0, 3); // 4 · 0.5 = 2
 * ```
 */
export function weightedImpurity(
  criterion: ImpurityCriterion,
  totals: Float64Array,
  at: number,
  stride: number,
): number {
  if (criterion === "squared_error") {
    const w = totals[at]!;
    if (!(w > 0)) return 0;
    const s = totals[at + 1]!;
    return Math.max(0, totals[at + 2]! - (s * s) / w);
  }
  const k = stride - 1;
  let w = 0;
  for (let c = 0; c < k; c++) w += totals[at + c]!;
  if (!(w > 0)) return 0;
  if (criterion === "gini") {
    let squares = 0;
    for (let c = 0; c < k; c++) squares += totals[at + c]! * totals[at + c]!;
    return Math.max(0, w - squares / w);
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const wc = totals[at + c]!;
    if (wc > 0) sum += wc * Math.log2(wc);
  }
  return Math.max(0, w * Math.log2(w) - sum);
}

/** The training rows of one node and what each contributes. */
export interface NodeRows {
  /** Row indexes; the node's rows are `rows[start, end)`. */
  rows: Uint32Array;
  /** First row of the node in `rows`. */
  start: number;
  /** One past the node's last row. */
  end: number;
  /** Weight of every training row (bootstrap count × class weight). */
  weights: Float64Array;
  /** Bootstrap count of every training row (how often it was drawn). */
  counts: Float64Array;
  /** Label of every row (classification) or null. */
  labels: Int32Array | null;
  /** Target of every row (regression) or null. */
  values: Float64Array | null;
}

/**
 * Adds the node's rows into one feature's histogram (`BINS_PER_FEATURE × stride` values,
 * zeroed by the caller).
 *
 * @param histogram the feature's histogram
 * @param column the feature's bins, one per training row
 * @param node the node's rows, weights and targets
 * @param stride the histogram stride
 * @example
 * ```ts
 * buildImpurityHistogram(h, binColumns(binned)[f], node, 4);
 * ```
 */
export function buildImpurityHistogram(
  histogram: Float64Array,
  column: Uint8Array,
  node: NodeRows,
  stride: number,
): void {
  const { rows, start, end, weights, counts, labels, values } = node;
  const countAt = stride - 1;
  if (labels !== null) {
    for (let j = start; j < end; j++) {
      const i = rows[j]!;
      const at = column[i]! * stride;
      histogram[at + labels[i]!]! += weights[i]!;
      histogram[at + countAt]! += counts[i]!;
    }
  } else {
    for (let j = start; j < end; j++) {
      const i = rows[j]!;
      const at = column[i]! * stride;
      const w = weights[i]!;
      const y = values![i]!;
      histogram[at]! += w;
      histogram[at + 1]! += w * y;
      histogram[at + 2]! += w * y * y;
      histogram[at + 3]! += counts[i]!;
    }
  }
}

/**
 * The value bins a node's rows fall into, ascending, without the missing-value bin: the only
 * bins a split search needs to visit, as an empty bin cuts where the bin before it does.
 *
 * @param column the feature's bins, one per training row
 * @param node the node's rows
 * @param scratch `seen`: `BINS_PER_FEATURE` flags, all 0 on entry and on return; `out`: room
 *   for `BINS_PER_FEATURE` bins
 * @returns the occupied value bins, a view into `scratch.out`
 * @example
 * ```ts
 * const bins = occupiedBins(column, node, { seen: new Uint8Array(256), out: new Uint8Array(256) });
 * ```
 */
export function occupiedBins(
  column: Uint8Array,
  node: NodeRows,
  scratch: { seen: Uint8Array; out: Uint8Array },
): Uint8Array {
  const { rows, start, end } = node;
  const { seen, out } = scratch;
  let found = 0;
  for (let j = start; j < end; j++) {
    const b = column[rows[j]!]!;
    if (seen[b] === 0 && b !== MISSING_BIN) {
      seen[b] = 1;
      out[found++] = b;
    }
  }
  const bins = out.subarray(0, found);
  for (const b of bins) seen[b] = 0;
  return bins.sort();
}

/** The best split of a node on one feature, in bins. */
export interface ImpuritySplit {
  /** The feature. */
  feature: number;
  /** The last value bin that goes left. */
  bin: number;
  /** Whether missing values go left. */
  missingLeft: boolean;
  /** The weighted impurity decrease. */
  gain: number;
}

/** Options of `findImpuritySplit`. */
export interface ImpuritySplitOptions {
  /** The criterion. */
  criterion: ImpurityCriterion;
  /** The histogram stride. */
  stride: number;
  /** Fewest rows (bootstrap draws) per child. */
  minSamplesLeaf: number;
}

/**
 * Finds the split of one feature's histogram with the largest impurity decrease: every cut
 * between value bins, with the missing-value bin (when it holds rows) tried on either side.
 * Ties keep the first cut, missing values right before left.
 *
 * @param histogram the feature's histogram
 * @param node the node's totals (one stride), the feature and its value-bin count
 * @param options criterion, stride, rows per child
 * @returns the best split, or null when no cut leaves `minSamplesLeaf` rows on both sides or
 *   decreases the impurity
 * @example
 * ```ts
 * const split = findImpuritySplit(h, { totals, feature: 0, valueBins: 4 }, { criterion: "gini", stride: 3, minSamplesLeaf: 1 });
 * ```
 */
export function findImpuritySplit(
  histogram: Float64Array,
  node: { totals: Float64Array; feature: number; valueBins: number; bins?: Uint8Array },
  options: ImpuritySplitOptions,
): ImpuritySplit | null {
  const { criterion, stride, minSamplesLeaf } = options;
  const { totals, feature, valueBins } = node;
  const countAt = stride - 1;
  const count = totals[countAt]!;
  if (valueBins === 0 || count < 2 * minSamplesLeaf) return null;
  const parent = weightedImpurity(criterion, totals, 0, stride);
  // Decreases below this are rounding noise, not a split.
  let bestGain = 1e-12 * Math.max(1, Math.abs(parent));
  let best: ImpuritySplit | null = null;
  const m = MISSING_BIN * stride;
  const missingCount = histogram[m + countAt]!;
  const { left, withMissing, right } = sums(stride);
  left.fill(0);
  const lastBin = missingCount > 0 ? valueBins - 1 : valueBins - 2;
  // An empty bin gives the same cut as the occupied bin before it, so only occupied bins are
  // visited (the last value bin too, where "every value left, missing right" is first seen
  // when no bin is occupied).
  const bins = node.bins ?? occupiedOf(histogram, valueBins, stride);
  for (let j = 0; j < bins.length; j++) {
    const b = bins[j]!;
    if (b > lastBin) break;
    const at = b * stride;
    for (let s = 0; s < stride; s++) left[s]! += histogram[at + s]!;
    for (let side = 0; side < 2; side++) {
      const missingLeft = side === 1;
      if (missingLeft && (missingCount === 0 || b === valueBins - 1)) continue;
      let l = left;
      if (missingLeft) {
        for (let s = 0; s < stride; s++) withMissing[s] = left[s]! + histogram[m + s]!;
        l = withMissing;
      }
      const lc = l[countAt]!;
      const rc = count - lc;
      if (lc < minSamplesLeaf || rc < minSamplesLeaf) continue;
      for (let s = 0; s < stride; s++) right[s] = totals[s]! - l[s]!;
      const gain = parent - weightedImpurity(criterion, l, 0, stride) -
        weightedImpurity(criterion, right, 0, stride);
      if (gain > bestGain) {
        bestGain = gain;
        best = { feature, bin: b, missingLeft: missingCount > 0 ? missingLeft : lc >= rc, gain };
      }
    }
  }
  return best;
}

let scratchSums = {
  left: new Float64Array(0),
  withMissing: new Float64Array(0),
  right: new Float64Array(0),
};

/** Reused buffers of one stride for the running left, left-with-missing and right sums. */
function sums(stride: number): typeof scratchSums {
  if (scratchSums.left.length !== stride) {
    scratchSums = {
      left: new Float64Array(stride),
      withMissing: new Float64Array(stride),
      right: new Float64Array(stride),
    };
  }
  return scratchSums;
}

/** The occupied value bins of a histogram, ascending. */
function occupiedOf(histogram: Float64Array, valueBins: number, stride: number): Uint8Array {
  const found: number[] = [];
  for (let b = 0; b < valueBins; b++) if (histogram[b * stride + stride - 1]! > 0) found.push(b);
  return Uint8Array.from(found);
}

/**
 * The node's totals (one stride) summed over its rows.
 *
 * @param node the node's rows
 * @param stride the histogram stride
 * @returns the totals
 * @example
 * ```ts
 * const totals = nodeTotals(node, 3);
 * ```
 */
export function nodeTotals(node: NodeRows, stride: number): Float64Array {
  const totals = new Float64Array(stride);
  const { rows, start, end, weights, counts, labels, values } = node;
  for (let j = start; j < end; j++) {
    const i = rows[j]!;
    const w = weights[i]!;
    if (labels !== null) {
      totals[labels[i]!]! += w;
    } else {
      const y = values![i]!;
      totals[0]! += w;
      totals[1]! += w * y;
      totals[2]! += w * y * y;
    }
    totals[stride - 1]! += counts[i]!;
  }
  return totals;
}
