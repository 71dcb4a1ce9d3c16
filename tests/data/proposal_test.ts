import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import {
  assignRoles,
  describeColumns,
  findNullMarkers,
  proposalToYaml,
  PROPOSED_GBDT_PARAMS,
  proposeProfile,
  proposeProfileForFile,
  proposeTask,
  proposeValidation,
  rangeWithMargin,
  sniffDialect,
} from "../../src/data/proposal/mod.ts";
import type { ColumnFacts } from "../../src/data/proposal/mod.ts";
import { loadDataset } from "../../src/data/loader.ts";
import { validate } from "../../src/data/validator.ts";
import { parseConfig } from "../../src/config/load_config.ts";
import { pl } from "../_helpers/assert_frame.ts";

const PENGUINS = fileURLToPath(new URL("../../data/raw/penguins.csv", import.meta.url));
const SEATTLE = fileURLToPath(
  new URL("../../node_modules/vega-datasets/data/seattle-weather.csv", import.meta.url),
);

function facts(partial: Partial<ColumnFacts> & { name: string }): ColumnFacts {
  return {
    kind: "string",
    dateFormat: null,
    rows: 10,
    nulls: 0,
    distinct: 2,
    min: null,
    max: null,
    increasing: false,
    skew: null,
    ...partial,
  };
}

// ---------------------------------------------------------------- sniffing

Deno.test("sniffDialect() finds the separator, the quote and the header, with separators inside quotes", () => {
  assert.deepEqual(sniffDialect('name;x;y\n"Smith; John";1;a\n"Doe; J";2;b\n', "f.csv"), {
    separator: ";",
    quote: '"',
    header: ["name", "x", "y"],
  });
  assert.deepEqual(sniffDialect("a\tb\n1\t2\n", "f.tsv").separator, "\t");
  assert.deepEqual(sniffDialect("a|b|c\n1|2|3\n", "f.txt").separator, "|");
  assert.deepEqual(sniffDialect("n,x\n'a, b',1\n'c, d',2\n", "f.csv"), {
    separator: ",",
    quote: "'",
    header: ["n", "x"],
  });
});

Deno.test("sniffDialect() refuses a file without a header and a file with one column", () => {
  assert.throws(() => sniffDialect("1,2.5,a\n2,3.5,b\n", "f.csv"), {
    name: "SchemaMismatchError",
    message:
      /the first line looks like data, not a header \("1", "2\.5" are values\); add a first line with the column names, e\.g\. "column_1,column_2,column_3"/,
  });
  assert.throws(() => sniffDialect("x\n1\n2\n", "f.csv"), {
    name: "SchemaMismatchError",
    message:
      /no separator .* splits every line into the same number of fields \(the header is "x"\)/,
  });
  assert.throws(() => sniffDialect("a,,c\n1,2,3\n", "f.csv"), {
    name: "SchemaMismatchError",
    message: /column 2 of the header has no name/,
  });
});

// ---------------------------------------------------------------- columns

Deno.test("findNullMarkers() lists the missing-value markers found in text columns", () => {
  const df = pl.DataFrame({ a: ["1", "NA", "3", "?"], b: ["x", " . ", "y", "z"], c: [1, 2, 3, 4] });
  assert.deepEqual(findNullMarkers(df), ["NA", ".", "?"]);
  assert.deepEqual(findNullMarkers(pl.DataFrame({ c: [1, 2] })), []);
});

Deno.test("describeColumns() detects dates and datetimes with their format, ranges and increasing ids", () => {
  const df = pl.DataFrame({
    id: pl.Series("id", [1, 2, 3], pl.Int64),
    day: ["02/01/2020", "13/01/2020", null],
    at: ["2020-01-02 10:00:00", "2020-01-03 11:00:00", "2020-01-04 12:00:00"],
    x: [1.5, NaN, -2],
    s: ["a", "b", "a"],
  });
  const [id, day, at, x, s] = describeColumns(df, "f.csv");
  assert.deepEqual(
    id,
    facts({
      name: "id",
      kind: "int",
      rows: 3,
      distinct: 3,
      min: 1,
      max: 3,
      increasing: true,
      skew: 0,
    }),
  );
  assert.deepEqual(
    day,
    facts({ name: "day", kind: "date", dateFormat: "%d/%m/%Y", rows: 3, nulls: 1, distinct: 2 }),
  );
  assert.deepEqual(
    at,
    facts({ name: "at", kind: "datetime", dateFormat: "%Y-%m-%d %H:%M:%S", rows: 3, distinct: 3 }),
  );
  assert.deepEqual(
    x,
    facts({ name: "x", kind: "float", rows: 3, nulls: 1, distinct: 2, min: -2, max: 1.5, skew: 0 }),
  );
  assert.deepEqual(s, facts({ name: "s", rows: 3, distinct: 2 }));
});

