import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { inputSignature, profileFrame } from "../../src/data/profile.ts";

const frame = pl.DataFrame({
  mass: [3000, 4000, null, 5000, 6000],
  island: ["Dream", "Biscoe", "Dream", null, "Dream"],
  species: ["a", "b", "a", "b", "a"],
  id: ["r1", "r2", "r3", "r4", "r5"],
});

Deno.test("inputSignature() records types, ranges and sorted categories", () => {
  const signature = inputSignature(frame, ["mass", "island"], "species", ["id"]);
  assert.deepEqual(signature.columns, [
    { name: "mass", kind: "numeric", dtype: "Float64", min: 3000, max: 6000, nullable: true },
    {
      name: "island",
      kind: "categorical",
      dtype: "String",
      categories: ["Biscoe", "Dream"],
      nullable: true,
    },
  ]);
  assert.deepEqual(signature.target, {
    name: "species",
    kind: "categorical",
    dtype: "String",
    categories: ["a", "b"],
    nullable: false,
  });
  assert.deepEqual(signature.id_columns, ["id"]);
});

Deno.test("profileFrame() gives null rates, moments, percentiles and frequencies", () => {
  const profile = profileFrame(frame, ["mass", "island"], { sampleSize: 3, seed: 1 });
  assert.equal(profile.rows, 5);
  const [mass, island] = profile.columns;
  assert.ok(mass?.kind === "numeric");
  assert.equal(mass.null_rate, 0.2);
  assert.equal(mass.mean, 4500);
  assert.equal(mass.std, Math.sqrt(1_250_000));
  assert.equal(mass.percentiles[0], 3000);
  assert.equal(mass.percentiles[50], 4500);
  assert.equal(mass.percentiles[100], 6000);
  assert.equal(mass.sample.length, 3);
  assert.ok(mass.sample.every((v) => [3000, 4000, 5000, 6000].includes(v)));
  assert.deepEqual(island, {
    name: "island",
    kind: "categorical",
    count: 5,
    null_rate: 0.2,
    frequencies: { Biscoe: 1, Dream: 3 },
  });
});

Deno.test("profileFrame() draws the same sample for the same seed", () => {
  const big = pl.DataFrame({ x: Array.from({ length: 5000 }, (_, i) => i) });
  const a = profileFrame(big, ["x"], { seed: 7 });
  const b = profileFrame(big, ["x"], { seed: 7 });
  const c = profileFrame(big, ["x"], { seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.columns[0]?.kind === "numeric" && a.columns[0].sample.length, 1000);
});

Deno.test("inputSignature() names a missing column and the closest match", () => {
  assert.throws(() => inputSignature(frame, ["mas"], "species"), {
    name: "SchemaMismatchError",
    message: /missing column "mas": did you mean "mass"/,
  });
});

Deno.test("inputSignature() gives date and datetime ranges as ISO times whatever the unit", () => {
  const df = pl.DataFrame({
    when: [new Date("1970-01-01T00:00:00Z"), new Date("1982-06-01T12:00:00Z")],
    y: ["a", "b"],
  }).withColumns(pl.col("when").cast(pl.Date).alias("day"));
  const [when, day] = inputSignature(df, ["when", "day"], "y").columns;
  assert.deepEqual(when, {
    name: "when",
    kind: "temporal",
    dtype: "Datetime",
    min: "1970-01-01T00:00:00.000Z",
    max: "1982-06-01T12:00:00.000Z",
    nullable: false,
  });
  assert.equal(day?.kind === "temporal" && day.max, "1982-06-01T00:00:00.000Z");
});
