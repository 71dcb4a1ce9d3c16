/**
 * Numeric checks shared by the statistics: sorted finite samples and clipping to [0, 1].
 *
 * @module
 */

export function clip01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

/** An ascending Float64Array of `values`; sorted input is copied only when not already a Float64Array. */
export function sortedFinite(
  values: ArrayLike<number>,
  action: string,
  name: string,
): Float64Array {
  if (values.length === 0) {
    throw new RangeError(`Cannot ${action}: the ${name} is empty, expected at least one value`);
  }
  let ascending = true;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `Cannot ${action}: the ${name} holds ${value} at index ${i}, expected finite numbers (drop nulls, NaN and infinities first)`,
      );
    }
    if (i > 0 && value < values[i - 1]!) ascending = false;
  }
  if (ascending && values instanceof Float64Array) return values;
  const copy = Float64Array.from(values);
  return ascending ? copy : copy.sort();
}
