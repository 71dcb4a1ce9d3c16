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

/**
 * Fills `out` with the histogram of the given rows over the given features. Features not
 * listed are left as they are.
 *
 * @param binned the binned training features
 * @param data the gradient and hessian of every training row, and the rows to sum
 * @param features the feature indexes to build
 * @param out the histogram to overwrite
 * @example
 * ```ts
 * buildHistogram(binned, { grad, hess, rows }, Int32Array.from([0, 1]), newHistogram(binned.cols));
 * ```
 */
export function buildHistogram(
  binned: BinnedMatrix,
  data: { grad: Float64Array; hess: Float64Array; rows: Uint32Array },
  features: Int32Array,
  out: Histogram,
): void {
  const { grad, hess, rows } = data;
  const n = binned.rows;
  const count = rows.length;
  // Gathering the gradients once in row order keeps the per-feature loop to one random read.
  const g = new Float64Array(count);
  const h = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    const r = rows[j]!;
    g[j] = grad[r]!;
    h[j] = hess[r]!;
  }
  const width = BINS_PER_FEATURE * HISTOGRAM_STRIDE;
  const bins = binned.bins;
  for (const f of features) out.fill(0, f * width, (f + 1) * width);
  // Two features per pass over the rows share the loads of the row index and gradients.
  let i = 0;
  for (; i + 1 < features.length; i += 2) {
    const f0 = features[i]!;
    const f1 = features[i + 1]!;
    const base0 = f0 * width;
    const base1 = f1 * width;
    const offset0 = f0 * n;
    const offset1 = f1 * n;
    for (let j = 0; j < count; j++) {
      const r = rows[j]!;
      const gj = g[j]!;
      const hj = h[j]!;
      const a = base0 + bins[offset0 + r]! * HISTOGRAM_STRIDE;
      out[a]! += gj;
      out[a + 1]! += hj;
      out[a + 2]! += 1;
      const b = base1 + bins[offset1 + r]! * HISTOGRAM_STRIDE;
      out[b]! += gj;
      out[b + 1]! += hj;
      out[b + 2]! += 1;
    }
  }
  for (; i < features.length; i++) {
    const f = features[i]!;
    const base = f * width;
    const offset = f * n;
    for (let j = 0; j < count; j++) {
      const at = base + bins[offset + rows[j]!]! * HISTOGRAM_STRIDE;
      out[at]! += g[j]!;
      out[at + 1]! += h[j]!;
      out[at + 2]! += 1;
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
