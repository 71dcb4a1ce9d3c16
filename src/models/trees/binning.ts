/**
 * Feature binning for histogram-based trees: each numeric feature's values are cut into at most
 * 255 quantile bins learned on the training rows, and missing values (NaN) get a bin of their
 * own.
 *
 * A categorical feature instead gives each category code a bin of its own, so a split can send
 * any set of categories left (see `findBestSplit`); with more categories than bins, the most
 * frequent ones keep theirs and the rest share one "other" bin. Codes are the non-negative
 * integers an `OrdinalEncoder` writes; a NaN, negative or fractional value (the encoder's
 * `unknown_value` −1 for a category unseen in training) is missing.
 *
 * @module
 */
import type { Matrix } from "../../utils/mod.ts";

/** The bin of a missing value (NaN), whatever the feature's bin count. */
export const MISSING_BIN = 255;

/** The most value bins a feature may have (bin 255 is kept for missing values). */
export const MAX_VALUE_BINS = 255;

/** Options of `learnBinEdges`. */
export interface LearnBinEdgesOptions {
  /**
   * The rows to learn from (ascending); quantiles of a large sample are as good as those of
   * every row and spare a sort of every column. Categories are counted on every row.
   * @default every row
   */
  rows?: Uint32Array;
  /**
   * 1 for each categorical feature (integer category codes), binned by category.
   * @default every feature numeric
   */
  categorical?: Uint8Array;
}

/** Learned bin edges: for each feature, the upper edge of every bin but the last. */
export interface BinEdges {
  /**
   * `thresholds[f][b]` is the largest value of bin `b` of feature `f`: a value `v` falls into
   * the first bin `b` with `v <= thresholds[f][b]`, or the last bin when none. Float32, so a
   * threshold compares exactly as the model's Float32 inputs do. Empty for a categorical
   * feature.
   */
  readonly thresholds: readonly Float32Array[];
  /**
   * The category bins of each categorical feature; null for a numeric one.
   * @default every feature numeric
   */
  readonly categories?: readonly (CategoryBins | null)[];
}

/**
 * Features as bin indexes, row-major with padded rows: `bins[i * stride + f]` is row `i`'s bin
 * of feature `f`. A row's bins share one cache line, so a histogram pass over a node's rows
 * reads each row once, whichever features it builds.
 */
export interface BinnedMatrix {
  /**
   * One bin index per value, row after row, `stride` bytes per row (the padding is 0). Backed
   * by a `SharedArrayBuffer`, so training threads read it without a copy.
   */
  readonly bins: Uint8Array;
  /** Number of rows. */
  readonly rows: number;
  /** Number of features. */
  readonly cols: number;
  /** Bytes per row: `cols` rounded up to a power of two (to a multiple of 64 beyond 64). */
  readonly stride: number;
}

/**
 * Learns at most `maxBins` quantile bins per feature from the training rows. A feature with at
 * most `maxBins` distinct values gets one bin per value, cut midway between neighbours.
 *
 * @param x the training features; NaN marks a missing value
 * @param maxBins the most value bins per feature, in [2, 255]
 * @param options the rows to learn from
 * @returns the edges of every feature (none for a constant or all-missing feature)
 * @throws {RangeError} when `maxBins` is out of range
 * @example
 * ```ts
 * const edges = learnBinEdges({ data: new Float32Array([1, 2, 3]), rows: 3, cols: 1 }, 255);
 * edges.thresholds[0]; // Float32Array [1.5, 2.5]
 * ```
 */
export function learnBinEdges(
  x: Matrix,
  maxBins: number,
  options: LearnBinEdgesOptions = {},
): BinEdges {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_VALUE_BINS) {
    throw new RangeError(
      `Cannot learn bins: max_bins is ${maxBins}, expected an integer in [2, ${MAX_VALUE_BINS}]`,
    );
  }
  const thresholds: Float32Array[] = [];
  const categories: (CategoryBins | null)[] = [];
  const rows = options.rows ?? Uint32Array.from({ length: x.rows }, (_, i) => i);
  const values = new Float64Array(rows.length);
  for (let f = 0; f < x.cols; f++) {
    if (options.categorical?.[f] === 1) {
      thresholds.push(new Float32Array(0));
      categories.push(learnCategoryBins(column(x, f), maxBins));
      continue;
    }
    categories.push(null);
    let n = 0;
    for (let j = 0; j < rows.length; j++) {
      const v = x.data[rows[j]! * x.cols + f]!;
      if (v === v) values[n++] = v;
    }
    thresholds.push(featureThresholds(values.subarray(0, n).sort(), maxBins));
  }
  return categories.some((c) => c !== null) ? { thresholds, categories } : { thresholds };
}

