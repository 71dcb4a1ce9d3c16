/**
 * Split finding on a node's histogram: the gain of every bin boundary of every feature, with
 * L2 on leaf values, a floor on the rows per child, a floor on the gain, and a learned
 * direction for missing values.
 *
 * @module
 */
import { BINS_PER_FEATURE, type Histogram, HISTOGRAM_STRIDE } from "./histogram.ts";
import { MISSING_BIN } from "./binning.ts";

/** Gradient statistics of a set of rows. */
export interface NodeStats {
  /** Sum of gradients. */
  grad: number;
  /** Sum of hessians. */
  hess: number;
  /** Number of rows. */
  count: number;
}

/** The constraints on a split. */
export interface SplitOptions {
  /** L2 penalty on leaf values (`λ`). */
  l2: number;
  /** Fewest rows either child may have. */
  minSamplesLeaf: number;
  /** A split must gain strictly more than this. */
  minGain: number;
}

/** The best split of a node. */
export interface SplitCandidate {
  /** The feature split on. */
  feature: number;
  /** Rows whose bin is at most this go left (missing values aside). */
  bin: number;
  /** Whether missing values go left. */
  missingLeft: boolean;
  /**
   * For a split on a categorical feature, the bins that go left as a 256-bit set (8 words; the
   * missing bin is bit 255); `bin` is then unused. `null` for a split on a numeric feature.
   */
  categories: Uint32Array | null;
  /** `½ (G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ))`. */
  gain: number;
  /** Statistics of the left child. */
  left: NodeStats;
  /** Statistics of the right child. */
  right: NodeStats;
}

/** Children with a smaller hessian sum than this are not made (sklearn's guard). */
export const MIN_CHILD_HESSIAN = 1e-3;

/**
 * Categories with fewer rows in a node than this are not ordered into a categorical split (they
 * go right), and it smooths the gradient ratio that orders the others: scikit-learn's
 * `MIN_CAT_SUPPORT`.
 */
export const MIN_CATEGORY_SUPPORT = 10;

/** Words of a categorical split's bin set: 256 bins, 32 per word. */
export const CATEGORY_WORDS = 8;

/**
 * The value of a leaf: the Newton step `−G / (H + λ)`.
 *
 * @param stats the leaf's gradient and hessian sums
 * @param l2 the L2 penalty `λ`
 * @returns the leaf value, before shrinkage
 * @example
 * ```ts
 * leafValue({ grad: -4, hess: 3, count: 3 }, 1); // 1
 * ```
 */
export function leafValue(stats: NodeStats, l2: number): number {
  return -stats.grad / (stats.hess + l2);
}

/**
 * The score `G² / (H + λ)` of a set of rows; a split gains half the children's scores minus the
 * parent's.
 *
 * @param stats the gradient and hessian sums
 * @param l2 the L2 penalty `λ`
 * @returns the score
 * @example
 * ```ts
 * nodeScore({ grad: 2, hess: 3, count: 3 }, 1); // 1
 * ```
 */
export function nodeScore(stats: NodeStats, l2: number): number {
  return (stats.grad * stats.grad) / (stats.hess + l2);
}

/**
 * Finds the split of highest gain over the given features, or `null` when no split meets the
 * constraints. Ties keep the first found: lower feature, lower bin, missing right before left.
 *
 * For each boundary the missing rows are tried on both sides and the better side is learned;
 * with no missing rows, missing values go to the child with more rows. The boundary after the
 * last value bin (every value left, only missing rows right) is tried too.
 *
 * A categorical feature (`node.categorical[f]` 1) is split as LightGBM and scikit-learn do: its
 * bins with at least `MIN_CATEGORY_SUPPORT` rows, the missing bin included, are sorted by
 * `G / (H + MIN_CATEGORY_SUPPORT)`, and every prefix of that order is tried as the left set.
 *
 * @param histogram the node's histogram
 * @param node the node's totals and the features to try, with their value-bin counts
 * @param options L2, rows per child, least gain
 * @returns the best split, or null
 * @example
 * ```ts
 * const split = findBestSplit(h, { stats, features, valueBins }, { l2: 1, minSamplesLeaf: 20, minGain: 0 });
 * ```
 */
