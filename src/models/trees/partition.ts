/**
 * The partition kernel of tree growth: a node's rows are reordered, stably, so that the rows
 * going left come first. Which side a row goes to is looked up per bin in a 256-entry table,
 * so the loop has no branch to mispredict. Shared by the growing thread and the training
 * threads, which each partition a share of a large node.
 *
 * @module
 */
import type { BinnedMatrix } from "./binning.ts";

/**
 * Partitions `rows[start..end)` in place by the bin of `feature`: rows whose table entry is 1
 * are packed, in order, from `start`; the others are written, in order, to `scratch` from
 * `start`. The caller then moves the scratch rows after the left ones.
 *
 * @param binned the binned training rows
 * @param split the feature and the per-bin side table (1 = left)
 * @param rows the node's rows, reordered in place
 * @param scratch room for the right rows, as long as `rows`
 * @param range the rows to partition
 * @returns how many rows went left
 * @example
 * ```ts
 * const left = partitionRows(binned, { feature, left: table }, rows, scratch, { start, end });
 * rows.set(scratch.subarray(start, start + (end - start - left)), start + left);
 * ```
 */
export function partitionRows(
  binned: BinnedMatrix,
  split: { feature: number; left: Uint8Array },
  rows: Uint32Array,
  scratch: Uint32Array,
  range: { start: number; end: number },
): number {
  const { bins, stride } = binned;
  const { feature, left } = split;
  const { start, end } = range;
  let l = start;
  let r = start;
  for (let i = start; i < end; i++) {
    const row = rows[i]!;
    const goLeft = left[bins[row * stride + feature]!]!;
    rows[l] = row;
    scratch[r] = row;
    l += goLeft;
    r += 1 - goLeft;
  }
  return l - start;
}
