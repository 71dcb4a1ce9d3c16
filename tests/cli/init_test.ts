/**
 * `deno task init` on temporary projects: profiles for vega-datasets files of different shapes
 * load, validate and (for some) train on the first try; bad input is refused with the column and
 * the fix, and nothing is written.
 *
 * The temporary projects hold the shipped project-wide config files and no profile, as a user's
 * project does before its first `init`: profiles are self-contained, nothing is merged into them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { listDir, makeTempProject, REPO_ROOT, runCli } from "../_helpers/project.ts";
import { runTask } from "../_helpers/tasks.ts";

const VEGA = join(REPO_ROOT, "node_modules/vega-datasets/data");

async function project(files: Record<string, string> = {}): Promise<string> {
  const root = await makeTempProject(files);
  // A user's own project: the shipped project-wide config.yaml and no profile yet.
  for (const name of listDir(join(root, "config/profiles"))) {
    await Deno.remove(join(root, "config/profiles", name));
  }
  for (
    const name of ["seattle-weather.csv", "cars.json", "movies.json", "gapminder-health-income.csv"]
  ) {
    await Deno.copyFile(join(VEGA, name), join(root, "data/raw", name));
  }
  return root;
}

function profileOf(root: string, name: string): Record<string, Record<string, unknown>> {
  return parse(Deno.readTextFileSync(join(root, "config/profiles", `${name}.yaml`)));
}

interface Case {
  /** Why this dataset: the shape unlike penguins it brings. */
  why: string;
  file: string;
  target: string;
  name: string;
  train: boolean;
  /** A line init prints, if any. */
  note?: string;
  expect: (profile: Record<string, Record<string, unknown>>) => void;
}

const CASES: Case[] = [
  {
    why: "five imbalanced classes and a date column",
    file: "data/raw/seattle-weather.csv",
    target: "weather",
    name: "seattle-weather",
    train: true,
    expect: (profile) => {
      assert.deepEqual(profile["data"]!["date_formats"], { date: "%Y-%m-%d" });
      assert.deepEqual(profile["training"], { class_weights: "balanced" });
      assert.deepEqual(profile["registry"], { primary_metric: "f1_macro" });
      assert.deepEqual(profile["split"], { method: "stratified" });
    },
  },
  {
    why: "regression with missing values, a date and a high-cardinality name (JSON)",
    file: "data/raw/cars.json",
    target: "Miles_per_Gallon",
    name: "cars",
    train: true,
    expect: (profile) => {
      assert.equal(profile["data"]!["task"], "regression");
      assert.deepEqual(profile["registry"], { primary_metric: "rmse" });
      assert.deepEqual(profile["split"], { method: "random" });
      assert.deepEqual(profile["cleaning"]!["nulls"], { Miles_per_Gallon: { strategy: "drop" } });
      const steps = profile["features"]!["steps"] as { name: string; columns: string[] }[];
      assert.deepEqual(steps.map((s) => [s.name, s.columns]), [
        ["numeric", [
          "Cylinders",
          "Displacement",
          "Weight_in_lbs",
          "Acceleration",
          "Year_year",
          "Year_month",
          "Year_weekday",
        ]],
        ["numeric_with_nulls", ["Horsepower"]],
        ["categorical", ["Origin"]],
        ["high_cardinality", ["Name"]],
      ]);
    },
  },
  {
    why: "many missing values, text dates, mostly-null columns dropped",
    file: "data/raw/movies.json",
    target: "IMDB Rating",
    name: "movies",
    train: false,
    expect: (profile) => {
      assert.deepEqual(profile["data"]!["date_formats"], { "Release Date": "%b %d %Y" });
      const steps = (profile["features"]!["steps"] as { columns: string[] }[]).flatMap((s) =>
        s.columns
      );
      assert.ok(
        !steps.includes("US DVD Sales") && !steps.includes("Running Time min"),
        String(steps),
      );
      // Nearly every title is different: not a feature.
      assert.ok(!steps.includes("Title"), String(steps));
      // Grosses, budgets and votes span orders of magnitude: imputed, logged, then scaled.
      const skewed = (profile["features"]!["steps"] as {
        name: string;
        columns: string[];
        transformers: { kind: string }[];
      }[]).find((s) => s.name === "skewed");
      assert.deepEqual(skewed?.transformers.map((x) => x.kind), [
        "SimpleImputer",
        "Log1pTransformer",
        "StandardScaler",
      ]);
      assert.ok(skewed.columns.includes("IMDB Votes"), String(skewed.columns));
    },
  },
  {
    why: "a unique text id and six regions of a small table",
    file: "data/raw/gapminder-health-income.csv",
    target: "region",
    name: "gapminder",
    train: false,
    expect: (profile) => {
      assert.deepEqual(profile["data"]!["id_columns"], ["country"]);
    },
  },
];

