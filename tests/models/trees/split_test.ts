import assert from "node:assert/strict";
import {
  binMatrix,
  buildHistogram,
  findBestSplit,
  leafValue,
  learnBinEdges,
  newHistogram,
  subtractHistogram,
} from "../../../src/models/trees/mod.ts";
import type { NodeStats } from "../../../src/models/trees/mod.ts";
import { assertClose } from "../../_helpers/assert_frame.ts";

/** Squared error from a zero score: gradient −y, hessian 1. */
function histogramOf(column: number[], y: number[]) {
  const x = { data: Float32Array.from(column), rows: column.length, cols: 1 };
  const edges = learnBinEdges(x, 255);
  const binned = binMatrix(x, edges);
  const grad = Float64Array.from(y, (v) => -v);
  const hess = new Float64Array(y.length).fill(1);
  const rows = Uint32Array.from(y, (_, i) => i);
  const histogram = newHistogram(1);
  buildHistogram(binned, { grad, hess, rows }, Int32Array.of(0), histogram);
  const stats: NodeStats = {
    grad: grad.reduce((a, b) => a + b, 0),
    hess: y.length,
    count: y.length,
  };
  const valueBins = Int32Array.of(edges.thresholds[0]!.length + 1);
  return { histogram, stats, valueBins, edges, binned, grad, hess, rows };
}

Deno.test("findBestSplit() picks the hand-computed best boundary, gain and leaf values", () => {
  // y = [1, 1, 3, 3], λ = 1. G = −8, H = 4; at x ≤ 2: G_L = −2, H_L = 2, G_R = −6, H_R = 2.
  // gain = ½ (4/3 + 36/3 − 64/5) = 4/15; x ≤ 1 and x ≤ 3 gain less than 0.
  const h = histogramOf([1, 2, 3, 4], [1, 1, 3, 3]);
  const split = findBestSplit(h.histogram, {
    stats: h.stats,
    features: Int32Array.of(0),
    valueBins: h.valueBins,
  }, {
    l2: 1,
    minSamplesLeaf: 1,
    minGain: 0,
  });
  assert.ok(split !== null);
  assert.equal(split.feature, 0);
  assert.equal(split.bin, 1);
  assert.equal(h.edges.thresholds[0]![1], 2.5);
  assertClose(split.gain, 4 / 15, 1e-12);
  assert.deepEqual(split.left, { grad: -2, hess: 2, count: 2 });
  assert.deepEqual(split.right, { grad: -6, hess: 2, count: 2 });
  assertClose(leafValue(split.left, 1), 2 / 3, 1e-12);
  assertClose(leafValue(split.right, 1), 2, 1e-12);
  assert.equal(leafValue(split.right, 0), 3);
});

Deno.test("findBestSplit() honours min_samples_leaf and min_gain", () => {
  const h = histogramOf([1, 2, 3, 4], [1, 1, 3, 3]);
  const node = { stats: h.stats, features: Int32Array.of(0), valueBins: h.valueBins };
  assert.equal(findBestSplit(h.histogram, node, { l2: 1, minSamplesLeaf: 3, minGain: 0 }), null);
  assert.equal(findBestSplit(h.histogram, node, { l2: 1, minSamplesLeaf: 1, minGain: 0.27 }), null);
  assert.ok(findBestSplit(h.histogram, node, { l2: 1, minSamplesLeaf: 1, minGain: 0.26 }) !== null);
});

Deno.test("findBestSplit() learns the side of missing values from their gradients", () => {
  const options = { l2: 0, minSamplesLeaf: 1, minGain: 0 };
  // Missing rows look like the high rows: they go right.
  const right = histogramOf([1, 2, 3, 4, NaN, NaN], [0, 0, 5, 5, 5, 5]);
  const toRight = findBestSplit(right.histogram, {
    stats: right.stats,
    features: Int32Array.of(0),
    valueBins: right.valueBins,
  }, options)!;
  assert.equal(toRight.bin, 1);
  assert.equal(toRight.missingLeft, false);
  assert.deepEqual(toRight.right, { grad: -20, hess: 4, count: 4 });
  // Missing rows look like the low rows: they go left.
  const left = histogramOf([1, 2, 3, 4, NaN, NaN], [0, 0, 5, 5, 0, 0]);
  const toLeft = findBestSplit(left.histogram, {
    stats: left.stats,
    features: Int32Array.of(0),
    valueBins: left.valueBins,
  }, options)!;
  assert.equal(toLeft.bin, 1);
  assert.equal(toLeft.missingLeft, true);
  assert.deepEqual(toLeft.left, { grad: 0, hess: 4, count: 4 });
});

Deno.test("findBestSplit() can split missing values from all present ones", () => {
  const h = histogramOf([1, 1, 1, NaN, NaN], [2, 2, 2, 9, 9]);
  const split = findBestSplit(h.histogram, {
    stats: h.stats,
    features: Int32Array.of(0),
    valueBins: h.valueBins,
  }, { l2: 0, minSamplesLeaf: 1, minGain: 0 })!;
  assert.equal(split.bin, 0);
  assert.equal(split.missingLeft, false);
  assert.deepEqual(split.left, { grad: -6, hess: 3, count: 3 });
});

Deno.test("findBestSplit() finds no split on a constant or an all-missing feature", () => {
  const options = { l2: 1, minSamplesLeaf: 1, minGain: 0 };
  for (const column of [[3, 3, 3, 3], [NaN, NaN, NaN, NaN]]) {
    const h = histogramOf(column, [1, 2, 3, 4]);
    const node = { stats: h.stats, features: Int32Array.of(0), valueBins: h.valueBins };
    assert.equal(findBestSplit(h.histogram, node, options), null, JSON.stringify(column));
  }
});

Deno.test("subtractHistogram() gives the sibling's histogram as built from its rows", () => {
  const h = histogramOf([5, 1, 4, 2, NaN, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8]);
  const small = newHistogram(1);
  const big = newHistogram(1);
  const sibling = newHistogram(1);
  buildHistogram(
    h.binned,
    { grad: h.grad, hess: h.hess, rows: Uint32Array.of(0, 4, 6) },
    Int32Array.of(0),
    small,
  );
  buildHistogram(
    h.binned,
    { grad: h.grad, hess: h.hess, rows: Uint32Array.of(1, 2, 3, 5, 7) },
    Int32Array.of(0),
    big,
  );
  subtractHistogram(h.histogram, small, Int32Array.of(0), sibling);
  assert.deepEqual(sibling, big);
});
