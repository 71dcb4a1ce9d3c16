import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { deriveTarget } from "../../src/data/target.ts";
import { assertFrameEqual } from "../_helpers/assert_frame.ts";

const rule = {
  source: "delay",
  greater_than: 15,
  labels: ["on_time", "delayed"] as [string, string],
};

Deno.test("deriveTarget() labels rows above the threshold and keeps nulls", () => {
  const df = pl.DataFrame({ delay: [-3, 15, 16, null, 120] });
  assertFrameEqual(
    deriveTarget(df, rule, "delayed"),
    pl.DataFrame({
      delay: [-3, 15, 16, null, 120],
      delayed: ["on_time", "on_time", "delayed", null, "delayed"],
    }),
  );
  assert.deepEqual(df.columns, ["delay"], "input unchanged");
});

Deno.test("deriveTarget() treats NaN as missing", () => {
  const df = pl.DataFrame({ delay: [1.5, NaN, 20.5] });
  assert.deepEqual(deriveTarget(df, rule, "y").getColumn("y").toArray(), [
    "on_time",
    null,
    "delayed",
  ]);
});

Deno.test("deriveTarget() names a missing or non-numeric source and a clashing target", () => {
  assert.throws(() => deriveTarget(pl.DataFrame({ dealy: [1] }), rule, "delayed"), {
    name: "SchemaMismatchError",
    message: /source column "delay".*did you mean "dealy"/,
  });
  assert.throws(() => deriveTarget(pl.DataFrame({ delay: ["1"] }), rule, "delayed"), {
    name: "SchemaMismatchError",
    message: /"delay" is String, expected a numeric column/,
  });
  assert.throws(() => deriveTarget(pl.DataFrame({ delay: [1], delayed: ["x"] }), rule, "delayed"), {
    name: "ConfigError",
    message: /already has a column of that name/,
  });
});
