import assert from "node:assert/strict";
import {
  formatKeyPath,
  getAtKeyPath,
  loadConfig,
  parseKeyPath,
  readKeyPath,
  setAtKeyPath,
} from "../../src/config/mod.ts";
import { applyTrialParams, sampleTrials } from "../../src/pipelines/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

Deno.test("parseKeyPath() reads map keys, list indexes and quoted keys; formatKeyPath() writes them back", () => {
  const cases: [string, (string | number)[]][] = [
    ["training.learning_rate", ["training", "learning_rate"]],
    ["model.params.hidden_units[1]", ["model", "params", "hidden_units", 1]],
    ['cleaning.nulls."Body Mass (g)".strategy', ["cleaning", "nulls", "Body Mass (g)", "strategy"]],
    ['a."say \\"hi\\"".b', ["a", 'say "hi"', "b"]],
  ];
  for (const [text, segments] of cases) {
    assert.deepEqual(parseKeyPath(text), segments, text);
    assert.deepEqual(parseKeyPath(formatKeyPath(segments)), segments, text);
  }
  for (const bad of ["", "a..b", "a[x]", 'a."b', "a]b"]) {
    assert.throws(() => parseKeyPath(bad), { name: "SyntaxError", message: /is not a key path/ });
  }
  assert.deepEqual(readKeyPath("training.epochs=3", true), {
    segments: ["training", "epochs"],
    end: 15,
  });
});

Deno.test("getAtKeyPath() and setAtKeyPath() walk maps and lists", () => {
  const tree: Record<string, unknown> = { model: { params: { hidden_units: [32, 16] } } };
  assert.equal(getAtKeyPath(tree, ["model", "params", "hidden_units", 1]), 16);
  assert.equal(getAtKeyPath(tree, ["model", "nothing", 0]), undefined);
  assert.equal(setAtKeyPath(tree, ["model", "params", "hidden_units", 0], 8), null);
  assert.equal(setAtKeyPath(tree, ["training", "learning_rate"], 0.1), null);
  assert.deepEqual(tree, {
    model: { params: { hidden_units: [8, 16] } },
    training: { learning_rate: 0.1 },
  });
  assert.deepEqual(setAtKeyPath(tree, ["model", "params", "hidden_units", 5], 1), {
    where: "model.params.hidden_units.5",
    expected: "list",
    listLength: 2,
  });
  assert.deepEqual(setAtKeyPath(tree, ["training", "learning_rate", "x"], 1), {
    where: "training.learning_rate.x",
    expected: "map",
    listLength: 0,
  });
});

Deno.test("a search key that the config loader accepts is one that tune can apply", async () => {
  // Config loading and tune read key paths with the same grammar: spaces around a name and an
  // escaped quote in a quoted key are accepted by both, so validation and applying agree.
  const root = await makeTempProject({
    "config/model_config.yaml": `
model:
  family: mlp
  params: { hidden_units: [8], activation: relu, dropout: 0, l2: 0 }
search:
  "training. learning_rate": [0.02, 0.03]
  'model.params."hidden_units"[0]': [4]
`,
  });
  const { config } = await loadConfig({ root });
  const [trial] = sampleTrials(config.search, { strategy: "grid" });
  assert.ok(trial !== undefined);
  const applied = applyTrialParams(config, trial.params);
  assert.equal(applied.training.learning_rate, 0.02);
  assert.deepEqual(applied.model.family === "mlp" && applied.model.params.hidden_units, [4]);

  const invalid = await makeTempProject({
    "config/model_config.yaml": `search:\n  "training..learning_rate": [0.02]\n`,
  });
  await assert.rejects(loadConfig({ root: invalid }), {
    name: "ConfigError",
    message: /is not a key path/,
  });
});
