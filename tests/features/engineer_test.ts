import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { addDerivedFeatures, derivedFeatureExpr } from "../../src/features/engineer.ts";
import type { DerivedFeature } from "../../src/config/schema.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

function arithmeticFrame() {
  return pl.DataFrame([
    floats("a", [6, 1, null, 0, -4, NaN]),
    pl.Series("b", [3, 0, 2, 0, 2, 1], pl.Int64),
  ]);
}

Deno.test("addDerivedFeatures() computes ratio, product, difference and sum as Float64 with nulls propagating", () => {
  const df = arithmeticFrame();
  const out = addDerivedFeatures(df, [
    { name: "a_over_b", kind: "ratio", columns: ["a", "b"] },
    { name: "a_times_b", kind: "product", columns: ["a", "b"] },
    { name: "a_minus_b", kind: "difference", columns: ["a", "b"] },
    { name: "a_plus_b", kind: "sum", columns: ["a", "b"] },
  ]);
  assertFrameEqual(
    out,
    pl.DataFrame([
      floats("a", [6, 1, null, 0, -4, NaN]),
      pl.Series("b", [3, 0, 2, 0, 2, 1], pl.Int64),
      // 1 / 0 and 0 / 0 give null, never Infinity or NaN; NaN / 1 stays NaN.
      floats("a_over_b", [2, null, null, null, -2, NaN]),
      floats("a_times_b", [18, 0, null, 0, -8, NaN]),
      floats("a_minus_b", [3, 1, null, 0, -6, NaN]),
      floats("a_plus_b", [9, 1, null, 0, -2, NaN]),
    ]),
  );
});

Deno.test("addDerivedFeatures() divides integer columns as floats, not with integer division", () => {
  const df = pl.DataFrame([
    pl.Series("i", [7, 2, -3], pl.Int32),
    pl.Series("j", [2, 4, 2], pl.Int32),
  ]);
  const out = addDerivedFeatures(df, [{ name: "q", kind: "ratio", columns: ["i", "j"] }]);
  assertFrameEqual(
    out,
    pl.DataFrame([
      pl.Series("i", [7, 2, -3], pl.Int32),
      pl.Series("j", [2, 4, 2], pl.Int32),
      floats("q", [3.5, 0.5, -1.5]),
    ]),
  );
});

function dateTimes(): Date[] {
  return [
    new Date("2024-01-01T10:30:00Z"), // Monday
    new Date("2024-03-10T23:05:00Z"), // Sunday
    new Date("2023-07-15T00:59:00Z"), // Saturday
  ];
}

function dateFrame() {
  const stamps = pl.Series("at", [...dateTimes(), null]);
  return pl.DataFrame([stamps]).withColumns(pl.col("at").cast(pl.Date).alias("day"));
}

Deno.test("addDerivedFeatures() extracts date parts from Datetime columns, weekday numbered 1 = Monday to 7 = Sunday", () => {
  const df = dateFrame().select("at");
  const parts = ["year", "month", "day", "weekday", "hour", "minute"] as const;
  const out = addDerivedFeatures(
    df,
    parts.map((part) => ({ name: `at_${part}`, kind: "date_part", column: "at", part })),
  );
  assertFrameEqual(
    out,
    pl.DataFrame([
      pl.Series("at", [...dateTimes(), null]),
      floats("at_year", [2024, 2024, 2023, null]),
      floats("at_month", [1, 3, 7, null]),
      floats("at_day", [1, 10, 15, null]),
      floats("at_weekday", [1, 7, 6, null]),
      floats("at_hour", [10, 23, 0, null]),
      floats("at_minute", [30, 5, 59, null]),
    ]),
  );
});

Deno.test("addDerivedFeatures() extracts year, month, day and weekday from Date columns", () => {
  const df = dateFrame().select("day");
  const out = addDerivedFeatures(df, [
    { name: "y", kind: "date_part", column: "day", part: "year" },
    { name: "m", kind: "date_part", column: "day", part: "month" },
    { name: "d", kind: "date_part", column: "day", part: "day" },
    { name: "wd", kind: "date_part", column: "day", part: "weekday" },
  ]);
  assertFrameEqual(
    out,
    dateFrame().select("day").withColumns(
      floats("y", [2024, 2024, 2023, null]),
      floats("m", [1, 3, 7, null]),
      floats("d", [1, 10, 15, null]),
      floats("wd", [1, 7, 6, null]),
    ),
  );
});

