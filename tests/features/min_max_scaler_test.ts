import assert from "node:assert/strict";
import { assertClose, assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { MinMaxScaler } from "../../src/features/mod.ts";
import { Random } from "../../src/utils/mod.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

function sample() {
  return pl.DataFrame([
    floats("a", [0, 2, null, NaN, 4, 8]),
    pl.Series("s", ["u", "v", "w", "x", "y", "z"]),
    pl.Series("k", [3, 3, 3, 3, 3, 3], pl.Int64),
  ]);
}

Deno.test("MinMaxScaler passes the transformer contract", () => {
  assertTransformerContract(() => new MinMaxScaler({ columns: ["a", "k"] }), sample());
});

Deno.test("MinMaxScaler.transform() maps the training min and max to 0 and 1, keeping nulls, NaN and other columns", () => {
  const scaler = new MinMaxScaler({ columns: ["a", "k"] }).fit(sample());
  assertFrameEqual(
    scaler.transform(sample()),
    pl.DataFrame([
      floats("a", [0, 0.25, null, NaN, 0.5, 1]),
      pl.Series("s", ["u", "v", "w", "x", "y", "z"]),
      // A constant column maps to the low end of the range, as scikit-learn does.
      floats("k", [0, 0, 0, 0, 0, 0]),
    ]),
  );
  assert.deepEqual(scaler.toJSON().state, {
    input_columns: ["a", "s", "k"],
    columns: ["a", "k"],
    data_min: [0, 3],
    data_max: [8, 3],
    scale: [0.125, 1],
    min: [0, -3],
  });
});

Deno.test("MinMaxScaler honours feature_range and does not clip values outside the training range", () => {
  const scaler = new MinMaxScaler({ columns: ["a", "k"], feature_range: [-1, 1] }).fit(sample());
  assertFrameEqual(
    scaler.transform(pl.DataFrame([floats("a", [-8, 0, 4, 16]), floats("k", [3, 3, 4, 2])])),
    pl.DataFrame([floats("a", [-3, -1, 0, 3]), floats("k", [-1, -1, 1, -3])]),
  );
});

Deno.test("MinMaxScaler output spans [0, 1] within 1e-12 on seeded data", () => {
  const random = new Random(11);
  const df = pl.DataFrame([
    floats("x", Array.from({ length: 3000 }, () => 1e4 * random.normal())),
  ]);
  const values = new MinMaxScaler().fitTransform(df).getColumn("x").toArray() as number[];
  assertClose(Math.min(...values), 0, 1e-12, "min");
  assertClose(Math.max(...values), 1, 1e-12, "max");
});

Deno.test("MinMaxScaler.fit() throws RangeError for a feature_range that is not increasing", () => {
  assert.throws(() => new MinMaxScaler({ feature_range: [1, 0] }).fit(sample()), {
    name: "RangeError",
    message:
      /option feature_range: expected \[min, max\], two finite numbers with min < max, got \[1,0\]/,
  });
});

Deno.test("MinMaxScaler.fit() throws SchemaMismatchError naming a text column", () => {
  assert.throws(() => new MinMaxScaler().fit(sample()), {
    name: "SchemaMismatchError",
    message: /column "s" is String, expected a numeric column/,
  });
});
