import assert from "node:assert/strict";
import { assertClose, assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { RobustScaler } from "../../src/features/mod.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

// Observed values of "a" are 1..5: median 3, 25th percentile 2, 75th percentile 4.
function sample() {
  return pl.DataFrame([
    floats("a", [1, 2, null, NaN, 3, 4, 5]),
    pl.Series("flat", [5, 5, 5, 5, 5, 5, 9], pl.Int32),
    pl.Series("s", ["p", "q", "r", "s", "t", "u", "v"]),
  ]);
}

Deno.test("RobustScaler passes the transformer contract", () => {
  assertTransformerContract(() => new RobustScaler({ columns: ["a", "flat"] }), sample());
});

Deno.test("RobustScaler.transform() centres on the training median and divides by the IQR", () => {
  const scaler = new RobustScaler({ columns: ["a", "flat"] }).fit(sample());
  assertFrameEqual(
    scaler.transform(sample()),
    pl.DataFrame([
      floats("a", [-1, -0.5, null, NaN, 0, 0.5, 1]),
      // Zero IQR: the column is only centred, as scikit-learn does.
      floats("flat", [0, 0, 0, 0, 0, 0, 4]),
      pl.Series("s", ["p", "q", "r", "s", "t", "u", "v"]),
    ]),
  );
  assert.deepEqual(scaler.toJSON().state.center, [3, 5]);
  assert.deepEqual(scaler.toJSON().state.scale, [2, 1]);
});

Deno.test("RobustScaler interpolates percentiles linearly like numpy and barely moves for an outlier", () => {
  const df = pl.DataFrame([floats("x", [1, 2, 3, 4, 5, 1000])]);
  const { state } = new RobustScaler().fit(df).toJSON();
  // numpy.percentile([1, 2, 3, 4, 5, 1000], [25, 50, 75]) == [2.25, 3.5, 4.75]
  assert.deepEqual(state.center, [3.5]);
  assert.deepEqual(state.scale, [2.5]);
});

Deno.test("RobustScaler honours quantile_range", () => {
  const scaler = new RobustScaler({ columns: ["a"], quantile_range: [10, 90] }).fit(sample());
  // numpy.percentile([1, 2, 3, 4, 5], [10, 90]) == [1.4, 4.6]
  assertClose(scaler.toJSON().state.scale[0]!, 3.2, 1e-12);
});

Deno.test("RobustScaler.fit() throws RangeError for a quantile_range outside 0..100 or not increasing", () => {
  for (const range of [[75, 25], [-1, 50], [50, 101]] as [number, number][]) {
    assert.throws(() => new RobustScaler({ quantile_range: range }).fit(sample()), {
      name: "RangeError",
      message:
        /option quantile_range: expected \[low, high\], two percentiles with 0 <= low < high <= 100/,
    });
  }
});

Deno.test("RobustScaler.transform() throws SchemaMismatchError for a missing column", () => {
  const scaler = new RobustScaler({ columns: ["a"] }).fit(sample());
  assert.throws(() => scaler.transform(pl.DataFrame({ weight: [1] })), {
    name: "SchemaMismatchError",
    message:
      /Cannot transform with "RobustScaler": missing column "a" \(expected \["a"\], found \["weight"\]\)/,
  });
});
