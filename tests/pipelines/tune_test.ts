/**
 * Tests of the hyperparameter search: trial sampling, bad search spaces, and tiny studies on the
 * penguins data (2 folds, 2 epochs) in temporary projects, on Web Workers and in this thread.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../src/config/mod.ts";
import type { LoadedConfig, SearchConfig } from "../../src/config/mod.ts";
import { listRunIds, readRunFolder } from "../../src/models/mod.ts";
import {
  applyTrialParams,
  BEST_CONFIG_FILE,
  crossValidate,
  familyTrialParams,
  formatTrialParams,
  listStudyIds,
  rankTrials,
  readStudy,
  runStudy,
  sampleTrials,
  searchSpaceForTask,
  STUDY_FILE,
} from "../../src/pipelines/mod.ts";
import type { StudyRecord, TrialResult } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

const TINY_MODEL_CONFIG = `
model:
  family: mlp
  params: { hidden_units: [8], activation: relu, dropout: 0, l2: 0 }
search:
  "model.params.hidden_units": [[8], [16, 8]]
  "training.learning_rate": { low: 0.005, high: 0.05, scale: log }
`;

/** A temporary penguins project with a small search space; 2 epochs per fit. */
async function tinyProject(
  modelConfig = TINY_MODEL_CONFIG,
  overrides: string[] = [],
): Promise<LoadedConfig> {
  const root = await makeTempProject({ "config/model_config.yaml": modelConfig });
  return await loadConfig({ root, overrides: ["training.epochs=2", ...overrides] });
}

/** The leaderboard without timings: what must not depend on workers or interruptions. */
function withoutTimes(trials: readonly TrialResult[]): Omit<TrialResult, "seconds">[] {
  return trials.map(({ seconds: _seconds, ...rest }) => rest);
}

// ---------------------------------------------------------------- sampling

Deno.test("sampleTrials() enumerates a grid in a fixed order with the first key changing slowest", () => {
  const search: SearchConfig = {
    "training.learning_rate": [0.01, 0.1],
    "model.params.dropout": [0, 0.2],
    "training.batch_size": [16],
  };
  const trials = sampleTrials(search, { strategy: "grid" });
  assert.deepEqual(trials.map((t) => t.params), [
    { "training.learning_rate": 0.01, "model.params.dropout": 0, "training.batch_size": 16 },
    { "training.learning_rate": 0.01, "model.params.dropout": 0.2, "training.batch_size": 16 },
    { "training.learning_rate": 0.1, "model.params.dropout": 0, "training.batch_size": 16 },
    { "training.learning_rate": 0.1, "model.params.dropout": 0.2, "training.batch_size": 16 },
  ]);
  assert.deepEqual(trials.map((t) => t.id), [0, 1, 2, 3]);
  assert.deepEqual(
    sampleTrials(search, { strategy: "grid", trials: 3 }).map((t) => t.params),
    trials.slice(0, 3).map((t) => t.params),
  );
  assert.equal(sampleTrials(search, { strategy: "grid", trials: 99 }).length, 4);
});

Deno.test("sampleTrials() spreads grid ranges evenly in their scale and takes every integer of a short range", () => {
  const trials = sampleTrials({
    "training.learning_rate": { low: 0.001, high: 0.1, scale: "log", integer: false },
    "training.batch_size": { low: 8, high: 10, scale: "linear", integer: true },
  }, { strategy: "grid", gridPoints: 3 });
  assert.deepEqual(
    trials.map((t) => [t.params["training.learning_rate"], t.params["training.batch_size"]]),
    [
      [0.001, 8],
      [0.001, 9],
      [0.001, 10],
      [0.01, 8],
      [0.01, 9],
      [0.01, 10],
      [0.1, 8],
      [0.1, 9],
      [0.1, 10],
    ],
  );
});

Deno.test("sampleTrials() draws the same random trials for the same seed, independent of the trial count", () => {
  const search: SearchConfig = {
    "model.params.hidden_units": [[8], [16, 8], [32, 16]],
    "training.learning_rate": { low: 0.001, high: 0.1, scale: "log", integer: false },
  };
  const five = sampleTrials(search, { strategy: "random", trials: 5, seed: 7 });
  const three = sampleTrials(search, { strategy: "random", trials: 3, seed: 7 });
  assert.deepEqual(three, five.slice(0, 3));
  assert.deepEqual(sampleTrials(search, { strategy: "random", trials: 5, seed: 7 }), five);
  const other = sampleTrials(search, { strategy: "random", trials: 5, seed: 8 });
  assert.notDeepEqual(other.map((t) => t.params), five.map((t) => t.params));
  assert.equal(new Set(five.map((t) => t.seed)).size, 5);
  assert.equal(sampleTrials(search).length, 20);
});

