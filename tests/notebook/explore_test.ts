import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  columnRoles,
  plotTestResults,
  rankNumericColumns,
  ratioCandidates,
  rowsWithMissing,
  targetByCategory,
  targetBySplit,
} from "../../src/notebook/mod.ts";
import { anovaF } from "../../src/features/mod.ts";
import { assertFrameEqual } from "../_helpers/assert_frame.ts";

const frame = pl.DataFrame({
  id: [1, 2, 3, 4, 5, 6],
  label: ["a", "a", "b", "b", "c", "c"],
  x: [1.0, 2.0, 10.0, 11.0, 20.0, 21.0],
  noise: [5.0, 1.0, 4.0, 2.0, 3.0, 3.0],
  flat: [7, 7, 7, 7, 7, 7],
  colour: ["red", "blue", "red", "blue", "red", null],
  note: ["n1", "n2", "n3", "n4", "n5", "n6"],
}).withColumns(
  pl.lit("2024-01-02").str.strptime(pl.Date, "%Y-%m-%d").alias("day"),
  pl.col("label").cast(pl.Categorical).alias("grade"),
);

Deno.test("columnRoles() sorts columns by role, leaving out the target and id columns", () => {
  const roles = columnRoles(frame, { target: "label", idColumns: ["id"], maxCategories: 5 });
  assert.deepEqual(roles, {
    numeric: ["x", "noise", "flat"],
    categorical: ["colour", "grade"],
    text: ["note"], // six distinct values, above maxCategories
    temporal: ["day"],
    other: [],
    time: "day",
  });
  assert.equal(columnRoles(frame, { target: "label", timeColumn: "missing" }).time, "day");
  const derived = columnRoles(frame, { target: "label", idColumns: ["id"], targetSource: "x" });
  assert.deepEqual(derived.numeric, ["noise", "flat"], "the target's source column has no role");
  assert.equal(columnRoles(frame.drop("day"), { target: "label" }).time, null);
  assert.throws(() => columnRoles(frame, { target: "lable" }), {
    name: "SchemaMismatchError",
    message: /column "lable" is not in the frame/,
  });
});

Deno.test("rankNumericColumns() ranks by ANOVA F for classes, constant columns last at 0", () => {
  const ranking = rankNumericColumns(frame, {
    target: "label",
    task: "classification",
    columns: ["noise", "flat", "x"],
  });
  const expectedX = anovaF([1, 2, 10, 11, 20, 21], [0, 0, 1, 1, 2, 2]).f;
  const expectedNoise = anovaF([5, 1, 4, 2, 3, 3], [0, 0, 1, 1, 2, 2]).f;
  assert.deepEqual(ranking.scores, [
    { column: "x", score: expectedX, rows: 6 },
    { column: "noise", score: expectedNoise, rows: 6 },
    { column: "flat", score: 0, rows: 6 },
  ]);
  assert.equal(ranking.scoreName, "ANOVA F");
  assert.match(ranking.rule, /^ANOVA F between the classes/);
});

Deno.test("rankNumericColumns() ranks by |Pearson r| for a number, on the rows both values are present", () => {
  const df = pl.DataFrame({
    y: [1, 2, 3, 4, null],
    up: [2, 4, 6, 8, 100],
    down: [4, 3, 2.5, 0, 1],
    gaps: [1, null, 3, NaN, 5],
  });
  const ranking = rankNumericColumns(df, {
    target: "y",
    task: "regression",
    columns: ["down", "gaps", "up"],
  });
  assert.deepEqual(ranking.scores.map((s) => [s.column, s.rows]), [
    ["up", 4],
    ["down", 4],
    ["gaps", 2], // fewer than 3 rows: 0
  ]);
  assert.ok(Math.abs(ranking.scores[0]!.score - 1) < 1e-12);
  assert.ok(Math.abs(ranking.scores[1]!.score - 0.948304) < 1e-6);
  assert.equal(ranking.scores[2]!.score, 0);
  assert.equal(ranking.scoreName, "|Pearson r|");
  assert.throws(
    () => rankNumericColumns(frame, { target: "label", task: "regression", columns: ["x"] }),
    { name: "TypeError", message: /a regression target "label" must be numeric/ },
  );
  assert.throws(
    () => rankNumericColumns(frame, { target: "label", task: "classification", columns: ["note"] }),
    { name: "TypeError", message: /"note" must be numeric columns/ },
  );
});

