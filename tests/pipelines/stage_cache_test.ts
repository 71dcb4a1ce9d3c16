import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import {
  CACHE_ENTRY_FILE,
  cacheKeysInUse,
  listCacheEntries,
  pipelineStatus,
  prepareData,
  pruneCache,
  runTraining,
  STAGE_CACHE_DIR,
} from "../../src/pipelines/mod.ts";
import type { TrainingResult } from "../../src/pipelines/mod.ts";
import { promoteRun } from "../../src/models/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

const DATA_NODES = ["load", "validate", "clean", "split", "clean_splits", "derive"];
const FEATURE_NODES = ["fit_features", "describe"];

function statuses(result: TrainingResult): Record<string, string> {
  return Object.fromEntries(result.lineage.nodes.map((n) => [n.node, n.status]));
}

async function train(root: string, overrides: string[] = [], cache = true) {
  const loaded = await loadConfig({ root, overrides: ["training.epochs=3", ...overrides] });
  const result = await runTraining(loaded, { cache });
  result.model.dispose();
  return result;
}

async function entryOf(root: string, node: string) {
  const entries = await listCacheEntries(`${root}/${STAGE_CACHE_DIR}`);
  const entry = entries.find((e) => e.node === node);
  assert.ok(entry, `no cache entry of ${node}`);
  const manifest = JSON.parse(await Deno.readTextFile(`${entry.dir}/${CACHE_ENTRY_FILE}`));
  return { ...entry, files: Object.keys(manifest.files) as string[] };
}

Deno.test("a second training run takes every data and feature stage from the cache and gets the same metrics", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const cold = await train(root);
  assert.ok(
    Object.values(statuses(cold)).every((s) => s === "ran"),
    JSON.stringify(statuses(cold)),
  );
  const warm = await train(root);
  const status = statuses(warm);
  for (const node of [...DATA_NODES, ...FEATURE_NODES]) assert.equal(status[node], "cached", node);
  for (const node of ["train", "evaluate", "record"]) assert.equal(status[node], "ran", node);
  assert.deepEqual(warm.metrics, cold.metrics);
  assert.deepEqual(warm.record.primary, cold.record.primary);
  assert.equal(warm.record.test_fingerprint, cold.record.test_fingerprint);
  // The lineage is recorded in run.json, with the same keys for the same inputs.
  const saved = JSON.parse(await Deno.readTextFile(`${warm.dir}/run.json`));
  assert.deepEqual(
    saved.lineage.map((n: { key: string }) => n.key),
    cold.lineage.nodes.map((n) => n.key),
  );
  assert.equal(saved.lineage.find((n: { node: string }) => n.node === "split").status, "cached");
  await Deno.remove(root, { recursive: true });
});

Deno.test("changing a training hyperparameter re-runs only training and evaluation", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const first = await train(root);
  const changed = await train(root, ["training.learning_rate=0.02"]);
  const status = statuses(changed);
  for (const node of [...DATA_NODES, ...FEATURE_NODES]) assert.equal(status[node], "cached", node);
  for (const node of ["train", "evaluate", "record"]) assert.equal(status[node], "ran", node);
  const key = (r: TrainingResult, node: string) =>
    r.lineage.nodes.find((n) => n.node === node)?.key;
  assert.equal(key(changed, "fit_features"), key(first, "fit_features"));
  assert.notEqual(key(changed, "train"), key(first, "train"));
  await Deno.remove(root, { recursive: true });
});