Deno.test("sampleTrials() draws log ranges uniformly in log space and integer ranges as integers", () => {
  const trials = sampleTrials({
    "training.learning_rate": { low: 0.0001, high: 0.1, scale: "log", integer: false },
    "training.batch_size": { low: 2, high: 5, scale: "linear", integer: true },
    "model.params.hidden_units[0]": { low: 4, high: 64, scale: "log", integer: true },
  }, { strategy: "random", trials: 400, seed: 1 });
  const rates = trials.map((t) => t.params["training.learning_rate"] as number);
  assert.ok(rates.every((r) => r >= 0.0001 && r <= 0.1), "a rate left its range");
  // Uniform in log space: about a third of the draws in each decade of [1e-4, 1e-1].
  for (const [low, high] of [[0.0001, 0.001], [0.001, 0.01], [0.01, 0.1]]) {
    const share = rates.filter((r) => r >= low! && r < high!).length / rates.length;
    assert.ok(share > 0.25 && share < 0.42, `share in [${low}, ${high}) is ${share}`);
  }
  assert.ok(rates.every((r) => Number(r.toPrecision(6)) === r), "rates keep 6 digits");
  const sizes = trials.map((t) => t.params["training.batch_size"] as number);
  assert.deepEqual([...new Set(sizes)].sort(), [2, 3, 4, 5]);
  const units = trials.map((t) => t.params["model.params.hidden_units[0]"] as number);
  assert.ok(units.every((u) => Number.isInteger(u) && u >= 4 && u <= 64));
  assert.ok(units.filter((u) => u < 16).length > units.filter((u) => u >= 48).length);
});

Deno.test("sampleTrials() refuses an empty or contradictory search space, naming the search key", () => {
  const range = (
    low: number,
    high: number,
    scale: "linear" | "log" = "linear",
    integer = false,
  ) => ({
    low,
    high,
    scale,
    integer,
  });
  assert.throws(() => sampleTrials({}), {
    name: "ConfigError",
    message: /the search space "search" is empty; list at least one hyperparameter/,
  });
  assert.throws(() => sampleTrials({ "model.params.dropout": [] }), {
    name: "ConfigError",
    message: /"search\.model\.params\.dropout": the list is empty/,
  });
  assert.throws(() => sampleTrials({ "training.learning_rate": range(0.1, 0.01) }), {
    name: "ConfigError",
    message: /"search\.training\.learning_rate": low 0\.1 is not below high 0\.01/,
  });
  assert.throws(() => sampleTrials({ "training.learning_rate": range(0.1, 0.1) }), {
    name: "ConfigError",
    message: /low 0\.1 is not below high 0\.1; use low < high/,
  });
  assert.throws(() => sampleTrials({ "training.learning_rate": range(0, 0.1, "log") }), {
    name: "ConfigError",
    message: /on a log scale "search\.training\.learning_rate": low is 0, expected a number > 0/,
  });
  assert.throws(() => sampleTrials({ "training.batch_size": range(2.2, 2.8, "linear", true) }), {
    name: "ConfigError",
    message: /"search\.training\.batch_size": no integer lies between low 2\.2 and high 2\.8/,
  });
  assert.throws(
    () => sampleTrials({ "model.params": [{ dropout: 0 }], "model.params.dropout": [0.1] }),
    {
      name: "ConfigError",
      message: /"search\.model\.params\.dropout": it lies inside "search\.model\.params"/,
    },
  );
  assert.throws(
    () => sampleTrials({ "training.epochs": [1] }, { strategy: "grd" as "grid" }),
    { name: "ConfigError", message: /unknown strategy "grd": did you mean "grid"/ },
  );
  assert.throws(() => sampleTrials({ "training.epochs": [1] }, { trials: 0 }), {
    name: "ConfigError",
    message: /"trials" is 0, expected a positive integer/,
  });
  try {
    sampleTrials({ "model.params.dropout": [] });
  } catch (error) {
    assert.deepEqual((error as { issues: { path: string }[] }).issues.map((i) => i.path), [
      "search.model.params.dropout",
    ]);
  }
});

Deno.test("formatTrialParams() shortens keys to their last segment unless two would collide", () => {
  assert.equal(
    formatTrialParams({
      "model.params.hidden_units": [32, 16],
      "training.learning_rate": 0.0031234,
      "model.params.dropout": 0.1,
    }),
    "hidden_units=[32,16] learning_rate=0.003123 dropout=0.1",
  );
  assert.equal(
    formatTrialParams({ "model.params.l2": 0.001, "other.l2": 2 }),
    "model.params.l2=0.001 other.l2=2",
  );
  // A linear trial of a family search does not show the gbdt value it did not apply.
  assert.equal(
    formatTrialParams(
      { "model.family": "linear", "model.params.max_leaves": 7 },
      { "model.params.max_leaves": "not a param of the linear family" },
    ),
    "family=linear",
  );
});

