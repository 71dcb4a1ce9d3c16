import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { evaluateRun, prepareData, reproduceRun, runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { listDir, makeTempProject, runCli } from "../_helpers/project.ts";

const RUN_FILES = [
  "cleaning.json",
  "config.yaml",
  "features.json",
  "history.json",
  "metrics.json",
  "model",
  "profile.json",
  "report.html",
  "reports.json",
  "run.json",
  "schema.json",
  "split.json",
];

Deno.test("the default penguins run meets the quality bar, records a run and reproduces", async () => {
  using _logs = captureLogs({ level: "warning" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const result = await runTraining(loaded);
  try {
    assert.ok(result.dir);
    assert.deepEqual(listDir(result.dir), RUN_FILES);
    const test = result.metrics.test as { accuracy: number; f1_macro: number };
    const baseline = result.baseline.test as { accuracy: number; f1_macro: number };
    assert.ok(test.accuracy >= 0.97, `test accuracy ${test.accuracy} < 0.97`);
    assert.ok(test.f1_macro >= 0.95, `test macro-F1 ${test.f1_macro} < 0.95`);
    assert.ok(test.f1_macro - baseline.f1_macro > 0.5, "the MLP must beat the baseline widely");
    assert.deepEqual(result.record.rows, { raw: 344, clean: 333, train: 233, val: 50, test: 50 });
    assert.equal(result.record.data[0]?.path, "data/raw/penguins.csv");
    assert.equal(
      result.record.data[0]?.sha256,
      "78cf4a881120919808bc9a93fb87f1c50e5a74f96115b5adf62d0b80cb81bef1",
    );
    assert.equal(result.record.config_hash, loaded.hash);

    const reproduced = await reproduceRun(loaded.config.registry.experiments_dir, result.id, root);
    assert.deepEqual(reproduced.differences, []);
    assert.equal(reproduced.identical, true);

    const evaluated = await evaluateRun(result.id, loaded);
    assert.equal(evaluated.rows, 50);
    assert.deepEqual(
      JSON.parse(JSON.stringify(evaluated.metrics)),
      JSON.parse(JSON.stringify(result.metrics.test)),
    );
  } finally {
    result.model.dispose();
  }
});

Deno.test("reproduceRun() reports changed data and changed weights", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=3"] });
  const result = await runTraining(loaded);
  result.model.dispose();
  const experiments = loaded.config.registry.experiments_dir;

  const csv = await Deno.readTextFile(`${root}/data/raw/penguins.csv`);
  await Deno.writeTextFile(`${root}/data/raw/penguins.csv`, csv.replace("39.1", "39.2"));
  const changedData = await reproduceRun(experiments, result.id, root);
  assert.equal(changedData.identical, false);
  assert.match(changedData.differences[0]!, /^data data\/raw\/penguins\.csv: sha256 .* differs/);
  await Deno.writeTextFile(`${root}/data/raw/penguins.csv`, csv);

  // A different seed in the recorded config snapshot changes every weight; the record's
  // checksums are updated too, so only the comparison can catch it.
  const snapshot = `${result.dir}/config.yaml`;
  const text = await Deno.readTextFile(snapshot);
  await Deno.writeTextFile(snapshot, text.replace(/(training:[\s\S]*?seed: )42/, "$17"));
  const record = JSON.parse(await Deno.readTextFile(`${result.dir}/run.json`));
  const { sha256Hex } = await import("../../src/utils/mod.ts");
  const { writeRunRecord } = await import("../../src/models/mod.ts");
  record.artifacts["config.yaml"] = await sha256Hex(await Deno.readFile(snapshot));
  await writeRunRecord(result.dir!, record); // re-sealed, or run.json's self checksum fails
  const changed = await reproduceRun(experiments, result.id, root);
  assert.equal(changed.identical, false);
  assert.ok(changed.differences.some((d) => d.startsWith("config hash:")));
  assert.ok(
    changed.differences.some((d) =>
      /^model\/weights\.bin: \d+ of \d+ float32 values differ/.test(d)
    ),
  );
});

Deno.test("deno task train on 2 threads prints the metrics table and the run id; reproduce says identical", async () => {
  const root = await makeTempProject();
  // Two threads: the task's permissions must let it start its training worker, and the
  // reproduction (same config, so also 2 threads) must match to the byte.
  const train = await runCli(
    "train.ts",
    ["--set", "training.epochs=5", "--set", "training.threads=2"],
    root,
  );
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /metric\s+val\s+test\s+baseline val\s+baseline test/);
  assert.match(train.stdout, /f1_macro \*\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+/);
  const id = train.stdout.match(/^run: (\S+)$/m)?.[1];
  assert.ok(id, train.stdout);
  const reproduce = await runCli("reproduce.ts", [id], root);
  assert.equal(reproduce.code, 0, reproduce.stdout + reproduce.stderr);
  assert.match(reproduce.stdout, /^reproduced: identical$/m);
  const evaluate = await runCli("evaluate.ts", ["--run", id], root);
  assert.equal(evaluate.code, 0, evaluate.stderr);
  assert.match(evaluate.stdout, /on test split: 50 rows/);
});

async function assertTrainFails(
  files: Record<string, string>,
  args: string[],
  message: RegExp,
): Promise<void> {
  const root = await makeTempProject(files);
  const result = await runCli("train.ts", args, root);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace for known errors");
  assert.deepEqual(listDir(`${root}/models/experiments`), [], "no run folder may appear");
}

Deno.test("train refuses a missing target column and writes no run", async () => {
  await assertTrainFails({}, ["--set", "data.target=Speces"], /target column "Speces".*missing/);
});

Deno.test("train refuses a constant target", async () => {
  const csv = await Deno.readTextFile("data/raw/penguins.csv");
  const constant = csv.replace(/^(Adelie|Chinstrap|Gentoo),/gm, "Adelie,");
  await assertTrainFails(
    { "data/raw/penguins.csv": constant },
    ["--set", "validation.columns.Species.allowed=[Adelie]"],
    /target "Species" is constant/,
  );
});

Deno.test("train refuses a split that leaves a class absent from train", async () => {
  const csv = await Deno.readTextFile("data/raw/penguins.csv");
  const lines = csv.trimEnd().split("\n");
  // One Chinstrap row only: a random split cannot put it in train and also in val/test.
  let kept = 0;
  const one = lines.filter((l) => !l.startsWith("Chinstrap,") || kept++ === 0).join("\n") + "\n";
  await assertTrainFails(
    { "data/raw/penguins.csv": one },
    ["--set", "split.method=stratified"],
    /Chinstrap/,
  );
});

Deno.test("train refuses a feature that is all null", async () => {
  const csv = await Deno.readTextFile("data/raw/penguins.csv");
  const header = csv.split("\n")[0] + ",Empty\n";
  const rows = csv.split("\n").slice(1).filter((l) => l).map((l) => l + ",").join("\n") + "\n";
  await assertTrainFails(
    { "data/raw/penguins.csv": header + rows },
    ["--set", 'features.steps[0].columns=["Beak Length (mm)","Empty"]'],
    /Empty/,
  );
});

Deno.test("train refuses model configs that cannot work, naming the key", async () => {
  await assertTrainFails(
    {},
    ["--set", "model.params.hidden_units=[0]"],
    /model\.params\.hidden_units\[0\]/,
  );
  await assertTrainFails(
    {},
    ["--set", "model.params.activation=relux"],
    /model\.params\.activation/,
  );
});

Deno.test("evaluate and reproduce name a run id that does not exist", async () => {
  const root = await makeTempProject();
  const evaluate = await runCli("evaluate.ts", ["--run", "20260101-000000-nope-00000000"], root);
  assert.equal(evaluate.code, 1);
  assert.match(
    evaluate.stderr,
    /does not exist \(no runs exist yet; train one with `deno task train`\)/,
  );
  const reproduce = await runCli("reproduce.ts", ["../etc"], root);
  assert.equal(reproduce.code, 1);
  assert.match(reproduce.stderr, /a run id holds only letters/);
});

Deno.test("the recorded feature state holds train-only statistics, never val or test", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=1"] });
  const result = await runTraining(loaded);
  result.model.dispose();
  assert.ok(result.dir);
  const saved = JSON.parse(await Deno.readTextFile(`${result.dir}/features.json`));
  const scaler = saved.pipeline.steps[0].transformers[0];
  assert.equal(scaler.kind, "StandardScaler");
  const columns: string[] = scaler.state.columns;
  const { train, val, test } = await prepareData(loaded.config);
  columns.forEach((column, i) => {
    const trainMean = train.getColumn(column).mean();
    const allMean = (train.getColumn(column).sum() + val.getColumn(column).sum() +
      test.getColumn(column).sum()) / (train.height + val.height + test.height);
    assert.equal(scaler.state.n_samples[i], train.height);
    assert.ok(Math.abs(scaler.state.mean[i] - trainMean) < 1e-9, `${column}: not the train mean`);
    assert.ok(
      Math.abs(scaler.state.mean[i] - allMean) > 1e-6,
      `${column}: equals the all-rows mean`,
    );
  });
  const encoder = saved.pipeline.steps[1].transformers[0];
  const trainIslands = [...new Set(train.getColumn("Island").toArray())].sort();
  assert.deepEqual(encoder.state.categories[0], trainIslands);
});