Deno.test("addDerivedFeatures() buckets values so that boundaries[i-1] <= x < boundaries[i] gives i, null and NaN give null", () => {
  const df = pl.DataFrame([floats("x", [-5, 0, 9.99, 10, 20, 25, null, NaN])]);
  const out = addDerivedFeatures(df, [
    { name: "band", kind: "bucket", column: "x", boundaries: [0, 10, 20] },
  ]);
  assertFrameEqual(
    out,
    pl.DataFrame([
      floats("x", [-5, 0, 9.99, 10, 20, 25, null, NaN]),
      floats("band", [0, 1, 1, 2, 3, 3, null, null]),
    ]),
  );
});

Deno.test("addDerivedFeatures() buckets integer columns with a single boundary", () => {
  const df = pl.DataFrame([pl.Series("n", [1, 2, 3], pl.Int64)]);
  const out = addDerivedFeatures(df, [{
    name: "big",
    kind: "bucket",
    column: "n",
    boundaries: [2],
  }]);
  assertFrameEqual(
    out,
    pl.DataFrame([pl.Series("n", [1, 2, 3], pl.Int64), floats("big", [0, 1, 1])]),
  );
});

Deno.test("addDerivedFeatures() lets a derived feature use one defined before it", () => {
  const df = pl.DataFrame([floats("len", [40, 50]), floats("depth", [20, 10])]);
  const out = addDerivedFeatures(df, [
    { name: "ratio", kind: "ratio", columns: ["len", "depth"] },
    { name: "ratio_band", kind: "bucket", column: "ratio", boundaries: [3] },
  ]);
  assertFrameEqual(
    out,
    pl.DataFrame([
      floats("len", [40, 50]),
      floats("depth", [20, 10]),
      floats("ratio", [2, 5]),
      floats("ratio_band", [0, 1]),
    ]),
  );
});

Deno.test("addDerivedFeatures() leaves its input frame unchanged and returns a copy for an empty list", () => {
  const df = arithmeticFrame();
  const before = df.clone();
  addDerivedFeatures(df, [{ name: "r", kind: "ratio", columns: ["a", "b"] }]);
  assertFrameEqual(df, before);
  const same = addDerivedFeatures(df, []);
  assertFrameEqual(same, before);
  assert.notEqual(same, df);
});

Deno.test("addDerivedFeatures() adds a penguin beak ratio with no infinite values and nulls only where measurements are missing", () => {
  const penguins = pl.readCSV("data/raw/penguins.csv", { ignoreErrors: false });
  const out = addDerivedFeatures(penguins, [
    { name: "beak_ratio", kind: "ratio", columns: ["Beak Length (mm)", "Beak Depth (mm)"] },
    { name: "mass_band", kind: "bucket", column: "Body Mass (g)", boundaries: [3500, 4500] },
  ]);
  assert.equal(out.height, 344);
  const ratio = out.getColumn("beak_ratio");
  assert.equal(ratio.nullCount(), 2);
  assert.equal(ratio.dropNulls().isFinite().all(), true);
  // Beak length is about 1.6 to 3.6 times beak depth across the three species.
  assert.ok((ratio.min() as number) > 1.5 && (ratio.max() as number) < 3.7);
  assert.deepEqual(
    out.getColumn("mass_band").dropNulls().unique().sort().toArray(),
    [0, 1, 2],
  );
});

Deno.test("derivedFeatureExpr() returns one aliased expression usable in withColumns", () => {
  const df = pl.DataFrame([floats("a", [1, 2]), floats("b", [4, 0])]);
  const out = df.withColumns(derivedFeatureExpr({ name: "r", kind: "ratio", columns: ["a", "b"] }));
  assertFrameEqual(
    out,
    pl.DataFrame([floats("a", [1, 2]), floats("b", [4, 0]), floats("r", [0.25, null])]),
  );
});