Deno.test("rankTrials() orders ok trials by mean in the metric's direction, ties by id", () => {
  const trial = (id: number, mean: number | null): TrialResult => ({
    id,
    params: {},
    seed: id,
    status: mean === null ? "failed" : "ok",
    fold_scores: [],
    mean,
    std: mean === null ? null : 0,
    seconds: 1,
  });
  const trials = [trial(0, 0.9), trial(1, 0.95), trial(2, null), trial(3, 0.9)];
  assert.deepEqual(rankTrials(trials, "f1_macro").map((t) => t.id), [1, 0, 3]);
  assert.deepEqual(rankTrials(trials, "rmse").map((t) => t.id), [0, 3, 1]);
  assert.throws(() => rankTrials(trials, "f1_macr"), {
    name: "ConfigError",
    message: /did you mean "f1_macro"/,
  });
});

// ---------------------------------------------------------------- configs and folds

Deno.test("applyTrialParams() sets values at dotted paths, list indexes and quoted keys, and validates", async () => {
  const { config } = await tinyProject();
  const trial = applyTrialParams(config, {
    "training.learning_rate": 0.02,
    "model.params.hidden_units[0]": 4,
    'cleaning.nulls."Body Mass (g)".strategy': "median",
  });
  assert.equal(trial.training.learning_rate, 0.02);
  assert.deepEqual(trial.model.family === "mlp" && trial.model.params.hidden_units, [4]);
  assert.deepEqual(trial.cleaning.nulls["Body Mass (g)"], { strategy: "median" });
  assert.equal(config.training.learning_rate, 0.01, "the base config is unchanged");
  assert.throws(() => applyTrialParams(config, { "model.params.dropout": 1.5 }), {
    name: "ConfigError",
    message: /model\.params\.dropout/,
  });
});

Deno.test("crossValidate() scores every fold on the training split only", async () => {
  using _logs = captureLogs({ level: "error" });
  const { config } = await tinyProject();
  const cv = await crossValidate(config, { folds: 3, seed: 1 });
  assert.equal(cv.metric, "f1_macro");
  assert.equal(cv.fold_scores.length, 3);
  assert.ok(cv.fold_scores.every((s) => s >= 0 && s <= 1));
  const mean = cv.fold_scores.reduce((a, b) => a + b, 0) / 3;
  assert.ok(Math.abs(cv.mean - mean) < 1e-12);
  const std = Math.sqrt(cv.fold_scores.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
  assert.ok(Math.abs(cv.std - std) < 1e-12);
  assert.deepEqual(await crossValidate(config, { folds: 3, seed: 1 }), cv);
});

// ---------------------------------------------------------------- studies

Deno.test("runStudy() refuses more folds than the smallest class has training rows", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject();
  await assert.rejects(() => runStudy(loaded, { folds: 60, workers: 0 }), {
    name: "DataValidationError",
    message:
      /Cannot cross-validate with 60 folds: class "Chinstrap" of "Species" has 48 rows in the training split, fewer than the 60 folds; use --folds 48 or fewer/,
  });
  assert.deepEqual(await listStudyIds(loaded.config.registry.experiments_dir), []);
});

Deno.test("runStudy() refuses a search value that is not valid at its key, naming the search key", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject(`
model:
  family: mlp
search:
  "model.params.dropout": [0, 1.5]
`);
  await assert.rejects(() => runStudy(loaded, { strategy: "grid", workers: 0 }), {
    name: "ConfigError",
    message:
      /Cannot search "search\.model\.params\.dropout": the value 1\.5 is not valid there \(model\.params\.dropout: expected a number/,
  });
});

Deno.test("familyTrialParams() leaves out another family's params; applyTrialParams() drops the base params on a family switch", async () => {
  assert.deepEqual(
    familyTrialParams({
      "model.family": "gbdt",
      "model.params.hidden_units": [8],
      "model.params.l2": 1,
      "model.params.max_leaves": 4,
      "training.learning_rate": 0.01,
    }),
    {
      params: {
        "model.family": "gbdt",
        "model.params.l2": 1,
        "model.params.max_leaves": 4,
        "training.learning_rate": 0.01,
      },
      ignored: [{ key: "model.params.hidden_units", reason: "not a param of the gbdt family" }],
    },
  );
  // Without model.family in the trial nothing is left out, so a bad key still fails loudly.
  assert.deepEqual(familyTrialParams({ "model.params.max_leaves": 4 }).ignored, []);
  const { config } = await tinyProject();
  // model.params.max_leaves comes after model.family would erase it if applied in order.
  const gbdt = applyTrialParams(config, {
    "model.params.max_leaves": 4,
    "model.family": "gbdt",
  });
  assert.equal(gbdt.model.family, "gbdt");
  assert.equal((gbdt.model.params as { max_leaves: number }).max_leaves, 4);
  assert.equal((gbdt.model.params as { rounds: number }).rounds, 200, "gbdt's defaults");
  assert.equal(Object.hasOwn(gbdt.model.params, "hidden_units"), false);
  const same = applyTrialParams(config, { "model.family": "mlp" });
  assert.deepEqual(same.model.params, config.model.params, "same family keeps its params");
});