for (const c of CASES) {
  Deno.test(`deno task init writes a ${c.name} profile (${c.why}) that validates${c.train ? " and trains" : ""}`, async () => {
    const root = await project();
    // Run as `deno task` runs them: with exactly the permissions deno.json declares.
    const init = await runTask(
      "init",
      ["--data", c.file, "--target", c.target, "--name", c.name],
      root,
    );
    assert.equal(init.code, 0, init.stderr);
    assert.match(
      init.stdout,
      new RegExp(`^Wrote config/profiles/${c.name}\\.yaml in [\\d.]+ s\\n`),
    );
    assert.ok(init.stdout.includes(`\n  deno task train --config ${c.name}\n`), init.stdout);
    assert.ok(
      init.stdout.includes(`\n  deno task notebooks --param profile=${c.name}\n`),
      init.stdout,
    );
    assert.deepEqual(listDir(join(root, "config/profiles")), [`${c.name}.yaml`]);
    if (c.note !== undefined) assert.ok(init.stdout.includes(c.note), init.stdout);
    const profile = profileOf(root, c.name);
    assert.deepEqual(profile["project"], { name: c.name });
    c.expect(profile);

    const validate = await runTask("validate", ["--config", c.name], root);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /Validation passed/);
    if (c.train) {
      const train = await runTask(
        "train",
        ["--config", c.name, "--set", "training.epochs=3"],
        root,
      );
      assert.equal(train.code, 0, train.stderr);
      assert.match(train.stdout, /run: \S+/);
    }
  });
}

Deno.test("deno task init names the file stem, refuses to overwrite without --force, and checks its arguments", async () => {
  const root = await project();
  const first = await runCli("init.ts", [
    "--data",
    "data/raw/gapminder-health-income.csv",
    "--target",
    "region",
  ], root);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(listDir(join(root, "config/profiles")), ["gapminder-health-income.yaml"]);
  const before = Deno.readTextFileSync(join(root, "config/profiles/gapminder-health-income.yaml"));

  const again = await runCli("init.ts", [
    "--data",
    "data/raw/gapminder-health-income.csv",
    "--target",
    "health",
  ], root);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /it exists; pass --force to replace it or --name to write another/);
  assert.equal(
    Deno.readTextFileSync(join(root, "config/profiles/gapminder-health-income.yaml")),
    before,
  );

  const forced = await runCli("init.ts", [
    "--data",
    "data/raw/gapminder-health-income.csv",
    "--target",
    "health",
    "--force",
  ], root);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(profileOf(root, "gapminder-health-income")["data"]!["target"], "health");

  const noTarget = await runCli("init.ts", ["--data", "data/raw/cars.json"], root);
  assert.equal(noTarget.code, 2);
  assert.match(noTarget.stderr, /--target COLUMN is missing/);
  const badName = await runCli("init.ts", [
    "--data",
    "data/raw/cars.json",
    "--target",
    "Origin",
    "--name",
    "My Cars",
  ], root);
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /a name is lower-case letters, digits/);
});

const BAD: [string, string, string, RegExp][] = [
  [
    "no header",
    "1,2.5,a\n2,3.5,b\n3,1.5,a\n",
    "y",
    /the first line looks like data, not a header .*add a first line with the column names/,
  ],
  [
    "one column",
    "x\n1\n2\n3\n",
    "x",
    /no separator .* splits every line .*needs two or more columns/,
  ],
  [
    "a target with one class",
    "a,b,y\n1,2,k\n3,4,k\n2,3,k\n",
    "y",
    /the target column "y" has one class \("k"\)/,
  ],
  [
    "a class of one row",
    "a,b,y\n1,2,k\n3,3,j\n2,4,k\n5,5,m\n4,6,j\n",
    "y",
    /the target column "y" has a class with 1 row \("m"\).*remove its row from the file/,
  ],
  [
    "an all-null target",
    "a,e,y\n1,2,\n3,1,\n2,3,\n",
    "y",
    /the target column "y" is null in every row; pick another column with --target/,
  ],
  [
    "mixed types",
    "a,b,y\n1,2,k\n2,x,j\n3,4,k\n4,5,j\n",
    "y",
    /column "b" mixes numbers and text \(3 numbers, 1 text value such as "x" at row 2\)/,
  ],
  [
    "a date in two formats",
    "d,b,y\n2020-01-02,2,k\n03/01/2020,3,j\n2020-01-04,1,k\n2020-01-05,5,j\n",
    "y",
    /column "d" holds dates in two formats .*set data\.date_formats\."d"/,
  ],
  [
    "a missing target",
    "a,b,weather\n1,2,k\n2,1,j\n",
    "wether",
    /the target column "wether" is not in the file: did you mean "weather"/,
  ],
];

