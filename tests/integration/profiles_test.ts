import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { pullDatasets, readManifest } from "../../src/data/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

/** A temporary project with `cars.json` pulled from the pinned npm package, as data:pull does. */
async function projectWithCars(): Promise<string> {
  const root = await makeTempProject();
  await Deno.copyFile(
    `${REPO_ROOT}/config/profiles/cars.yaml`,
    `${root}/config/profiles/cars.yaml`,
  );
  await import("vega-datasets"); // makes sure the package is in node_modules
  const manifest = await readManifest(`${REPO_ROOT}/data/manifest.json`);
  await pullDatasets({
    sourceDir: `${REPO_ROOT}/node_modules/vega-datasets/data`,
    targetDir: `${root}/data/raw`,
    manifest: { ...manifest, files: manifest.files.filter((f) => f.name === "cars.json") },
  });
  return root;
}

Deno.test("the cars regression profile beats the mean baseline on test MAE", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await projectWithCars();
  const loaded = await loadConfig({ root, profile: "config/profiles/cars.yaml" });
  const result = await runTraining(loaded, { profile: "config/profiles/cars.yaml" });
  try {
    const model = result.metrics.test as { mae: number; r2: number };
    const baseline = result.baseline.test as { mae: number };
    assert.equal(result.record.task, "regression");
    assert.equal(result.record.profile, "config/profiles/cars.yaml");
    // 406 cars, 8 without a target: 398 rows, 70/15/15.
    assert.deepEqual(result.record.rows, { raw: 406, clean: 398, train: 278, val: 60, test: 60 });
    assert.ok(
      model.mae < 0.5 * baseline.mae,
      `test MAE ${model.mae.toFixed(3)} is not clearly below the baseline's ${
        baseline.mae.toFixed(3)
      }`,
    );
    assert.ok(model.r2 > 0.7, `test R² ${model.r2}`);
  } finally {
    result.model.dispose();
  }
});