Deno.test("runStudy() compares families: a 2-trial grid over model.family [linear, gbdt] on penguins", async () => {
  using logs = captureLogs({ level: "info" });
  const loaded = await tinyProject(
    `
model:
  family: mlp
  params: { hidden_units: [8], activation: relu, dropout: 0, l2: 0 }
search:
  "model.family": [linear, gbdt]
  "model.params.max_leaves": [4]
  "model.params.l2": [0.5]
`,
    ["model.params.hidden_units=[8]"],
  );
  const experiments = loaded.config.registry.experiments_dir;
  const study = await runStudy(loaded, { strategy: "grid", folds: 2, workers: 0 });
  try {
    assert.equal(study.status, "finished");
    assert.deepEqual(study.failed, []);
    const trials = [...study.leaderboard].sort((a, b) => a.id - b.id);
    assert.deepEqual(trials.map((t) => t.params["model.family"]), ["linear", "gbdt"]);
    for (const trial of trials) assert.equal(trial.fold_scores.length, 2);
    assert.deepEqual(trials[0]!.ignored, {
      "model.params.max_leaves": "not a param of the linear family",
    });
    assert.equal(trials[1]!.ignored, undefined, "gbdt has both max_leaves and l2");
    const record = await readStudy(experiments, study.id);
    assert.deepEqual(record.trials[0]!.ignored, trials[0]!.ignored, "kept in study.json");
    assert.ok(
      logs.messages().some((m) =>
        m.includes("Trials of family linear leave out search.model.params.max_leaves")
      ),
    );
    // The final run trains the best trial's family with that family's params only.
    const bestFamily = study.leaderboard[0]!.params["model.family"];
    assert.ok(study.final !== null);
    const { dir } = await readRunFolder(experiments, study.final.id);
    const runConfig = parseYaml(await Deno.readTextFile(`${dir}/config.yaml`)) as {
      model: { family: string; params: Record<string, unknown> };
    };
    assert.equal(runConfig.model.family, bestFamily);
    assert.equal(runConfig.model.params["l2"], 0.5);
    assert.equal(Object.hasOwn(runConfig.model.params, "hidden_units"), false);
    assert.equal(Object.hasOwn(runConfig.model.params, "max_leaves"), bestFamily === "gbdt");
  } finally {
    study.final?.model.dispose();
  }
});

/**
 * The commented search keys of `model_config.yaml` under the comment that starts with `header`,
 * uncommented: the `  # "model...."` lines after it, up to the first other line.
 */
function commentedSearchKeys(text: string, header: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`  # ${header}`));
  assert.ok(start >= 0, `no "${header}" comment in model_config.yaml`);
  const keys: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}# "model\./.test(line)) keys.push(line.replace(/^ {2}# /, "  "));
    else if (keys.length > 0 || !line.startsWith("  # ")) break;
  }
  return keys;
}

Deno.test("the commented gbdt and random_forest search spaces of model_config.yaml are valid for their family and for a family comparison", async () => {
  const text = await Deno.readTextFile(`${REPO_ROOT}/config/model_config.yaml`);
  const gbdtKeys = commentedSearchKeys(text, "With `model.family: gbdt`");
  assert.deepEqual(gbdtKeys.map((l) => l.match(/"(.+)"/)![1]), [
    "model.params.learning_rate",
    "model.params.max_leaves",
    "model.params.min_samples_leaf",
    "model.params.l2",
    "model.params.subsample",
  ]);
  const forestKeys = commentedSearchKeys(text, "With `model.family: random_forest`");
  assert.deepEqual(forestKeys.map((l) => l.match(/"(.+)"/)![1]), [
    "model.params.n_estimators",
    "model.params.max_features",
    "model.params.min_samples_leaf",
    "model.params.max_depth",
  ]);
  const familyKeys = commentedSearchKeys(text, "To compare families");
  assert.deepEqual(familyKeys, [`  "model.family": [mlp, gbdt]`]);
  for (const [family, keys] of [["gbdt", gbdtKeys], ["random_forest", forestKeys]] as const) {
    const loaded = await tinyProject(`model:\n  family: ${family}\nsearch:\n${keys.join("\n")}\n`);
    const specs = sampleTrials(loaded.config.search, { strategy: "random", trials: 6 });
    for (const spec of specs) applyTrialParams(loaded.config, spec.params);
  }
  // The gbdt keys beside "model.family": [mlp, gbdt] load on the mlp default.
  const compare = await tinyProject(
    `model:\n  family: mlp\nsearch:\n${[...gbdtKeys, ...familyKeys].join("\n")}\n`,
  );
  assert.deepEqual(compare.config.search["model.family"], ["mlp", "gbdt"]);
  const mlpTrial = familyTrialParams({
    "model.family": "mlp",
    "model.params.max_leaves": 7,
    "model.params.l2": 1,
  });
  assert.deepEqual(mlpTrial.ignored.map((i) => i.key), ["model.params.max_leaves"]);
  applyTrialParams(compare.config, mlpTrial.params);
  // Both tree blocks together, keeping one min_samples_leaf line, compare the tree families.
  const trees = await tinyProject(
    `model:\n  family: gbdt\nsearch:\n  "model.family": [gbdt, random_forest]\n${
      [...gbdtKeys, ...forestKeys.filter((l) => !l.includes("min_samples_leaf"))].join("\n")
    }\n`,
  );
  for (const spec of sampleTrials(trees.config.search, { strategy: "random", trials: 6 })) {
    const trial = familyTrialParams(spec.params);
    const family = spec.params["model.family"];
    const foreign = family === "gbdt"
      ? ["model.params.n_estimators", "model.params.max_features"]
      : [
        "model.params.learning_rate",
        "model.params.max_leaves",
        "model.params.l2",
        "model.params.subsample",
      ];
    assert.deepEqual(trial.ignored.map((i) => i.key).sort(), foreign.sort());
    applyTrialParams(trees.config, trial.params);
  }
});

