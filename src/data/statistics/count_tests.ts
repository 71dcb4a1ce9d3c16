/**
 * Tests on category counts: the chi-squared test (Evidently's `chisquare` stattest over
 * `scipy.stats.chisquare`) and the two-proportion z-test, with the chi-squared survival function.
 *
 * @module
 */
import { clip01 } from "./_numbers.ts";
import { logGamma } from "./gamma.ts";

/** The result of {@link chiSquareTest}. */
export interface ChiSquareResult {
  /** Σ (observed − expected)² / expected; `Infinity` when a category has no reference count. */
  statistic: number;
  /** P(χ²(dof) ≥ statistic). */
  pValue: number;
  /** Categories − 1. */
  dof: number;
}

/** The result of {@link proportionZTest}. */
export interface ZTestResult {
  /** (p_ref − p_cur) / pooled standard error, where p is the share not in the first category. */
  statistic: number;
  /** The two-sided p-value. */
  pValue: number;
}

/**
 * Returns the survival function of the chi-squared distribution, P(χ²(dof) ≥ x), as
 * `scipy.stats.chi2.sf`: the regularised upper incomplete gamma Q(dof/2, x/2).
 *
 * @param x the statistic; `Infinity` gives 0
 * @param dof degrees of freedom, positive
 * @returns the upper-tail probability
 * @throws {RangeError} when `x` is NaN or `dof` is not positive
 * @example
 * ```ts
 * chiSquareSf(3.841458820694124, 1); // 0.05
 * ```
 */
export function chiSquareSf(x: number, dof: number): number {
  if (Number.isNaN(x)) throw new RangeError(`Cannot compute the chi-squared tail: x is NaN`);
  if (!(dof > 0) || !Number.isFinite(dof)) {
    throw new RangeError(
      `Cannot compute the chi-squared tail: expected positive degrees of freedom, got ${dof}`,
    );
  }
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return regularizedGammaQ(dof / 2, x / 2);
}

/**
 * Runs Evidently's chi-squared drift test: over the union of categories seen in either
 * sample, the expected current counts are the reference counts scaled to the current total,
 * then Pearson's statistic (`scipy.stats.chisquare(f_obs, f_exp)`) with categories − 1
 * degrees of freedom.
 *
 * A category present in the batch but absent from the reference has expected count 0, so the
 * statistic is `Infinity` and the p-value 0, as in scipy. One category in all gives dof 0,
 * statistic 0 and p-value 1 (scipy gives NaN).
 *
 * @param referenceCounts non-null value counts in training, by category
 * @param currentCounts non-null value counts in the batch, by category
 * @returns the statistic, p-value and degrees of freedom
 * @throws {RangeError} when a count is negative or not finite, or a side totals 0
 * @example
 * ```ts
 * chiSquareTest({ a: 50, b: 30, c: 20 }, { a: 40, b: 40, c: 20 }); // statistic 5.333…, dof 2
 * ```
 */
export function chiSquareTest(
  referenceCounts: Readonly<Record<string, number>>,
  currentCounts: Readonly<Record<string, number>>,
): ChiSquareResult {
  const keys = unionKeys(referenceCounts, currentCounts);
  const referenceTotal = checkCounts(referenceCounts, "run the chi-squared test", "reference");
  const currentTotal = checkCounts(currentCounts, "run the chi-squared test", "current");
  const scale = currentTotal / referenceTotal;
  let statistic = 0;
  for (const key of keys) {
    const expected = (referenceCounts[key] ?? 0) * scale;
    const observed = currentCounts[key] ?? 0;
    statistic += expected === 0 ? Infinity : (observed - expected) ** 2 / expected;
  }
  const dof = keys.length - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  return { statistic, pValue: chiSquareSf(statistic, dof), dof };
}

/**
 * Runs Evidently's proportion-difference z-test for independent samples: every value is 0
 * when it equals the first category (sorted) and 1 otherwise, and the two shares of 1s are
 * compared with the pooled standard error. When both samples hold the same single category
 * the p-value is 1.
 *
 * @param referenceCounts non-null value counts in training, by category
 * @param currentCounts non-null value counts in the batch, by category
 * @returns z and its two-sided p-value
 * @throws {RangeError} when a count is negative or not finite, or a side totals 0
 * @example
 * ```ts
 * proportionZTest({ no: 60, yes: 40 }, { no: 40, yes: 60 }); // z = −2.828…, p = 0.00468
 * ```
 */
export function proportionZTest(
  referenceCounts: Readonly<Record<string, number>>,
  currentCounts: Readonly<Record<string, number>>,
): ZTestResult {
  const keys = unionKeys(referenceCounts, currentCounts).sort(compareKeys);
  const n1 = checkCounts(referenceCounts, "run the z-test", "reference");
  const n2 = checkCounts(currentCounts, "run the z-test", "current");
  const first = keys[0]!;
  if (keys.length === 1) return { statistic: 0, pValue: 1 };
  const p1 = (n1 - (referenceCounts[first] ?? 0)) / n1;
  const p2 = (n2 - (currentCounts[first] ?? 0)) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const statistic = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // P(|Z| ≥ z) = P(χ²(1) ≥ z²), which keeps full precision far into the tail.
  return { statistic, pValue: chiSquareSf(statistic * statistic, 1) };
}

/** Sorts numeric-looking keys by value (Evidently sorts the raw values), others as strings. */
function compareKeys(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y)) {
    return x - y;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The categories seen (count > 0) in either of two count tables, in first-seen order.
 *
 * @param a counts by category
 * @param b counts by category
 * @returns the categories of `a`, then the new ones of `b`
 * @example
 * ```ts
 * unionKeys({ a: 2, b: 0 }, { c: 1 }); // ["a", "c"]
 * ```
 */
export function unionKeys(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): string[] {
  const keys = new Set<string>();
  for (const [key, count] of Object.entries(a)) if (count > 0) keys.add(key);
  for (const [key, count] of Object.entries(b)) if (count > 0) keys.add(key);
  return [...keys];
}

function checkCounts(
  counts: Readonly<Record<string, number>>,
  action: string,
  side: string,
): number {
  let total = 0;
  for (const [key, count] of Object.entries(counts)) {
    if (!Number.isFinite(count) || count < 0) {
      throw new RangeError(
        `Cannot ${action}: the ${side} count of "${key}" is ${count}, expected a finite count of at least 0`,
      );
    }
    total += count;
  }
  if (total === 0) {
    throw new RangeError(
      `Cannot ${action}: the ${side} counts total 0, expected at least one value`,
    );
  }
  return total;
}

/** Q(a, x) = Γ(a, x)/Γ(a): a series below a + 1, Lentz's continued fraction above. */
function regularizedGammaQ(a: number, x: number): number {
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return clip01(1 - sum * Math.exp(logPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return clip01(Math.exp(logPrefix) * h);
}
