/**
 * Gradient and hessian histograms: per feature and bin, the sums of the rows' gradients and
 * hessians and the row count. A node's larger child gets its histogram by subtracting the
 * smaller child's from the parent's, so each split scans only the smaller child's rows.
 *
 * @module
 */
import type { BinnedMatrix } from "./binning.ts";

/** Slots per feature: the 255 value bins and the missing bin. */
export const BINS_PER_FEATURE = 256;

/** Values per bin: gradient sum, hessian sum, row count. */
export const HISTOGRAM_STRIDE = 3;

/**
 * A histogram of every feature: `values[(f * 256 + b) * 3 + {0, 1, 2}]` holds the gradient
 * sum, hessian sum and row count of bin `b` of feature `f`.
 */
export type Histogram = Float64Array;

/**
 * Allocates an empty histogram for `cols` features.
 *
 * @param cols the number of features
 * @returns zeros
 * @example
 * ```ts
 * const h = newHistogram(4); // Float64Array of 4 × 256 × 3
 * ```
 */
export function newHistogram(cols: number): Histogram {
  return new Float64Array(cols * BINS_PER_FEATURE * HISTOGRAM_STRIDE);
}

/** The gradients and hessians of every training row, and the rows a histogram sums. */
export interface HistogramData {
  /** Gradient of every training row. */
  grad: Float64Array;
  /** Hessian of every training row. */
  hess: Float64Array;
  /**
   * The rows to sum, distinct. When it holds every training row (a node of the whole sample),
   * the histogram is built in row order without reading it.
   */
  rows: Uint32Array;
}

/** Scratch of `accumulateHistogram`: pair sums and counts of every feature's bins. */
export interface HistogramSums {
  /** `gh[(f * 256 + b) * 2 + {0, 1}]`: gradient and hessian sums of bin `b` of feature `f`. */
  gh: Float64Array;
  /** `counts[f * 256 + b]`: rows in bin `b` of feature `f`. */
  counts: Uint32Array;
}

/**
 * Allocates zeroed sums for `cols` features, optionally over shared memory.
 *
 * @param cols the number of features
 * @param shared whether to back the sums by `SharedArrayBuffer`s
 * @returns zeroed sums
 * @example
 * ```ts
 * const sums = newHistogramSums(5);
 * ```
 */
export function newHistogramSums(cols: number, shared = false): HistogramSums {
  const slots = cols * BINS_PER_FEATURE;
  const buffer = (bytes: number) => shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return {
    gh: new Float64Array(buffer(slots * 2 * 8)),
    counts: new Uint32Array(buffer(slots * 4)),
  };
}

/**
 * Fills `out` with the histogram of the given rows over the given features. Features not
 * listed are left as they are.
 *
 * @param binned the binned training features
 * @param data the gradient and hessian of every training row, and the rows to sum
 * @param features the feature indexes to build
 * @param out the histogram to overwrite
 * @param sums scratch sums for `binned.cols` features (allocated when not given)
 * @example
 * ```ts
 * buildHistogram(binned, { grad, hess, rows }, Int32Array.from([0, 1]), newHistogram(binned.cols));
 * ```
 */
export function buildHistogram(
  binned: BinnedMatrix,
  data: HistogramData,
  features: Int32Array,
  out: Histogram,
  sums: HistogramSums = newHistogramSums(binned.cols),
): void {
  const all = data.rows.length === binned.rows;
  clearHistogramSums(sums, features);
  accumulateHistogram(binned, data, {
    rows: all ? null : data.rows,
    start: 0,
    end: data.rows.length,
    features,
  }, sums);
  writeHistogram(sums, features, out);
}

/**
 * Zeroes the sums of the given features.
 *
 * @param sums the sums
 * @param features the feature indexes
 * @example
 * ```ts
 * clearHistogramSums(sums, features);
 * ```
 */
export function clearHistogramSums(sums: HistogramSums, features: Int32Array): void {
  for (const f of features) {
    sums.gh.fill(0, f * BINS_PER_FEATURE * 2, (f + 1) * BINS_PER_FEATURE * 2);
    sums.counts.fill(0, f * BINS_PER_FEATURE, (f + 1) * BINS_PER_FEATURE);
  }
}

/**
 * Adds rows `start..end` of a node to `sums`: the histogram kernel, shared by the loop's thread
 * and the training threads. With `rows` null the node is the whole training set and rows
 * `start..end` are summed in order, without reading a row list.
 *
 * @param binned the binned training features
 * @param data the gradient and hessian of every training row
 * @param part the row list (null for every row), the range to sum and the features
 * @param sums the sums to add to
 * @example
 * ```ts
 * accumulateHistogram(binned, { grad, hess }, { rows, start: 0, end: rows.length, features }, sums);
 * ```
 */
export function accumulateHistogram(
  binned: BinnedMatrix,
  data: { grad: Float64Array; hess: Float64Array },
  part: { rows: Uint32Array | null; start: number; end: number; features: Int32Array },
  sums: HistogramSums,
): void {
  const { grad, hess } = data;
  const { bins, stride } = binned;
  const { rows, start, end, features } = part;
  const { gh, counts } = sums;
  const nf = features.length;
  const offsets = new Int32Array(nf);
  for (let k = 0; k < nf; k++) offsets[k] = features[k]! * BINS_PER_FEATURE;
  if (rows === null) {
    for (let r = start; r < end; r++) {
      const g = grad[r]!;
      const h = hess[r]!;
      const base = r * stride;
      for (let k = 0; k < nf; k++) {
        const slot = offsets[k]! + bins[base + features[k]!]!;
        gh[2 * slot]! += g;
        gh[2 * slot + 1]! += h;
        counts[slot]!++;
      }
    }
    return;
  }
  for (let j = start; j < end; j++) {
    const r = rows[j]!;
    const g = grad[r]!;
    const h = hess[r]!;
    const base = r * stride;
    for (let k = 0; k < nf; k++) {
      const slot = offsets[k]! + bins[base + features[k]!]!;
      gh[2 * slot]! += g;
      gh[2 * slot + 1]! += h;
      counts[slot]!++;
    }
  }
}

/**
 * Writes the sums of the given features into a histogram's triplets.
 *
 * @param sums the sums
 * @param features the feature indexes
 * @param out the histogram to overwrite for those features
 * @example
 * ```ts
 * writeHistogram(sums, features, out);
 * ```
 */
export function writeHistogram(sums: HistogramSums, features: Int32Array, out: Histogram): void {
  const { gh, counts } = sums;
  for (const f of features) {
    const end = (f + 1) * BINS_PER_FEATURE;
    for (let slot = f * BINS_PER_FEATURE; slot < end; slot++) {
      const at = slot * HISTOGRAM_STRIDE;
      out[at] = gh[2 * slot]!;
      out[at + 1] = gh[2 * slot + 1]!;
      out[at + 2] = counts[slot]!;
    }
  }
}

/**
 * Writes `parent − child` into `out` for the given features: the sibling's histogram.
 *
 * @param parent the parent's histogram
 * @param child the built child's histogram
 * @param features the feature indexes to compute
 * @param out the sibling's histogram (may be `parent`)
 * @example
 * ```ts
 * subtractHistogram(parent, small, features, parent); // parent now holds the larger child
 * ```
 */
export function subtractHistogram(
  parent: Histogram,
  child: Histogram,
  features: Int32Array,
  out: Histogram,
): void {
  const width = BINS_PER_FEATURE * HISTOGRAM_STRIDE;
  for (const f of features) {
    const end = (f + 1) * width;
    for (let i = f * width; i < end; i++) out[i] = parent[i]! - child[i]!;
  }
}
