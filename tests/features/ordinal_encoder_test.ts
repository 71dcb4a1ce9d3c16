import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { OrdinalEncoder } from "../../src/features/mod.ts";
import { DataValidationError } from "../../src/errors.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

function sample() {
  return pl.DataFrame([
    pl.Series("species", ["Gentoo", "Adelie", "Chinstrap", "Adelie"]),
    floats("mass", [5000, NaN, null, 3700]),
    pl.Series("rank", [3, 1, 2, 3], pl.Int32),
  ]);
}

Deno.test("OrdinalEncoder passes the transformer contract", () => {
  assertTransformerContract(() => new OrdinalEncoder({ columns: ["species", "rank"] }), sample());
});

Deno.test("OrdinalEncoder.transform() maps sorted training categories to 0..k-1 as Float64 in place", () => {
  const encoder = new OrdinalEncoder({ columns: ["species", "rank"] }).fit(sample());
  assertFrameEqual(
    encoder.transform(sample()),
    pl.DataFrame([
      floats("species", [2, 0, 1, 0]),
      floats("mass", [5000, NaN, null, 3700]),
      floats("rank", [2, 0, 1, 2]),
    ]),
  );
  assert.deepEqual(encoder.toJSON().state.categories, [["Adelie", "Chinstrap", "Gentoo"], [
    "1",
    "2",
    "3",
  ]]);
});

Deno.test("OrdinalEncoder.transform() throws DataValidationError for an unknown category by default", () => {
  const encoder = new OrdinalEncoder({ columns: ["species"] }).fit(sample());
  assert.throws(
    () => encoder.transform(pl.DataFrame({ species: ["Adelie", "Emperor"] })),
    (error: unknown) => {
      assert.ok(error instanceof DataValidationError);
      assert.match(
        error.message,
        /column "species" has 1 value not seen in training \(e\.g\. "Emperor" at row 2\).*set unknown_value/,
      );
      assert.deepEqual(error.issues[0]!.examples, ["Emperor"]);
      assert.deepEqual(error.issues[0]!.rows, [2]);
      return true;
    },
  );
});

Deno.test("OrdinalEncoder with unknown_value encodes unknown categories with it", () => {
  const encoder = new OrdinalEncoder({ columns: ["species"], unknown_value: -1 }).fit(sample());
  assertFrameEqual(
    encoder.transform(pl.DataFrame({ species: ["Emperor", "Gentoo"] })),
    pl.DataFrame([floats("species", [-1, 2])]),
  );
});

Deno.test("OrdinalEncoder.fit() throws RangeError when unknown_value is a category code", () => {
  assert.throws(
    () => new OrdinalEncoder({ columns: ["species"], unknown_value: 1 }).fit(sample()),
    {
      name: "RangeError",
      message: /unknown_value 1 is also the code of category "Chinstrap" in column "species"/,
    },
  );
});

Deno.test("OrdinalEncoder throws on nulls by default and keeps them with handle_null keep", () => {
  const df = pl.DataFrame({ s: ["b", null, "a"] });
  assert.throws(() => new OrdinalEncoder().fit(df), {
    name: "DataValidationError",
    message:
      /column "s" has 1 null value \(row 2\), expected none; impute them in cleaning, or set handle_null: "keep"/,
  });
  assertFrameEqual(
    new OrdinalEncoder({ handle_null: "keep" }).fitTransform(df),
    pl.DataFrame([floats("s", [1, null, 0])]),
  );
});

Deno.test("OrdinalEncoder.fit() throws SchemaMismatchError for a float column", () => {
  assert.throws(() => new OrdinalEncoder().fit(sample()), {
    name: "SchemaMismatchError",
    message: /column "mass" is Float64/,
  });
});

Deno.test("OrdinalEncoder.fromJSON() throws ArtifactError for unsorted categories", () => {
  const json = new OrdinalEncoder({ columns: ["species"] }).fit(sample()).toJSON();
  assert.throws(
    () => OrdinalEncoder.fromJSON({ ...json, state: { ...json.state, categories: [["b", "a"]] } }),
    {
      name: "ArtifactError",
      message: /categories of column "species" are not sorted and distinct/,
    },
  );
});
