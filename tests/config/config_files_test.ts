import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { parse } from "yaml";
import { type ColumnRules, findProjectRoot, loadConfig } from "../../src/config/mod.ts";
// Registers the model families, whose params schemas check and default model.params.
import "../../src/models/families/mod.ts";

const ROOT = findProjectRoot(fileURLToPath(new URL(".", import.meta.url)));
const MEASUREMENTS = [
  "Beak Length (mm)",
  "Beak Depth (mm)",
  "Flipper Length (mm)",
  "Body Mass (g)",
];
const CARS_SOURCE = join(ROOT, "node_modules", "vega-datasets", "data", "cars.json");

/** Counts the rows breaking each rule, as `column rule: rows`, skipping rules with none. */
function violations(df: pl.DataFrame, columns: Record<string, ColumnRules>): string[] {
  const found: string[] = [];
  for (const [name, rules] of Object.entries(columns)) {
    const values = df.getColumn(name).toArray() as unknown[];
    const present = values.filter((v) => v !== null && v !== undefined);
    const counts: [string, number][] = [
      ["nullable", rules.nullable ? 0 : values.length - present.length],
      ["min", rules.min === undefined ? 0 : present.filter((v) => Number(v) < rules.min!).length],
      ["max", rules.max === undefined ? 0 : present.filter((v) => Number(v) > rules.max!).length],
      [
        "allowed",
        rules.allowed === undefined
          ? 0
          : present.filter((v) => !rules.allowed!.includes(v as string | number | boolean)).length,
      ],
    ];
    for (const [rule, count] of counts) if (count > 0) found.push(`${name} ${rule}: ${count}`);
  }
  return found;
}

Deno.test("config/*.yaml load as the penguins species task, the default profile", async () => {
  const { config, root, sources } = await loadConfig({ root: ROOT });
  assert.equal(root, ROOT);
  assert.deepEqual(sources, [
    "config/config.yaml",
    "config/model_config.yaml",
    "config/logging_config.yaml",
    "config/profiles/penguins.yaml",
  ]);
  assert.deepEqual(config.project, { name: "penguins", seed: 42 });
  assert.equal(config.data.path, join(ROOT, "data", "raw", "penguins.csv"));
  assert.equal(config.data.target, "Species");
  assert.equal(config.data.task, "classification");
  assert.equal(config.validation.strict, true);
  assert.equal(config.validation.min_rows, 100);
  assert.deepEqual(Object.keys(config.validation.columns), [
    "Species",
    "Island",
    ...MEASUREMENTS,
    "Sex",
  ]);
  assert.deepEqual(config.cleaning.na_values, { Sex: ["."] });
  assert.deepEqual(Object.keys(config.cleaning.nulls), [...MEASUREMENTS, "Sex"]);
  assert.deepEqual(config.split.ratios, { train: 0.7, val: 0.15, test: 0.15 });
  assert.equal(config.split.method, "stratified");
  assert.deepEqual(config.features.steps.map((s) => [s.name, s.columns, s.transformers[0]!.kind]), [
    ["numeric", MEASUREMENTS, "StandardScaler"],
    ["categorical", ["Island", "Sex"], "OneHotEncoder"],
  ]);
  assert.deepEqual(
    [config.training.epochs, config.training.batch_size, config.training.learning_rate],
    [200, 32, 0.01],
  );
  assert.deepEqual(config.training.early_stopping, {
    enabled: true,
    patience: 20,
    min_delta: 0,
    restore_best: true,
  });
  assert.equal(config.registry.primary_metric, "f1_macro");
  assert.deepEqual([config.serve.host, config.serve.port], ["127.0.0.1", 8000]);
  assert.deepEqual(config.serve.drift, {
    enabled: true,
    interval_s: 60,
    reservoir_rows: 1000,
    min_rows: 100,
  });
  assert.deepEqual(config.model, {
    family: "mlp",
    params: { hidden_units: [32, 16], activation: "relu", dropout: 0.1, l2: 0.0001 },
  });
  assert.deepEqual(Object.keys(config.search), [
    "model.params.hidden_units",
    "training.learning_rate",
    "model.params.dropout",
    "training.class_weights",
  ]);
  assert.deepEqual(config.search["training.class_weights"], ["none", "balanced"]);
  assert.deepEqual(config.logging, { level: "info", format: "auto", file: null, categories: {} });
});

Deno.test("the penguins validation schema flags exactly the known problems of the raw file", async () => {
  const { config } = await loadConfig({ root: ROOT });
  const df = pl.readCSV(config.data.path);
  assert.equal(df.height, 344);
  assert.deepEqual(violations(df, config.validation.columns), [
    "Beak Length (mm) nullable: 2",
    "Beak Depth (mm) nullable: 2",
    "Flipper Length (mm) nullable: 2",
    "Body Mass (g) nullable: 2",
    "Sex nullable: 10",
    "Sex allowed: 1",
  ]);
});

