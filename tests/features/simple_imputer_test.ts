import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { SimpleImputer } from "../../src/features/mod.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

// Observed "a": 1 4 4 1 10 → mean 4, median 4, most frequent 1 and 4 tie → 1.
function sample() {
  return pl.DataFrame([
    floats("a", [1, null, NaN, 4, 4, 1, 10]),
    pl.Series("n", [2, null, 2, 3, null, 7, 2], pl.Int64),
    pl.Series("sex", ["MALE", null, "FEMALE", "FEMALE", "MALE", null, "."]),
  ]);
}

Deno.test("SimpleImputer passes the transformer contract for each strategy", () => {
  assertTransformerContract(() => new SimpleImputer({ columns: ["a", "n"] }), sample());
  assertTransformerContract(
    () => new SimpleImputer({ strategy: "median", columns: ["a"] }),
    sample(),
  );
  assertTransformerContract(() => new SimpleImputer({ strategy: "most_frequent" }), sample());
  assertTransformerContract(
    () => new SimpleImputer({ strategy: "constant", fill_value: "missing", columns: ["sex"] }),
    sample(),
    { requiredColumn: "sex" },
  );
});

Deno.test("SimpleImputer with mean fills nulls and NaN with the training mean as Float64", () => {
  const imputer = new SimpleImputer({ columns: ["a", "n"] }).fit(sample());
  assertFrameEqual(
    imputer.transform(sample()),
    pl.DataFrame([
      floats("a", [1, 4, 4, 4, 4, 1, 10]),
      floats("n", [2, 3.2, 2, 3, 3.2, 7, 2]),
      pl.Series("sex", ["MALE", null, "FEMALE", "FEMALE", "MALE", null, "."]),
    ]),
  );
});

Deno.test("SimpleImputer with median fills with the training median", () => {
  const imputer = new SimpleImputer({ strategy: "median", columns: ["a", "n"] }).fit(sample());
  assert.deepEqual(imputer.toJSON().state.fill, [4, 2]);
});

Deno.test("SimpleImputer with most_frequent fills numbers and text, ties going to the smallest value", () => {
  const imputer = new SimpleImputer({ strategy: "most_frequent" }).fit(sample());
  assertFrameEqual(
    imputer.transform(sample()),
    pl.DataFrame([
      floats("a", [1, 1, 1, 4, 4, 1, 10]),
      floats("n", [2, 2, 2, 3, 2, 7, 2]),
      // FEMALE and MALE both appear twice: FEMALE is smaller.
      pl.Series("sex", ["MALE", "FEMALE", "FEMALE", "FEMALE", "MALE", "FEMALE", "."]),
    ]),
  );
});

Deno.test("SimpleImputer with constant fills with fill_value and accepts an all-null column", () => {
  const df = pl.DataFrame([floats("a", [null, NaN, 2]), floats("empty", [null, null, null])]);
  assertFrameEqual(
    new SimpleImputer({ strategy: "constant", fill_value: -1 }).fitTransform(df),
    pl.DataFrame([floats("a", [-1, -1, 2]), floats("empty", [-1, -1, -1])]),
  );
});

Deno.test("SimpleImputer.transform() uses the training statistic on another split", () => {
  const imputer = new SimpleImputer({ columns: ["a"] }).fit(sample());
  assertFrameEqual(
    imputer.transform(pl.DataFrame([floats("a", [null, 1000, null])])),
    pl.DataFrame([floats("a", [4, 1000, 4])]),
  );
});

Deno.test("SimpleImputer.fit() throws SchemaMismatchError for mean on text and for a fill_value of the wrong type", () => {
  assert.throws(() => new SimpleImputer().fit(sample()), {
    name: "SchemaMismatchError",
    message:
      /column "sex" is String, strategy "mean" needs a numeric column; use "most_frequent" or "constant"/,
  });
  assert.throws(() => new SimpleImputer({ strategy: "constant", fill_value: 0 }).fit(sample()), {
    name: "SchemaMismatchError",
    message: /fill_value 0 is a number but column "sex" is String, expected a string/,
  });
});

Deno.test("SimpleImputer.fit() throws RangeError when constant has no fill_value or another strategy has one", () => {
  assert.throws(() => new SimpleImputer({ strategy: "constant" }).fit(sample()), {
    name: "RangeError",
    message: /option fill_value: expected a fill value when strategy is "constant", got nothing/,
  });
  assert.throws(() => new SimpleImputer({ strategy: "median", fill_value: 3 }).fit(sample()), {
    name: "RangeError",
    message: /option fill_value: expected no fill_value unless strategy is "constant", got 3/,
  });
});

Deno.test("SimpleImputer.fit() throws DataValidationError for an all-null column with a statistic strategy", () => {
  const df = pl.DataFrame([floats("empty", [null, NaN])]);
  assert.throws(() => new SimpleImputer({ strategy: "median" }).fit(df), {
    name: "DataValidationError",
    message: /"empty" has no observed values/,
  });
});

Deno.test("SimpleImputer.transform() throws SchemaMismatchError when a column changed from number to text", () => {
  const imputer = new SimpleImputer({ columns: ["a"] }).fit(sample());
  assert.throws(() => imputer.transform(pl.DataFrame({ a: ["1"] })), {
    name: "SchemaMismatchError",
    message: /column "a" is String, expected a numeric column as in training/,
  });
});