Deno.test("runStudy() compares the tree families: gbdt and random_forest trials each keep their own params", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject(`
model:
  family: gbdt
search:
  "model.family": [gbdt, random_forest]
  "model.params.rounds": [15]
  "model.params.max_leaves": [4]
  "model.params.n_estimators": [8]
  "model.params.max_features": [sqrt]
  "model.params.min_samples_leaf": [3]
  "model.params.max_depth": [null, 4]
`);
  const experiments = loaded.config.registry.experiments_dir;
  const study = await runStudy(loaded, { strategy: "grid", folds: 2, workers: 1 });
  try {
    assert.equal(study.status, "finished");
    assert.deepEqual(study.failed, []);
    const trials = [...study.leaderboard].sort((a, b) => a.id - b.id);
    assert.deepEqual(
      trials.map((t) => [t.params["model.family"], t.params["model.params.max_depth"]]),
      [["gbdt", null], ["gbdt", 4], ["random_forest", null], ["random_forest", 4]],
    );
    for (const trial of trials) {
      assert.equal(trial.fold_scores.length, 2);
      for (const score of trial.fold_scores) assert.ok(score > 0.5 && score <= 1, `${score}`);
    }
    const record = await readStudy(experiments, study.id);
    const recorded = [...record.trials].sort((a, b) => a.id - b.id);
    for (const trial of recorded.slice(0, 2)) {
      assert.deepEqual(trial.ignored, {
        "model.params.n_estimators": "not a param of the gbdt family",
        "model.params.max_features": "not a param of the gbdt family",
      });
    }
    for (const trial of recorded.slice(2)) {
      assert.deepEqual(trial.ignored, {
        "model.params.rounds": "not a param of the random_forest family",
        "model.params.max_leaves": "not a param of the random_forest family",
      });
    }
    // The final run trains the best trial's family with that family's params only.
    const best = study.leaderboard[0]!;
    assert.ok(study.final !== null);
    const { dir } = await readRunFolder(experiments, study.final.id);
    const runConfig = parseYaml(await Deno.readTextFile(`${dir}/config.yaml`)) as {
      model: { family: string; params: Record<string, unknown> };
    };
    assert.equal(runConfig.model.family, best.params["model.family"]);
    assert.equal(runConfig.model.params["min_samples_leaf"], 3);
    assert.equal(runConfig.model.params["max_depth"], best.params["model.params.max_depth"]);
    const own = best.params["model.family"] === "gbdt"
      ? { rounds: 15, max_leaves: 4 }
      : { n_estimators: 8, max_features: "sqrt" };
    for (const [key, value] of Object.entries(own)) {
      assert.equal(runConfig.model.params[key], value);
    }
    for (const key of ["rounds", "max_leaves", "n_estimators", "max_features"]) {
      if (!Object.hasOwn(own, key)) assert.equal(Object.hasOwn(runConfig.model.params, key), false);
    }
  } finally {
    study.final?.model.dispose();
  }
});

Deno.test("loadConfig() accepts model.params search keys of any family listed under model.family, and only then", async () => {
  const listed = await tinyProject(`
model:
  family: mlp
search:
  "model.family": [mlp, gbdt]
  "model.params.max_leaves": [7, 31]
  "model.params.hidden_units": [[8]]
`);
  assert.deepEqual(listed.config.search["model.params.max_leaves"], [7, 31]);
  await assert.rejects(
    () =>
      tinyProject(`
model:
  family: mlp
search:
  "model.params.max_leaves": [7, 31]
`),
    { name: "ConfigError", message: /Cannot load config/ },
  );
});