Deno.test("the cars profile is used instead of penguins, not merged over it", async () => {
  const { config, sources } = await loadConfig({
    root: ROOT,
    profile: "config/profiles/cars.yaml",
  });
  assert.equal(sources.at(-1), "config/profiles/cars.yaml");
  assert.equal(config.data.path, join(ROOT, "data", "raw", "cars.json"));
  assert.equal(config.data.target, "Miles_per_Gallon");
  assert.equal(config.data.task, "regression");
  assert.deepEqual(config.data.id_columns, ["Name"]);
  assert.equal(config.data.dtypes["Year"], "date");
  assert.equal(config.data.dtypes["Beak Length (mm)"], undefined);
  assert.ok(!("Species" in config.validation.columns));
  assert.deepEqual(config.cleaning.na_values, {});
  assert.deepEqual(config.cleaning.nulls, {
    Miles_per_Gallon: { strategy: "drop" },
    Horsepower: { strategy: "median" },
  });
  assert.equal(config.split.method, "random");
  assert.deepEqual(config.features.derived, [
    { name: "year", kind: "date_part", column: "Year", part: "year" },
  ]);
  assert.deepEqual(config.features.steps.map((s) => s.columns), [
    ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "year"],
    ["Origin"],
  ]);
  assert.equal(config.registry.primary_metric, "rmse");
  assert.deepEqual(config.model.family === "mlp" && config.model.params.hidden_units, [32, 16]);
});

Deno.test({
  name: "the cars validation schema holds on the cars data",
  ignore: !(await Deno.stat(CARS_SOURCE).then(() => true, () => false)),
  fn: async () => {
    const { config } = await loadConfig({ root: ROOT, profile: "cars" });
    const rows = JSON.parse(await Deno.readTextFile(CARS_SOURCE)) as Record<string, unknown>[];
    const df = pl.DataFrame(rows);
    assert.ok(df.height >= config.validation.min_rows);
    assert.deepEqual(violations(df, config.validation.columns), []);
  },
});

const PROFILES_DIR = join(ROOT, "config", "profiles");
const SHIPPED_PROFILES = [...Deno.readDirSync(PROFILES_DIR)]
  .filter((e) => e.isFile && e.name.endsWith(".yaml"))
  .map((e) => e.name.slice(0, -".yaml".length))
  .sort();

Deno.test("config.yaml holds only project-wide settings and names penguins as the default profile", async () => {
  const text = await Deno.readTextFile(join(ROOT, "config", "config.yaml"));
  const raw = parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(raw["profile"] as unknown, "penguins");
  assert.deepEqual(Object.keys(raw), [
    "profile",
    "project",
    "split",
    "training",
    "registry",
    "serve",
  ]);
  assert.deepEqual(Object.keys(raw["project"]!), ["seed"]);
  assert.deepEqual(Object.keys(raw["split"]!), ["ratios", "seed"]);
  assert.deepEqual(Object.keys(raw["registry"]!), [
    "experiments_dir",
    "production_dir",
    "min_improvement",
  ]);
});

Deno.test("every shipped profile is self-contained: data.path and data.target set, no !replace", async () => {
  assert.deepEqual(SHIPPED_PROFILES, ["cars", "flights", "penguins"]);
  for (const name of SHIPPED_PROFILES) {
    const text = await Deno.readTextFile(join(PROFILES_DIR, `${name}.yaml`));
    assert.ok(!/^[^#]*!replace/m.test(text), `${name}.yaml uses !replace`);
    const raw = parse(text) as { project: { name: string }; data: Record<string, unknown> };
    assert.equal(raw.project.name, name);
    assert.equal(typeof raw.data["path"], "string", `${name}.yaml data.path`);
    assert.equal(typeof raw.data["target"], "string", `${name}.yaml data.target`);
    const { config, sources } = await loadConfig({ root: ROOT, profile: name });
    assert.equal(sources.at(-1), `config/profiles/${name}.yaml`);
    assert.equal(config.project.name, name);
  }
});

Deno.test("--config penguins gives the same config and hash as the default", async () => {
  const byDefault = await loadConfig({ root: ROOT });
  const named = await loadConfig({ root: ROOT, profile: "penguins" });
  const byPath = await loadConfig({ root: ROOT, profile: "config/profiles/penguins.yaml" });
  assert.equal(named.hash, byDefault.hash);
  assert.equal(byPath.hash, byDefault.hash);
  assert.deepEqual(named.config, byDefault.config);
});

Deno.test("the flights profile gets its time split from split.time_column and keeps roc_auc", async () => {
  const { config } = await loadConfig({ root: ROOT, profile: "flights" });
  assert.equal(config.split.method, "time");
  assert.equal(config.split.time_column, "date");
  assert.deepEqual(config.split.ratios, { train: 0.7, val: 0.15, test: 0.15 });
  assert.equal(config.registry.primary_metric, "roc_auc");
  assert.deepEqual(config.data.dtypes, {});
  assert.deepEqual(Object.keys(config.validation.columns), [
    "date",
    "delay",
    "distance",
    "origin",
    "destination",
    "delayed",
  ]);
  assert.deepEqual(config.cleaning.nulls, {});
});

Deno.test("--set model.family alone switches the default config to linear or baseline", async () => {
  const linear = await loadConfig({ root: ROOT, overrides: ["model.family=linear"] });
  assert.deepEqual(linear.config.model, { family: "linear", params: { l2: 0 } });
  const trainingKeys = ["training.learning_rate", "training.class_weights"];
  assert.deepEqual(Object.keys(linear.config.search), trainingKeys);
  const baseline = await loadConfig({ root: ROOT, env: { DENO_MLOPS__MODEL__FAMILY: "baseline" } });
  assert.deepEqual(baseline.config.model, { family: "baseline", params: {} });
  assert.deepEqual(Object.keys(baseline.config.search), trainingKeys);
  const cars = await loadConfig({
    root: ROOT,
    profile: "cars",
    overrides: ["model.family=linear"],
  });
  assert.deepEqual(cars.config.model, { family: "linear", params: { l2: 0 } });
});
