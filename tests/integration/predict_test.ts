import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import { openRun, predictFile, prepareData, runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs, classificationReport } from "../../src/utils/mod.ts";
import { listDir, makeTempProject, runCli } from "../_helpers/project.ts";

/** One trained penguins run in a temporary project, shared by the tests below. */
async function trainedProject(): Promise<{ root: string; id: string; experiments: string }> {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({
    root,
    overrides: ["training.epochs=20", "data.id_columns=[id]"],
  });
  // Add an id column so passthrough can be checked.
  const csv = await Deno.readTextFile(`${root}/data/raw/penguins.csv`);
  const lines = csv.trimEnd().split("\n");
  await Deno.writeTextFile(
    `${root}/data/raw/penguins.csv`,
    [`id,${lines[0]}`, ...lines.slice(1).map((l, i) => `p${i + 1},${l}`)].join("\n") + "\n",
  );
  const result = await runTraining(loaded);
  result.model.dispose();
  return { root, id: result.id, experiments: loaded.config.registry.experiments_dir };
}

const project = await trainedProject();
const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];

Deno.test("predict on the run's own test split reproduces the recorded test metrics", async () => {
  using _logs = captureLogs({ level: "error" });
  const { root, id, experiments } = project;
  const loaded = await loadConfig({ root, snapshot: `${experiments}/${id}/config.yaml` });
  const data = await prepareData(loaded.config);
  data.test.writeCSV(`${root}/test_split.csv`);
  const run = await openRun(id, loaded);
  try {
    const summary = await predictFile(run, {
      input: `${root}/test_split.csv`,
      output: `${root}/scored.csv`,
    });
    assert.equal(summary.rows_scored, 50);
    assert.equal(summary.rows_rejected, 0);
    const scored = pl.readCSV(`${root}/scored.csv`);
    assert.deepEqual(scored.columns, ["id", "prediction", ...SPECIES.map((s) => `proba_${s}`)]);
    assert.deepEqual(scored.getColumn("id").toArray(), data.test.getColumn("id").toArray());
    const truth = (data.test.getColumn("Species").toArray() as string[]).map((s) =>
      SPECIES.indexOf(s)
    );
    const proba = Float32Array.from(
      scored.select(...SPECIES.map((s) => `proba_${s}`)).rows().flat() as number[],
    );
    const metrics = classificationReport(Int32Array.from(truth), proba, SPECIES);
    const recorded = JSON.parse(await Deno.readTextFile(`${experiments}/${id}/metrics.json`));
    assert.equal(metrics.accuracy, recorded.model.test.accuracy);
    assert.equal(metrics.f1_macro, recorded.model.test.f1_macro);
    assert.ok(Math.abs(metrics.log_loss - recorded.model.test.log_loss) < 1e-6);
  } finally {
    run.model.dispose();
  }
});

Deno.test("deno task predict writes every format, keeps id columns and reports extra columns", async () => {
  const { root, id } = project;
  await Deno.writeTextFile(
    `${root}/new.csv`,
    "id,Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex,comment\n" +
      "a,Biscoe,46.1,13.2,211,4500,FEMALE,x\n" +
      "b,Dream,39.5,18.8,190,3700,MALE,y\n",
  );
  for (const ext of ["csv", "parquet", "json", "ndjson"]) {
    const out = `${root}/out.${ext}`;
    const result = await runCli(
      "predict.ts",
      ["--run", id, "--input", "new.csv", "--output", out],
      root,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /scored 2 of 2 rows/);
    assert.match(result.stdout, /ignored columns: comment/);
  }
  const parquet = pl.readParquet(`${root}/out.parquet`);
  assert.deepEqual(parquet.getColumn("id").toArray(), ["a", "b"]);
  assert.deepEqual(parquet.getColumn("prediction").toArray(), ["Gentoo", "Adelie"]);
  const json = JSON.parse(await Deno.readTextFile(`${root}/out.json`));
  assert.equal(json.length, 2);
  assert.equal(json[0].id, "a");
});