/**
 * Maps every value to its bin with learned edges; NaN goes to `MISSING_BIN`.
 *
 * @param x the features, as many columns as `edges` has features
 * @param edges the learned edges
 * @returns the bin indexes, row-major with `binStride(x.cols)` bytes per row
 * @throws {RangeError} when the column count differs from the edges'
 * @example
 * ```ts
 * const binned = binMatrix(x, learnBinEdges(x, 255));
 * binned.bins[i * binned.stride + f]; // row i's bin of feature f
 * ```
 */
export function binMatrix(x: Matrix, edges: BinEdges): BinnedMatrix {
  if (x.cols !== edges.thresholds.length) {
    throw new RangeError(
      `Cannot bin features: the input has ${x.cols} columns, the bins were learned on ${edges.thresholds.length}`,
    );
  }
  const { rows, cols, data } = x;
  const stride = binStride(cols);
  const bins = new Uint8Array(new SharedArrayBuffer(Math.max(1, rows * stride)));
  for (let f = 0; f < cols; f++) {
    const t = edges.thresholds[f]!;
    const category = edges.categories?.[f] ?? null;
    if (category !== null) {
      const lookup = categoryLookup(category);
      for (let i = 0; i < rows; i++) {
        bins[i * stride + f] = categoryBinOf(data[i * cols + f]!, lookup);
      }
      continue;
    }
    if (t.length < BUCKETED_MIN_EDGES) {
      for (let i = 0; i < rows; i++) bins[i * stride + f] = binOf(data[i * cols + f]!, t);
      continue;
    }
    const lookup = bucketIndex(t);
    for (let i = 0; i < rows; i++) {
      bins[i * stride + f] = bucketedBinOf(data[i * cols + f]!, lookup);
    }
  }
  return { bins, rows, cols, stride };
}

/** Features with at least this many edges are binned through a bucket index. */
const BUCKETED_MIN_EDGES = 16;

/** Buckets per edge of a bucket index. */
const BUCKETS_PER_EDGE = 4;

/** Equal-width buckets over a feature's edges, each with a bin to start a short scan at. */
interface BucketIndex {
  thresholds: Float32Array;
  low: number;
  scale: number;
  /** A bin at or below the bin of every value of the bucket. */
  start: Uint8Array;
}

function bucketIndex(thresholds: Float32Array): BucketIndex {
  const low = thresholds[0]!;
  const high = thresholds[thresholds.length - 1]!;
  const buckets = BUCKETS_PER_EDGE * thresholds.length;
  const scale = buckets / (high - low);
  const start = new Uint8Array(buckets);
  // A value whose bucket index rounds up by one still starts at or below its bin: each bucket
  // starts one bin before the bin of the previous bucket's lower edge.
  for (let k = 0; k < buckets; k++) {
    start[k] = Math.max(0, binOf(low + (k - 1) / scale, thresholds) - 1);
  }
  return { thresholds, low, scale, start };
}

/** `binOf` through a bucket index: the bucket's start bin, then a scan of a few edges. */
function bucketedBinOf(value: number, index: BucketIndex): number {
  if (value !== value) return MISSING_BIN;
  const t = index.thresholds;
  const last = t.length;
  if (value <= t[0]!) return 0;
  if (value > t[last - 1]!) return last;
  const k = Math.min(index.start.length - 1, Math.floor((value - index.low) * index.scale));
  let b = index.start[k]!;
  // The first bin at or after the start whose edge is at least the value: its bin.
  for (let steps = 0; b < last && value > t[b]!; steps++) {
    if (steps === 8) return b + binOf(value, t.subarray(b));
    b++;
  }
  return b;
}

