/**
 * Statistics gathered over data that arrives in batches, for out-of-core training: moments
 * merged across batches (Chan et al.'s parallel form of Welford's update) and exact order
 * statistics and linear-interpolation quantiles found in a few passes with bounded memory.
 *
 * @module
 */

/** Count, mean and sum of squared deviations of the observed values seen so far. */
export interface Moments {
  /** Observed values. */
  count: number;
  /** Their mean (`NaN` when `count` is 0). */
  mean: number;
  /** Sum of squared deviations from the mean (`variance · count`). */
  m2: number;
  /** Smallest value (`Infinity` when `count` is 0). */
  min: number;
  /** Largest value (`-Infinity` when `count` is 0). */
  max: number;
}

/** The moments of no values. */
export const EMPTY_MOMENTS: Readonly<Moments> = Object.freeze({
  count: 0,
  mean: NaN,
  m2: 0,
  min: Infinity,
  max: -Infinity,
});

/**
 * Merges the moments of two disjoint sets of values into the moments of their union (Chan,
 * Golub and LeVeque's pairwise update), so a mean and variance gathered batch by batch equal
 * the whole column's within float rounding.
 *
 * @param a the moments of one set
 * @param b the moments of the other
 * @returns the moments of both
 * @example
 * ```ts
 * mergeMoments(momentsOf([1, 2]), momentsOf([3])); // { count: 3, mean: 2, m2: 2, min: 1, max: 3 }
 * ```
 */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.count === 0) return { ...b };
  if (b.count === 0) return { ...a };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + delta * (b.count / count),
    m2: a.m2 + b.m2 + delta * delta * (a.count * b.count / count),
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/**
 * The moments of an array of values (NaN is skipped), by Welford's update.
 *
 * @param values the values
 * @returns their count, mean, sum of squared deviations, min and max
 * @example
 * ```ts
 * momentsOf([1, 2, 3]).m2; // 2
 * ```
 */
export function momentsOf(values: ArrayLike<number>): Moments {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    count++;
    const delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return count === 0 ? { ...EMPTY_MOMENTS } : { count, mean, m2, min, max };
}

/** A re-readable stream of number batches: each call starts a new pass over the same values. */
export type NumberSource = () => AsyncIterable<ArrayLike<number>>;

/** Options of {@link orderStatistics}. */
export interface OrderStatisticsOptions {
  /** Buckets of each histogram pass. @default 4096 */
  buckets?: number;
  /** A bucket with at most this many values is collected and sorted instead of refined. @default 65536 */
  collectLimit?: number;
}

/** Defaults of {@link OrderStatisticsOptions}. */
export const DEFAULT_ORDER_STATISTICS_OPTIONS: Required<OrderStatisticsOptions> = {
  buckets: 4096,
  collectLimit: 65536,
};

interface Interval {
  low: number;
  high: number;
  /** Values below `low` (in the whole stream). */
  below: number;
  /** Ranks (0-based, in the whole stream) still to find inside this interval. */
  ranks: number[];
  /** `true`: collect the values and sort them; `false`: count them into a histogram. */
  collect: boolean;
  values: number[];
  counts: Float64Array;
  mins: Float64Array;
  maxs: Float64Array;
}

/**
 * Finds the exact values at the given ranks of the sorted non-NaN values of a stream, in a few
 * passes, holding one histogram per open interval and at most `collectLimit` values per rank.
 *
 * Each pass counts the values of every open interval into `buckets` buckets (keeping each
 * bucket's smallest and largest value); the bucket holding a rank becomes the next interval,
 * or, when small enough, is collected and sorted. A bucket whose values are all equal answers
 * at once. Bucketing is monotone in the value, so a bucket's `[min, max]` holds exactly its
 * values; two to four passes suffice for most columns.
 *
 * @param source each call yields the values again, in any batching
 * @param ranks 0-based ranks, each in `[0, moments.count)`
 * @param moments the stream's count, min and max (from a first pass, e.g. `momentsOf`)
 * @param options bucket count and collect limit
 * @returns the value at each rank, in the order of `ranks`
 * @throws {RangeError} when a rank is outside the stream
 * @example
 * ```ts
 * await orderStatistics(() => batches(), [0, 499_999], moments); // [min, median-ish]
 * ```
 */
