import assert from "node:assert/strict";
import { assertClose, assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { StandardScaler } from "../../src/features/mod.ts";
import type { TransformerState } from "../../src/features/mod.ts";
import { DataValidationError } from "../../src/errors.ts";
import { Random } from "../../src/utils/mod.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

// Observed values of "a" are 2 4 4 4 5 5 7 9: mean 5, population std 2.
function sample() {
  return pl.DataFrame([
    floats("a", [2, 4, 4, 4, null, 5, 5, NaN, 7, 9]),
    pl.Series("id", ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]),
    pl.Series("n", [1, 3, 1, 3, 1, 3, 1, 3, 1, 3], pl.Int64),
    floats("c", [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
  ]);
}

function seeded(rows: number, seed: number) {
  const random = new Random(seed);
  return pl.DataFrame([
    floats("x", Array.from({ length: rows }, () => 50 + 12 * random.normal())),
    floats("y", Array.from({ length: rows }, () => random.next() * 1e-3)),
  ]);
}

Deno.test("StandardScaler passes the transformer contract", () => {
  assertTransformerContract(() => new StandardScaler({ columns: ["a", "n", "c"] }), sample());
});

Deno.test("StandardScaler.transform() uses the training mean and population std, keeping nulls, NaN and other columns", () => {
  const scaler = new StandardScaler({ columns: ["a", "n", "c"] }).fit(sample());
  assertFrameEqual(
    scaler.transform(sample()),
    pl.DataFrame([
      floats("a", [-1.5, -0.5, -0.5, -0.5, null, 0, 0, NaN, 1, 2]),
      pl.Series("id", ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]),
      floats("n", [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1]),
      // A constant column is divided by 1, as scikit-learn does.
      floats("c", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]),
  );
  const { state } = scaler.toJSON();
  assert.deepEqual(state.mean, [5, 2, 0.5]);
  assert.deepEqual(state.scale, [2, 1, 1]);
  assert.deepEqual(state.n_samples, [8, 10, 10]);
});

Deno.test("StandardScaler treats a constant column with a rounding error in its mean as constant", () => {
  // Ten 0.1s sum to 0.9999999999999999, so the variance is 1e-34 rather than 0; dividing by
  // its root would blow rounding noise up to values near 1.
  const df = pl.DataFrame([floats("c", Array.from({ length: 10 }, () => 0.1))]);
  const scaler = new StandardScaler().fit(df);
  assert.deepEqual(scaler.toJSON().state.scale, [1]);
  for (const value of scaler.transform(df).getColumn("c").toArray() as number[]) {
    assertClose(value, 0, 1e-15);
  }
});

Deno.test("StandardScaler scales every column of the frame when no columns are given", () => {
  const df = pl.DataFrame([floats("a", [1, 3]), floats("b", [10, 30])]);
  assertFrameEqual(
    new StandardScaler().fitTransform(df),
    pl.DataFrame([floats("a", [-1, 1]), floats("b", [-1, 1])]),
  );
});

Deno.test("StandardScaler output has mean 0 and std 1 within 1e-9 on seeded data", () => {
  const scaled = new StandardScaler().fitTransform(seeded(5000, 7));
  for (const name of ["x", "y"]) {
    const values = scaled.getColumn(name).toArray() as number[];
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
    assertClose(mean, 0, 1e-9, `${name} mean`);
    assertClose(std, 1, 1e-9, `${name} std`);
  }
});

Deno.test("StandardScaler.transform() of a shifted split uses the training statistics, not its own", () => {
  const train = seeded(2000, 1);
  const val = train.select(pl.col("x").mul(3).add(1000).alias("x"), pl.col("y"));
  const scaler = new StandardScaler({ columns: ["x"] }).fit(train);
  const before = JSON.stringify(scaler);
  const trainValues = train.getColumn("x").toArray() as number[];
  const trainMean = trainValues.reduce((sum, v) => sum + v, 0) / trainValues.length;
  const scaledVal = scaler.transform(val).getColumn("x").toArray() as number[];
  const valMean = scaledVal.reduce((sum, v) => sum + v, 0) / scaledVal.length;
  assertClose(scaler.toJSON().state.mean[0]!, trainMean, 1e-9, "learned mean");
  assert.ok(valMean > 50, `val is far from 0 when scaled with train statistics (got ${valMean})`);
  assert.equal(JSON.stringify(scaler), before, "transform does not change the state");
});

Deno.test("StandardScaler.fit() throws SchemaMismatchError naming a text column and the columns option", () => {
  assert.throws(() => new StandardScaler().fit(sample()), {
    name: "SchemaMismatchError",
    message: /column "id" is String, expected a numeric column.*columns option/,
  });
});

Deno.test("StandardScaler.fit() throws SchemaMismatchError with a close match for a misspelt column", () => {
  assert.throws(() => new StandardScaler({ columns: ["aa"] }).fit(sample()), {
    name: "SchemaMismatchError",
    message: /missing column "aa" \(did you mean "a"\)/,
  });
});

Deno.test("StandardScaler.fit() throws DataValidationError for a column with only nulls and NaN", () => {
  const df = pl.DataFrame([floats("a", [1, 2]), floats("empty", [null, NaN])]);
  assert.throws(() => new StandardScaler().fit(df), (error: unknown) => {
    assert.ok(error instanceof DataValidationError);
    assert.match(error.message, /"empty" has no observed values.*impute it in cleaning or drop it/);
    assert.deepEqual(error.issues.map((issue) => [issue.column, issue.rule, issue.count]), [
      ["empty", "nullable", 2],
    ]);
    return true;
  });
});

Deno.test("StandardScaler.fit() throws DataValidationError for infinite values", () => {
  const df = pl.DataFrame([floats("a", [1, Infinity, 3])]);
  assert.throws(() => new StandardScaler().fit(df), {
    name: "DataValidationError",
    message: /"a" holds infinite or too-large values/,
  });
});

Deno.test("StandardScaler.fit() throws TypeError for an unknown option and RangeError for empty columns", () => {
  assert.throws(
    () => new StandardScaler({ colums: ["a"] } as unknown as { columns: string[] }).fit(sample()),
    { name: "TypeError", message: /option colums: unknown parameter: did you mean "columns"/ },
  );
  assert.throws(() => new StandardScaler({ columns: [] }).fit(sample()), {
    name: "RangeError",
    message: /option columns: expected a non-empty list of column names, got \[\]/,
  });
});

Deno.test("StandardScaler.transform() throws SchemaMismatchError when a fitted column became text", () => {
  const scaler = new StandardScaler({ columns: ["a"] }).fit(sample());
  assert.throws(() => scaler.transform(pl.DataFrame({ a: ["1"] })), {
    name: "SchemaMismatchError",
    message: /Cannot transform with "StandardScaler": column "a" is String/,
  });
});

Deno.test("StandardScaler.fromJSON() throws ArtifactError for another kind, version or a corrupted state", () => {
  const json = new StandardScaler({ columns: ["a"] }).fit(sample()).toJSON() as TransformerState;
  assert.throws(() => StandardScaler.fromJSON({ ...json, kind: "MinMaxScaler" }), {
    name: "ArtifactError",
    message: /kind is "MinMaxScaler", expected "StandardScaler"/,
  });
  assert.throws(() => StandardScaler.fromJSON({ ...json, version: 2 }), {
    name: "ArtifactError",
    message: /unsupported version 2, expected 1/,
  });
  const state = json.state as Record<string, unknown>;
  assert.throws(() => StandardScaler.fromJSON({ ...json, state: { ...state, mean: [1, 2] } }), {
    name: "ArtifactError",
    message: /"mean" has 2 entries for 1 columns/,
  });
  assert.throws(() => StandardScaler.fromJSON({ ...json, state: { ...state, scale: [0] } }), {
    name: "ArtifactError",
    message: /invalid state: scale\[0\]/,
  });
});

Deno.test("StandardScaler is left unfitted when a refit fails", () => {
  const scaler = new StandardScaler({ columns: ["a"] }).fit(sample());
  assert.throws(() => scaler.fit(pl.DataFrame({ b: [1] })), { name: "SchemaMismatchError" });
  assert.equal(scaler.isFitted, false);
  assert.throws(() => scaler.transform(sample()), { name: "NotFittedError" });
});