/**
 * The bytes per binned row for `cols` features: `cols` rounded up to a power of two, or to a
 * multiple of 64 beyond 64, so no row of at most 64 features straddles a cache line.
 *
 * @param cols the number of features
 * @returns the row stride of `binMatrix`
 * @example
 * ```ts
 * binStride(5); // 8
 * ```
 */
export function binStride(cols: number): number {
  if (cols > 64) return Math.ceil(cols / 64) * 64;
  let stride = 1;
  while (stride < cols) stride *= 2;
  return stride;
}

const columnCache = new WeakMap<BinnedMatrix, Uint8Array[]>();

/**
 * Every feature's bins as one contiguous column (`columns[f][i]` is row `i`'s bin of feature
 * `f`), for per-feature scans such as the random forest's. Computed once per matrix and kept
 * while the matrix lives.
 *
 * @param binned the binned rows
 * @returns one column per feature
 * @example
 * ```ts
 * const columns = binColumns(binned);
 * columns[f][i] === binned.bins[i * binned.stride + f]; // true
 * ```
 */
export function binColumns(binned: BinnedMatrix): Uint8Array[] {
  const cached = columnCache.get(binned);
  if (cached !== undefined) return cached;
  const { bins, rows, cols, stride } = binned;
  const columns = Array.from({ length: cols }, () => new Uint8Array(rows));
  for (let f = 0; f < cols; f++) {
    const column = columns[f]!;
    for (let i = 0; i < rows; i++) column[i] = bins[i * stride + f]!;
  }
  columnCache.set(binned, columns);
  return columns;
}

/**
 * The bin of one value: the first `b` with `value <= thresholds[b]`, else the last bin; NaN is
 * `MISSING_BIN`.
 *
 * @param value the feature value
 * @param thresholds the feature's learned edges
 * @returns the bin index
 * @example
 * ```ts
 * binOf(2, new Float32Array([1.5, 2.5])); // 1
 * ```
 */