export async function orderStatistics(
  source: NumberSource,
  ranks: readonly number[],
  moments: Pick<Moments, "count" | "min" | "max">,
  options: OrderStatisticsOptions = {},
): Promise<number[]> {
  const { buckets, collectLimit } = { ...DEFAULT_ORDER_STATISTICS_OPTIONS, ...options };
  for (const rank of ranks) {
    if (!Number.isInteger(rank) || rank < 0 || rank >= moments.count) {
      throw new RangeError(
        `Cannot find order statistic ${rank}: expected an integer in [0, ${moments.count})`,
      );
    }
  }
  const answers = new Map<number, number>();
  const interval = (low: number, high: number, below: number, wanted: number[], size: number) => {
    if (low === high) {
      for (const rank of wanted) answers.set(rank, low);
      return null;
    }
    const collect = size <= collectLimit;
    return {
      low,
      high,
      below,
      ranks: wanted,
      collect,
      values: [],
      counts: new Float64Array(collect ? 0 : buckets),
      mins: new Float64Array(collect ? 0 : buckets).fill(Infinity),
      maxs: new Float64Array(collect ? 0 : buckets).fill(-Infinity),
    } as Interval;
  };
  let open: Interval[] = [];
  const first = interval(moments.min, moments.max, 0, [...new Set(ranks)], moments.count);
  if (first !== null) open.push(first);
  while (open.length > 0) {
    for await (const batch of source()) {
      for (let i = 0; i < batch.length; i++) {
        const x = batch[i]!;
        for (const part of open) {
          if (!(x >= part.low && x <= part.high)) continue;
          if (part.collect) {
            part.values.push(x);
          } else {
            const k = bucketOf(x, part.low, part.high, buckets);
            part.counts[k]! += 1;
            if (x < part.mins[k]!) part.mins[k] = x;
            if (x > part.maxs[k]!) part.maxs[k] = x;
          }
        }
      }
    }
    const next: Interval[] = [];
    for (const part of open) {
      if (part.collect) {
        const sorted = Float64Array.from(part.values).sort();
        for (const rank of part.ranks) answers.set(rank, sorted[rank - part.below]!);
        continue;
      }
      let below = part.below;
      for (let k = 0; k < buckets; k++) {
        const count = part.counts[k]!;
        if (count === 0) continue;
        const inside = part.ranks.filter((rank) => rank >= below && rank < below + count);
        if (inside.length > 0) {
          const child = interval(part.mins[k]!, part.maxs[k]!, below, inside, count);
          // A range too wide to bucket (an overflowing width) is collected instead of looping.
          if (child !== null && child.low === part.low && child.high === part.high) {
            child.collect = true;
          }
          if (child !== null) next.push(child);
        }
        below += count;
      }
    }
    open = next;
  }
  return ranks.map((rank) => answers.get(rank)!);
}

/**
 * Linear-interpolation quantiles (polars' and numpy's `"linear"`) of a stream, exact: the two
 * order statistics around each position `p · (n − 1)` are found by {@link orderStatistics}.
 *
 * @param source each call yields the values again
 * @param probabilities quantiles to compute, each in `[0, 1]`
 * @param moments the stream's count, min and max
 * @returns one quantile per probability; `NaN` each when the stream holds no values
 * @throws {RangeError} when a probability is outside `[0, 1]`
 * @example
 * ```ts
 * await linearQuantiles(() => batches(), [0.25, 0.5, 0.75], moments);
 * ```
 */
export async function linearQuantiles(
  source: NumberSource,
  probabilities: readonly number[],
  moments: Pick<Moments, "count" | "min" | "max">,
): Promise<number[]> {
  for (const p of probabilities) {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Cannot compute quantile ${p}: expected a probability in [0, 1]`);
    }
  }
  const n = moments.count;
  if (n === 0) return probabilities.map(() => NaN);
  const positions = probabilities.map((p) => p * (n - 1));
  const ranks = positions.flatMap((h) => [Math.floor(h), Math.min(Math.floor(h) + 1, n - 1)]);
  const values = await orderStatistics(source, ranks, moments);
  return positions.map((h, i) => {
    const low = values[2 * i]!;
    const high = values[2 * i + 1]!;
    const fraction = h - Math.floor(h);
    return fraction === 0 ? low : low + fraction * (high - low);
  });
}

function bucketOf(x: number, low: number, high: number, buckets: number): number {
  const k = Math.floor((x - low) / (high - low) * buckets);
  return k >= buckets ? buckets - 1 : k < 0 ? 0 : k;
}
