import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { FeaturePipeline, resolveColumnSelector } from "../../src/features/mod.ts";
import type { FeaturePipelineState } from "../../src/features/mod.ts";
import type { FeatureStep } from "../../src/config/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { RUN_ARTIFACTS } from "../../src/models/mod.ts";
import {
  compileRowScorer,
  fitFeatures,
  openRun,
  prepareData,
  rowsToFrame,
  runTraining,
  scoreRows,
} from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

function train() {
  return pl.DataFrame([
    pl.Series("id", [1, 2, 3, 4], pl.Int64),
    pl.Series("island", ["Dream", "Biscoe", "Dream", "Torgersen"]),
    pl.Series("mass_g", [3.5, 4.0, 5.5, 3.0], pl.Float64),
    pl.Series("Species", ["Adelie", "Gentoo", "Adelie", "Chinstrap"]),
    pl.Series("flipper_mm", [181, 190, 210, 195], pl.Int64),
    pl.Series("tagged", [true, false, true, true]),
    pl.Series("seen", [new Date(0), new Date(1e10), new Date(2e10), new Date(3e10)], pl.Date),
  ]);
}

const SCALE = [{ kind: "StandardScaler", params: {} }];
const ONE_HOT = [{ kind: "OneHotEncoder", params: {} }];

function build(steps: FeatureStep[]) {
  return FeaturePipeline.fromConfig({ steps }, { target: "Species", idColumns: ["id"] });
}

function taken(...names: string[]) {
  return { step: "s", path: "features.steps[0]", taken: new Set(names) };
}

Deno.test("resolveColumnSelector() takes columns by type in frame order, never the taken or excluded ones", () => {
  const df = train();
  assert.deepEqual(
    resolveColumnSelector(df, { dtype: "numeric" }, taken("Species", "id")),
    ["mass_g", "flipper_mm"],
  );
  assert.deepEqual(resolveColumnSelector(df, { dtype: "text" }, taken("Species")), ["island"]);
  assert.deepEqual(resolveColumnSelector(df, { dtype: "bool" }, taken()), ["tagged"]);
  assert.deepEqual(resolveColumnSelector(df, { dtype: "date" }, taken()), ["seen"]);
  assert.deepEqual(
    resolveColumnSelector(df, { dtype: "numeric", exclude: ["flipper_mm"] }, taken("id")),
    ["mass_g"],
  );
});

Deno.test("resolveColumnSelector() searches the pattern anywhere in the name unless it is anchored", () => {
  const df = train();
  // Like scikit-learn's make_column_selector (re.search): "_" is found inside both names.
  assert.deepEqual(resolveColumnSelector(df, { pattern: "_" }, taken()), ["mass_g", "flipper_mm"]);
  assert.deepEqual(resolveColumnSelector(df, { pattern: "_mm$" }, taken()), ["flipper_mm"]);
  assert.deepEqual(resolveColumnSelector(df, { pattern: "^s" }, taken()), ["seen"]);
  assert.deepEqual(
    resolveColumnSelector(df, { pattern: "i", dtype: "text" }, taken()),
    ["island", "Species"],
  );
});

Deno.test("resolveColumnSelector() names the step and the free columns when nothing matches", () => {
  assert.throws(
    () =>
      resolveColumnSelector(train(), { dtype: "numeric", pattern: "^beak" }, {
        step: "numbers",
        path: "features.steps[2]",
        taken: new Set(["Species", "id", "island", "tagged", "seen"]),
      }),
    {
      name: "ConfigError",
      message:
        /feature step "numbers": features\.steps\[2\]\.columns selects no column with dtype numeric and pattern \/\^beak\/; the columns free for it are "mass_g" \(numeric\), "flipper_mm" \(numeric\)/,
    },
  );
  assert.throws(
    () => resolveColumnSelector(train(), { dtype: "numeric", exclude: ["mass"] }, taken()),
    {
      name: "ConfigError",
      message:
        /features\.steps\[0\]\.columns\.exclude\[0\] names column "mass", which the data lacks: did you mean "mass_g"/,
    },
  );
});

Deno.test("FeaturePipeline resolves selectors at fit: same features as the explicit lists, recorded in toJSON", () => {
  const df = train();
  const explicit = build([
    { name: "numeric", columns: ["mass_g", "flipper_mm"], transformers: SCALE },
    { name: "text", columns: ["island"], transformers: ONE_HOT },
  ]);
  const selected = build([
    { name: "numeric", columns: { dtype: "numeric", exclude: [] }, transformers: SCALE },
    { name: "text", columns: { dtype: "text", exclude: [] }, transformers: ONE_HOT },
  ]);
  // Before fit the columns of a selector step are unknown.
  assert.throws(() => selected.inputColumns(), {
    name: "NotFittedError",
    message: /step "numeric" selects its columns with a selector, which is resolved by fit\(\)/,
  });
  assertFrameEqual(selected.fitTransform(df), explicit.fitTransform(df));
  assert.deepEqual(selected.inputColumns(), ["mass_g", "flipper_mm", "island"]);
  const json = selected.toJSON();
  assert.deepEqual(json.steps.map((step) => [step.columns, step.selector]), [
    [["mass_g", "flipper_mm"], { dtype: "numeric", exclude: [] }],
    [["island"], { dtype: "text", exclude: [] }],
  ]);
  // The state carries the resolved columns: rebuilt, it transforms identically and says the same.
  const rebuilt = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(json)));
  assert.deepEqual(rebuilt.inputColumns(), ["mass_g", "flipper_mm", "island"]);
  assert.deepEqual(rebuilt.toJSON(), json);
  assertFrameEqual(rebuilt.transform(df), selected.transform(df));
  // A new frame with an extra numeric column is transformed with the fitted columns only.
  const extra = df.withColumns(pl.lit(1.5).alias("later"));
  assertFrameEqual(rebuilt.transform(extra), selected.transform(df));
});

