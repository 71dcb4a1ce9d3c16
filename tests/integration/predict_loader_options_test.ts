/**
 * Prediction reads input as training did: a profile's loader options (`data.separator`, `quote`,
 * `null_markers`, `date_formats`) apply to `deno task predict` on the raw file and to requests
 * sent to the service, from `init` through `train` with no hand edit of the profile.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import { promoteRun } from "../../src/models/mod.ts";
import { openRun } from "../../src/pipelines/mod.ts";
import { createApp, ModelHolder, ServeMetrics } from "../../src/serve/mod.ts";
import { listDir, makeTempProject, REPO_ROOT, runCli } from "../_helpers/project.ts";

const VEGA = join(REPO_ROOT, "node_modules/vega-datasets/data");

/** A user's project: the shipped project-wide config files, no profile, and `files`. */
async function project(files: Record<string, string> = {}): Promise<string> {
  const root = await makeTempProject(files);
  for (const name of listDir(join(root, "config/profiles"))) {
    await Deno.remove(join(root, "config/profiles", name));
  }
  return root;
}

async function ok(file: string, args: string[], root: string): Promise<string> {
  const run = await runCli(file, args, root);
  assert.equal(run.code, 0, `${file} ${args.join(" ")}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** The id of the only run in the project. */
function onlyRun(root: string): string {
  const runs = listDir(join(root, "models/experiments")).filter((name) => !name.startsWith("."));
  assert.equal(runs.length, 1, String(runs));
  return runs[0]!;
}

Deno.test("predict reads a semicolon file with a custom quote and null markers as training did", async () => {
  const lines = ["size;weight;colour;note;label"];
  for (let i = 0; i < 90; i++) {
    const size = (((i * 37) % 101) / 10).toFixed(2);
    const weight = i % 13 === 0 ? "?" : (((i * 53) % 97) / 9).toFixed(2);
    const colour = ["red", "blue", "NA", "green"][i % 4];
    // The quote is "'", and a quoted note holds the separator.
    const note = i % 5 === 0 ? `'a; b'` : `n${i % 3}`;
    lines.push(`${size};${weight};${colour};${note};${Number(size) > 5 ? "big" : "small"}`);
  }
  const root = await project({ "data/raw/items.csv": lines.join("\n") + "\n" });
  await ok("init.ts", ["--data", "data/raw/items.csv", "--target", "label"], root);
  const profile = await Deno.readTextFile(join(root, "config/profiles/items.yaml"));
  assert.match(profile, /\n {2}separator: ";"/);
  assert.match(profile, /\n {2}quote: "'"/);
  assert.match(profile, /\n {2}null_markers: \[ NA, "\?" \]/);
  await ok("train.ts", ["--config", "items", "--set", "training.epochs=3"], root);
  const id = onlyRun(root);
  await ok("predict.ts", [
    "--config",
    "items",
    "--run",
    id,
    "--input",
    "data/raw/items.csv",
    "--output",
    "out/items.parquet",
  ], root);
  // One prediction per row, none rejected.
  const scored = pl.readParquet(join(root, "out/items.parquet"));
  assert.equal(scored.height, 90);
  assert.ok(scored.columns.includes("prediction"), String(scored.columns));
  // drift reads the file the same way.
  await ok("drift.ts", ["--config", "items", "--run", id, "--input", "data/raw/items.csv"], root);

  // The service reads the markers as null too: row 27 ("?" weight, "NA" colour) scores as in
  // the batch.
  const loaded = await loadConfig({ root, profile: "items" });
  const { registry } = loaded.config;
  await promoteRun(registry, "items", { runId: id, force: true, reason: "test" });
  const holder = new ModelHolder({ ...registry, project: "items" }, root);
  await holder.refresh();
  const app = createApp(holder, { metrics: new ServeMetrics() });
  try {
    const [size, weight, colour, note] = lines[27]!.split(";");
    assert.deepEqual([weight, colour], ["?", "NA"]);
    const row = { size, weight, colour, note: note!.replaceAll("'", "") };
    const answer = await app.fetch(
      new Request("http://localhost/v1/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows: [row] }),
      }),
    );
    const body = await answer.json();
    assert.equal(answer.status, 200, JSON.stringify(body));
    assert.equal(body.predictions[0].prediction, scored.getColumn("prediction").toArray()[26]);
    assert.deepEqual(
      body.predictions[0].probabilities,
      Object.fromEntries(
        ["big", "small"].map((c) => [c, scored.getColumn(`proba_${c}`).toArray()[26]]),
      ),
    );
  } finally {
    await holder.close();
  }
});

Deno.test("predict and the service read movies' non-ISO release date with the profile's date format", async () => {
  const root = await project();
  await Deno.copyFile(join(VEGA, "movies.json"), join(root, "data/raw/movies.json"));
  await ok("init.ts", ["--data", "data/raw/movies.json", "--target", "IMDB Rating"], root);
  const profile = await Deno.readTextFile(join(root, "config/profiles/movies.yaml"));
  assert.match(profile, /"Release Date": "%b %d %Y"/);
  await ok("train.ts", ["--config", "movies", "--set", "training.epochs=3"], root);
  const id = onlyRun(root);
  // Parquet keeps the predictions' exact values.
  await ok("predict.ts", [
    "--config",
    "movies",
    "--run",
    id,
    "--input",
    "data/raw/movies.json",
    "--output",
    "out/movies.parquet",
  ], root);
  const rows = JSON.parse(await Deno.readTextFile(join(root, "data/raw/movies.json"))) as Record<
    string,
    unknown
  >[];
  const scored = pl.readParquet(join(root, "out/movies.parquet"));
  // Every row scored: none is refused for its release date.
  assert.equal(scored.height, rows.length);

  // The service scores a row written as in the file exactly as the batch did.
  const loaded = await loadConfig({ root, profile: "movies" });
  const run = await openRun(id, loaded);
  const inputs = run.signature.columns.map((c) => c.name);
  run.model.dispose();
  assert.ok(inputs.includes("Release Date"), String(inputs));
  const index = rows.findIndex((row) => row["Release Date"] === "Jun 12 1998");
  assert.ok(index >= 0, "movies.json has a row released on Jun 12 1998");
  const row = Object.fromEntries(inputs.map((name) => [name, rows[index]![name] ?? null]));
  const batch = scored.getColumn("prediction").toArray()[index];

  const { registry } = loaded.config;
  const holder = new ModelHolder({ ...registry, project: "movies" }, root);
  await promoteRun(registry, "movies", { runId: id, force: true, reason: "test" });
  await holder.refresh();
  const app = createApp(holder, { metrics: new ServeMetrics() });
  try {
    const answer = await app.fetch(
      new Request("http://localhost/v1/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows: [row] }),
      }),
    );
    const body = await answer.json();
    assert.equal(answer.status, 200, JSON.stringify(body));
    assert.equal(body.predictions[0].prediction, batch);
    // The row engine answered it: it reads the date format too.
    const card = await (await app.fetch(new Request("http://localhost/v1/model"))).json();
    assert.equal(card.scoring.engine, "rows", JSON.stringify(card.scoring));
  } finally {
    await holder.close();
  }
});