Deno.test("describeColumns() refuses mixed numbers and text, and dates in two formats", () => {
  assert.throws(
    () => describeColumns(pl.DataFrame({ b: ["1", "x", "3", "4"] }), "f.csv"),
    {
      name: "SchemaMismatchError",
      message:
        /column "b" mixes numbers and text \(3 numbers, 1 text value such as "x" at row 2\); fix those values in the file, or if they mean "missing" add them to data\.null_markers/,
    },
  );
  assert.throws(
    () =>
      describeColumns(
        pl.DataFrame({ d: ["2020-01-02", "03/01/2020", "2020-01-04", "2020-01-05"] }),
        "f.csv",
      ),
    {
      name: "SchemaMismatchError",
      message:
        /column "d" holds dates in two formats \(75% "%Y-%m-%d" such as "2020-01-02", the rest "%d\/%m\/%Y" such as "03\/01\/2020"\); rewrite the column in one format, then set data\.date_formats\."d" to it/,
    },
  );
});

Deno.test("assignRoles() finds ids and drops all-null, constant and mostly-null columns", () => {
  const roles = assignRoles([
    facts({ name: "y" }),
    facts({ name: "name", distinct: 10 }),
    facts({ name: "row", kind: "int", distinct: 10, increasing: true }),
    facts({ name: "income", kind: "int", distinct: 10 }),
    facts({ name: "customer_id", kind: "int", distinct: 10 }),
    facts({ name: "empty", nulls: 10, distinct: 0 }),
    facts({ name: "same", distinct: 1 }),
    facts({ name: "sparse", kind: "float", nulls: 6 }),
    facts({ name: "x", kind: "float" }),
  ], "y");
  assert.deepEqual(roles.idColumns, ["name", "row", "customer_id"]);
  assert.deepEqual(roles.dropped, [
    { name: "empty", reason: "every value is null" },
    { name: "same", reason: "constant: one value in every row" },
    { name: "sparse", reason: "60% null, too few values to learn from" },
  ]);
  assert.deepEqual(roles.features.map((f) => f.name), ["income", "x"]);
});

// ---------------------------------------------------------------- task and validation

Deno.test("proposeTask() picks classification or regression, the split, the metric and class weights", () => {
  const regression = proposeTask(facts({ name: "mpg", kind: "float", distinct: 100 }), null);
  assert.deepEqual(
    [regression.task, regression.split, regression.metric, regression.classWeights],
    ["regression", "random", "rmse", "none"],
  );
  const binary = proposeTask(facts({ name: "y" }), { yes: 40, no: 60 });
  assert.deepEqual(
    [binary.task, binary.split, binary.metric, binary.classWeights],
    ["classification", "stratified", "roc_auc", "none"],
  );
  const weather = proposeTask(facts({ name: "weather", distinct: 5 }), {
    sun: 640,
    rain: 641,
    fog: 101,
    drizzle: 53,
    snow: 26,
  });
  assert.deepEqual([weather.metric, weather.classWeights], ["f1_macro", "balanced"]);
  assert.ok(
    weather.comments.some((c) =>
      c.path.join(".") === "training.class_weights" && /"snow" has 26 rows against 641/.test(c.text)
    ),
  );
});

Deno.test("proposeTask() refuses an all-null target, one class and a class of one row", () => {
  assert.throws(() => proposeTask(facts({ name: "y", nulls: 10, distinct: 0 }), {}), {
    name: "DataValidationError",
    message: /the target column "y" is null in every row; pick another column with --target/,
  });
  assert.throws(() => proposeTask(facts({ name: "y", distinct: 1 }), { k: 10 }), {
    name: "DataValidationError",
    message: /the target column "y" has one class \("k"\), nothing to tell apart/,
  });
  assert.throws(() => proposeTask(facts({ name: "y", distinct: 3 }), { a: 5, b: 4, c: 1 }), {
    name: "DataValidationError",
    message:
      /the target column "y" has a class with 1 row \("c"\), which cannot be both trained on and tested; add rows of that class, merge it into another class, or remove its row from the file/,
  });
});