Deno.test("predict --partition K/N: the N parts hold every row of the whole output exactly once", async () => {
  using _logs = captureLogs({ level: "error" });
  const { root, id, experiments } = project;
  const loaded = await loadConfig({ root, snapshot: `${experiments}/${id}/config.yaml` });
  const run = await openRun(id, loaded);
  const input = `${root}/data/raw/penguins.csv`;
  const options = { input, onError: "skip" as const, batchRows: 40, keep: ["id"] };
  try {
    const whole = await predictFile(run, { ...options, output: `${root}/whole.csv` });
    const parts: pl.DataFrame[] = [];
    for (let index = 0; index < 3; index++) {
      const summary = await predictFile(run, {
        ...options,
        output: `${root}/part-${index}.csv`,
        partition: { index, count: 3 },
      });
      parts.push(pl.readCSV(`${root}/part-${index}.csv`));
      // Part K holds batches K, K+3, …: part 0 starts with row 1, part 1 with row 41.
      const first: unknown = parts[index]!.getColumn("id").toArray()[0];
      assert.equal(first, index === 0 ? "p1" : index === 1 ? "p41" : "p81");
      assert.ok(summary.rows_read < whole.rows_read);
    }
    const joined = pl.concat(parts).sort("id");
    const expected = pl.readCSV(`${root}/whole.csv`).sort("id");
    assert.equal(joined.height, whole.rows_scored);
    assert.deepEqual(joined.rows(), expected.rows());
  } finally {
    run.model.dispose();
  }
  for (const [partition, message] of [["3/3", /0 <= K < N/], ["1-3", /write K\/N/]] as const) {
    const refused = await runCli(
      "predict.ts",
      ["--run", id, "--input", "data/raw/penguins.csv", "--partition", partition],
      root,
    );
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, message);
  }
  const both = await runCli(
    "predict.ts",
    ["--input", "x.csv", "--partition", "0/2", "--queue", "redis://127.0.0.1:1"],
    root,
  );
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /--partition and --queue do not go together/);
});

Deno.test("predict fails with a per-row report and writes nothing when rows cannot be scored", async () => {
  const { root, id } = project;
  await Deno.writeTextFile(
    `${root}/bad.csv`,
    "id,Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\n" +
      "a,Biscoe,46.1,13.2,211,4500,FEMALE\n" +
      "b,Dream,forty,18.8,190,3700,MALE\n" +
      "c,Dream,39.5,,190,3700,MALE\n" +
      "d,Atlantis,39.5,18.8,190,inf,MALE\n",
  );
  const result = await runCli("predict.ts", [
    "--run",
    id,
    "--input",
    "bad.csv",
    "--output",
    "o.csv",
  ], root);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /3 row\(s\) cannot be scored, so nothing was written/);
  assert.match(result.stderr, /row 2, Beak Length \(mm\): cannot parse "forty" as a number/);
  assert.match(result.stderr, /row 3, Beak Depth \(mm\): missing value/);
  assert.match(result.stderr, /row 4, Body Mass \(g\): not a finite number: "inf"/);
  assert.match(result.stderr, /--on-error skip/);
  assert.ok(!listDir(root).some((name) => name.startsWith("o.csv") || name.includes(".partial")));

  const skip = await runCli(
    "predict.ts",
    ["--run", id, "--input", "bad.csv", "--output", "o.csv", "--on-error", "skip"],
    root,
  );
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stdout, /scored 1 of 4 rows/);
  assert.match(skip.stdout, /rejected 3 row\(s\) → o\.rejected\.csv/);
  const rejected = pl.readCSV(`${root}/o.rejected.csv`);
  assert.deepEqual(rejected.getColumn("row").toArray(), [2, 3, 4]);
  assert.deepEqual(rejected.getColumn("id").toArray(), ["b", "c", "d"]);
  assert.match(String(rejected.getColumn("reason").toArray()[0]), /cannot parse "forty"/);
  assert.deepEqual(pl.readCSV(`${root}/o.csv`).getColumn("id").toArray(), ["a"]);
});

Deno.test("predict --on-error skip leaves rejected rows out of the counts and the drift check", async () => {
  const { root, id, experiments } = project;
  await Deno.writeTextFile(
    `${root}/mixed.csv`,
    "id,Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\n" +
      "a,Dream,39.5,18.8,190,3700,MALE\n" +
      "b,Atlantis,forty,13.2,211,9500,FEMALE\n" +
      "c,Biscoe,46.1,13.2,211,4500,FEMALE\n",
  );
  using _logs = captureLogs({ level: "error" });
  const loaded = await loadConfig({ root, snapshot: `${experiments}/${id}/config.yaml` });
  const run = await openRun(id, loaded);
  let summary;
  try {
    summary = await predictFile(run, {
      input: `${root}/mixed.csv`,
      output: `${root}/mixed.scored.csv`,
      onError: "skip",
    });
  } finally {
    run.model.dispose();
  }
  assert.equal(summary.rows_scored, 2);
  assert.equal(summary.rows_rejected, 1);
  assert.equal(summary.rejected_file, `${root}/mixed.scored.rejected.csv`);
  // Row b is rejected (its beak length does not parse): its unseen island and its body mass
  // outside training are not counted, and it is not part of the drift sample.
  assert.deepEqual(summary.unseen_categories, {});
  assert.deepEqual(summary.out_of_range, {});
  assert.equal(summary.drift?.current_rows, 2);
});