Deno.test("changing a cleaning rule re-runs from cleaning on and keeps load and validate", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  await train(root);
  const changed = await train(root, ["cleaning.drop_duplicates=false"]);
  const status = statuses(changed);
  assert.equal(status["load"], "cached");
  assert.equal(status["validate"], "cached");
  for (const node of ["clean", "split", "clean_splits", "derive", "fit_features", "describe"]) {
    assert.equal(status[node], "ran", node);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("training with cache off runs every stage and writes no cache", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const result = await train(root, [], false);
  assert.ok(Object.values(statuses(result)).every((s) => s === "ran"));
  assert.deepEqual(await listCacheEntries(`${root}/${STAGE_CACHE_DIR}`), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an altered cache file is reported, discarded and recomputed to the same result", async () => {
  const root = await makeTempProject();
  let cold: TrainingResult;
  {
    using _logs = captureLogs({ level: "fatal" });
    cold = await train(root);
  }
  const split = await entryOf(root, "split");
  const file = `${split.dir}/${split.files.find((f) => f.endsWith(".parquet"))}`;
  const bytes = await Deno.readFile(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  await Deno.writeFile(file, bytes);
  // Nothing after split is cached any more, so split's output is needed: it must not be used.
  for (const node of ["clean_splits", "derive", "fit_features", "describe"]) {
    await Deno.remove((await entryOf(root, node)).dir, { recursive: true });
  }
  using logs = captureLogs({ level: "warning" });
  const warm = await train(root);
  const status = statuses(warm);
  assert.equal(status["split"], "ran");
  assert.equal(status["clean"], "cached");
  assert.ok(
    logs.messages().some((m) => /Discarding stage cache entry .*sha256 .*altered/.test(m)),
    logs.messages().join("\n"),
  );
  assert.deepEqual(warm.metrics, cold.metrics);
  assert.equal(warm.record.test_fingerprint, cold.record.test_fingerprint);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a truncated Parquet file in the cache is found, never read, and the stage runs again", async () => {
  const root = await makeTempProject();
  {
    using _logs = captureLogs({ level: "fatal" });
    await train(root);
  }
  const derive = await entryOf(root, "derive");
  const file = `${derive.dir}/${derive.files.find((f) => f.endsWith(".parquet"))}`;
  const bytes = await Deno.readFile(file);
  await Deno.writeFile(file, bytes.slice(0, bytes.length - 100));
  for (const node of ["fit_features", "describe"]) {
    await Deno.remove((await entryOf(root, node)).dir, { recursive: true });
  }
  using logs = captureLogs({ level: "warning" });
  const warm = await train(root);
  assert.equal(statuses(warm)["derive"], "ran");
  assert.ok(
    logs.messages().some((m) => /truncated or altered/.test(m)),
    logs.messages().join("\n"),
  );
  // The recomputed entry replaced the damaged one and verifies.
  const again = await entryOf(root, "derive");
  assert.equal(
    (await Deno.readFile(`${again.dir}/${again.files.find((f) => f.endsWith(".parquet"))}`)).length,
    bytes.length,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("a cache folder that cannot be written is reported once and training still records its run", async () => {
  const root = await makeTempProject();
  // A file where the cache folder should be: no folder can be made there, even as root.
  await Deno.mkdir(`${root}/data/processed`, { recursive: true });
  await Deno.writeTextFile(`${root}/${STAGE_CACHE_DIR}`, "not a folder\n");
  using logs = captureLogs({ level: "warning" });
  const result = await train(root);
  assert.ok(result.dir);
  assert.ok(Object.values(statuses(result)).every((s) => s === "ran"));
  const warnings = logs.messages().filter((m) => /stage cache/.test(m));
  assert.equal(warnings.length, 1, logs.messages().join("\n"));
  assert.match(warnings[0] ?? "", /Cannot use the stage cache under .*data\/processed\/cache/);
  assert.match(warnings[0] ?? "", /check that the folder is writable, or run with --no-cache/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("prepareData with a cache folder gives the same frames as without one", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const { config } = await loadConfig({ root });
  const cacheDir = `${root}/${STAGE_CACHE_DIR}`;
  const plain = await prepareData(config);
  const cold = await prepareData(config, undefined, { cacheDir });
  const warm = await prepareData(config, undefined, { cacheDir });
  for (const split of ["train", "val", "test"] as const) {
    assert.ok(cold[split].frameEqual(plain[split], true), split);
    assert.ok(warm[split].frameEqual(plain[split], true), split);
  }
  assert.ok(warm.raw.frameEqual(plain.raw, true));
  assert.deepEqual(warm.cleaningState, plain.cleaningState);
  assert.deepEqual(warm.input, plain.input);
  await Deno.remove(root, { recursive: true });
});

Deno.test("pipelineStatus says which stages are cached and which would run, like dvc status", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const before = await pipelineStatus(loaded);
  assert.deepEqual(
    before.nodes.map((n) => [n.name, n.status]),
    [
      ...[...DATA_NODES, ...FEATURE_NODES].map((n) => [n, "would run"]),
      ["train", "always runs"],
      ["evaluate", "always runs"],
      ["record", "always runs"],
    ],
  );
  await train(root);
  const changed = await loadConfig({ root, overrides: ["split.seed=7", "training.epochs=3"] });
  const after = await pipelineStatus(changed);
  const status = Object.fromEntries(after.nodes.map((n) => [n.name, n.status]));
  assert.equal(status["load"], "cached");
  assert.equal(status["clean"], "cached");
  assert.equal(status["split"], "would run");
  assert.equal(status["fit_features"], "would run");
  assert.deepEqual(after.nodes.find((n) => n.name === "split")?.config, [
    "data.target",
    "split",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("pruning keeps the entries runs and the current config use and removes the others", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  await train(root);
  // An entry no run used: a split with another seed, through prepareData.
  const other = await loadConfig({ root, overrides: ["split.seed=7"] });
  await prepareData(other.config, undefined, { cacheDir: `${root}/${STAGE_CACHE_DIR}` });
  const loaded = await loadConfig({ root, overrides: ["training.epochs=3"] });
  const usage = await cacheKeysInUse(loaded);
  const all = await listCacheEntries(`${root}/${STAGE_CACHE_DIR}`);
  const unused = all.filter((e) => !usage.keys.has(e.key));
  assert.deepEqual(unused.map((e) => e.node).sort(), ["clean_splits", "derive", "split"]);
  const { removed, kept } = await pruneCache(`${root}/${STAGE_CACHE_DIR}`, { keep: usage.keys });
  assert.deepEqual(removed.map((e) => e.key).sort(), unused.map((e) => e.key).sort());
  assert.equal(kept.length, all.length - unused.length);
  // A size budget keeps unused entries while they fit.
  await prepareData(other.config, undefined, { cacheDir: `${root}/${STAGE_CACHE_DIR}` });
  const budget = await pruneCache(`${root}/${STAGE_CACHE_DIR}`, {
    keep: usage.keys,
    maxBytes: 1e9,
  });
  assert.equal(budget.removed.length, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("cacheKeysInUse() counts the runs in every project's production, also once experiments are cleaned", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const penguins = await train(root);
  const other = await train(root, ["project.name=other", "split.seed=7"]);
  const loaded = await loadConfig({ root });
  await promoteRun(loaded.config.registry, "penguins", { runId: penguins.id });
  await promoteRun(loaded.config.registry, "other", { runId: other.id });
  await Deno.remove(loaded.config.registry.experiments_dir, { recursive: true });
  const usage = await cacheKeysInUse(loaded);
  const users = new Set([...usage.runs.values()].flat());
  assert.deepEqual([...users].sort(), [other.id, penguins.id].sort());
  await Deno.remove(root, { recursive: true });
});
