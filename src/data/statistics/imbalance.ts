/**
 * When a classification target counts as imbalanced: the one rule `init` (class weights), the
 * search space and the run report (per-class scores first) share.
 *
 * @module
 */

/** The smallest class's share of the largest class below which classes count as imbalanced. */
export const IMBALANCE_RATIO = 0.25;

/** How the classes of a target are balanced. */
export interface ClassBalance {
  /** The rarest class label, or `null` with fewer than one class. */
  rarest: string | null;
  /** Rows of the rarest class. */
  rarestCount: number;
  /** Rows of the most common class. */
  largestCount: number;
  /** `rarestCount / largestCount` (1 with no rows). */
  ratio: number;
  /** `ratio < IMBALANCE_RATIO`. */
  imbalanced: boolean;
}

/**
 * Measures the balance of class counts by {@link IMBALANCE_RATIO}.
 *
 * @param counts rows per class label
 * @returns the rarest class, the ratio of its count to the largest, and whether that is imbalanced
 * @example
 * ```ts
 * classBalance({ sun: 640, rain: 641, fog: 101, drizzle: 53, snow: 26 }).imbalanced; // true
 * ```
 */
export function classBalance(counts: Readonly<Record<string, number>>): ClassBalance {
  let rarest: string | null = null;
  let rarestCount = 0;
  let largestCount = 0;
  for (const [label, count] of Object.entries(counts)) {
    if (rarest === null || count < rarestCount) [rarest, rarestCount] = [label, count];
    largestCount = Math.max(largestCount, count);
  }
  const ratio = largestCount === 0 ? 1 : rarestCount / largestCount;
  return { rarest, rarestCount, largestCount, ratio, imbalanced: ratio < IMBALANCE_RATIO };
}