Deno.test("predict counts unseen categories and out-of-range values but still scores them", async () => {
  const { root, id } = project;
  await Deno.writeTextFile(
    `${root}/odd.csv`,
    "Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\n" +
      "Atlantis,46.1,13.2,211,9500,FEMALE\n" +
      "Dream,39.5,18.8,190,3700,MALE\n",
  );
  const result = await runCli("predict.ts", ["--run", id, "--input", "odd.csv", "--json"], root);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.equal(summary.rows_scored, 2);
  assert.deepEqual(summary.unseen_categories, { Island: 1 });
  assert.deepEqual(summary.out_of_range, { "Body Mass (g)": 1 });
  assert.ok(summary.drift && typeof summary.drift.dataset.drifted === "boolean");
});

Deno.test("predict names missing columns, empty files, unknown runs and an empty production slot", async () => {
  const { root, id } = project;
  await Deno.writeTextFile(`${root}/short.csv`, "Island,Sex\nDream,MALE\n");
  const missing = await runCli("predict.ts", ["--run", id, "--input", "short.csv"], root);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /missing column\(s\) \["Beak Length \(mm\)",.*"Body Mass \(g\)"\]/);
  await Deno.writeTextFile(`${root}/empty.csv`, "");
  const empty = await runCli("predict.ts", ["--run", id, "--input", "empty.csv"], root);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /holds no data rows/);
  const unknown = await runCli("predict.ts", [
    "--run",
    "20990101-000000-x-00000000",
    "--input",
    "short.csv",
  ], root);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /does not exist/);
  const production = await runCli("predict.ts", ["--input", "short.csv"], root);
  assert.equal(production.code, 1);
  assert.match(production.stderr, /holds no promoted run; promote one with `deno task promote`/);
  assert.ok(!listDir(root).some((name) => /^(short|empty)\.predictions/.test(name)));
});

Deno.test("predict refuses a run whose weights file was corrupted, naming the file", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=2"] });
  const result = await runTraining(loaded);
  result.model.dispose();
  const weights = `${result.dir}/model/weights.bin`;
  const bytes = await Deno.readFile(weights);
  bytes[10] = bytes[10]! ^ 0xff;
  await Deno.writeFile(weights, bytes);
  await Deno.writeTextFile(`${root}/in.csv`, "Island,Sex\nDream,MALE\n");
  const cli = await runCli("predict.ts", ["--run", result.id, "--input", "in.csv"], root);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /model\/weights\.bin": sha256 .* does not match/);
  assert.ok(!listDir(root).some((name) => name.includes("predictions")));
});

Deno.test("predict uses the production run by default once a run is promoted", async () => {
  const { root, id } = project;
  const promote = await runCli("promote.ts", ["--run", id], root);
  assert.equal(promote.code, 0, promote.stdout + promote.stderr);
  await Deno.writeTextFile(
    `${root}/one.csv`,
    "Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\n" +
      "Dream,39.5,18.8,190,3700,MALE\n",
  );
  const result = await runCli("predict.ts", ["--input", "one.csv", "--json"], root);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).run_id, id);
  assert.deepEqual(
    pl.readCSV(`${root}/data/processed/one.predictions.csv`).getColumn("prediction").toArray(),
    [
      "Adelie",
    ],
  );
});

Deno.test("predict scores with the production model of the config's project", async () => {
  const { root, id } = project;
  const promote = await runCli("promote.ts", ["--run", id], root);
  assert.ok(promote.code === 0 || /already in production/.test(promote.stderr), promote.stderr);
  await Deno.writeTextFile(
    `${root}/two.csv`,
    "Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\n" +
      "Biscoe,46.1,13.2,211,4500,FEMALE\n",
  );
  const other = ["--set", "project.name=other"];
  const empty = await runCli("predict.ts", [...other, "--input", "two.csv"], root);
  assert.equal(empty.code, 1);
  assert.match(
    empty.stderr,
    /Cannot use the production model of project "other": ".*models\/production\/other" holds no promoted run/,
  );

  let otherId: string;
  {
    using _logs = captureLogs({ level: "error" });
    const loaded = await loadConfig({
      root,
      overrides: ["project.name=other", "training.epochs=3", "data.id_columns=[id]"],
    });
    const result = await runTraining(loaded);
    result.model.dispose();
    otherId = result.id;
  }
  const promoted = await runCli("promote.ts", [...other, "--run", otherId], root);
  assert.equal(promoted.code, 0, promoted.stderr);
  const scored = await runCli("predict.ts", [...other, "--input", "two.csv", "--json"], root);
  assert.equal(scored.code, 0, scored.stderr);
  assert.equal(JSON.parse(scored.stdout).run_id, otherId);
  const byDefault = await runCli("predict.ts", ["--input", "two.csv", "--json"], root);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.equal(JSON.parse(byDefault.stdout).run_id, id);
});