Deno.test("FeaturePipeline selectors skip columns other steps name and columns an earlier selector took", () => {
  const pipeline = build([
    { name: "first", columns: { pattern: "_", exclude: [] }, transformers: SCALE },
    { name: "rest", columns: { dtype: "numeric", exclude: [] }, transformers: SCALE },
    { name: "named", columns: ["flipper_mm"], transformers: SCALE },
  ]);
  assert.throws(() => pipeline.fit(train()), {
    name: "ConfigError",
    message: /step "rest": features\.steps\[1\]\.columns selects no column with dtype numeric/,
  });
  const ok = build([
    { name: "first", columns: { pattern: "_", exclude: [] }, transformers: SCALE },
    { name: "named", columns: ["flipper_mm"], transformers: SCALE },
  ]).fit(train());
  assert.deepEqual(ok.inputColumns(), ["mass_g", "flipper_mm"]);
});

Deno.test("FeaturePipeline.fromConfig() refuses a selector without dtype or pattern, and a bad pattern, naming the key", () => {
  assert.throws(
    () =>
      build([
        { name: "a", columns: { exclude: ["x"] }, transformers: SCALE },
        { name: "b", columns: { pattern: "(mm", exclude: [] }, transformers: SCALE },
      ]),
    (error: Error) => {
      assert.equal(error.name, "ConfigError");
      assert.match(
        error.message,
        /features\.steps\[0\]\.columns: a column selector needs dtype, pattern or both/,
      );
      assert.match(
        error.message,
        /features\.steps\[1\]\.columns\.pattern: "\(mm" is not a valid JavaScript regular expression/,
      );
      return true;
    },
  );
});

Deno.test("columns: { dtype: numeric } on penguins gives the model the same input as the explicit list", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await loadConfig();
  const config = loaded.config;
  const steps = config.features.steps;
  const numeric = steps.find((step) => step.name === "numeric")!;
  assert.deepEqual(numeric.columns, [
    "Beak Length (mm)",
    "Beak Depth (mm)",
    "Flipper Length (mm)",
    "Body Mass (g)",
  ]);
  const withSelector = {
    ...config,
    features: {
      ...config.features,
      steps: steps.map((step) =>
        step === numeric ? { ...step, columns: { dtype: "numeric" as const, exclude: [] } } : step
      ),
    },
  };
  const data = await prepareData(config);
  const explicit = fitFeatures(data, config);
  const selected = fitFeatures(data, withSelector);
  assert.deepEqual(selected.names, explicit.names);
  assert.deepEqual(selected.pipeline.inputColumns(), explicit.pipeline.inputColumns());
  for (const split of ["train", "val", "test"] as const) {
    assert.deepEqual(selected.x[split], explicit.x[split], `${split} matrix`);
  }
});

Deno.test("a run trained with selectors scores rows with exactly the fitted columns, in both scoring engines", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({
    root,
    overrides: [
      'features.steps[0].columns={"dtype":"numeric"}',
      'features.steps[1].columns={"dtype":"text","exclude":["Sex"]}',
    ],
  });
  const result = await runTraining(loaded);
  result.model.dispose();
  const features = await RUN_ARTIFACTS.features.read(result.dir!);
  const state = features.pipeline as FeaturePipelineState;
  assert.deepEqual(state.steps.map((step) => step.columns), [
    ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"],
    ["Island"],
  ]);
  const run = await openRun(result.id, loaded);
  try {
    const row = {
      Island: "Dream",
      "Beak Length (mm)": 46.5,
      "Beak Depth (mm)": 17.9,
      "Flipper Length (mm)": 192,
      "Body Mass (g)": 3500,
      Sex: "FEMALE",
    };
    const scorer = compileRowScorer(run);
    assert.ok(scorer !== null);
    const fast = scorer.score([row], []);
    assert.equal(fast.fallback, false);
    const frame = scoreRows(run, rowsToFrame(run, [row]), []);
    if (fast.fallback) throw new Error("unreachable");
    const label = frame.predictions?.getColumn("prediction").toArray();
    assert.deepEqual((fast.predictions as { prediction?: unknown[] } | null)?.prediction, label);
    // Sex was excluded from the selector, so it is not an input the run needs.
    const { Sex: _, ...withoutSex } = row;
    const scored = scoreRows(run, rowsToFrame(run, [withoutSex]), []);
    assert.deepEqual(scored.rejected, []);
    assert.deepEqual(scored.predictions?.getColumn("prediction").toArray(), label);
  } finally {
    run.model.dispose();
  }
});
