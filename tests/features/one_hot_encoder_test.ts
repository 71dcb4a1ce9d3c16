import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { OneHotEncoder } from "../../src/features/mod.ts";
import { DataValidationError } from "../../src/errors.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

function sample() {
  return pl.DataFrame([
    floats("x", [1.5, NaN, null, 4, 5, 6]),
    pl.Series("island", ["Dream", "Biscoe", "Dream", "Torgersen", "Biscoe", "Dream"]),
    pl.Series("year", [2008, 2007, 2007, 2009, 2008, 2007], pl.Int64),
  ]);
}

Deno.test("OneHotEncoder passes the transformer contract", () => {
  assertTransformerContract(
    () => new OneHotEncoder({ columns: ["island", "year"] }),
    sample(),
    { requiredColumn: "island" },
  );
  assertTransformerContract(
    () => new OneHotEncoder({ columns: ["island"], top_n: 1, handle_null: "category" }),
    sample(),
    { requiredColumn: "island", other: sample().tail(3) },
  );
});

Deno.test("OneHotEncoder.transform() replaces each column in place by Float64 indicators of its sorted categories", () => {
  const encoder = new OneHotEncoder({ columns: ["island", "year"] }).fit(sample());
  assert.deepEqual(encoder.featureNamesOut(), [
    "x",
    "island_Biscoe",
    "island_Dream",
    "island_Torgersen",
    "year_2007",
    "year_2008",
    "year_2009",
  ]);
  assertFrameEqual(
    encoder.transform(sample()),
    pl.DataFrame([
      floats("x", [1.5, NaN, null, 4, 5, 6]),
      floats("island_Biscoe", [0, 1, 0, 0, 1, 0]),
      floats("island_Dream", [1, 0, 1, 0, 0, 1]),
      floats("island_Torgersen", [0, 0, 0, 1, 0, 0]),
      floats("year_2007", [0, 1, 1, 0, 0, 1]),
      floats("year_2008", [1, 0, 0, 0, 1, 0]),
      floats("year_2009", [0, 0, 0, 1, 0, 0]),
    ]),
  );
});

Deno.test("OneHotEncoder.transformWithReport() encodes unknown categories as zeros and counts them", () => {
  const encoder = new OneHotEncoder({ columns: ["island", "year"] }).fit(sample());
  const before = JSON.stringify(encoder);
  const val = pl.DataFrame([
    floats("x", [0, 0, 0]),
    pl.Series("island", ["Atlantis", "Dream", "Atlantis"]),
    pl.Series("year", [2007, 2020, 2008], pl.Int64),
  ]);
  const { frame, unknownCounts } = encoder.transformWithReport(val);
  assert.deepEqual(unknownCounts, { island: 2, year: 1 });
  assertFrameEqual(
    frame,
    pl.DataFrame([
      floats("x", [0, 0, 0]),
      floats("island_Biscoe", [0, 0, 0]),
      floats("island_Dream", [0, 1, 0]),
      floats("island_Torgersen", [0, 0, 0]),
      floats("year_2007", [1, 0, 0]),
      floats("year_2008", [0, 0, 1]),
      floats("year_2009", [0, 0, 0]),
    ]),
  );
  assertFrameEqual(encoder.transform(val), frame, "transform() gives the same frame:");
  assert.equal(JSON.stringify(encoder), before, "counting stores nothing on the encoder");
});

Deno.test("OneHotEncoder.transformCompact() gives Boolean indicators equal to transform() once cast", () => {
  const train = pl.DataFrame([
    pl.Series("island", ["Dream", "Biscoe", null, "Dream", "Torgersen", "Dream"]),
    pl.Series("year", [2008, 2007, 2007, 2009, 2008, 2007], pl.Int64),
    floats("x", [1.5, NaN, null, 4, 5, 6]),
  ]);
  // Unknown values, an unseen null and a pass-through column with nulls and NaN.
  const val = pl.DataFrame([
    pl.Series("island", ["Biscoe", "Anvers", null, "Dream"]),
    pl.Series("year", [2010, 2007, 2008, 2009], pl.Int64),
    floats("x", [null, NaN, 2, 3]),
  ]);
  const encoders = [
    new OneHotEncoder({ columns: ["island", "year"], handle_null: "category" }),
    new OneHotEncoder({ columns: ["island", "year"], handle_null: "category", top_n: 1 }),
  ];
  for (const encoder of encoders.map((e) => e.fit(train))) {
    for (const df of [train, val]) {
      const compact = encoder.transformCompact(df);
      const full = encoder.transform(df);
      assert.deepEqual(compact.columns, full.columns);
      for (const name of compact.columns) {
        const type = String(full.getColumn(name).dtype);
        const expected = name === "x" ? type : "DataType(Bool)";
        assert.equal(String(compact.getColumn(name).dtype), expected, name);
      }
      assertFrameEqual(
        compact.select(...compact.columns.map((name) => pl.col(name).cast(pl.Float64))),
        full,
      );
    }
  }
});

Deno.test("OneHotEncoder with top_n keeps the most frequent categories, ties by name, and sends the rest and unknowns to <col>_other", () => {
  const train = pl.DataFrame({
    // c: 3, a: 2, b: 2, d: 1 → top 2 is c and a (a beats b on the name)
    s: ["c", "a", "b", "c", "d", "b", "a", "c"],
  });
  const encoder = new OneHotEncoder({ top_n: 2 }).fit(train);
  assert.deepEqual(encoder.featureNamesOut(), ["s_a", "s_c", "s_other"]);
  const { frame, unknownCounts } = encoder.transformWithReport(
    pl.DataFrame({ s: ["a", "b", "c", "d", "zzz"] }),
  );
  assertFrameEqual(
    frame,
    pl.DataFrame([
      floats("s_a", [1, 0, 0, 0, 0]),
      floats("s_c", [0, 0, 1, 0, 0]),
      floats("s_other", [0, 1, 0, 1, 1]),
    ]),
  );
  // "b" and "d" are infrequent but known; only "zzz" was never seen.
  assert.deepEqual(unknownCounts, { s: 1 });
});

