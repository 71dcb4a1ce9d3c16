import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/mod.ts";
import {
  checkConfigColumns,
  datasetColumns,
  findUnknownConfigColumns,
} from "../../src/data/mod.ts";
import { listDir, makeTempProject, REPO_ROOT, runCli } from "../_helpers/project.ts";

const PENGUIN_COLUMNS = [
  "Species",
  "Island",
  "Beak Length (mm)",
  "Beak Depth (mm)",
  "Flipper Length (mm)",
  "Body Mass (g)",
  "Sex",
];

/** A config naming a column in every place a column can be named, each spelt right. */
function fullConfig(overrides: Record<string, unknown> = {}) {
  return parseConfig({
    data: {
      target: "Species",
      dtypes: { "Body Mass (g)": "float" },
      id_columns: ["Island"],
    },
    validation: { columns: { Species: { dtype: "string" }, Sex: { dtype: "string" } } },
    cleaning: {
      drop_duplicates: { subset: ["Species", "Island"] },
      normalize_case: { Sex: "upper" },
      na_values: { Sex: ["."] },
      nulls: { "Body Mass (g)": { strategy: "median" } },
      clip: { "Beak Depth (mm)": { lower: 0.01 } },
    },
    split: { stratify_by: "Sex" },
    features: {
      derived: [
        { name: "ratio", kind: "ratio", columns: ["Beak Length (mm)", "Beak Depth (mm)"] },
        { name: "heavy", kind: "bucket", column: "Body Mass (g)", boundaries: [4000] },
      ],
      steps: [
        {
          name: "numeric",
          columns: ["ratio", "Flipper Length (mm)"],
          transformers: [{ kind: "StandardScaler" }],
        },
      ],
    },
    ...overrides,
  });
}

Deno.test("findUnknownConfigColumns() finds nothing when every name is a column or a derived feature", () => {
  assert.deepEqual(findUnknownConfigColumns(fullConfig(), PENGUIN_COLUMNS), []);
  assert.doesNotThrow(() => checkConfigColumns(fullConfig(), PENGUIN_COLUMNS));
});

Deno.test("findUnknownConfigColumns() names the key of every misspelt column, with the closest column", () => {
  const config = fullConfig();
  config.data.target = "Specis";
  config.data.dtypes = { "Body mass (g)": "float" };
  config.data.id_columns = ["island"];
  config.validation.columns = { Sexx: { nullable: true, unique: false } };
  config.cleaning.drop_duplicates = { subset: ["Species", "Islnd"] };
  config.cleaning.nulls = { "Body Mass": { strategy: "drop" } };
  config.split.time_column = "date";
  config.features.derived = [{ name: "r", kind: "difference", columns: ["Beak Length", "Sex"] }];
  config.features.steps[0]!.columns = ["ratio", "r"];
  assert.deepEqual(findUnknownConfigColumns(config, PENGUIN_COLUMNS), [
    {
      key: "data.target",
      name: "Specis",
      message: 'the target column "Specis" is missing: did you mean "Species"',
    },
    {
      key: 'data.dtypes."Body mass (g)"',
      name: "Body mass (g)",
      message: '"Body mass (g)" is not a column: did you mean "Body Mass (g)"',
    },
    {
      key: "data.id_columns[0]",
      name: "island",
      message: '"island" is not a column: did you mean "Island"',
    },
    {
      key: "validation.columns.Sexx",
      name: "Sexx",
      message: '"Sexx" is not a column: did you mean "Sex"',
    },
    {
      key: "cleaning.drop_duplicates.subset[1]",
      name: "Islnd",
      message: '"Islnd" is not a column: did you mean "Island"',
    },
    {
      key: 'cleaning.nulls."Body Mass"',
      name: "Body Mass",
      message: '"Body Mass" is not a column: did you mean "Body Mass (g)"',
    },
    { key: "split.time_column", name: "date", message: '"date" is not a column' },
    {
      key: "features.derived[0].columns[0]",
      name: "Beak Length",
      message: '"Beak Length" is not a column: did you mean "Beak Length (mm)"',
    },
    {
      key: "features.steps[0].columns[0]",
      name: "ratio",
      message: '"ratio" is not a column',
    },
  ]);
});