Deno.test("runStudy() refuses a model.params search key that no searched family has", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject(`
model:
  family: mlp
search:
  "model.family": [linear, gbdt]
  "model.params.hidden_units": [[8]]
`);
  await assert.rejects(() => runStudy(loaded, { strategy: "grid", workers: 0 }), {
    name: "ConfigError",
    message:
      /Cannot search "search\.model\.params\.hidden_units": no searched family \("linear", "gbdt"\) has a param "hidden_units"/,
  });
});

Deno.test("runStudy() refuses a study id that is taken and points to --resume", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject();
  const experiments = loaded.config.registry.experiments_dir;
  await Deno.mkdir(`${experiments}/taken`, { recursive: true });
  await assert.rejects(() => runStudy(loaded, { studyId: "taken", workers: 0 }), {
    name: "ArtifactError",
    message:
      /Cannot start study "taken": ".*\/taken" already exists; continue it with --resume taken/,
  });
  assert.deepEqual([...Deno.readDirSync(experiments)].map((e) => e.name), ["taken"]);
});

Deno.test("runStudy() runs a tiny study on a worker, writes study.json and records the best trial as a normal run", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject();
  const experiments = loaded.config.registry.experiments_dir;
  const seen: number[] = [];
  const study = await runStudy(loaded, {
    trials: 2,
    folds: 2,
    workers: 1,
    onTrial: (trial, progress) => {
      seen.push(trial.id);
      assert.equal(progress.total, 2);
    },
  });
  try {
    assert.equal(study.status, "finished");
    assert.match(study.id, /^study-\d{8}-\d{6}-penguins-[0-9a-f]{8}$/);
    assert.deepEqual(seen, [0, 1]);
    assert.equal(study.leaderboard.length, 2);
    assert.deepEqual(study.failed, []);
    for (const trial of study.leaderboard) {
      assert.equal(trial.status, "ok");
      assert.equal(trial.fold_scores.length, 2);
      assert.ok(trial.seconds > 0);
    }
    const [first, second] = study.leaderboard;
    assert.ok(first!.mean! >= second!.mean!);

    const record = JSON.parse(
      await Deno.readTextFile(`${experiments}/${study.id}/${STUDY_FILE}`),
    ) as StudyRecord;
    assert.deepEqual(record, await readStudy(experiments, study.id));
    assert.equal(record.status, "finished");
    assert.equal(record.config_hash, loaded.hash);
    assert.equal(record.strategy, "random");
    assert.equal(record.folds, 2);
    assert.equal(record.seed, 42);
    assert.deepEqual(record.search, loaded.config.search);
    assert.deepEqual(record.leaderboard, study.leaderboard.map((t) => t.id));
    assert.equal(record.best?.trial, first!.id);

    // The final run is a normal run: listed, verified, and trained with the best values.
    assert.ok(study.final !== null && record.final_run !== null);
    assert.equal(record.final_run.id, study.final.id);
    assert.deepEqual(await listRunIds(experiments), [study.final.id]);
    assert.deepEqual(await listStudyIds(experiments), [study.id]);
    const { dir } = await readRunFolder(experiments, study.final.id);
    const runConfig = parseYaml(await Deno.readTextFile(`${dir}/config.yaml`)) as {
      model: { params: { hidden_units: number[] } };
      training: { learning_rate: number };
    };
    assert.deepEqual(
      runConfig.model.params.hidden_units,
      first!.params["model.params.hidden_units"],
    );
    assert.equal(runConfig.training.learning_rate, first!.params["training.learning_rate"]);
    assert.equal(record.final_run.test, study.final.record.primary.test);
    const best = await loadConfig({
      root: loaded.root,
      snapshot: `${experiments}/${study.id}/${BEST_CONFIG_FILE}`,
    });
    assert.equal(best.hash, study.final.record.config_hash);
  } finally {
    study.final?.model.dispose();
  }
});

Deno.test("runStudy() gives the identical leaderboard on 1 worker, 2 workers and in this thread", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject();
  const options = { trials: 4, folds: 2, refit: false } as const;
  const one = await runStudy(loaded, { ...options, workers: 1, studyId: "one" });
  const counts: number[] = [];
  const two = await runStudy(loaded, {
    ...options,
    workers: 2,
    studyId: "two",
    onTrial: (_trial, progress) => counts.push(progress.done),
  });
  // Each trial reports its own place, even when two finish together: 1, 2, 3, 4 in order.
  assert.deepEqual(counts, [1, 2, 3, 4]);
  const inline = await runStudy(loaded, { ...options, workers: 0, studyId: "inline" });
  assert.equal(one.leaderboard.length, 4);
  assert.deepEqual(withoutTimes(two.leaderboard), withoutTimes(one.leaderboard));
  assert.deepEqual(withoutTimes(inline.leaderboard), withoutTimes(one.leaderboard));
  assert.equal(one.final, null);
  assert.deepEqual(await listRunIds(loaded.config.registry.experiments_dir), []);
});