Deno.test("rowsWithMissing() keeps the rows with a null anywhere or a NaN in a float column", () => {
  const df = pl.DataFrame({ a: [1.0, NaN, 3.0, 4.0], b: ["x", "y", null, "z"] });
  assertFrameEqual(rowsWithMissing(df), pl.DataFrame({ a: [NaN, 3.0], b: ["y", null] }));
});

Deno.test("targetBySplit() counts classes per split, or summarises a numeric target", () => {
  const train = pl.DataFrame({ t: ["a", "b", "a", "a"] });
  const test = pl.DataFrame({ t: ["b", "a"] });
  assertFrameEqual(
    targetBySplit({ train, test }, { target: "t", task: "classification" }),
    pl.DataFrame([
      pl.Series("split", ["train", "train", "test", "test"]),
      pl.Series("t", ["a", "b", "a", "b"]),
      pl.Series("rows", [3, 1, 1, 1], pl.Int64),
      pl.Series("share", [0.75, 0.25, 0.5, 0.5], pl.Float64),
    ]),
  );
  const numbers = targetBySplit(
    { train: pl.DataFrame({ y: [1, 2, 3] }), val: pl.DataFrame({ y: [10, 20] }) },
    { target: "y", task: "regression" },
  );
  assertFrameEqual(
    numbers,
    pl.DataFrame([
      pl.Series("split", ["train", "val"]),
      pl.Series("rows", [3, 2], pl.Int64),
      pl.Series("mean", [2, 15], pl.Float64),
      pl.Series("std", [1, Math.sqrt(50)], pl.Float64),
      pl.Series("min", [1, 10], pl.Float64),
      pl.Series("median", [2, 15], pl.Float64),
      pl.Series("max", [3, 20], pl.Float64),
    ]),
  );
});

Deno.test("targetByCategory() crosses classes with a column, or gives the target's mean per value", () => {
  const classes = targetByCategory(frame, "colour", { target: "label", task: "classification" });
  assert.deepEqual(classes.toRecords(), [
    { colour: null, label: "c", rows: 1 },
    { colour: "blue", label: "a", rows: 1 },
    { colour: "blue", label: "b", rows: 1 },
    { colour: "red", label: "a", rows: 1 },
    { colour: "red", label: "b", rows: 1 },
    { colour: "red", label: "c", rows: 1 },
  ]);
  const numbers = targetByCategory(frame, "colour", { target: "x", task: "regression" });
  assert.deepEqual(numbers.toRecords(), [
    { colour: null, rows: 1, "mean x": 21, "median x": 21 },
    { colour: "blue", rows: 2, "mean x": 6.5, "median x": 6.5 },
    { colour: "red", rows: 3, "mean x": 31 / 3, "median x": 10 },
  ]);
});

Deno.test("ratioCandidates() pairs the best-ranked columns whose divisor is positive on every row", () => {
  const df = pl.DataFrame({
    y: [1.0, 2.0, 3.0, 4.0],
    a: [1.0, 2.0, 3.0, 4.1],
    b: [2.0, 1.0, 2.0, 1.0],
    c: [0.0, 1.0, 1.0, 1.5], // a zero: never a divisor
    d: [1.0, 1.0, 1.0, 2.0],
  });
  const ranking = rankNumericColumns(df, {
    target: "y",
    task: "regression",
    columns: ["a", "b", "c", "d"],
  });
  assert.deepEqual(ranking.scores.slice(0, 3).map((s) => s.column), ["a", "c", "d"]);
  assert.deepEqual(ratioCandidates(df, ranking), [
    { name: "a / d", kind: "ratio", columns: ["a", "d"] },
    { name: "c / d", kind: "ratio", columns: ["c", "d"] },
  ]);
  assert.deepEqual(ratioCandidates(df, ranking, { count: 1 }).map((c) => c.name), ["a / d"]);
});

Deno.test("plotTestResults() draws predicted against actual and residuals for a regression run", () => {
  const actual = Float32Array.from([1, 2, 3]);
  const specs = plotTestResults(
    {
      model: { predict: () => Float32Array.from([1.5, 2, 2.5]) },
      features: { x: { test: { rows: 3 } }, y: { test: { kind: "regression", values: actual } } },
      metrics: { test: {} },
    } as unknown as Parameters<typeof plotTestResults>[0],
    { name: "mlp", target: "price" },
  );
  const titles = specs.map((spec) => (spec as unknown as { title: { text: string } }).title.text);
  assert.deepEqual(titles, [
    "Predicted against actual price, mlp (test, 3 rows)",
    "Residuals of mlp (test, 3 rows)",
  ]);
});