export function findBestSplit(
  histogram: Histogram,
  node: {
    stats: NodeStats;
    features: Int32Array;
    valueBins: Int32Array;
    categorical?: Uint8Array | undefined;
  },
  options: SplitOptions,
): SplitCandidate | null {
  const { l2, minSamplesLeaf, minGain } = options;
  const { stats, features, valueBins, categorical } = node;
  if (stats.count < 2 * minSamplesLeaf) return null;
  const parentScore = nodeScore(stats, l2);
  let best: SplitCandidate | null = null;
  let bestGain = Math.max(minGain, 0);
  for (const f of features) {
    const nb = valueBins[f]!;
    if (nb === 0) continue;
    if (categorical !== undefined && categorical[f] === 1) {
      const split = bestCategoricalSplit(histogram, f, stats, options, parentScore);
      if (split !== null && split.gain > bestGain) {
        bestGain = split.gain;
        best = split;
      }
      continue;
    }
    const base = f * BINS_PER_FEATURE * HISTOGRAM_STRIDE;
    const m = base + MISSING_BIN * HISTOGRAM_STRIDE;
    const mg = histogram[m]!;
    const mh = histogram[m + 1]!;
    const mc = histogram[m + 2]!;
    let g = 0;
    let h = 0;
    let c = 0;
    const lastBin = mc > 0 ? nb - 1 : nb - 2;
    for (let b = 0; b <= lastBin; b++) {
      const at = base + b * HISTOGRAM_STRIDE;
      g += histogram[at]!;
      h += histogram[at + 1]!;
      c += histogram[at + 2]!;
      for (let side = 0; side < 2; side++) {
        const missingLeft = side === 1;
        if (missingLeft && (mc === 0 || b === nb - 1)) continue;
        const lg = missingLeft ? g + mg : g;
        const lh = missingLeft ? h + mh : h;
        const lc = missingLeft ? c + mc : c;
        const gain = splitGain(stats, lg, lh, lc, options, parentScore);
        if (gain > bestGain) {
          const rc = stats.count - lc;
          bestGain = gain;
          best = {
            feature: f,
            bin: b,
            missingLeft: mc > 0 ? missingLeft : lc >= rc,
            categories: null,
            gain,
            left: { grad: lg, hess: lh, count: lc },
            right: { grad: stats.grad - lg, hess: stats.hess - lh, count: rc },
          };
        }
      }
    }
  }
  return best;
}

/**
 * The gain of sending `(lg, lh, lc)` of a node's rows left, or −Infinity when a child would have
 * fewer than `minSamplesLeaf` rows or less hessian than `MIN_CHILD_HESSIAN`.
 */
function splitGain(
  stats: NodeStats,
  lg: number,
  lh: number,
  lc: number,
  options: SplitOptions,
  parentScore: number,
): number {
  const rc = stats.count - lc;
  const rh = stats.hess - lh;
  if (lc < options.minSamplesLeaf || rc < options.minSamplesLeaf) return -Infinity;
  if (lh < MIN_CHILD_HESSIAN || rh < MIN_CHILD_HESSIAN) return -Infinity;
  const rg = stats.grad - lg;
  const l2 = options.l2;
  return 0.5 * ((lg * lg) / (lh + l2) + (rg * rg) / (rh + l2) - parentScore);
}

/** The best categorical split of one feature, or null. */
function bestCategoricalSplit(
  histogram: Histogram,
  f: number,
  stats: NodeStats,
  options: SplitOptions,
  parentScore: number,
): SplitCandidate | null {
  const { minGain } = options;
  const base = f * BINS_PER_FEATURE * HISTOGRAM_STRIDE;
  const bins: number[] = [];
  const ratio = new Float64Array(BINS_PER_FEATURE);
  for (let b = 0; b < BINS_PER_FEATURE; b++) {
    const at = base + b * HISTOGRAM_STRIDE;
    if (histogram[at + 2]! < MIN_CATEGORY_SUPPORT) continue;
    bins.push(b);
    ratio[b] = histogram[at]! / (histogram[at + 1]! + MIN_CATEGORY_SUPPORT);
  }
  if (bins.length < 2) return null;
  // Stable: equal ratios keep bin order, so the split is the same on every run.
  bins.sort((a, b) => ratio[a]! - ratio[b]! || a - b);
  let best: SplitCandidate | null = null;
  let bestGain = Math.max(minGain, 0);
  let g = 0;
  let h = 0;
  let c = 0;
  for (let j = 0; j + 1 < bins.length; j++) {
    const at = base + bins[j]! * HISTOGRAM_STRIDE;
    g += histogram[at]!;
    h += histogram[at + 1]!;
    c += histogram[at + 2]!;
    const gain = splitGain(stats, g, h, c, options, parentScore);
    if (gain > bestGain) {
      bestGain = gain;
      const categories = new Uint32Array(CATEGORY_WORDS);
      for (let k = 0; k <= j; k++) categories[bins[k]! >>> 5]! |= 1 << (bins[k]! & 31);
      best = {
        feature: f,
        bin: 0,
        missingLeft: inCategorySet(categories, MISSING_BIN),
        categories,
        gain,
        left: { grad: g, hess: h, count: c },
        right: { grad: stats.grad - g, hess: stats.hess - h, count: stats.count - c },
      };
    }
  }
  return best;
}

/**
 * Whether a bin is in a categorical split's left set.
 *
 * @param set the 8-word bin set
 * @param bin the bin index
 * @returns true when rows of that bin go left
 * @example
 * ```ts
 * inCategorySet(split.categories!, 3);
 * ```
 */
export function inCategorySet(set: Uint32Array, bin: number): boolean {
  return ((set[bin >>> 5]! >>> (bin & 31)) & 1) === 1;
}
