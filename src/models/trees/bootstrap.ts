/**
 * Bootstrap sampling of random forests: each tree draws its training rows with replacement from
 * its own seeded stream, and the rows it never drew are its out-of-bag rows.
 *
 * @module
 */
import { Random } from "../../utils/mod.ts";

/**
 * The seed of tree `tree`'s stream, derived from the training seed, so every tree's sample and
 * feature draws depend only on the seed and the tree's index.
 *
 * @param seed the training seed
 * @param tree the tree's index, from 0
 * @returns the tree's seed
 * @example
 * ```ts
 * const random = new Random(treeSeed(42, 0));
 * ```
 */
export function treeSeed(seed: number, tree: number): number {
  return new Random(seed).derive(`random-forest-tree-${tree}`);
}

/**
 * Draws `rows` rows with replacement: how often each row was drawn.
 *
 * @param rows the training row count
 * @param random the tree's stream (advanced by `rows` draws)
 * @returns the draw count of every row; rows with 0 are out of bag
 * @example
 * ```ts
 * const counts = bootstrapCounts(5, new Random(1)); // e.g. Float64Array [2, 0, 1, 1, 1]
 * ```
 */
export function bootstrapCounts(rows: number, random: Random): Float64Array {
  const counts = new Float64Array(rows);
  for (let i = 0; i < rows; i++) counts[random.int(rows)]!++;
  return counts;
}