Deno.test("OneHotEncoder with handle_unknown error throws DataValidationError naming the column, count, value and row", () => {
  const encoder = new OneHotEncoder({ columns: ["island"], handle_unknown: "error" }).fit(sample());
  const val = pl.DataFrame({ island: ["Dream", "Atlantis", "Mu", "Atlantis"] });
  assert.throws(() => encoder.transform(val), (error: unknown) => {
    assert.ok(error instanceof DataValidationError);
    assert.match(
      error.message,
      /column "island" has 3 values not seen in training \(e\.g\. "Atlantis" at row 2\), expected one of \["Biscoe","Dream","Torgersen"\]; set handle_unknown: "ignore"/,
    );
    assert.deepEqual(error.issues, [{
      column: "island",
      rule: "allowed",
      count: 3,
      message: error.issues[0]!.message,
      examples: ["Atlantis", "Mu", "Atlantis"],
      rows: [2, 3, 4],
    }]);
    return true;
  });
});

Deno.test("OneHotEncoder.fit() throws DataValidationError for nulls by default, naming the column and count", () => {
  const df = pl.DataFrame({ sex: ["MALE", null, "FEMALE", null] });
  assert.throws(() => new OneHotEncoder().fit(df), {
    name: "DataValidationError",
    message:
      /Cannot fit "OneHotEncoder": column "sex" has 2 null values \(rows 2, 4\), expected none; impute them in cleaning, or set handle_null: "category"/,
  });
  const encoder = new OneHotEncoder().fit(pl.DataFrame({ sex: ["MALE", "FEMALE"] }));
  assert.throws(() => encoder.transform(df), {
    name: "DataValidationError",
    message: /Cannot transform with "OneHotEncoder": column "sex" has 2 null values/,
  });
});

Deno.test("OneHotEncoder with handle_null category gives nulls a <col>_null indicator and counts unseen nulls as unknown", () => {
  const encoder = new OneHotEncoder({ handle_null: "category" }).fit(
    pl.DataFrame({ sex: ["MALE", null, "FEMALE"], island: ["Dream", "Biscoe", "Dream"] }),
  );
  assert.deepEqual(encoder.featureNamesOut(), [
    "sex_FEMALE",
    "sex_MALE",
    "sex_null",
    "island_Biscoe",
    "island_Dream",
  ]);
  const { frame, unknownCounts } = encoder.transformWithReport(
    pl.DataFrame({ sex: [null, "MALE"], island: [null, "Dream"] }),
  );
  assertFrameEqual(
    frame,
    pl.DataFrame([
      floats("sex_FEMALE", [0, 0]),
      floats("sex_MALE", [0, 1]),
      floats("sex_null", [1, 0]),
      floats("island_Biscoe", [0, 0]),
      floats("island_Dream", [0, 1]),
    ]),
  );
  assert.deepEqual(unknownCounts, { sex: 0, island: 1 });
});

Deno.test("OneHotEncoder reads boolean and categorical columns as text", () => {
  const df = pl.DataFrame([
    pl.Series("flag", [true, false, true]),
    pl.Series("kind", ["b", "a", "b"]).cast(pl.Categorical),
  ]);
  assertFrameEqual(
    new OneHotEncoder().fitTransform(df),
    pl.DataFrame([
      floats("flag_false", [0, 1, 0]),
      floats("flag_true", [1, 0, 1]),
      floats("kind_a", [0, 1, 0]),
      floats("kind_b", [1, 0, 1]),
    ]),
  );
});

Deno.test("OneHotEncoder.fit() throws SchemaMismatchError for a float column", () => {
  assert.throws(() => new OneHotEncoder().fit(sample()), {
    name: "SchemaMismatchError",
    message:
      /column "x" is Float64, expected text, boolean or integer categories; bin numbers with QuantileBinner/,
  });
});

Deno.test("OneHotEncoder.fit() throws SchemaMismatchError when an indicator name clashes with a column", () => {
  const df = pl.DataFrame({ s: ["a", "b"], s_a: ["x", "y"] });
  assert.throws(() => new OneHotEncoder({ columns: ["s"] }).fit(df), {
    name: "SchemaMismatchError",
    message: /indicator "s_a" for column "s" clashes with a column of the frame/,
  });
});

Deno.test("OneHotEncoder.fit() throws RangeError for top_n 0 and TypeError for a misspelt option", () => {
  assert.throws(() => new OneHotEncoder({ top_n: 0 }).fit(sample()), {
    name: "RangeError",
    message: /option top_n: expected a positive integer, got 0/,
  });
  assert.throws(
    () =>
      new OneHotEncoder({ handle_unknwn: "error" } as unknown as { top_n: number }).fit(sample()),
    {
      name: "TypeError",
      message: /option handle_unknwn: unknown parameter: did you mean "handle_unknown"/,
    },
  );
});

Deno.test("OneHotEncoder.fromJSON() throws ArtifactError when kept categories are not among the categories", () => {
  const json = new OneHotEncoder({ columns: ["island"] }).fit(sample()).toJSON();
  assert.throws(
    () => OneHotEncoder.fromJSON({ ...json, state: { ...json.state, kept: [["Lemuria"]] } }),
    { name: "ArtifactError", message: /kept categories of column "island"/ },
  );
});
