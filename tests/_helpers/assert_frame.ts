/**
 * Frame assertions for tests.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import assert from "node:assert/strict";

/**
 * Asserts that two frames have the same columns, dtypes and values (nulls equal nulls).
 *
 * On failure the message shows both frames.
 *
 * @param actual the frame produced by the code under test
 * @param expected the frame the test expects
 * @param message optional context for the failure
 */
export function assertFrameEqual(actual: DataFrame, expected: DataFrame, message = ""): void {
  assert.deepEqual(actual.columns, expected.columns, `${message} columns differ`);
  const actualTypes = actual.columns.map((c) => String(actual.getColumn(c).dtype));
  const expectedTypes = expected.columns.map((c) => String(expected.getColumn(c).dtype));
  assert.deepEqual(actualTypes, expectedTypes, `${message} dtypes differ`);
  if (!actual.frameEqual(expected, true)) {
    assert.fail(
      `${message} frames differ\nactual:\n${actual.toString()}\nexpected:\n${expected.toString()}`,
    );
  }
}

/**
 * Asserts that `actual` is within `tolerance` of `expected`.
 *
 * @param actual the number produced
 * @param expected the number expected
 * @param tolerance the largest allowed absolute difference
 * @param message optional context for the failure
 */
export function assertClose(
  actual: number,
  expected: number,
  tolerance = 1e-9,
  message = "",
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    assert.fail(`${message} expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** Re-exported so tests build frames with the same polars instance. */
export { pl };
