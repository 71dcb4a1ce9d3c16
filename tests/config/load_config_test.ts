import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Config,
  configToYaml,
  findProjectRoot,
  loadConfig,
  parseConfig,
  resolveProjectPath,
} from "../../src/config/mod.ts";
import { ConfigError } from "../../src/errors.ts";
// Registers the model families, whose params schemas check and default model.params.
import "../../src/models/families/mod.ts";

/** Writes a throw-away project (deno.json plus the given files) and returns its root. */
async function makeProject(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deno_mlops_config_" });
  await Deno.writeTextFile(join(root, "deno.json"), "{}\n");
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return root;
}

async function loadError(options: Parameters<typeof loadConfig>[0]): Promise<ConfigError> {
  try {
    await loadConfig(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail("expected loadConfig to throw a ConfigError");
}

const MINIMAL = "project:\n  name: tiny\n";

/** The two keys every profile must set, as the first lines of a profile file. */
const PROFILE_DATA = "data:\n  path: data/raw/x.csv\n  target: y\n";

Deno.test("loadConfig() fills schema defaults when only config.yaml exists", async () => {
  const root = await makeProject({ "config/config.yaml": MINIMAL });
  const { config, sources } = await loadConfig({ root });
  assert.equal(config.project.name, "tiny");
  assert.equal(config.training.epochs, 200);
  assert.deepEqual(config.model, {
    family: "mlp",
    params: { hidden_units: [32, 16], activation: "relu", dropout: 0, l2: 0 },
  });
  assert.deepEqual(config.logging, { level: "info", format: "auto", file: null, categories: {} });
  assert.deepEqual(sources, ["config/config.yaml"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() throws ConfigError naming the path when config.yaml is missing", async () => {
  const root = await makeProject({});
  const error = await loadError({ root });
  assert.match(error.message, /config\.yaml" does not exist/);
  assert.ok(error.message.includes(join(root, "config", "config.yaml")));
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() throws ConfigError listing available profiles when the profile is missing", async () => {
  const root = await makeProject({
    "config/config.yaml": MINIMAL,
    "config/profiles/cars.yaml": "project:\n  name: cars\n",
  });
  const error = await loadError({ root, profile: "crs" });
  assert.ok(error.message.includes(join(root, "config", "profiles", "crs.yaml")));
  assert.match(error.message, /available profiles are "cars": did you mean "cars"/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() deep-merges a profile and keeps keys the profile does not set", async () => {
  const root = await makeProject({
    "config/config.yaml": [
      "training:",
      "  epochs: 50",
      "  early_stopping:",
      "    patience: 5",
      "validation:",
      "  columns:",
      "    a: { dtype: float }",
    ].join("\n"),
    "config/profiles/fast.yaml": [
      PROFILE_DATA,
      "training:",
      "  early_stopping:",
      "    enabled: false",
      "validation:",
      "  columns:",
      "    b: { dtype: int }",
    ].join("\n"),
  });
  const { config, sources } = await loadConfig({ root, profile: "config/profiles/fast.yaml" });
  assert.equal(config.training.epochs, 50);
  assert.equal(config.training.early_stopping.patience, 5);
  assert.equal(config.training.early_stopping.enabled, false);
  assert.deepEqual(Object.keys(config.validation.columns), ["a", "b"]);
  assert.deepEqual(sources, ["config/config.yaml", "config/profiles/fast.yaml"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() replaces a subtree tagged !replace instead of merging it", async () => {
  const root = await makeProject({
    "config/config.yaml": [
      "validation:",
      "  min_rows: 10",
      "  columns:",
      "    a: { dtype: float }",
      "cleaning:",
      "  na_values: { a: ['.'] }",
      "  trim_strings: false",
    ].join("\n"),
    "config/profiles/other.yaml": [
      PROFILE_DATA,
      "validation:",
      "  columns: !replace",
      "    b: { dtype: int }",
      "cleaning: !replace",
      "  nulls: { b: { strategy: median } }",
    ].join("\n"),
  });
  const { config } = await loadConfig({ root, profile: "other" });
  assert.deepEqual(Object.keys(config.validation.columns), ["b"]);
  assert.equal(config.validation.min_rows, 10);
  assert.deepEqual(config.cleaning.na_values, {});
  assert.equal(config.cleaning.trim_strings, true, "a replaced section falls back to defaults");
  assert.deepEqual(config.cleaning.nulls, { b: { strategy: "median" } });
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() applies --set values parsed as YAML: numbers, lists, booleans, indexes and quoted keys", async () => {
  const root = await makeProject({
    "config/config.yaml": MINIMAL,
    "config/model_config.yaml": "model:\n  family: mlp\n  params:\n    hidden_units: [32, 16]\n",
  });
  const { config, sources } = await loadConfig({
    root,
    overrides: [
      "training.epochs=5",
      "data.id_columns=[id, name]",
      "training.early_stopping.enabled=false",
      "model.params.hidden_units[1]=8",
      'cleaning.nulls."Body Mass (g)".strategy=median',
      'project.name="007"',
    ],
  });
  assert.equal(config.training.epochs, 5);
  assert.deepEqual(config.data.id_columns, ["id", "name"]);
  assert.equal(config.training.early_stopping.enabled, false);
  assert.deepEqual(config.model.family === "mlp" && config.model.params.hidden_units, [32, 8]);
  assert.deepEqual(config.cleaning.nulls, { "Body Mass (g)": { strategy: "median" } });
  assert.equal(config.project.name, "007", "a quoted YAML value stays a string");
  assert.equal(sources.at(-1), '--set project.name="007"');
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() indexes a list that only exists as a schema default", async () => {
  const root = await makeProject({ "config/config.yaml": MINIMAL });
  const { config } = await loadConfig({ root, overrides: ["model.params.hidden_units[0]=64"] });
  assert.deepEqual(config.model, {
    family: "mlp",
    params: { hidden_units: [64, 16], activation: "relu", dropout: 0, l2: 0 },
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reads DENO_MLOPS__ environment overrides and ignores other variables", async () => {
  const root = await makeProject({ "config/config.yaml": MINIMAL });
  // Variables apply in name order, so the whole list is set before its first item.
  const { config, sources } = await loadConfig({
    root,
    env: {
      DENO_MLOPS__TRAINING__EPOCHS: "7",
      DENO_MLOPS__MODEL__PARAMS__HIDDEN_UNITS: "[8, 4]",
      DENO_MLOPS__MODEL__PARAMS__HIDDEN_UNITS__0: "9",
      DENO_MLOPS_TRAINING_EPOCHS: "1",
      HOME: "/home/someone",
    },
  });
  assert.equal(config.training.epochs, 7);
  assert.deepEqual(config.model.family === "mlp" && config.model.params.hidden_units, [9, 4]);
  assert.deepEqual(sources.slice(1), [
    "env DENO_MLOPS__MODEL__PARAMS__HIDDEN_UNITS",
    "env DENO_MLOPS__MODEL__PARAMS__HIDDEN_UNITS__0",
    "env DENO_MLOPS__TRAINING__EPOCHS",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() never prints a plain token pasted into serve.tokens, from a file, env or --set", async () => {
  const secret = "plain-token-pasted-by-mistake";
  const entry = `[{name: ci, scope: predict, sha256: ${secret}}]`;
  const root = await makeProject({
    "config/config.yaml":
      `${MINIMAL}serve:\n  tokens:\n    - { name: ci, scope: predict, sha256: ${secret} }\n`,
  });
  const attempts = [
    () => loadConfig({ root }),
    () => loadConfig({ root, env: { DENO_MLOPS__SERVE__TOKENS: entry } }),
    () => loadConfig({ root, overrides: [`serve.tokens=${entry}`] }),
  ];
  for (const attempt of attempts) {
    await assert.rejects(attempt, (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /serve\.tokens\[0\]\.sha256: expected .*, got a value not shown/);
      assert.doesNotMatch(error.message, new RegExp(secret));
      assert.doesNotMatch(JSON.stringify(error.issues), new RegExp(secret));
      return true;
    });
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() applies layers in the order base < profile < env < --set", async () => {
  const root = await makeProject({
    "config/config.yaml": "training:\n  epochs: 1\n  batch_size: 1\n  learning_rate: 0.1\n",
    "config/profiles/p.yaml": `${PROFILE_DATA}training:\n  epochs: 2\n  batch_size: 2\n`,
  });
  const { config } = await loadConfig({
    root,
    profile: "p",
    env: { DENO_MLOPS__TRAINING__EPOCHS: "3" },
    overrides: ["training.epochs=4"],
  });
  assert.equal(config.training.learning_rate, 0.1);
  assert.equal(config.training.batch_size, 2);
  assert.equal(config.training.epochs, 4);
  const withoutSet = await loadConfig({
    root,
    profile: "p",
    env: { DENO_MLOPS__TRAINING__EPOCHS: "3" },
  });
  assert.equal(withoutSet.config.training.epochs, 3);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports a typo, a wrong type and a negative hidden unit in one ConfigError", async () => {
  const root = await makeProject({
    "config/config.yaml": [
      "# training settings",
      "training:",
      "  epochs: ten",
      "  epocs: 5",
    ].join("\n"),
    "config/model_config.yaml": [
      "model:",
      "  family: mlp",
      "  params:",
      "    hidden_units:",
      "      - 32",
      "      - -3",
    ].join("\n"),
  });
  const error = await loadError({ root });
  assert.deepEqual(error.issues, [
    {
      file: "config/config.yaml",
      line: 3,
      column: 11,
      path: "training.epochs",
      message: 'expected a positive integer, got "ten"',
    },
    {
      file: "config/config.yaml",
      line: 4,
      column: 3,
      path: "training.epocs",
      message: 'unknown key "epocs": did you mean "epochs"',
    },
    {
      file: "config/model_config.yaml",
      line: 6,
      column: 9,
      path: "model.params.hidden_units[1]",
      message: "expected a positive integer, got -3",
    },
  ]);
  assert.equal(
    error.message,
    [
      "Cannot load config: 3 problems found, fix them and try again",
      'config/config.yaml:3:11 training.epochs: expected a positive integer, got "ten"',
      'config/config.yaml:4:3 training.epocs: unknown key "epocs": did you mean "epochs"',
      "config/model_config.yaml:6:9 model.params.hidden_units[1]: expected a positive integer, got -3",
    ].join("\n"),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() points at the profile for a value the profile overrode, and at --set for overrides", async () => {
  const root = await makeProject({
    "config/config.yaml": "split:\n  method: random\n",
    "config/profiles/p.yaml": `${PROFILE_DATA}split:\n  method: stratifed\n`,
  });
  const error = await loadError({ root, profile: "p", overrides: ["training.optimizer=adamw"] });
  assert.deepEqual(error.issues, [
    {
      file: "config/profiles/p.yaml",
      line: 5,
      column: 11,
      path: "split.method",
      message: 'expected one of "random" | "stratified" | "group" | "time", got "stratifed"',
    },
    {
      file: "--set",
      line: 0,
      column: 0,
      path: "training.optimizer",
      message:
        'expected one of "adam" | "sgd" | "rmsprop", got "adamw" (from --set training.optimizer=adamw)',
    },
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports malformed and impossible --set overrides", async () => {
  const root = await makeProject({ "config/config.yaml": MINIMAL });
  const error = await loadError({
    root,
    overrides: [
      "training.epochs",
      "training.epochs.value=3",
      "data.id_columns[4]=x",
      "trainig.epochs=3",
      "data.columns[0]=x",
    ],
  });
  assert.equal(error.issues.length, 5);
  assert.match(error.issues[0]!.message, /no "=" after the key path: expected key\.path=value/);
  assert.match(error.issues[1]!.message, /"training\.epochs" is 200, not a map or list/);
  assert.match(error.issues[2]!.message, /index 4 is out of range: "data\.id_columns" has 0 items/);
  assert.equal(
    error.issues[3]!.message,
    'unknown key "trainig": did you mean "training" (from --set trainig.epochs=3)',
  );
  assert.match(
    error.issues[4]!.message,
    /"data\.columns" is not set in any file, so it has no list/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() suggests the closest section for an unknown top-level key", async () => {
  const root = await makeProject({ "config/config.yaml": "trainig:\n  epochs: 3\n" });
  const error = await loadError({ root });
  assert.deepEqual(error.issues, [{
    file: "config/config.yaml",
    line: 1,
    column: 1,
    path: "trainig",
    message: 'unknown key "trainig": did you mean "training"',
  }]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports a section written in the wrong base file", async () => {
  const root = await makeProject({ "config/config.yaml": "model:\n  family: mlp\n" });
  const error = await loadError({ root });
  assert.equal(error.issues.length, 1);
  assert.equal(error.issues[0]!.path, "model");
  assert.match(error.issues[0]!.message, /belongs in config\/model_config\.yaml/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() checks that split ratios add up to 1 and search keys name config values", async () => {
  const root = await makeProject({
    "config/config.yaml": "split:\n  ratios: { train: 0.8, val: 0.15, test: 0.15 }\n",
    "config/model_config.yaml": 'search:\n  "training.learnin_rate": [0.1]\n',
  });
  const error = await loadError({ root });
  assert.deepEqual(
    error.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`),
    [
      "config/config.yaml:2:11 split.ratios: expected train + val + test to add up to 1, got 1.1 (0.8 + 0.15 + 0.15)",
      'config/model_config.yaml:2:3 search."training.learnin_rate": unknown config path "training.learnin_rate": did you mean "learning_rate"',
    ],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports a YAML syntax error with its file, line and column", async () => {
  const root = await makeProject({
    "config/config.yaml": "training:\n  epochs: 5\n  batch_size: 8: 9\n",
  });
  const error = await loadError({ root });
  assert.deepEqual(error.issues, [{
    file: "config/config.yaml",
    line: 3,
    column: 15,
    path: "",
    message: "Nested mappings are not allowed in compact mappings",
  }]);
  assert.equal(
    error.message,
    'Cannot parse "config/config.yaml": invalid YAML, fix the syntax and try again\n' +
      "config/config.yaml:3:15 Nested mappings are not allowed in compact mappings",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports a duplicate key as a YAML error", async () => {
  const root = await makeProject({ "config/config.yaml": "training:\n  epochs: 5\n  epochs: 6\n" });
  const error = await loadError({ root });
  assert.match(error.message, /config\/config\.yaml:3:3 Map keys must be unique/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() refuses an alias bomb", async () => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"]]) {
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const root = await makeProject({ "config/config.yaml": `${levels.join("\n")}\n` });
  const error = await loadError({ root });
  assert.match(error.message, /aliases expand to too many nodes/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() refuses documents nested deeper than 64 levels", async () => {
  const deep = `${"[".repeat(70)}1${"]".repeat(70)}`;
  const root = await makeProject({ "config/config.yaml": `project:\n  name: ${deep}\n` });
  const error = await loadError({ root });
  assert.match(error.message, /nested deeper than 64 levels/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() rejects __proto__ keys without polluting Object.prototype", async () => {
  const root = await makeProject({
    "config/config.yaml": "training:\n  __proto__:\n    polluted: true\n",
  });
  const error = await loadError({ root });
  assert.match(error.message, /forbidden key "__proto__"/);
  assert.equal(error.issues[0]!.line, 2);
  const setError = await loadError({
    root,
    overrides: ["__proto__.polluted=true", "training.constructor.prototype.polluted=true"],
  });
  assert.equal(setError.issues.length, 3, "the file's key and both overrides are reported");
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() resolves path fields against the root, also from a subfolder cwd", async () => {
  const root = await makeProject({
    "config/config.yaml": "data:\n  path: data/raw/x.csv\n",
    "config/logging_config.yaml": "logging:\n  file: logs/run.jsonl\n",
    "notebooks/.keep": "",
  });
  const cwd = Deno.cwd();
  Deno.chdir(join(root, "notebooks"));
  try {
    assert.equal(findProjectRoot(), await Deno.realPath(root));
    const { config, root: found } = await loadConfig();
    assert.equal(config.data.path, join(found, "data", "raw", "x.csv"));
    assert.equal(config.logging.file, join(found, "logs", "run.jsonl"));
    assert.equal(config.registry.experiments_dir, join(found, "models", "experiments"));
    assert.equal(config.registry.production_dir, join(found, "models", "production"));
  } finally {
    Deno.chdir(cwd);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("findProjectRoot() throws ConfigError when no folder above holds deno.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno_mlops_noroot_" });
  assert.throws(() => findProjectRoot(dir), {
    name: "ConfigError",
    message: /no "deno\.json" in ".+" or any folder above it/,
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveProjectPath() joins relative paths to the root and keeps absolute ones", () => {
  assert.equal(
    resolveProjectPath("/repo", "data/raw/a.csv"),
    join("/repo", "data", "raw", "a.csv"),
  );
  assert.equal(resolveProjectPath("/repo", "/elsewhere/../a.csv"), join("/a.csv"));
  assert.throws(() => resolveProjectPath("/repo", ""), { name: "TypeError" });
});

Deno.test("loadConfig() hash is stable under key order and clone location and changes with a value", async () => {
  const a = await makeProject({
    "config/config.yaml": "training:\n  epochs: 5\n  batch_size: 8\nsplit:\n  seed: 1\n",
  });
  const b = await makeProject({
    "config/config.yaml": "split:\n  seed: 1\ntraining:\n  batch_size: 8\n  epochs: 5\n",
  });
  const c = await makeProject({
    "config/config.yaml": "split:\n  seed: 1\ntraining:\n  batch_size: 8\n  epochs: 6\n",
  });
  const [ha, hb, hc] = await Promise.all(
    [a, b, c].map(async (root) => (await loadConfig({ root })).hash),
  );
  assert.match(ha!, /^[0-9a-f]{64}$/);
  assert.equal(ha, hb);
  assert.notEqual(ha, hc);
  for (const root of [a, b, c]) await Deno.remove(root, { recursive: true });
});

Deno.test("configToYaml() snapshot loads back to the same config and hash", async () => {
  const root = await makeProject({
    "config/config.yaml":
      'data:\n  path: data/raw/x.csv\ncleaning:\n  nulls:\n    "Body Mass (g)": { strategy: median }\n',
    "config/model_config.yaml":
      'search:\n  "training.learning_rate": { low: 0.001, high: 0.1, scale: log }\n',
    "config/profiles/p.yaml": `${PROFILE_DATA}training:\n  epochs: 3\n`,
  });
  const original = await loadConfig({ root, profile: "p" });
  const yaml = configToYaml(original.config, root);
  assert.match(yaml, /path: data\/raw\/x\.csv/);
  assert.ok(!yaml.includes(root), "snapshot paths are root-relative");
  await Deno.mkdir(join(root, "models", "run1"), { recursive: true });
  await Deno.writeTextFile(join(root, "models", "run1", "config.yaml"), yaml);
  const again = await loadConfig({ root, snapshot: "models/run1/config.yaml" });
  assert.equal(again.hash, original.hash);
  assert.deepEqual(again.config, original.config);
  assert.deepEqual(again.sources, ["models/run1/config.yaml"]);
  const config: Config = again.config;
  assert.equal(config.training.epochs, 3);
  await Deno.remove(root, { recursive: true });
});

Deno.test("parseConfig() validates an in-memory object with defaults and paths left as given", () => {
  const config = parseConfig({
    data: { path: "tests/fixtures/tiny.csv" },
    training: { epochs: 2 },
  });
  assert.equal(config.data.path, "tests/fixtures/tiny.csv");
  assert.equal(config.training.epochs, 2);
  assert.equal(config.split.method, "stratified");
});

Deno.test("parseConfig() reports every problem with its key path", () => {
  const raw = JSON.parse('{"training": {"epochs": -1, "__proto__": {"x": 1}}, "modle": {}}');
  assert.throws(() => parseConfig(raw), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`),
      [
        '<object>:0:0 training: forbidden key "__proto__": it could change object prototypes',
        "<object>:0:0 training.epochs: expected a positive integer, got -1",
        '<object>:0:0 modle: unknown key "modle": did you mean "model"',
      ],
    );
    return true;
  });
  assert.throws(() => parseConfig([1]), { name: "ConfigError", message: /got an array/ });
});

Deno.test("parseConfig() defaults training.threads to 1 and refuses 0, fractions and more than 64", () => {
  assert.equal(parseConfig({}).training.threads, 1);
  assert.equal(parseConfig({ training: { threads: 2 } }).training.threads, 2);
  for (const threads of [0, 1.5, 65]) {
    assert.throws(() => parseConfig({ training: { threads } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues.map((i) => i.path), ["training.threads"]);
      return true;
    }, `threads ${threads}`);
  }
});

Deno.test("loadConfig() switches model.family from a profile or --set: the other family's params and search spaces are dropped", async () => {
  const root = await makeProject({
    "config/config.yaml": MINIMAL,
    "config/model_config.yaml": [
      "model:",
      "  family: mlp",
      "  params:",
      "    hidden_units: [8]",
      "    dropout: 0.2",
      "search:",
      "  model.params.dropout: [0, 0.1]",
      "  training.learning_rate: [0.01, 0.1]",
    ].join("\n"),
    "config/profiles/lin.yaml": `${PROFILE_DATA}model:\n  family: linear\n  params:\n    l2: 0.5\n`,
  });
  const viaSet = await loadConfig({ root, overrides: ["model.family=linear"] });
  assert.deepEqual(viaSet.config.model, { family: "linear", params: { l2: 0 } });
  assert.deepEqual(Object.keys(viaSet.config.search), ["training.learning_rate"]);
  const withParams = await loadConfig({
    root,
    overrides: ["model.family=baseline", "model.family=linear", "model.params.l2=0.1"],
  });
  assert.deepEqual(withParams.config.model, { family: "linear", params: { l2: 0.1 } });
  const viaProfile = await loadConfig({ root, profile: "lin" });
  assert.deepEqual(viaProfile.config.model, { family: "linear", params: { l2: 0.5 } });
  const same = await loadConfig({ root, overrides: ["model.family=mlp"] });
  assert.deepEqual(same.config.model, {
    family: "mlp",
    params: { hidden_units: [8], activation: "relu", dropout: 0.2, l2: 0 },
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports params of another family written beside model.family, and an unknown family", async () => {
  const root = await makeProject({
    "config/config.yaml": MINIMAL,
    "config/model_config.yaml": "model:\n  family: linear\n  params:\n    hidden_units: [8]\n",
  });
  const error = await loadError({ root });
  assert.deepEqual(
    error.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`),
    ['config/model_config.yaml:4 model.params.hidden_units: unknown key "hidden_units"'],
  );
  const unknown = await loadError({ root, overrides: ["model.family=forest"] });
  assert.equal(unknown.issues.length, 1);
  assert.equal(unknown.issues[0]!.path, "model.family");
  assert.match(unknown.issues[0]!.message, /expected one of "mlp" \| "linear" \| "baseline"/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("resolveProjectPath() leaves a URL (a remote data source) as given", () => {
  assert.equal(resolveProjectPath("/repo", "s3://bucket/penguins.csv"), "s3://bucket/penguins.csv");
  assert.equal(resolveProjectPath("/repo", "data/raw/a.csv"), join("/repo", "data/raw/a.csv"));
});

Deno.test("a config snapshot of a linear model reloads to the same config and hash", async () => {
  const root = await makeProject({ "config/config.yaml": MINIMAL });
  const loaded = await loadConfig({
    root,
    overrides: ["model.family=linear", "model.params.l2=0.2"],
  });
  await Deno.writeTextFile(join(root, "snapshot.yaml"), configToYaml(loaded.config, root));
  const again = await loadConfig({ root, snapshot: "snapshot.yaml" });
  assert.deepEqual(again.config.model, { family: "linear", params: { l2: 0.2 } });
  assert.equal(again.hash, loaded.hash);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() merges the profile config.yaml names, and a chosen profile instead of it", async () => {
  const root = await makeProject({
    "config/config.yaml": "profile: first\ntraining:\n  epochs: 9\n",
    "config/profiles/first.yaml": [
      "project: { name: first }",
      "data: { path: data/raw/first.csv, target: a }",
      "validation:",
      "  columns:",
      "    a: { dtype: string }",
    ].join("\n"),
    "config/profiles/second.yaml": [
      "project: { name: second }",
      "data: { path: data/raw/second.csv, target: b, task: regression }",
      "validation:",
      "  columns:",
      "    b: { dtype: float }",
    ].join("\n"),
  });
  const byDefault = await loadConfig({ root });
  assert.deepEqual(byDefault.sources, ["config/config.yaml", "config/profiles/first.yaml"]);
  assert.equal(byDefault.config.project.name, "first");
  assert.equal(byDefault.config.data.target, "a");
  assert.equal(byDefault.config.training.epochs, 9);
  const chosen = await loadConfig({ root, profile: "second" });
  assert.deepEqual(chosen.sources, ["config/config.yaml", "config/profiles/second.yaml"]);
  assert.equal(chosen.config.project.name, "second");
  assert.equal(chosen.config.data.path, join(root, "data", "raw", "second.csv"));
  assert.deepEqual(Object.keys(chosen.config.validation.columns), ["b"], "first is not merged");
  assert.equal(chosen.config.training.epochs, 9, "config.yaml still applies");
  await Deno.writeTextFile(join(root, "snapshot.yaml"), configToYaml(chosen.config, root));
  const again = await loadConfig({ root, snapshot: "snapshot.yaml" });
  assert.deepEqual(again.sources, ["snapshot.yaml"], "no default profile over a snapshot");
  assert.equal(again.hash, chosen.hash);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() reports a default profile that does not exist, with the key to fix", async () => {
  const root = await makeProject({
    "config/config.yaml": "profile: pengiuns\n",
    "config/profiles/penguins.yaml": PROFILE_DATA,
  });
  const error = await loadError({ root });
  assert.match(
    error.message,
    /profile "pengiuns": ".+pengiuns\.yaml" does not exist \(available profiles are "penguins": did you mean "penguins"\), fix the "profile" key of config\/config\.yaml, or pick a profile with --config/,
  );
  const listed = await makeProject({ "config/config.yaml": "profile: [a, b]\n" });
  const listError = await loadError({ root: listed });
  assert.deepEqual(listError.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`), [
    'config/config.yaml:1 profile: expected the name of a profile in config/profiles/ (e.g. penguins) or a path to one, got ["a", "b"]',
  ]);
  const overridden = await loadError({
    root: await makeProject({ "config/config.yaml": MINIMAL }),
    env: { DENO_MLOPS__PROFILE: "cars" },
    overrides: ["profile=cars"],
  });
  assert.deepEqual(overridden.issues.map((i) => `${i.file} ${i.path}: ${i.message}`), [
    "env profile: the profile cannot be overridden: pick one with --config NAME (the profile option), or change the default in config/config.yaml (from env DENO_MLOPS__PROFILE=cars)",
    "--set profile: the profile cannot be overridden: pick one with --config NAME (the profile option), or change the default in config/config.yaml (from --set profile=cars)",
  ]);
  for (const dir of [root, listed]) await Deno.remove(dir, { recursive: true });
});

Deno.test("loadConfig() requires a profile to name data.path and data.target, and no other profile", async () => {
  const root = await makeProject({
    "config/config.yaml": MINIMAL,
    "config/profiles/bare.yaml": "profile: other\ndata:\n  task: regression\n",
    "config/profiles/empty.yaml": "training: { epochs: 3 }\n",
  });
  const error = await loadError({ root, profile: "bare" });
  assert.deepEqual(
    error.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`),
    [
      "config/profiles/bare.yaml:1:1 profile: a profile cannot name another profile: remove the key (config/config.yaml names the default profile, --config picks another)",
      'config/profiles/bare.yaml:2:1 data.path: the profile "config/profiles/bare.yaml" does not set data.path: every profile names its own data file, add "path: data/raw/my_data.csv" under "data:"',
      'config/profiles/bare.yaml:2:1 data.target: the profile "config/profiles/bare.yaml" does not set data.target: every profile names its own target column, add "target: the column to predict" under "data:"',
    ],
  );
  const empty = await loadError({ root, profile: "empty" });
  assert.deepEqual(empty.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}`), [
    "config/profiles/empty.yaml:1:1 data.path",
    "config/profiles/empty.yaml:1:1 data.target",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() defaults the split method and primary metric by task", async () => {
  const profile = (data: string, extra = "") =>
    `data:\n  path: data/raw/x.csv\n  target: y\n${data}${extra}`;
  const root = await makeProject({
    "config/config.yaml": "split:\n  ratios: { train: 0.6, val: 0.2, test: 0.2 }\n",
    "config/profiles/multi.yaml": profile(
      "",
      "validation:\n  columns:\n    y: { allowed: [a, b, c] }\n",
    ),
    "config/profiles/binary.yaml": profile(
      "",
      "validation:\n  columns:\n    y: { allowed: [no, yes] }\n",
    ),
    "config/profiles/derived.yaml": profile(
      "  derive_target: { source: delay, greater_than: 15 }\n",
    ),
    "config/profiles/numbers.yaml": profile("  task: regression\n"),
    "config/profiles/timed.yaml": profile("  task: regression\n", "split:\n  time_column: t\n"),
    "config/profiles/chosen.yaml": profile(
      "  task: regression\n",
      "split:\n  method: group\n  group_column: g\nregistry:\n  primary_metric: mae\n",
    ),
  });
  const found: Record<string, [string, string]> = {};
  for (const name of ["multi", "binary", "derived", "numbers", "timed", "chosen"]) {
    const { config } = await loadConfig({ root, profile: name });
    found[name] = [config.split.method, config.registry.primary_metric];
    assert.deepEqual(config.split.ratios, { train: 0.6, val: 0.2, test: 0.2 });
  }
  assert.deepEqual(found, {
    multi: ["stratified", "f1_macro"],
    binary: ["stratified", "roc_auc"],
    derived: ["stratified", "roc_auc"],
    numbers: ["random", "rmse"],
    timed: ["time", "rmse"],
    chosen: ["group", "mae"],
  });
  const regression = await loadConfig({
    root,
    profile: "multi",
    overrides: ["data.task=regression"],
  });
  assert.deepEqual(
    [regression.config.split.method, regression.config.registry.primary_metric],
    ["random", "rmse"],
  );
  assert.deepEqual(
    [
      parseConfig({ data: { task: "regression" } }).registry.primary_metric,
      parseConfig({}).split.method,
    ],
    ["rmse", "stratified"],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() refuses a primary metric of the other task, listing the task's metrics", async () => {
  const root = await makeProject({
    "config/config.yaml": MINIMAL,
    "config/profiles/cls.yaml": `${PROFILE_DATA}registry:\n  primary_metric: rmse\n`,
    "config/profiles/reg.yaml":
      `${PROFILE_DATA}  task: regression\nregistry:\n  primary_metric: f1_macro\n`,
  });
  const classification = await loadError({ root, profile: "cls" });
  assert.deepEqual(
    classification.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`),
    [
      'config/profiles/cls.yaml:5:19 registry.primary_metric: "rmse" is a regression metric but data.task is "classification", set one of the classification metrics: "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted", "recall_weighted", "f1_weighted", "roc_auc", "log_loss"',
    ],
  );
  const regression = await loadError({ root, profile: "reg" });
  assert.deepEqual(regression.issues.map((i) => `${i.path}: ${i.message}`), [
    'registry.primary_metric: "f1_macro" is a classification metric but data.task is "regression", set one of the regression metrics: "mae", "rmse", "r2", "mape"',
  ]);
  const typo = await loadError({ root, overrides: ["registry.primary_metric=f1_makro"] });
  assert.deepEqual(typo.issues.map((i) => `${i.file} ${i.path}: ${i.message}`), [
    '--set registry.primary_metric: unknown metric "f1_makro", set one of the classification metrics: "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_weighted", "recall_weighted", "f1_weighted", "roc_auc", "log_loss": did you mean "f1_macro" (from --set registry.primary_metric=f1_makro)',
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadConfig() defaults serve.drift and refuses settings under which no drift check runs", async () => {
  const root = await makeProject({ "config/config.yaml": MINIMAL });
  const { config } = await loadConfig({ root });
  assert.deepEqual(config.serve.drift, {
    enabled: true,
    interval_s: 60,
    reservoir_rows: 1000,
    min_rows: 100,
  });
  const above = await loadError({
    root,
    overrides: ["serve.drift.reservoir_rows=50", "serve.drift.min_rows=100"],
  });
  assert.match(
    above.message,
    /serve\.drift\.min_rows: expected at most serve\.drift\.reservoir_rows \(no check would ever run\), got 100/,
  );
  const huge = await loadError({ root, overrides: ["serve.drift.reservoir_rows=200000"] });
  assert.match(huge.message, /serve\.drift\.reservoir_rows/);
  const zero = await loadError({ root, overrides: ["serve.drift.interval_s=0"] });
  assert.match(zero.message, /serve\.drift\.interval_s/);
  await Deno.remove(root, { recursive: true });
});