Deno.test("runStudy() records a diverging trial as failed with its reason and goes on", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject(
    `
model:
  family: mlp
search:
  "training.learning_rate": [1000000, 0.01]
`,
    ["training.optimizer=sgd"],
  );
  const study = await runStudy(loaded, { strategy: "grid", folds: 2, workers: 0 });
  try {
    assert.equal(study.status, "finished");
    assert.equal(study.failed.length, 1);
    const [failed] = study.failed;
    assert.equal(failed!.id, 0);
    assert.equal(failed!.mean, null);
    assert.match(
      failed!.error ?? "",
      /^TrainingDivergedError: Cannot train the model: the loss became NaN/,
    );
    assert.deepEqual(study.leaderboard.map((t) => t.id), [1]);
    assert.equal(study.record.best?.trial, 1);
    assert.ok(study.final !== null);
  } finally {
    study.final?.model.dispose();
  }
});

Deno.test("runStudy() stops cleanly when aborted and resume finishes with the leaderboard of an uninterrupted study", async () => {
  using _logs = captureLogs({ level: "error" });
  const loaded = await tinyProject();
  const experiments = loaded.config.registry.experiments_dir;
  const controller = new AbortController();
  const stopped = await runStudy(loaded, {
    trials: 4,
    folds: 2,
    workers: 2,
    studyId: "interrupted",
    signal: controller.signal,
    onTrial: () => controller.abort(new Error("stop")),
  });
  assert.equal(stopped.status, "interrupted");
  assert.equal(stopped.final, null);
  const saved = await readStudy(experiments, "interrupted");
  assert.equal(saved.status, "interrupted");
  assert.ok(saved.trials.length >= 1 && saved.trials.length < 4, `${saved.trials.length} trials`);
  assert.deepEqual(await listRunIds(experiments), []);

  const changed = await loadConfig({ root: loaded.root, overrides: ["training.epochs=3"] });
  await assert.rejects(() => runStudy(changed, { resume: "interrupted", workers: 0 }), {
    name: "ConfigError",
    message: /Cannot resume study "interrupted": the config changed since it started/,
  });
  await assert.rejects(() => runStudy(loaded, { resume: "interrupted", folds: 3, workers: 0 }), {
    name: "ConfigError",
    message: /it runs with folds 2, got 3/,
  });
  await assert.rejects(() => runStudy(loaded, { resume: "interruptd", workers: 0 }), {
    name: "ArtifactError",
    message: /Cannot open study "interruptd": .*did you mean "interrupted"/,
  });

  const resumed = await runStudy(loaded, { resume: "interrupted", workers: 1 });
  try {
    assert.equal(resumed.status, "finished");
    assert.equal(resumed.record.trials.length, 4);
    for (const kept of saved.trials) {
      assert.deepEqual(resumed.record.trials[kept.id], kept, "a finished trial was run again");
    }
    const fresh = await runStudy(loaded, {
      trials: 4,
      folds: 2,
      workers: 0,
      studyId: "fresh",
      refit: false,
    });
    assert.deepEqual(withoutTimes(resumed.leaderboard), withoutTimes(fresh.leaderboard));
    assert.ok(resumed.final !== null);
    assert.deepEqual(await listRunIds(experiments), [resumed.final.id]);
  } finally {
    resumed.final?.model.dispose();
  }
});

// ---------------------------------------------------------------- the task