Deno.test("deno task init refuses bad input with the column and the fix, and writes nothing", async () => {
  const root = await project();
  for (const [what, text, target, message] of BAD) {
    await Deno.writeTextFile(join(root, "data/raw/bad.csv"), text);
    const run = await runCli("init.ts", ["--data", "data/raw/bad.csv", "--target", target], root);
    assert.equal(run.code, 1, `${what}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message, what);
    assert.doesNotMatch(run.stderr, /\n\s+at /, what);
    assert.deepEqual(listDir(join(root, "config/profiles")), [], what);
  }
});

Deno.test("deno task init drops all-null columns with a note and parses names with the separator inside quotes", async () => {
  const root = await project();
  await Deno.writeTextFile(
    join(root, "data/raw/people.csv"),
    'name,empty,age,y\n"Smith, John",,31,k\n"Doe, Jane",,25,j\n"Roe, Rick",,47,k\n"Poe, Ed",,38,j\n"Li, Bo",,29,k\n"Wu, Al",,52,j\n',
  );
  const run = await runCli("init.ts", ["--data", "data/raw/people.csv", "--target", "y"], root);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stdout.includes("\n  not a feature: empty (every value is null)\n"), run.stdout);
  assert.ok(run.stdout.includes("\n  id columns: name\n"), run.stdout);
  const profile = profileOf(root, "people");
  assert.deepEqual(profile["data"]!["id_columns"], ["name"]);
  assert.deepEqual(profile["validation"]!["columns"], {
    name: { dtype: "string", nullable: false, unique: true },
    empty: { dtype: "string", nullable: true },
    age: { dtype: "int", nullable: false, min: 22, max: 55 },
    y: { dtype: "string", nullable: false, allowed: ["j", "k"] },
  });
});

Deno.test("deno task init reads a semicolon file with null markers and an integer target, and the profile trains", async () => {
  const root = await project();
  const lines = ["x1;x2;colour;label"];
  for (let i = 0; i < 120; i++) {
    const x1 = ((i * 37) % 101) / 50 - 1;
    const x2 = i % 17 === 0 ? "?" : (((i * 53) % 97) / 48 - 1).toFixed(3);
    const colour = ["red", "blue", "NA", "green"][i % 4];
    lines.push(`${x1.toFixed(3)};${x2};${colour};${x1 > 0 ? 1 : 0}`);
  }
  await Deno.writeTextFile(join(root, "data/raw/binary.csv"), lines.join("\n") + "\n");
  const init = await runTask("init", ["--data", "data/raw/binary.csv", "--target", "label"], root);
  assert.equal(init.code, 0, init.stderr);
  const text = Deno.readTextFileSync(join(root, "config/profiles/binary.yaml"));
  assert.ok(text.includes('\n  separator: ";" # sniffed from the first lines\n'), text);
  assert.ok(
    text.includes('\n  null_markers: [ NA, "?" ] # values found in the file that mean missing\n'),
    text,
  );
  const profile = profileOf(root, "binary");
  assert.deepEqual(profile["registry"], { primary_metric: "roc_auc" });
  assert.deepEqual((profile["validation"]!["columns"] as Record<string, unknown>)["label"], {
    dtype: "int",
    nullable: false,
    allowed: [0, 1],
  });
  const train = await runTask("train", ["--config", "binary", "--set", "training.epochs=3"], root);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /roc_auc \*/);
});

Deno.test("deno task init --family gbdt writes gbdt with its default params, and the profile trains", async () => {
  const root = await project();
  const init = await runTask("init", [
    "--data",
    "data/raw/penguins.csv",
    "--target",
    "Species",
    "--name",
    "trees",
    "--family",
    "gbdt",
  ], root);
  assert.equal(init.code, 0, init.stderr);
  const text = Deno.readTextFileSync(join(root, "config/profiles/trees.yaml"));
  assert.match(text, /\n {2}family: gbdt # gradient-boosted trees/);
  const model = profileOf(root, "trees")["model"] as {
    family: string;
    params: Record<string, unknown>;
  };
  assert.equal(model.family, "gbdt");
  assert.equal(model.params["rounds"], 200);
  assert.equal(model.params["learning_rate"], 0.1);
  const train = await runTask(
    "train",
    ["--config", "trees", "--set", "model.params.rounds=5"],
    root,
  );
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /gbdt/);

  const bad = await runCli("init.ts", [
    "--data",
    "data/raw/penguins.csv",
    "--target",
    "Species",
    "--name",
    "bad",
    "--family",
    "gbtd",
  ], root);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /Cannot propose model family "gbtd": did you mean "gbdt"; pass --family mlp, linear or gbdt/,
  );
  assert.deepEqual(listDir(join(root, "config/profiles")), ["trees.yaml"]);
});
