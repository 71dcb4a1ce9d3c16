import assert from "node:assert/strict";
import { rawInputColumns } from "../../src/pipelines/mod.ts";

Deno.test("rawInputColumns() replaces derived features by their sources, in order, once", () => {
  assert.deepEqual(
    rawInputColumns(["distance", "hour", "weekday", "ratio", "origin"], [
      { name: "hour", kind: "date_part", column: "date", part: "hour" },
      { name: "weekday", kind: "date_part", column: "date", part: "weekday" },
      { name: "ratio", kind: "ratio", columns: ["distance", "hour"] },
    ]),
    ["distance", "date", "origin"],
  );
  assert.deepEqual(rawInputColumns(["a", "b"], []), ["a", "b"]);
});
