import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import { decodeRowRanges, loadDataset } from "../../src/data/mod.ts";
import { readRunFolder, RUN_ARTIFACTS, writeRunRecord } from "../../src/models/mod.ts";
import { evaluateRun, prepareData, runTraining } from "../../src/pipelines/mod.ts";
import { csvRowLines } from "../../src/pipelines/split_export.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject, runCli } from "../_helpers/project.ts";

Deno.test("split.json records each split's input rows and deno task split writes them as CSV files", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const result = await runTraining(loaded);
  result.model.dispose();
  const dir = result.dir!;
  const split = await RUN_ARTIFACTS.split.read(dir);

  // The recorded rows: every split's size, disjoint, within the 344 rows of penguins.csv, and the
  // 11 rows cleaning dropped (no sex, or no measurements) are in none of them.
  assert.deepEqual(split.rows, { train: 233, val: 50, test: 50 });
  assert.deepEqual(split.data, {
    path: "data/raw/penguins.csv",
    sha256: "78cf4a881120919808bc9a93fb87f1c50e5a74f96115b5adf62d0b80cb81bef1",
    rows: 344,
  });
  const rows = {
    train: decodeRowRanges(split.train),
    val: decodeRowRanges(split.val),
    test: decodeRowRanges(split.test),
  };
  assert.deepEqual(
    [rows.train.length, rows.val.length, rows.test.length],
    [233, 50, 50],
  );
  const all = new Set([...rows.train, ...rows.val, ...rows.test]);
  assert.equal(all.size, 333, "no input row is in two splits");
  assert.ok([...all].every((row) => row < 344));
  // Run-length encoding keeps the training rows compact: fewer pairs than rows.
  assert.ok(split.train.length < 233 / 2, `${split.train.length} runs for 233 rows`);
  // The file is listed in run.json's checksums like every other artifact.
  const { record } = await readRunFolder(loaded.config.registry.experiments_dir, result.id);
  assert.ok(Object.hasOwn(record.artifacts, "split.json"));

  // The recorded test rows, as loaded, are the rebuilt test split's rows in its order (penguins'
  // cleaning only drops rows, so the values are the same too).
  const raw = loadDataset(`${root}/data/raw/penguins.csv`, loaded.config.data);
  const data = await prepareData(loaded.config);
  const text = (df: typeof raw) => df.rows().map((row) => JSON.stringify(row));
  assert.deepEqual(text(raw.select(pl.all().gather(Array.from(rows.test)))), text(data.test));

  const cli = await runCli("split.ts", ["--run", result.id], root);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /train\s+233\s+data\/processed\/splits\/.+\/train\.csv/);
  assert.match(cli.stdout, /val\s+50\s/);
  assert.match(cli.stdout, /test\s+50\s/);
  assert.match(
    cli.stdout,
    /333 of 344 input rows \(the rest were dropped by cleaning\), each the input file's own line/,
  );
  const out = `${root}/data/processed/splits/${result.id}`;
  // Each file is the header and the recorded rows' own lines of penguins.csv, in order.
  const input = (await Deno.readTextFile(`${root}/data/raw/penguins.csv`)).trimEnd().split("\n");
  for (const [name, count] of [["train", 233], ["val", 50], ["test", 50]] as const) {
    const lines = (await Deno.readTextFile(`${out}/${name}.csv`)).trimEnd().split("\n");
    assert.equal(lines.length, count + 1, `${name}.csv: header + ${count}`);
    assert.deepEqual(lines, [input[0], ...[...rows[name]].map((row) => input[row + 1])]);
  }

  // Scoring the written test file gives the run's own test metrics.
  const scored = await evaluateRun(result.id, loaded, { input: `${out}/test.csv` });
  assert.equal(scored.rows, 50);
  assert.deepEqual(
    JSON.parse(JSON.stringify(scored.metrics)),
    JSON.parse(JSON.stringify(result.metrics.test)),
  );

  const again = await runCli("split.ts", ["--run", result.id], root);
  assert.equal(again.code, 1);
  assert.match(
    again.stderr,
    /already holds train.csv, val.csv, test.csv; pass --force to replace them/,
  );
  const forced = await runCli(
    "split.ts",
    ["--run", result.id, "--force", "--out", "elsewhere"],
    root,
  );
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(
    await Deno.readTextFile(`${root}/elsewhere/test.csv`),
    await Deno.readTextFile(`${out}/test.csv`),
  );

  // A run recorded before split.json existed gets a message that says so, not a checksum error.
  await Deno.remove(`${dir}/split.json`);
  const { "split.json": _, ...artifacts } = record.artifacts;
  const { self_sha256: _seal, ...unsealed } = record as typeof record & { self_sha256?: string };
  await writeRunRecord(dir, { ...unsealed, artifacts });
  const old = await runCli("split.ts", ["--run", result.id, "--force"], root);
  assert.equal(old.code, 1);
  assert.match(old.stderr, /has no split\.json, so its rows are not on record/);
  assert.match(old.stderr, /retrain it/);
});

Deno.test("deno task split writes the rows of a non-CSV input from the loaded data, and they score as the run's test split", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const csv = loadDataset(
    `${root}/data/raw/penguins.csv`,
    (await loadConfig({ root })).config.data,
  );
  csv.writeParquet(`${root}/data/raw/penguins.parquet`);
  const loaded = await loadConfig({ root, overrides: ["data.path=data/raw/penguins.parquet"] });
  const result = await runTraining(loaded);
  result.model.dispose();
  const cli = await runCli("split.ts", ["--run", result.id], root);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(
    cli.stdout,
    /333 of 344 input rows .*written from the loaded data as comma-separated CSV/,
  );
  const out = `${root}/data/processed/splits/${result.id}`;
  const test = pl.readCSV(`${out}/test.csv`);
  assert.equal(test.height, 50);
  assert.deepEqual(test.columns, csv.columns);
  const scored = await evaluateRun(result.id, loaded, { input: `${out}/test.csv` });
  assert.deepEqual(
    JSON.parse(JSON.stringify(scored.metrics)),
    JSON.parse(JSON.stringify(result.metrics.test)),
  );
});

Deno.test("csvRowLines() gives a CSV's header and row lines as bytes, or null when a row spans lines", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const decode = (lines: Uint8Array[]) => lines.map((line) => new TextDecoder().decode(line));
  const lines = csvRowLines(encode("a;b\r\n1;x\r\n2;y"), 2);
  assert.ok(lines !== null);
  assert.deepEqual(decode([lines.header, ...lines.rows]), ["a;b\r", "1;x\r", "2;y"]);
  assert.equal(csvRowLines(encode('a,b\n1,"two\nlines"\n'), 1), null);
  assert.equal(csvRowLines(encode(""), 0), null);
});

Deno.test("deno task split without --run says how to give one", async () => {
  const root = await makeTempProject();
  const cli = await runCli("split.ts", [], root);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /give a run id with --run/);
});
