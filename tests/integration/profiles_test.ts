import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { pullDatasets, readManifest } from "../../src/data/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT, runCli } from "../_helpers/project.ts";

/**
 * A temporary project (the shipped profiles included) with `cars.json` pulled from the pinned npm
 * package, as data:pull does.
 */
async function projectWithCars(): Promise<string> {
  const root = await makeTempProject();
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

Deno.test("the cars profile trains from the CLI with --config cars, not merged over penguins", async () => {
  const root = await projectWithCars();
  const result = await runCli("train.ts", ["--config", "cars", "--set", "training.epochs=3"], root);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /rmse \*/, "rmse is the primary metric");
  const id = result.stdout.match(/^run: (\S+)$/m)?.[1];
  assert.ok(id, result.stdout);
  const snapshot = await Deno.readTextFile(`${root}/models/experiments/${id}/config.yaml`);
  assert.match(snapshot, /target: Miles_per_Gallon/);
  assert.doesNotMatch(snapshot, /Species|Beak/, "nothing of the penguins profile is merged in");
  await Deno.remove(root, { recursive: true });
});

Deno.test("train switches the default profile's model with --set model.family alone", async () => {
  const root = await makeTempProject();
  for (const family of ["linear", "baseline"]) {
    const result = await runCli(
      "train.ts",
      ["--set", `model.family=${family}`, "--set", "training.epochs=2"],
      root,
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const id = result.stdout.match(/^run: (\S+)$/m)?.[1];
    assert.ok(id, result.stdout);
    const snapshot = await Deno.readTextFile(`${root}/models/experiments/${id}/config.yaml`);
    const model = snapshot.slice(snapshot.indexOf("\nmodel:"), snapshot.indexOf("\nsearch:"));
    assert.equal(
      model,
      family === "linear"
        ? "\nmodel:\n  family: linear\n  params:\n    l2: 0"
        : "\nmodel:\n  family: baseline\n  params: {}",
    );
  }
  await Deno.remove(root, { recursive: true });
});
