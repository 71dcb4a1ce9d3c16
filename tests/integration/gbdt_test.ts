import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import {
  compileRowScorer,
  evaluateRun,
  openRun,
  reproduceRun,
  runTraining,
} from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { listDir, makeTempProject } from "../_helpers/project.ts";

const ADELIE = {
  Species: null,
  Island: "Torgersen",
  "Beak Length (mm)": 39.1,
  "Beak Depth (mm)": 18.7,
  "Flipper Length (mm)": 181,
  "Body Mass (g)": 3750,
  Sex: "MALE",
};

Deno.test("a gbdt penguins run records its trees, reproduces, evaluates and serves through the row engine", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["model.family=gbdt"] });
  const result = await runTraining(loaded);
  try {
    assert.equal(result.model.family, "gbdt");
    assert.deepEqual(listDir(`${result.dir}/model`), ["params.json", "trees.bin"]);
    const test = result.metrics.test as { accuracy: number; f1_macro: number };
    assert.ok(test.f1_macro >= 0.95, `test macro-F1 ${test.f1_macro} < 0.95`);
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
    const outcome = scorer.score([ADELIE]);
    assert.equal(outcome.fallback, false);
    if (outcome.fallback) return;
    assert.deepEqual(outcome.predictions?.prediction, ["Adelie"]);
    assert.deepEqual(
      Array.from(result.model.predict(outcome.input!)),
      Array.from((await openRun(result.id, loaded)).model.predict(outcome.input!)),
    );

    // Trees read the measurements as they are and the islands and sexes as category codes.
    const features = JSON.parse(await Deno.readTextFile(`${result.dir}/features.json`));
    assert.deepEqual(
      features.pipeline.steps.map((step: { name: string; transformers: { kind: string }[] }) => [
        step.name,
        step.transformers.map((t) => t.kind),
      ]),
      [["numeric", []], ["categorical", ["OrdinalEncoder"]]],
    );
    const model = result.model as unknown as {
      categoricalFeatures(): { feature: number; categories: number }[];
    };
    assert.deepEqual(
      model.categoricalFeatures().map((c) => [opened.names[c.feature], c.categories]),
      [["Island", 3], ["Sex", 2]],
    );
    // An island never seen in training scores, routed where the splits send missing values.
    const unseen = scorer.score([{ ...ADELIE, Island: "Atlantis" }]);
    assert.equal(unseen.fallback, false);
    if (unseen.fallback) return;
    assert.equal(unseen.predictions?.prediction.length, 1);
    assert.deepEqual(Array.from(unseen.input!.data.subarray(4, 6)), [-1, 1]);
  } finally {
    result.model.dispose();
  }
});