Deno.test("derivedFeatureExpr() throws ConfigError for bucket boundaries that are not strictly ascending", () => {
  for (const boundaries of [[10, 5], [1, 1, 2], [0, Infinity]]) {
    assert.throws(
      () => derivedFeatureExpr({ name: "band", kind: "bucket", column: "x", boundaries }),
      { name: "ConfigError", message: /"band".*strictly ascending/ },
    );
  }
});

Deno.test("addDerivedFeatures() throws ConfigError naming features.derived[i].boundaries for unsorted boundaries", () => {
  const df = pl.DataFrame([floats("x", [1])]);
  assert.throws(
    () =>
      addDerivedFeatures(df, [
        { name: "ok", kind: "sum", columns: ["x", "x"] },
        { name: "band", kind: "bucket", column: "x", boundaries: [3, 2, 1] },
      ]),
    { name: "ConfigError", message: /features\.derived\[1\]\.boundaries.*\[3,2,1\]/ },
  );
});

Deno.test("addDerivedFeatures() throws SchemaMismatchError with a suggestion when a source column is missing", () => {
  const df = pl.DataFrame([floats("income", [1]), floats("age", [2])]);
  assert.throws(
    () => addDerivedFeatures(df, [{ name: "r", kind: "ratio", columns: ["incme", "age"] }]),
    {
      name: "SchemaMismatchError",
      message:
        /features\.derived\[0\]\.columns\[0\] names missing column "incme": did you mean "income"/,
    },
  );
  assert.throws(
    () => addDerivedFeatures(df, [{ name: "y", kind: "date_part", column: "when", part: "year" }]),
    { name: "SchemaMismatchError", message: /missing column "when"/ },
  );
});

Deno.test("addDerivedFeatures() throws ConfigError naming features.derived[i].name when the name is taken", () => {
  const df = pl.DataFrame([floats("a", [1]), floats("b", [2])]);
  assert.throws(
    () =>
      addDerivedFeatures(df, [
        { name: "s", kind: "sum", columns: ["a", "b"] },
        { name: "a", kind: "product", columns: ["a", "b"] },
      ]),
    { name: "ConfigError", message: /"a" at features\.derived\[1\]\.name: the frame already has/ },
  );
  assert.throws(
    () =>
      addDerivedFeatures(df, [
        { name: "s", kind: "sum", columns: ["a", "b"] },
        { name: "s", kind: "difference", columns: ["a", "b"] },
      ]),
    { name: "ConfigError", message: /features\.derived\[1\]\.name: an earlier derived feature/ },
  );
});

Deno.test("addDerivedFeatures() throws SchemaMismatchError naming column and dtype for arithmetic on text", () => {
  const df = pl.DataFrame({ island: ["Biscoe"], mass: [3750] });
  const bad: DerivedFeature[] = [
    { name: "r", kind: "ratio", columns: ["mass", "island"] },
    { name: "b", kind: "bucket", column: "island", boundaries: [1] },
  ];
  for (const feature of bad) {
    assert.throws(() => addDerivedFeatures(df, [feature]), {
      name: "SchemaMismatchError",
      message: /column "island" is String, expected a numeric column/,
    });
  }
});

Deno.test("addDerivedFeatures() throws SchemaMismatchError telling to set data.dtypes for date parts of a string column", () => {
  const df = pl.DataFrame({ when: ["2024-01-01"] });
  assert.throws(
    () => addDerivedFeatures(df, [{ name: "y", kind: "date_part", column: "when", part: "year" }]),
    {
      name: "SchemaMismatchError",
      message:
        /column "when" is String, expected Date or Datetime; set data\.dtypes: \{ "when": date \}/,
    },
  );
});

Deno.test("addDerivedFeatures() throws SchemaMismatchError for hour or minute of a Date column", () => {
  const df = dateFrame().select("day");
  for (const part of ["hour", "minute"] as const) {
    assert.throws(
      () => addDerivedFeatures(df, [{ name: "h", kind: "date_part", column: "day", part }]),
      { name: "SchemaMismatchError", message: /"day" is Date, which has no time of day/ },
    );
  }
});
