import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { QuantileBinner } from "../../src/features/mod.ts";
import { Random } from "../../src/utils/mod.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

// Observed "a": 1 2 5 7 7 7 9 10 → quartiles 1, 4.25, 7, 7.5, 10 (numpy linear).
function sample() {
  return pl.DataFrame([
    floats("a", [1, 2, null, NaN, 5, 7, 7, 7, 9, 10]),
    pl.Series("c", [3, 3, 3, 3, 3, 3, 3, 3, 3, 3], pl.Int64),
    pl.Series("s", ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
  ]);
}

Deno.test("QuantileBinner passes the transformer contract", () => {
  assertTransformerContract(() => new QuantileBinner({ n_bins: 4, columns: ["a", "c"] }), sample());
});

Deno.test("QuantileBinner learns quantile edges and outputs Float64 bin indexes, end bins for values beyond the edges", () => {
  const binner = new QuantileBinner({ n_bins: 4, columns: ["a", "c"] }).fit(sample());
  // A constant column has a single edge, so one bin.
  assert.deepEqual(binner.toJSON().state.edges, [[1, 4.25, 7, 7.5, 10], [3]]);
  assertFrameEqual(
    binner.transform(pl.DataFrame([
      floats("a", [-100, 1, 4.25, 4.3, 7, 7.49, 7.5, 100, NaN, null]),
      pl.Series("c", [0, 3, 4, 5, 6, 7, 8, 9, 10, 11], pl.Int64),
    ])),
    pl.DataFrame([
      // A value on an inner edge goes to the upper bin, as numpy's searchsorted(side="right").
      floats("a", [0, 0, 1, 1, 2, 2, 3, 3, NaN, null]),
      floats("c", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]),
  );
});

Deno.test("QuantileBinner drops repeated edges, so a column with few values gets fewer bins", () => {
  const df = pl.DataFrame([floats("x", [0, 0, 0, 0, 0, 0, 1, 2])]);
  const binner = new QuantileBinner({ n_bins: 4 }).fit(df);
  assert.deepEqual(binner.toJSON().state.edges, [[0, 0.25, 2]]);
  assertFrameEqual(binner.transform(df), pl.DataFrame([floats("x", [0, 0, 0, 0, 0, 0, 1, 1])]));
});

Deno.test("QuantileBinner puts about the same number of seeded training rows in each bin", () => {
  const random = new Random(3);
  const df = pl.DataFrame([floats("x", Array.from({ length: 10_000 }, () => random.normal()))]);
  const bins = new QuantileBinner().fitTransform(df).getColumn("x").toArray() as number[];
  const counts = [0, 0, 0, 0, 0];
  for (const bin of bins) counts[bin]! += 1;
  for (const count of counts) assert.ok(Math.abs(count - 2000) <= 1, `bin counts ${counts}`);
});

Deno.test("QuantileBinner.fit() throws RangeError for fewer than 2 bins", () => {
  assert.throws(() => new QuantileBinner({ n_bins: 1 }).fit(sample()), {
    name: "RangeError",
    message: /option n_bins: expected an integer of at least 2, got 1/,
  });
});

Deno.test("QuantileBinner.fromJSON() throws ArtifactError for edges that do not increase", () => {
  const json = new QuantileBinner({ columns: ["a"] }).fit(sample()).toJSON();
  assert.throws(
    () => QuantileBinner.fromJSON({ ...json, state: { ...json.state, edges: [[1, 5, 3]] } }),
    { name: "ArtifactError", message: /edges of column "a" are not increasing/ },
  );
});