/** Starts `src/cli/tune.ts` in `root` with all permissions; stderr is drained as it comes. */
function startTune(root: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--config=${REPO_ROOT}/deno.json`, `${REPO_ROOT}/src/cli/tune.ts`, ...args],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, stderr: new Response(child.stderr).text() };
}

Deno.test("deno task tune prints a line per trial, the leaderboard and the final run", async () => {
  const root = await makeTempProject({ "config/model_config.yaml": TINY_MODEL_CONFIG });
  const { child, stderr } = startTune(root, [
    "--trials=2",
    "--folds=2",
    "--workers=1",
    "--set=training.epochs=2",
    "--set=logging.level=warning",
  ]);
  const stdout = await new Response(child.stdout).text();
  const status = await child.status;
  assert.equal(status.code, 0, await stderr);
  assert.match(
    stdout,
    /^\[1\/2\] trial \d {2}f1_macro \d\.\d{4} ± \d\.\d{4} {2}\(\d+\.\ds\) {2}hidden_units=/m,
  );
  assert.match(stdout, /^\[2\/2\] trial \d /m);
  assert.match(stdout, /^rank {2}trial {2}params +f1_macro mean ± std {2}seconds$/m);
  assert.match(
    stdout,
    /^1 +\d {2}hidden_units=\[[\d,]+\] learning_rate=[\d.]+ +\d\.\d{4} ± \d\.\d{4}/m,
  );
  const runId = stdout.match(/^run: (\S+)$/m)?.[1];
  assert.ok(runId !== undefined, stdout);
  assert.deepEqual(await listRunIds(`${root}/models/experiments`), [runId]);
  const [studyId] = await listStudyIds(`${root}/models/experiments`);
  assert.equal((await readStudy(`${root}/models/experiments`, studyId!)).final_run?.id, runId);
});

Deno.test("deno task tune stops on Ctrl-C with status 130 and says how to resume", async () => {
  const root = await makeTempProject({ "config/model_config.yaml": TINY_MODEL_CONFIG });
  const { child, stderr } = startTune(root, [
    "--trials=8",
    "--folds=2",
    "--workers=1",
    "--set=training.epochs=40",
    "--set=logging.level=warning",
  ]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!/^\[1\/8\]/m.test(stdout)) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  child.kill("SIGINT");
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    stdout += chunk.value;
  }
  const status = await child.status;
  const errors = await stderr;
  assert.equal(status.code, 130, `${stdout}\n${errors}`);
  const studyId = errors.match(/--resume (\S+)/)?.[1];
  assert.ok(studyId !== undefined, errors);
  assert.match(errors, /tune: interrupted after \d of 8 trials/);
  assert.match(
    errors,
    /continue with: deno task tune --set "training\.epochs=40" --set "logging\.level=warning" --resume study-/,
  );
  const record = await readStudy(`${root}/models/experiments`, studyId);
  assert.equal(record.status, "interrupted");
  assert.ok(record.trials.length >= 1 && record.trials.length < 8);
  assert.deepEqual(await listRunIds(`${root}/models/experiments`), []);
});

Deno.test("deno task tune refuses a bad option with status 2 and names the closest strategy", async () => {
  const root = await makeTempProject({ "config/model_config.yaml": TINY_MODEL_CONFIG });
  const { child, stderr } = startTune(root, ["--strategy", "grd"]);
  const stdout = await new Response(child.stdout).text();
  const status = await child.status;
  assert.equal(status.code, 2, stdout);
  assert.equal(
    (await stderr).trim(),
    'tune: Cannot parse arguments: --strategy "grd" is not a strategy: did you mean "grid"; use grid or random',
  );
});

Deno.test("searchSpaceForTask() keeps class weighting for classification and skips it for regression", () => {
  const search: SearchConfig = {
    "training.class_weights": ["none", "balanced"],
    "model.params.dropout": [0, 0.2],
  };
  assert.deepEqual(searchSpaceForTask(search, "classification"), { search, skipped: [] });
  assert.deepEqual(searchSpaceForTask(search, "regression"), {
    search: { "model.params.dropout": [0, 0.2] },
    skipped: ["training.class_weights"],
  });
});

Deno.test("runStudy() tries class weighting on a classification and skips it, with a note, on a regression", async () => {
  const modelConfig = `${TINY_MODEL_CONFIG}  "training.class_weights": [none, balanced]\n`;
  {
    using _logs = captureLogs({ level: "error" });
    const loaded = await tinyProject(modelConfig);
    const specs = sampleTrials(loaded.config.search, { strategy: "grid", gridPoints: 2 });
    assert.deepEqual(
      [...new Set(specs.map((spec) => spec.params["training.class_weights"]))],
      ["none", "balanced"],
    );
  }
  using logs = captureLogs({ level: "info" });
  const loaded = await tinyProject(modelConfig, [
    "data.task=regression",
    'data.target="Body Mass (g)"',
    'features.steps[0].columns=["Beak Length (mm)","Beak Depth (mm)","Flipper Length (mm)"]',
    "split.method=random",
    "registry.primary_metric=rmse",
  ]);
  const study = await runStudy(loaded, { trials: 2, folds: 2, workers: 0, strategy: "random" });
  try {
    assert.equal(study.status, "finished");
    assert.deepEqual(study.failed, []);
    assert.deepEqual(Object.keys(study.record.search), [
      "model.params.hidden_units",
      "training.learning_rate",
    ]);
    for (const trial of study.leaderboard) {
      assert.equal(trial.status, "ok");
      assert.ok(!("training.class_weights" in trial.params));
    }
    assert.ok(
      logs.messages().some((m) =>
        m.includes("search.training.class_weights") && m.includes("skipped") &&
        m.includes("regression")
      ),
      logs.messages().join("\n"),
    );
  } finally {
    study.final?.model.dispose();
  }
});