Deno.test("rangeWithMargin() widens by the margin, keeps non-negative data at zero and rounds outward", () => {
  assert.deepEqual(rangeWithMargin(48, 101, 0.1, "float"), [42, 107]);
  assert.deepEqual(rangeWithMargin(0.4, 9.5, 0.1, "float"), [0, 10.5]);
  assert.deepEqual(rangeWithMargin(-7.1, 18.3, 0.1, "float"), [-10, 21]);
  assert.deepEqual(rangeWithMargin(1, 3, 0.1, "int"), [0, 4]);
  assert.deepEqual(rangeWithMargin(5, 5, 0.1, "float"), [4.5, 5.5]);
});

Deno.test("proposeValidation() proposes rules the penguins data passes", () => {
  const df = loadDataset(PENGUINS);
  const columns = describeColumns(df, PENGUINS);
  const { validation } = proposeValidation(columns, {
    target: "Species",
    categories: {
      Species: ["Adelie", "Chinstrap", "Gentoo"],
      Island: ["Biscoe", "Dream", "Torgersen"],
      Sex: [".", "FEMALE", "MALE"],
    },
  });
  assert.deepEqual(validation, {
    strict: true,
    min_rows: 100,
    columns: {
      Species: {
        dtype: "string",
        nullable: false,
        allowed: ["Adelie", "Chinstrap", "Gentoo"],
        unique: false,
      },
      Island: {
        dtype: "string",
        nullable: false,
        allowed: ["Biscoe", "Dream", "Torgersen"],
        unique: false,
      },
      "Beak Length (mm)": { dtype: "float", nullable: true, min: 29, max: 63, unique: false },
      "Beak Depth (mm)": { dtype: "float", nullable: true, min: 12.2, max: 22.4, unique: false },
      "Flipper Length (mm)": { dtype: "int", nullable: true, min: 166, max: 237, unique: false },
      "Body Mass (g)": { dtype: "int", nullable: true, min: 2300, max: 6700, unique: false },
      Sex: { dtype: "string", nullable: true, allowed: [".", "FEMALE", "MALE"], unique: false },
    },
  });
  assert.equal(validate(df, validation).ok, true);
});

// ---------------------------------------------------------------- whole profiles

Deno.test("proposeProfileForFile() proposes a profile for seattle-weather that parses as a config", () => {
  const proposal = proposeProfileForFile(SEATTLE, {
    target: "weather",
    name: "seattle",
    dataPath: "data/raw/seattle-weather.csv",
  });
  const profile = proposal.profile as Record<string, Record<string, unknown>>;
  assert.deepEqual(profile["data"], {
    path: "data/raw/seattle-weather.csv",
    separator: ",",
    quote: '"',
    date_formats: { date: "%Y-%m-%d" },
    dtypes: { date: "date" },
    target: "weather",
    task: "classification",
    id_columns: [],
  });
  assert.deepEqual(profile["split"], { method: "stratified" });
  assert.deepEqual(profile["training"], { class_weights: "balanced" });
  assert.deepEqual(profile["registry"], { primary_metric: "f1_macro" });
  assert.deepEqual((profile["features"] as { derived: unknown[] })["derived"], [
    { name: "date_year", kind: "date_part", column: "date", part: "year" },
    { name: "date_month", kind: "date_part", column: "date", part: "month" },
    { name: "date_weekday", kind: "date_part", column: "date", part: "weekday" },
  ]);
  const config = parseConfig(parse(proposalToYaml(proposal)));
  assert.equal(config.data.target, "weather");
  assert.equal(config.training.class_weights, "balanced");
  // Precipitation is 0 on most days with a long tail of wet ones (skewness 3.5): logged first.
  assert.deepEqual(
    config.features.steps.map((s) => [s.name, s.columns, s.transformers.map((x) => x.kind)]),
    [
      ["numeric", ["temp_max", "temp_min", "wind", "date_year", "date_month", "date_weekday"], [
        "StandardScaler",
      ]],
      ["skewed", ["precipitation"], ["Log1pTransformer", "StandardScaler"]],
    ],
  );
});

