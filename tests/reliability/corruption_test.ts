/**
 * Corruption of every artifact of a run and of production is found on load (issue #9). The
 * harness is `tests/_helpers/corruption.ts`; `deno task bench:reliability` runs more flips.
 */
import assert from "node:assert/strict";
import { RUN_ARTIFACTS, runCorruptionSuite } from "../_helpers/corruption.ts";

const SEED = Number(Deno.env.get("RELIABILITY_SEED") ?? Date.now() % 1_000_000);
console.log(`corruption seed ${SEED} (replay with RELIABILITY_SEED=${SEED})`);

Deno.test("every flipped byte or bit, truncation, emptying and deletion of a run or production artifact is found on load, naming the file", async () => {
  const report = await runCorruptionSuite({ flipsPerFile: 3, seed: SEED });
  // 9 run files + 9 production copies + current.json, each: 3 byte flips, 3 bit flips,
  // truncate, empty, delete.
  assert.equal(report.results.length, (RUN_ARTIFACTS.length * 2 + 1) * 9);
  for (const name of ["model/weights.bin", "model/model.json", "features.json", "schema.json"]) {
    assert.equal(report.byFile[`run: ${name}`], 9);
    assert.equal(report.byFile[`production: runs/<id>/${name}`], 9);
  }
  assert.equal(report.byFile["run: run.json"], 9);
  assert.equal(report.byFile["production: current.json"], 9);
  assert.ok((report.byCheck["sha256"] ?? 0) > 0);
  assert.ok((report.byCheck["missing file"] ?? 0) > 0);
  // Every result names the check that caught it (the harness refuses "other").
  assert.ok(report.results.every((r) => r.check !== "other"));
});