export function binOf(value: number, thresholds: Float32Array): number {
  if (value !== value) return MISSING_BIN;
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= thresholds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The number of value bins of every feature: its edges plus one, or its kept categories (and
 * "other") for a categorical one.
 *
 * @param edges the learned edges
 * @returns one count per feature
 * @example
 * ```ts
 * valueBinCounts(learnBinEdges(x, 255)); // Int32Array [3, 1, 12]
 * ```
 */
export function valueBinCounts(edges: BinEdges): Int32Array {
  return Int32Array.from(edges.thresholds, (t, f) => {
    const category = edges.categories?.[f] ?? null;
    if (category !== null) return category.codes.length + (category.other ? 1 : 0);
    return t.length + 1;
  });
}

/** The largest category code a model may hold (codes index a lookup table). */
export const MAX_CATEGORY_CODE = 1 << 20;

/** What training learned of one categorical feature. */
export interface CategoryBins {
  /** The codes with a bin of their own, ascending: code `codes[b]` is bin `b`. */
  readonly codes: Int32Array;
  /**
   * Whether bin `codes.length` is "other": the training categories beyond the `codes.length`
   * most frequent ones. A code outside `codes` then goes there, else to the missing bin.
   */
  readonly other: boolean;
  /** How many distinct codes the training rows held. */
  readonly seen: number;
}

/** A code-to-bin table for binning and prediction. */
export interface CategoryLookup {
  /** `table[code]` is the bin of `code`, for codes up to the largest kept one. */
  readonly table: Uint8Array;
  /** The bin of a non-negative integer code the table does not keep: "other", or missing. */
  readonly fallback: number;
}

/**
 * Learns the bins of one categorical feature: one per code when there are at most `maxBins`,
 * else the `maxBins − 1` most frequent codes (ties to the smaller code) and "other".
 *
 * @param column the feature's training values, one per row
 * @param maxBins the most value bins, in [2, 255]
 * @returns the kept codes, ascending, and whether "other" exists
 * @throws {RangeError} when a code exceeds `MAX_CATEGORY_CODE`
 * @example
 * ```ts
 * learnCategoryBins(new Float32Array([2, 0, 2, NaN]), 255); // { codes: [0, 2], other: false, seen: 2 }
 * ```
 */
export function learnCategoryBins(column: ArrayLike<number>, maxBins: number): CategoryBins {
  const counts = new Map<number, number>();
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    if (!isCode(v)) continue;
    if (v > MAX_CATEGORY_CODE) {
      throw new RangeError(
        `Cannot bin a categorical feature: code ${v} exceeds ${MAX_CATEGORY_CODE}; encode the column with OrdinalEncoder`,
      );
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const seen = counts.size;
  if (seen <= maxBins) {
    return { codes: Int32Array.from([...counts.keys()].sort((a, b) => a - b)), other: false, seen };
  }
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxBins - 1);
  return {
    codes: Int32Array.from(top.map(([code]) => code).sort((a, b) => a - b)),
    other: true,
    seen,
  };
}

/**
 * Builds the code-to-bin table of a categorical feature.
 *
 * @param bins the learned bins
 * @returns the table and the fallback bin
 * @example
 * ```ts
 * const lookup = categoryLookup(bins);
 * categoryBinOf(2, lookup); // 1
 * ```
 */
export function categoryLookup(bins: CategoryBins): CategoryLookup {
  const fallback = bins.other ? bins.codes.length : MISSING_BIN;
  const size = bins.codes.length === 0 ? 0 : bins.codes[bins.codes.length - 1]! + 1;
  const table = new Uint8Array(size).fill(fallback);
  bins.codes.forEach((code, b) => (table[code] = b));
  return { table, fallback };
}

/**
 * The bin of one value of a categorical feature: its code's bin, "other" (or missing) for a code
 * not kept, and the missing bin for NaN, negative or fractional values.
 *
 * @param value the feature value
 * @param lookup the feature's table
 * @returns the bin index
 * @example
 * ```ts
 * categoryBinOf(-1, lookup); // 255: an unseen category is missing
 * ```
 */
export function categoryBinOf(value: number, lookup: CategoryLookup): number {
  if (!isCode(value)) return MISSING_BIN;
  return value < lookup.table.length ? lookup.table[value]! : lookup.fallback;
}

/**
 * Describes a categorical feature for reports: how many categories training saw, how many got a
 * bin of their own, and how many share "other".
 *
 * @param bins the learned bins
 * @returns one sentence
 * @example
 * ```ts
 * describeCategoryBins({ codes, other: true, seen: 312 });
 * // "312 categories: the 254 most frequent split on their own, the 58 rarer share one \"other\" bin"
 * ```
 */
export function describeCategoryBins(bins: CategoryBins): string {
  if (!bins.other) {
    return `${bins.seen} ${bins.seen === 1 ? "category" : "categories"}, each split on its own`;
  }
  const kept = bins.codes.length;
  return `${bins.seen} categories: the ${kept} most frequent split on their own, the ${
    bins.seen - kept
  } rarer share one "other" bin`;
}

function isCode(v: number): boolean {
  return v >= 0 && Number.isInteger(v);
}

function column(x: Matrix, f: number): Float32Array {
  const out = new Float32Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = x.data[i * x.cols + f]!;
  return out;
}

/** Edges of one feature from its sorted non-missing values. */
function featureThresholds(sorted: Float64Array, maxBins: number): Float32Array {
  const n = sorted.length;
  if (n === 0) return new Float32Array(0);
  const distinct: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i]! !== sorted[i - 1]!) distinct.push(sorted[i]!);
  }
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let j = 0; j + 1 < distinct.length; j++) cuts.push(cut(distinct[j]!, distinct[j + 1]!));
    return Float32Array.from(cuts);
  }
  // Quantile cuts: the k-th edge sits after the value at rank k·n/maxBins, between that value
  // and the next larger one, so repeated values never straddle two bins.
  let d = 0;
  for (let k = 1; k < maxBins; k++) {
    const v = sorted[Math.min(n - 1, Math.max(0, Math.floor((k * n) / maxBins) - 1))]!;
    while (distinct[d]! < v) d++;
    if (d + 1 >= distinct.length) break;
    const edge = cut(distinct[d]!, distinct[d + 1]!);
    if (cuts.length === 0 || edge > cuts[cuts.length - 1]!) cuts.push(edge);
  }
  return Float32Array.from(cuts);
}

/** A Float32 edge `t` with `a <= t < b`: the midpoint when Float32 can hold it apart from `b`. */
function cut(a: number, b: number): number {
  const mid = Math.fround(a + (b - a) / 2);
  return mid >= a && mid < b ? mid : Math.fround(a);
}
