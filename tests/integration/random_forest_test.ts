import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import { pullDatasets, readManifest } from "../../src/data/mod.ts";
import {
  compileRowScorer,
  evaluateRun,
  openRun,
  reproduceRun,
  runTraining,
  scoreRows,
} from "../../src/pipelines/mod.ts";
import { RandomForestModel } from "../../src/models/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { listDir, makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

const ADELIE = {
  Island: "Torgersen",
  "Beak Length (mm)": 39.1,
  "Beak Depth (mm)": 18.7,
  "Flipper Length (mm)": 181,
  "Body Mass (g)": 3750,
  Sex: "MALE",
};

/** A temporary project with `cars.json` pulled from the pinned npm package, as data:pull does. */
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

/**
 * Trains a random_forest run, then checks it is recorded with its trees, reproduces
 * identically, evaluates to the recorded test metrics, and that the row engine scores a row as
 * the batch path does. Returns the recorded test metrics.
 */
async function checkRun(
  root: string,
  options: { profile?: string; row: Record<string, unknown> },
): Promise<Record<string, number>> {
  const loaded = await loadConfig({
    root,
    overrides: ["model.family=random_forest"],
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
  const result = await runTraining(
    loaded,
    options.profile === undefined ? {} : { profile: options.profile },
  );
  try {
    assert.equal(result.model.family, "random_forest");
    assert.ok(result.model instanceof RandomForestModel);
    assert.ok(result.model.oobScore !== null, "the out-of-bag score is recorded");
    assert.match(result.model.summary(), /out-of-bag (accuracy|r2) /);
    assert.deepEqual(listDir(`${result.dir}/model`), ["params.json", "trees.bin"]);
    const run = JSON.parse(await Deno.readTextFile(`${result.dir}/run.json`));
    assert.ok(JSON.stringify(run).includes("model/trees.bin"), "run.json lists the trees' sha256");

    const reproduced = await reproduceRun(loaded.config.registry.experiments_dir, result.id, root);
    assert.deepEqual(reproduced.differences, []);
    assert.equal(reproduced.identical, true);

    const evaluated = await evaluateRun(result.id, loaded);
    assert.deepEqual(
      JSON.parse(JSON.stringify(evaluated.metrics)),
      JSON.parse(JSON.stringify(result.metrics.test)),
    );

    const opened = await openRun(result.id, loaded);
    let reason: string | null = null;
    const scorer = compileRowScorer(opened, { onUnsupported: (r) => (reason = r) });
    assert.equal(reason, null);
    assert.ok(scorer !== null);
    const outcome = scorer.score([options.row]);
    assert.equal(outcome.fallback, false);
    if (outcome.fallback) throw new Error("unreachable");
    const batch = scoreRows(opened, pl.DataFrame([options.row]));
    assert.deepEqual(batch.rejected, []);
    const batchPrediction = batch.predictions!.getColumn("prediction").toArray();
    assert.deepEqual(outcome.predictions?.prediction, batchPrediction);
    assert.deepEqual(
      Array.from(result.model.predict(outcome.input!)),
      Array.from(opened.model.predict(outcome.input!)),
    );
    return { ...result.metrics.test } as Record<string, number>;
  } finally {
    result.model.dispose();
  }
}

Deno.test("a random_forest penguins run records its trees, reproduces, evaluates and serves through the row engine", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  try {
    const test = await checkRun(root, { row: { ...ADELIE, Species: null } });
    assert.ok(test.f1_macro! >= 0.95, `test macro-F1 ${test.f1_macro} < 0.95`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a random_forest cars run beats the mean baseline, reproduces, evaluates and serves", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await projectWithCars();
  try {
    const cars = JSON.parse(await Deno.readTextFile(`${root}/data/raw/cars.json`));
    const { Miles_per_Gallon: _target, ...row } = cars[0];
    const test = await checkRun(root, { profile: "config/profiles/cars.yaml", row });
    assert.ok(test.rmse! < 3, `test RMSE ${test.rmse} ≥ 3`);
    assert.ok(test.r2! > 0.85, `test R² ${test.r2}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
