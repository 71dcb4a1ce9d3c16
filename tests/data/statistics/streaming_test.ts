import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  linearQuantiles,
  mergeMoments,
  momentsOf,
  orderStatistics,
} from "../../../src/data/mod.ts";
import { Random } from "../../../src/utils/mod.ts";

function batchesOf(values: Float64Array, size: number) {
  return async function* () {
    for (let i = 0; i < values.length; i += size) yield values.subarray(i, i + size);
  };
}

Deno.test("mergeMoments() over batches equals the moments of all values", () => {
  const rng = new Random(3);
  const values = Float64Array.from({ length: 10_001 }, () => 1e6 + rng.next() * 10);
  let merged = momentsOf([]);
  for (let i = 0; i < values.length; i += 977) {
    merged = mergeMoments(merged, momentsOf(values.subarray(i, i + 977)));
  }
  const whole = momentsOf(values);
  assert.equal(merged.count, 10_001);
  assert.ok(Math.abs(merged.mean - whole.mean) < 1e-9);
  assert.ok(Math.abs(merged.m2 / merged.count - whole.m2 / whole.count) < 1e-9);
  assert.equal(merged.min, whole.min);
  assert.equal(merged.max, whole.max);
});

Deno.test("orderStatistics() finds exact ranks with ties, refinement and collection", async () => {
  const rng = new Random(7);
  // Heavy ties (a quarter of the values are 5) and a long tail force refinement passes.
  const values = Float64Array.from(
    { length: 200_000 },
    (_, i) => i % 4 === 0 ? 5 : Math.exp(rng.next() * 20),
  );
  const sorted = Float64Array.from(values).sort();
  const ranks = [0, 1, 49_999, 50_000, 100_000, 150_001, 199_999];
  const moments = momentsOf(values);
  const found = await orderStatistics(batchesOf(values, 30_000), ranks, moments, {
    buckets: 64,
    collectLimit: 1000,
  });
  assert.deepEqual(found, ranks.map((r) => sorted[r]));
});

Deno.test("linearQuantiles() equals polars' linear quantiles", async () => {
  const rng = new Random(11);
  const values = Float64Array.from({ length: 12_345 }, () => Math.round(rng.next() * 1000) / 7);
  const probabilities = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
  const streamed = await linearQuantiles(
    batchesOf(values, 1000),
    probabilities,
    momentsOf(values),
  );
  const series = pl.Series("x", values);
  probabilities.forEach((p, i) => {
    const expected = Number(
      pl.DataFrame([series]).select(pl.col("x").quantile(p, "linear")).row(0)[0],
    );
    assert.ok(Math.abs(streamed[i]! - expected) < 1e-9, `p ${p}: ${streamed[i]} vs ${expected}`);
  });
});

Deno.test("orderStatistics() throws RangeError for a rank outside the stream", async () => {
  await assert.rejects(
    () => orderStatistics(batchesOf(new Float64Array([1, 2]), 1), [2], momentsOf([1, 2])),
    { name: "RangeError", message: /expected an integer in \[0, 2\)/ },
  );
});
