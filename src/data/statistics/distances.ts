/**
 * Distances between distributions: Wasserstein (`scipy.stats.wasserstein_distance`), its
 * quantile form, and Jensen–Shannon (`scipy.spatial.distance.jensenshannon`, base 2).
 *
 * @module
 */
import { sortedFinite } from "./_numbers.ts";

/** Options of {@link jensenShannonDistance}. */
export interface JensenShannonOptions {
  /** Base of the logarithm; Evidently passes 2, which bounds the distance by 1. @default 2 */
  base?: number;
}

/** Defaults of {@link JensenShannonOptions}. */
export const DEFAULT_JENSEN_SHANNON_OPTIONS: Readonly<Required<JensenShannonOptions>> = { base: 2 };

/**
 * Returns the first Wasserstein (earth mover's) distance between two samples, exactly as
 * `scipy.stats.wasserstein_distance(u, v)`: ∫ |U(x) − V(x)| dx over the empirical CDFs.
 * Evidently's drift score divides it by the reference std (at least 0.001).
 *
 * @param u the first sample (any order)
 * @param v the second sample
 * @returns the distance, in the data's units
 * @throws {RangeError} when a sample is empty or holds a value that is not finite
 * @example
 * ```ts
 * wassersteinDistance([0, 1, 3], [5, 6, 8]); // 5
 * ```
 */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const x = sortedFinite(u, "compute the Wasserstein distance", "first sample");
  const y = sortedFinite(v, "compute the Wasserstein distance", "second sample");
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let previous = Math.min(x[0]!, y[0]!);
  let total = 0;
  while (i < n1 || j < n2) {
    const next = Math.min(i < n1 ? x[i]! : Infinity, j < n2 ? y[j]! : Infinity);
    total += Math.abs(i / n1 - j / n2) * (next - previous);
    while (i < n1 && x[i] === next) i++;
    while (j < n2 && y[j] === next) j++;
    previous = next;
  }
  return total;
}

/**
 * Returns the first Wasserstein distance between a distribution known by evenly spaced
 * quantiles and a sample: ∫₀¹ |Q(t) − V⁻¹(t)| dt, where Q interpolates linearly between the
 * quantiles (at levels 0, 1/K, …, 1) and V⁻¹ is the sample's quantile function. Integrated
 * exactly, piece by piece.
 *
 * This is how a drift check measures a large training column that the profile keeps as 101
 * percentiles. Against the exact distance to the training column it errs by at most
 * ∫|Q − Q_train| ≤ (max − min)/K plus one gap between neighbouring training values; for smooth
 * data it is far smaller: with 101 percentiles of 5,000 normal values it stays below 0.011 std
 * (mostly from the two tail percentiles), against a drift threshold of 0.1 std.
 *
 * @param quantiles K + 1 ≥ 2 non-decreasing quantiles at levels k/K (e.g. percentiles 0…100)
 * @param sample the other sample (any order)
 * @returns the distance, in the data's units
 * @throws {RangeError} when there are fewer than 2 quantiles, they decrease or are not finite,
 *   or the sample is empty or holds a value that is not finite
 * @example
 * ```ts
 * quantileWassersteinDistance([0, 1], [0.5]); // 0.25: uniform(0, 1) against the point 0.5
 * ```
 */
export function quantileWassersteinDistance(
  quantiles: ArrayLike<number>,
  sample: ArrayLike<number>,
): number {
  const q = Float64Array.from(quantiles);
  if (q.length < 2) {
    throw new RangeError(
      `Cannot compute the Wasserstein distance from quantiles: got ${q.length} quantiles, expected at least 2`,
    );
  }
  for (let k = 0; k < q.length; k++) {
    if (!Number.isFinite(q[k]!) || (k > 0 && q[k]! < q[k - 1]!)) {
      throw new RangeError(
        `Cannot compute the Wasserstein distance from quantiles: quantile ${k} is ${
          q[k]
        }, expected finite non-decreasing values`,
      );
    }
  }
  const y = sortedFinite(sample, "compute the Wasserstein distance from quantiles", "sample");
  const levels = q.length - 1;
  const n = y.length;
  let k = 0;
  let j = 0;
  let t0 = 0;
  let total = 0;
  while (k < levels && j < n) {
    const tk = (k + 1) / levels;
    const tj = (j + 1) / n;
    const t1 = Math.min(tk, tj);
    // On this piece Q runs linearly and the sample's quantile function is the constant y[j].
    const slope = (q[k + 1]! - q[k]!) * levels;
    const offset = q[k]! - slope * (k / levels) - y[j]!;
    total += absLinearIntegral(offset + slope * t0, offset + slope * t1, t1 - t0);
    t0 = t1;
    if (tk <= t1) k++;
    if (tj <= t1) j++;
  }
  return total;
}

/** ∫ |f| over an interval of `width` where f runs linearly from d0 to d1. */
function absLinearIntegral(d0: number, d1: number, width: number): number {
  if (d0 * d1 >= 0) return (width * Math.abs(d0 + d1)) / 2;
  return (width * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
}

/**
 * Returns the Jensen–Shannon distance between two discrete distributions, as
 * `scipy.spatial.distance.jensenshannon(p, q, base)`: each vector is scaled to sum 1, then
 * √((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q)/2. Evidently passes base 2, which bounds the
 * distance by 1; scipy's own default is the natural logarithm.
 *
 * @param p the first distribution (non-negative weights, any positive total)
 * @param q the second, over the same categories in the same order
 * @param options the logarithm base
 * @returns the distance, in [0, 1] for base 2
 * @throws {RangeError} when the lengths differ or are 0, a weight is negative or not finite,
 *   a vector sums to 0, or the base is not a positive number other than 1
 * @example
 * ```ts
 * jensenShannonDistance([0.5, 0.5], [1, 0]); // 0.5579 (base 2)
 * jensenShannonDistance([0.5, 0.5], [1, 0], { base: Math.E }); // 0.4645
 * ```
 */
export function jensenShannonDistance(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  options: JensenShannonOptions = {},
): number {
  const { base } = { ...DEFAULT_JENSEN_SHANNON_OPTIONS, ...options };
  if (!(base > 0) || base === 1 || !Number.isFinite(base)) {
    throw new RangeError(
      `Cannot compute the Jensen-Shannon distance: base is ${base}, expected a positive number other than 1`,
    );
  }
  if (p.length !== q.length || p.length === 0) {
    throw new RangeError(
      `Cannot compute the Jensen-Shannon distance: got ${p.length} and ${q.length} weights, expected two equal non-zero lengths`,
    );
  }
  const sp = weightTotal(p, "first");
  const sq = weightTotal(q, "second");
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const mi = (pi + qi) / 2;
    if (pi > 0) divergence += pi * Math.log(pi / mi);
    if (qi > 0) divergence += qi * Math.log(qi / mi);
  }
  return Math.sqrt(Math.max(0, divergence / Math.log(base) / 2));
}

function weightTotal(weights: ArrayLike<number>, which: string): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w) || w < 0) {
      throw new RangeError(
        `Cannot compute the Jensen-Shannon distance: the ${which} distribution has weight ${w} at ${i}, expected finite values of at least 0`,
      );
    }
    total += w;
  }
  if (total === 0) {
    throw new RangeError(
      `Cannot compute the Jensen-Shannon distance: the ${which} distribution sums to 0, expected a positive total`,
    );
  }
  return total;
}