Deno.test("proposalToYaml() puts a one-line comment on every choice and parses back to the profile", () => {
  const proposal = proposeProfileForFile(SEATTLE, { target: "weather", name: "seattle" });
  const text = proposalToYaml(proposal, { header: ["Proposed by a test"] });
  assert.ok(text.startsWith("# Proposed by a test\n"), text);
  assert.deepEqual(parse(text), proposal.profile);
  const lines = text.split("\n");
  for (
    const key of [
      "  name: seattle",
      "  target: weather",
      "  task: classification",
      "  method: stratified",
      "  class_weights: balanced",
      "  primary_metric: f1_macro",
      "  family: mlp",
      "    wind: {",
    ]
  ) {
    const line = lines.find((l) => l.startsWith(key));
    assert.ok(line !== undefined && / # \S/.test(line), `no comment on ${key}: ${line}`);
  }
  assert.ok(
    text.includes(
      "weather: { dtype: string, nullable: false, allowed: [ drizzle, fog, rain, snow, sun ] } # no nulls; the classes of the target\n",
    ),
    text,
  );
});

Deno.test("proposeProfileForFile() sniffs a semicolon file, its null markers, and fills text nulls", async () => {
  const dir = await Deno.makeTempDir({ prefix: "proposal-test-" });
  const path = join(dir, "shop.csv");
  const rows = ["name;price;colour;bought"];
  for (let i = 0; i < 40; i++) {
    const price = i % 7 === 0 ? "NA" : String(10 + (i * 13) % 17);
    const colour = i % 3 === 0 ? "?" : ["red", "blue"][i % 2];
    rows.push(`"Item; ${i}";${price};${colour};${i % 2 === 0 ? "yes" : "no"}`);
  }
  await Deno.writeTextFile(path, rows.join("\n") + "\n");
  const proposal = proposeProfileForFile(path, { target: "bought", name: "shop" });
  const profile = proposal.profile as Record<string, Record<string, unknown>>;
  assert.equal(profile["data"]!["separator"], ";");
  assert.deepEqual(profile["data"]!["null_markers"], ["NA", "?"]);
  assert.deepEqual(profile["data"]!["id_columns"], ["name"]);
  assert.deepEqual(profile["cleaning"], {
    drop_duplicates: true,
    trim_strings: true,
    nulls: { colour: { strategy: "constant", value: "missing" } },
  });
  assert.deepEqual((profile["features"] as { steps: unknown[] })["steps"], [
    {
      name: "numeric_with_nulls",
      columns: ["price"],
      transformers: [{ kind: "SimpleImputer", params: { strategy: "median" } }, {
        kind: "StandardScaler",
      }],
    },
    { name: "categorical", columns: ["colour"], transformers: [{ kind: "OneHotEncoder" }] },
  ]);
  const rules = (profile["validation"] as { columns: Record<string, { allowed?: unknown[] }> })
    .columns;
  assert.deepEqual(rules["colour"]!.allowed, ["blue", "red", "missing"]);
  assert.deepEqual(profile["registry"], { primary_metric: "roc_auc" });
});

Deno.test("proposeProfile() names the closest column when the target is missing", () => {
  const df = pl.DataFrame({ weather: ["a", "b"], wind: [1, 2] });
  assert.throws(() => proposeProfile(df, { target: "wether", name: "x", path: "f.csv" }), {
    name: "ConfigError",
    message:
      /the target column "wether" is not in the file: did you mean "weather" \(columns: \["weather","wind"\]\); pass --target with a column of the file/,
  });
});

Deno.test("proposeProfileForFile() proposes the mlp by default, and linear or gbdt with --family", async () => {
  const { GBDT_PARAMS } = await import("../../src/models/mod.ts");
  // The written gbdt params are the family's defaults.
  assert.deepEqual({ ...PROPOSED_GBDT_PARAMS }, GBDT_PARAMS.parse({}));
  const options = { target: "Species", name: "penguins", dataPath: "data/raw/penguins.csv" };
  const mlp = proposeProfileForFile(PENGUINS, options);
  assert.deepEqual(mlp.profile["model"], { family: "mlp", params: { hidden_units: [32, 16] } });

  const linear = proposeProfileForFile(PENGUINS, { ...options, family: "linear" });
  assert.deepEqual(linear.profile["model"], { family: "linear" });
  assert.match(proposalToYaml(linear), /\n {2}family: linear # a linear model/);

  const gbdt = proposeProfileForFile(PENGUINS, { ...options, family: "gbdt" });
  assert.deepEqual(gbdt.profile["model"], { family: "gbdt", params: { ...PROPOSED_GBDT_PARAMS } });
  const text = proposalToYaml(gbdt);
  assert.match(text, /\n {2}family: gbdt # gradient-boosted trees, with the gbdt defaults below/);
  assert.match(text, /\n {4}max_leaves: 31 # leaves per tree, grown best-first\n/);
  assert.match(text, /\n {4}max_depth: null # null for no depth limit/);
  // The rest of the profile does not depend on the family.
  const { model: _m1, ...restMlp } = mlp.profile;
  const { model: _m2, ...restGbdt } = gbdt.profile;
  assert.deepEqual(restGbdt, restMlp);
  assert.throws(
    () => proposeProfileForFile(PENGUINS, { ...options, family: "forest" as "gbdt" }),
    /Cannot propose model family "forest": expected one of mlp, linear, gbdt/,
  );
});
