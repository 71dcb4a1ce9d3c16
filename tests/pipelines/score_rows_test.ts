import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import { openRun, runTraining, scoreRows } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

Deno.test("scoreRows() scores good rows, reports bad ones and keeps columns in order", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=30"] });
  const trained = await runTraining(loaded);
  trained.model.dispose();
  const run = await openRun(trained.id, loaded);
  try {
    const rows = pl.DataFrame({
      ref: ["r1", "r2", "r3"],
      Island: ["Biscoe", "Dream", "Dream"],
      "Beak Length (mm)": ["46.1", "oops", "39.5"],
      "Beak Depth (mm)": [13.2, 18.8, 18.8],
      "Flipper Length (mm)": [211, 190, 190],
      "Body Mass (g)": [4500, 3700, 3700],
      Sex: ["FEMALE", "MALE", "MALE"],
      extra: [1, 2, 3],
    });
    const scored = scoreRows(run, rows, ["ref"]);
    assert.deepEqual(scored.rejected, [2]);
    assert.deepEqual(scored.problems, [{
      row: 2,
      column: "Beak Length (mm)",
      problem: 'cannot parse "oops" as a number',
    }]);
    assert.deepEqual(scored.extra_columns, ["extra"]);
    assert.ok(scored.predictions);
    assert.deepEqual(scored.predictions.columns, [
      "ref",
      "prediction",
      "proba_Adelie",
      "proba_Chinstrap",
      "proba_Gentoo",
    ]);
    assert.deepEqual(scored.predictions.getColumn("ref").toArray(), ["r1", "r3"]);
    assert.deepEqual(scored.predictions.getColumn("prediction").toArray(), ["Gentoo", "Adelie"]);
    const sums = scored.predictions.select(
      pl.col("proba_Adelie").plus(pl.col("proba_Chinstrap")).plus(pl.col("proba_Gentoo")),
    ).getColumn("proba_Adelie").toArray() as number[];
    for (const sum of sums) assert.ok(Math.abs(sum - 1) < 1e-5);
    assert.throws(() => scoreRows(run, rows.drop("Sex")), {
      name: "SchemaMismatchError",
      message: /missing column\(s\) \["Sex"\]/,
    });
  } finally {
    run.model.dispose();
  }
});