Deno.test("findUnknownConfigColumns() accepts a derived target and its source, and checks the selection of data.columns", () => {
  const derived = fullConfig({
    data: {
      target: "heavy_label",
      derive_target: { source: "Body Mass (g)", greater_than: 4000 },
    },
    validation: { columns: { heavy_label: { allowed: ["no", "yes"] } } },
  });
  assert.deepEqual(findUnknownConfigColumns(derived, PENGUIN_COLUMNS), []);
  derived.data.derive_target!.source = "Body Mass";
  assert.deepEqual(findUnknownConfigColumns(derived, PENGUIN_COLUMNS).map((u) => u.key), [
    "data.derive_target.source",
  ]);

  const selected = fullConfig();
  selected.data.columns = ["Species", "Island", "Beak Length (mm)", "Beak Depth (mm)", "Sexe"];
  assert.deepEqual(
    findUnknownConfigColumns(selected, PENGUIN_COLUMNS).map((u) => `${u.key}: ${u.message}`),
    [
      'data.columns[4]: "Sexe" is not a column: did you mean "Sex"',
      'validation.columns.Sex: "Sex" is in the file but not selected: add it to data.columns',
      'cleaning.normalize_case.Sex: "Sex" is in the file but not selected: add it to data.columns',
      'cleaning.na_values.Sex: "Sex" is in the file but not selected: add it to data.columns',
      'cleaning.nulls."Body Mass (g)": "Body Mass (g)" is in the file but not selected: add it to data.columns',
      'split.stratify_by: "Sex" is in the file but not selected: add it to data.columns',
      'features.derived[1].column: "Body Mass (g)" is in the file but not selected: add it to data.columns',
      'features.steps[0].columns[1]: "Flipper Length (mm)" is in the file but not selected: add it to data.columns',
    ],
    "data.dtypes applies before the selection, so it may name any column of the file",
  );
});

Deno.test("checkConfigColumns() throws one SchemaMismatchError listing each key and the data's columns", () => {
  const config = fullConfig();
  config.data.target = "species";
  config.split.stratify_by = "sex";
  assert.throws(() => checkConfigColumns(config, PENGUIN_COLUMNS, { source: "penguins.csv" }), {
    name: "SchemaMismatchError",
    message: [
      'Cannot use the config with "penguins.csv": 2 column names are not in the data, fix the config keys',
      '  data.target: the target column "species" is missing: did you mean "Species"',
      '  split.stratify_by: "sex" is not a column: did you mean "Sex"',
      `  (the data has columns ${JSON.stringify(PENGUIN_COLUMNS)})`,
    ].join("\n"),
  });
});

Deno.test("datasetColumns() reads the header of the penguins file", () => {
  assert.deepEqual(
    datasetColumns(`${REPO_ROOT}/data/raw/penguins.csv`, fullConfig().data),
    PENGUIN_COLUMNS,
  );
});

Deno.test("train names data.target and every misspelt key in one error, and writes no run", async () => {
  const root = await makeTempProject();
  const result = await runCli("train.ts", [
    "--set",
    "data.target=Specis",
    "--set",
    "features.steps[1].columns=[island, Sex]",
    "--set",
    'cleaning.nulls."Body Mass".strategy=drop',
  ], root);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    /3 column names are not in the data, fix the config keys\n {2}data\.target: the target column "Specis" is missing: did you mean "Species"\n {2}cleaning\.nulls\."Body Mass": "Body Mass" is not a column: did you mean "Body Mass \(g\)"\n {2}features\.steps\[1\]\.columns\[0\]: "island" is not a column: did you mean "Island"\n/,
  );
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace for a known error");
  assert.deepEqual(listDir(`${root}/models/experiments`), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("validate says to fix data.target for a misspelt target, not validation.columns", async () => {
  const root = await makeTempProject();
  const result = await runCli("validate.ts", ["--set", "data.target=species"], root);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    /Cannot use the config with "data\/raw\/penguins\.csv": 1 column name is not in the data, fix the config key\n {2}data\.target: the target column "species" is missing: did you mean "Species"\n/,
  );
  assert.doesNotMatch(result.stderr + result.stdout, /validation\.columns/);
  const fine = await runCli("validate.ts", [], root);
  assert.match(fine.stdout, /Sex/, "the raw file's broken rules are reported as before");
  assert.doesNotMatch(fine.stderr, /not in the data/);
  await Deno.remove(root, { recursive: true });
});
