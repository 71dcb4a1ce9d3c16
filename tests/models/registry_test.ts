import assert from "node:assert/strict";
import type { RegistryConfig } from "../../src/config/mod.ts";
import {
  assertRunId,
  checkPromotionGate,
  compareRuns,
  createRunId,
  flattenConfig,
  listProductionProjects,
  listRunIds,
  listRuns,
  profileName,
  projectProductionDir,
  promoteRun,
  readProduction,
  readProductionPointer,
  readPromotionLog,
  readRunFolder,
  resolveProductionDir,
  rollbackProduction,
  selectBestRun,
  withRegistryLock,
  writeRunFolder,
} from "../../src/models/mod.ts";
import type {
  GateRun,
  PromotionRefusedError,
  RegistryLockedError,
  RunRecord,
} from "../../src/models/mod.ts";
import { withCapturedLogs } from "../_helpers/logs.ts";
import { listDir } from "../_helpers/project.ts";

function record(id: string): Omit<RunRecord, "artifacts"> {
  return {
    format_version: 1,
    id,
    created: "2026-11-27T07:45:12.000Z",
    project: "penguins",
    profile: null,
    task: "classification",
    family: "mlp",
    git: { commit: null, dirty: null },
    versions: {},
    seeds: { split: 42, training: 42 },
    config_hash: "ab".repeat(32),
    data: [],
    test_fingerprint: "cd".repeat(32),
    rows: { raw: 10, clean: 10, train: 6, val: 2, test: 2 },
    primary: { metric: "f1_macro", val: 0.9, test: 0.8 },
    stages: {},
  };
}

Deno.test("createRunId() joins the UTC time, the project and the hash prefix", () => {
  assert.equal(
    createRunId(new Date("2026-11-27T07:45:12Z"), "Palmer Penguins!", "1a2b3c4d99"),
    "20261127-074512-palmer-penguins-1a2b3c4d",
  );
});

Deno.test("assertRunId() refuses ids that could escape the experiments folder", () => {
  for (const bad of ["../x", "a/b", "/etc", ".hidden", "", "a\\b", "x..y"]) {
    assert.throws(() => assertRunId(bad), {
      name: "ArtifactError",
      message: /a run id holds only/,
    });
  }
  assert.equal(
    assertRunId("20261127-074512-penguins-1a2b3c4d"),
    "20261127-074512-penguins-1a2b3c4d",
  );
});

Deno.test("writeRunFolder() records artifact checksums and renames into place", async () => {
  const dir = await Deno.makeTempDir();
  const { dir: runDir, record: written } = await writeRunFolder(dir, record("run-a"), async (d) => {
    await Deno.writeTextFile(`${d}/metrics.json`, "{}");
    await Deno.mkdir(`${d}/model`);
    await Deno.writeTextFile(`${d}/model/model.json`, "[]");
  });
  assert.equal(runDir, `${dir}/run-a`);
  assert.deepEqual(Object.keys(written.artifacts), ["metrics.json", "model/model.json"]);
  assert.equal(
    written.artifacts["metrics.json"],
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run-a"]);
  const opened = await readRunFolder(dir, "run-a");
  assert.deepEqual(opened.record, written);
});

Deno.test("writeRunFolder() leaves nothing behind when writing fails", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () =>
      writeRunFolder(dir, record("run-b"), async (d) => {
        await Deno.writeTextFile(`${d}/metrics.json`, "{}");
        throw new Error("disk full");
      }),
    { name: "ArtifactError", message: /Cannot write run "run-b".*disk full/ },
  );
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  assert.deepEqual(await listRunIds(dir), []);
});

Deno.test("writeRunFolder() never overwrites an existing run with the same id", async () => {
  const dir = await Deno.makeTempDir();
  const write = (d: string) => Deno.writeTextFile(`${d}/a.txt`, "x");
  await writeRunFolder(dir, record("same"), write);
  const second = await writeRunFolder(dir, record("same"), write);
  assert.equal(second.record.id, "same-2");
  assert.deepEqual(await listRunIds(dir), ["same-2", "same"]);
});

Deno.test("listRunIds() ignores partial folders and lists newest first", async () => {
  const dir = await Deno.makeTempDir();
  const write = (d: string) => Deno.writeTextFile(`${d}/a.txt`, "x");
  await writeRunFolder(dir, record("20260101-000000-p-aaaaaaaa"), write);
  await writeRunFolder(dir, record("20260102-000000-p-aaaaaaaa"), write);
  await Deno.mkdir(`${dir}/.partial-20260103-000000-p-aaaaaaaa-1234`);
  assert.deepEqual(await listRunIds(dir), [
    "20260102-000000-p-aaaaaaaa",
    "20260101-000000-p-aaaaaaaa",
  ]);
  assert.deepEqual(await listRunIds(`${dir}/missing`), []);
});

Deno.test("readRunFolder() names an unknown run and the closest existing id", async () => {
  const dir = await Deno.makeTempDir();
  await writeRunFolder(
    dir,
    record("20260101-000000-p-aaaaaaaa"),
    (d) => Deno.writeTextFile(`${d}/a`, ""),
  );
  await assert.rejects(() => readRunFolder(dir, "20260101-000000-p-aaaaaaab"), {
    name: "ArtifactError",
    message: /does not exist \(did you mean "20260101-000000-p-aaaaaaaa"/,
  });
  const empty = await Deno.makeTempDir();
  await assert.rejects(() => readRunFolder(empty, "nope"), {
    name: "ArtifactError",
    message: /no runs exist yet; train one with `deno task train`/,
  });
});

Deno.test("readRunFolder() detects a changed or deleted artifact and names the file", async () => {
  const dir = await Deno.makeTempDir();
  await writeRunFolder(dir, record("run-c"), async (d) => {
    await Deno.writeTextFile(`${d}/features.json`, '{"a":1}');
    await Deno.writeTextFile(`${d}/schema.json`, "{}");
  });
  await Deno.writeTextFile(`${dir}/run-c/features.json`, '{"a":2}');
  await assert.rejects(() => readRunFolder(dir, "run-c"), {
    name: "ArtifactError",
    message: /run-c\/features\.json": sha256 .* does not match/,
  });
  await Deno.remove(`${dir}/run-c/schema.json`);
  await Deno.writeTextFile(`${dir}/run-c/features.json`, '{"a":1}');
  await assert.rejects(() => readRunFolder(dir, "run-c"), {
    name: "ArtifactError",
    message: /run-c\/schema\.json": the file is missing/,
  });
});

// ---------------------------------------------------------------------------------------------
// Listing, comparison, the gate, production and the lock
// ---------------------------------------------------------------------------------------------

interface FakeRun {
  id: string;
  val?: number | null;
  test?: number | null;
  baseline?: number;
  fingerprint?: string;
  project?: string;
  profile?: string | null;
  family?: string;
  config?: string;
}

/** The run's time as its id tells it (ids start with `YYYYMMDD-HHMMSS`), like a real run. */
function createdFromId(id: string): string {
  const m = id.match(/^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.500Z` : "2026-11-27T07:45:12.000Z";
}

/** Writes a small but complete run folder with the given primary-metric values. */
async function writeFakeRun(experiments: string, run: FakeRun): Promise<string> {
  const val = run.val === undefined ? run.test ?? 0.9 : run.val;
  const test = run.test === undefined ? 0.9 : run.test;
  const base: Omit<RunRecord, "artifacts"> = {
    ...record(run.id),
    created: createdFromId(run.id),
    project: run.project ?? "penguins",
    profile: run.profile ?? null,
    family: run.family ?? "mlp",
    test_fingerprint: run.fingerprint ?? "cd".repeat(32),
    data: [{
      path: "data/raw/penguins.csv",
      sha256: "78cf4a881120".padEnd(64, "0"),
      bytes: 1,
      rows: 1,
    }],
    git: { commit: "0123456789abcdef", dirty: true },
    primary: { metric: "f1_macro", val, test },
  };
  const split = (f1: number | null) => (f1 === null ? null : { f1_macro: f1, accuracy: f1, n: 50 });
  const baseline = split(run.baseline ?? 0.2);
  const { dir } = await writeRunFolder(experiments, base, async (d) => {
    await Deno.writeTextFile(
      `${d}/metrics.json`,
      JSON.stringify({
        primary_metric: "f1_macro",
        model: { train: split(test), val: split(val), test: split(test) },
        baseline: { train: baseline, val: baseline, test: baseline },
      }),
    );
    await Deno.writeTextFile(
      `${d}/config.yaml`,
      run.config ?? "project:\n  name: penguins\ntraining:\n  epochs: 5\n",
    );
    await Deno.mkdir(`${d}/model`);
    await Deno.writeFile(`${d}/model/weights.bin`, new Uint8Array([1, 2, 3, 4]));
  });
  return dir;
}

async function makeRegistry(overrides: Partial<RegistryConfig> = {}): Promise<RegistryConfig> {
  const root = await Deno.makeTempDir({ prefix: "registry-test-" });
  return {
    experiments_dir: `${root}/models/experiments`,
    production_dir: `${root}/models/production`,
    primary_metric: "f1_macro",
    min_improvement: 0,
    ...overrides,
  };
}

function modelsDir(registry: RegistryConfig): string {
  return registry.production_dir.slice(0, registry.production_dir.lastIndexOf("/"));
}

/** The production folder of project "penguins", where the fake runs are promoted. */
function penguinsDir(registry: RegistryConfig): string {
  return `${registry.production_dir}/penguins`;
}

/** Everything in the production folder that a reader sees: pointer text and log text. */
async function productionState(registry: RegistryConfig): Promise<string> {
  const read = (name: string) =>
    Deno.readTextFile(`${penguinsDir(registry)}/${name}`).catch(() => "(none)");
  return `${await read("current.json")}\n---\n${await read("promotions.jsonl")}`;
}

function gateRun(
  id: string,
  test: number | null,
  options: { baseline?: number; fingerprint?: string; project?: string; metric?: string } = {},
): GateRun {
  const metric = options.metric ?? "f1_macro";
  return {
    id,
    record: {
      project: options.project ?? "penguins",
      family: "mlp",
      test_fingerprint: options.fingerprint ?? "fp-1",
    },
    metrics: {
      primary_metric: metric,
      model: { train: null, val: null, test: test === null ? {} : { [metric]: test } },
      baseline: { train: null, val: null, test: { [metric]: options.baseline ?? 0.2 } },
    },
  };
}

Deno.test("checkPromotionGate() lets a run that beats its baseline into an empty slot", () => {
  const verdict = checkPromotionGate(gateRun("b", 0.9), null);
  assert.deepEqual(verdict.reasons, []);
  assert.equal(verdict.ok, true);
  assert.deepEqual(verdict.passed, [
    "beats its baseline on test f1_macro: 0.9000 vs 0.2000 (+0.7000)",
    "production is empty, so only the baseline check applies",
  ]);
});

Deno.test("checkPromotionGate() refuses a run that does not beat its baseline family", () => {
  const verdict = checkPromotionGate(gateRun("b", 0.2, { baseline: 0.2 }), null);
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.reasons, [
    'run "b" does not beat its baseline family on test f1_macro: 0.2000 vs 0.2000 (+0.0000); a model must beat the baseline before it can serve',
  ]);
});

Deno.test("checkPromotionGate() accepts a better run and refuses a worse one", () => {
  const production = gateRun("a", 0.9);
  const better = checkPromotionGate(gateRun("b", 0.95), production);
  assert.equal(better.ok, true);
  assert.match(
    better.passed[1]!,
    /beats production run "a" on test f1_macro by more than 0: 0\.9500 vs 0\.9000 \(\+0\.0500\)/,
  );
  const worse = checkPromotionGate(gateRun("c", 0.8), production);
  assert.equal(worse.ok, false);
  assert.deepEqual(worse.reasons, [
    'run "c" does not beat production run "a" on test f1_macro by more than 0 (higher is better): 0.8000 vs 0.9000 (-0.1000)',
  ]);
  assert.equal(checkPromotionGate(gateRun("d", 0.9), production).ok, false, "a tie is refused");
});

Deno.test("checkPromotionGate() refuses an improvement within the configured margin", () => {
  const production = gateRun("a", 0.9);
  const within = checkPromotionGate(gateRun("b", 0.905), production, { minImprovement: 0.01 });
  assert.equal(within.ok, false);
  assert.match(within.reasons[0]!, /by more than 0\.01 \(higher is better\): 0\.9050 vs 0\.9000/);
  assert.equal(
    checkPromotionGate(gateRun("c", 0.93), production, { minImprovement: 0.01 }).ok,
    true,
  );
});

Deno.test("checkPromotionGate() follows the metric's direction: lower rmse is better", () => {
  const production = gateRun("a", 3.0, { metric: "rmse", baseline: 7 });
  assert.equal(
    checkPromotionGate(gateRun("b", 2.5, { metric: "rmse", baseline: 7 }), production, {
      metric: "rmse",
    }).ok,
    true,
  );
  const worse = checkPromotionGate(gateRun("c", 3.5, { metric: "rmse", baseline: 7 }), production, {
    metric: "rmse",
  });
  assert.match(worse.reasons[0]!, /\(lower is better\): 3\.5000 vs 3\.0000 \(\+0\.5000\)/);
});

Deno.test("checkPromotionGate() refuses a run evaluated on different test data or another project", () => {
  const production = gateRun("a", 0.5, { fingerprint: "aaaaaaaaaaaaaaaa" });
  const verdict = checkPromotionGate(
    gateRun("b", 0.99, { fingerprint: "bbbbbbbbbbbbbbbb", project: "cars" }),
    production,
  );
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.reasons, [
    'run "b" belongs to project "cars" but production run "a" to project "penguins"; runs are compared only within one project',
    'run "b" was evaluated on different test data than production run "a" (test fingerprint bbbbbbbbbbbb… vs aaaaaaaaaaaa…): retrain both on the same data or use --force',
  ]);
});

Deno.test("checkPromotionGate() refuses a run without the metric and rejects bad options", () => {
  const missing = checkPromotionGate(gateRun("b", null), null);
  assert.equal(missing.ok, false);
  assert.match(missing.reasons[0]!, /run "b" has no test value for "f1_macro" in metrics\.json/);
  assert.throws(() => checkPromotionGate(gateRun("b", 0.9), null, { metric: "f1_makro" }), {
    name: "ConfigError",
    message: /registry\.primary_metric "f1_makro".*did you mean "f1_macro"/,
  });
  assert.throws(() => checkPromotionGate(gateRun("b", 0.9), null, { minImprovement: -1 }), {
    name: "ConfigError",
    message: /min_improvement is -1/,
  });
});

Deno.test("profileName() reduces profile paths to their name", () => {
  assert.equal(profileName("config/profiles/cars.yaml"), "cars");
  assert.equal(profileName("cars"), "cars");
  assert.equal(profileName("flights.yml"), "flights");
  assert.equal(profileName(null), "none");
});

Deno.test("flattenConfig() writes dotted paths as --set accepts them", () => {
  const flat = flattenConfig({
    training: { epochs: 5 },
    cleaning: { nulls: { "Body Mass (g)": { strategy: "drop" } } },
    features: { steps: [{ name: "numeric", columns: ["a", "b"] }] },
    empty: {},
  });
  assert.deepEqual([...flat.entries()], [
    ["training.epochs", 5],
    ['cleaning.nulls."Body Mass (g)".strategy', "drop"],
    ["features.steps[0].name", "numeric"],
    ["features.steps[0].columns", ["a", "b"]],
    ["empty", {}],
  ]);
});

Deno.test("listRuns() lists newest first, filters, and marks unreadable or corrupt runs", async () => {
  const { experiments_dir: dir } = await makeRegistry();
  await writeFakeRun(dir, { id: "20260101-000000-penguins-aaaaaaaa" });
  await writeFakeRun(dir, {
    id: "20260102-000000-cars-bbbbbbbb",
    project: "cars",
    profile: "config/profiles/cars.yaml",
    family: "linear",
  });
  await writeFakeRun(dir, { id: "20260103-000000-penguins-cccccccc" });
  await Deno.writeTextFile(`${dir}/20260103-000000-penguins-cccccccc/model/weights.bin`, "x");
  await Deno.mkdir(`${dir}/20260104-000000-penguins-dddddddd`);
  await Deno.writeTextFile(`${dir}/20260104-000000-penguins-dddddddd/run.json`, "{ broken");
  await Deno.mkdir(`${dir}/.partial-20260105-000000-penguins-eeeeeeee-1234`);

  const all = await listRuns(dir);
  assert.deepEqual(all.map((r) => [r.id, r.problem]), [
    ["20260104-000000-penguins-dddddddd", "corrupt: run.json (not valid JSON)"],
    ["20260103-000000-penguins-cccccccc", null],
    ["20260102-000000-cars-bbbbbbbb", null],
    ["20260101-000000-penguins-aaaaaaaa", null],
  ]);
  assert.equal(all[1]?.record?.primary.test, 0.9);
  const verified = await listRuns(dir, { verify: true });
  assert.equal(verified[1]?.problem, "corrupt: model/weights.bin (altered)");
  assert.deepEqual((await listRuns(dir, { profile: "cars" })).map((r) => r.id), [
    "20260104-000000-penguins-dddddddd",
    "20260102-000000-cars-bbbbbbbb",
  ]);
  assert.deepEqual((await listRuns(dir, { family: "mlp", profile: "none" })).map((r) => r.id), [
    "20260104-000000-penguins-dddddddd",
    "20260103-000000-penguins-cccccccc",
    "20260101-000000-penguins-aaaaaaaa",
  ]);
  assert.deepEqual(await listRuns(`${dir}/missing`), []);
});

Deno.test("selectBestRun() picks the best validation value of the matching project, ties to the newest", async () => {
  const { experiments_dir: dir } = await makeRegistry();
  await writeFakeRun(dir, { id: "20260101-000000-penguins-aaaaaaaa", val: 0.95, test: 0.5 });
  await writeFakeRun(dir, { id: "20260102-000000-penguins-bbbbbbbb", val: 0.95, test: 0.4 });
  await writeFakeRun(dir, { id: "20260103-000000-penguins-cccccccc", val: 0.9, test: 0.99 });
  await writeFakeRun(dir, { id: "20260104-000000-cars-dddddddd", val: 0.99, project: "cars" });
  await writeFakeRun(dir, { id: "20260105-000000-penguins-eeeeeeee", val: null, test: 1 });
  const match = { project: "penguins", profile: null };
  assert.equal(await selectBestRun(dir, { match }), "20260102-000000-penguins-bbbbbbbb");
  assert.equal(await selectBestRun(dir), "20260104-000000-cars-dddddddd");
  await assert.rejects(
    () => selectBestRun(dir, { match: { project: "flights", profile: "flights" } }),
    {
      name: "ArtifactError",
      message:
        /no run of project "flights" with profile "flights" in ".*" has a validation value for "f1_macro"; train one/,
    },
  );
});

Deno.test("compareRuns() shows differing config keys and metric changes", async () => {
  const { experiments_dir: dir } = await makeRegistry();
  await writeFakeRun(dir, {
    id: "run-a",
    val: 0.9,
    test: 0.8,
    config:
      'features:\n  steps:\n    - name: numeric\n      columns: ["x", "y"]\ntraining:\n  epochs: 5\n',
  });
  await writeFakeRun(dir, {
    id: "run-b",
    val: 0.6,
    test: 0.85,
    config:
      'features:\n  steps:\n    - name: numeric\n      columns: ["x"]\ntraining:\n  epochs: 5\n',
  });
  const diff = await compareRuns(dir, ["run-a", "run-b"]);
  assert.deepEqual(diff.config, [
    { path: "features.steps[0].columns", a: '["x","y"]', b: '["x"]' },
  ]);
  const f1 = diff.metrics.filter((m) => m.metric === "f1_macro");
  assert.equal(f1.length, 2);
  assert.equal(f1[0]?.split, "val");
  assert.ok(Math.abs(f1[0]!.delta! - -0.3) < 1e-12);
  assert.equal(f1[0]?.better, false);
  assert.equal(f1[1]?.split, "test");
  assert.equal(f1[1]?.better, true);
  assert.ok(!diff.metrics.some((m) => m.metric === "n"), "counts are not metrics");
  await assert.rejects(() => compareRuns(dir, ["run-a", "run-c"]), {
    name: "ArtifactError",
    message: /Cannot open run "run-c" in ".*": it does not exist \(did you mean "run-[ab]"/,
  });
});

Deno.test("promoteRun() fills an empty slot with a verified copy, a pointer and a log line", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "20260101-000000-penguins-aaaaaaaa" });
  assert.equal(await readProduction(penguinsDir(registry)), null);
  const result = await promoteRun(registry, "penguins", {
    runId: "20260101-000000-penguins-aaaaaaaa",
    user: "ana",
  });
  assert.equal(result.action, "promote");
  assert.equal(result.from, null);
  assert.equal(result.dir, `${penguinsDir(registry)}/runs/20260101-000000-penguins-aaaaaaaa`);
  assert.deepEqual(listDir(penguinsDir(registry)), ["current.json", "promotions.jsonl", "runs"]);

  // Production keeps working when the experiments folder is cleaned.
  await Deno.remove(registry.experiments_dir, { recursive: true });
  const production = await readProduction(penguinsDir(registry));
  assert.equal(production?.runId, "20260101-000000-penguins-aaaaaaaa");
  assert.equal(production?.pointer.previous, null);
  assert.deepEqual(production?.pointer.history, ["20260101-000000-penguins-aaaaaaaa"]);
  const log = await readPromotionLog(penguinsDir(registry));
  assert.equal(log.length, 1);
  assert.deepEqual({ ...log[0]!, time: "" }, {
    time: "",
    action: "promote",
    from: null,
    to: "20260101-000000-penguins-aaaaaaaa",
    metric: "f1_macro",
    metrics: { from: null, to: { val: 0.9, test: 0.9 } },
    reason:
      "beats its baseline on test f1_macro: 0.9000 vs 0.2000 (+0.7000); production is empty, so only the baseline check applies",
    overridden: [],
    user: "ana",
  });
});

Deno.test("promoteRun() refuses a run that fails the gate and leaves production unchanged", async () => {
  const registry = await makeRegistry({ min_improvement: 0.05 });
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.9 });
  await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.93 });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  const before = await productionState(registry);
  await assert.rejects(
    () => promoteRun(registry, "penguins", { runId: "run-b" }),
    (error: Error) => {
      assert.equal(error.name, "PromotionRefusedError");
      assert.match(
        error.message,
        /Cannot promote run "run-b": the gate refused it, production is unchanged/,
      );
      assert.match(error.message, /by more than 0\.05 \(higher is better\): 0\.9300 vs 0\.9000/);
      assert.match(error.message, /override with --force --reason/);
      assert.equal((error as PromotionRefusedError).reasons.length, 1);
      return true;
    },
  );
  await assert.rejects(() => promoteRun(registry, "penguins", { runId: "run-a" }), {
    name: "PromotionRefusedError",
    message: /"run-a": it is already in production/,
  });
  assert.equal(await productionState(registry), before);
  assert.deepEqual(listDir(`${penguinsDir(registry)}/runs`), ["run-a"]);
});

Deno.test("promoteRun() with force needs a reason and logs the overridden checks", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.9 });
  await writeFakeRun(registry.experiments_dir, {
    id: "run-b",
    test: 0.7,
    fingerprint: "ef".repeat(32),
  });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  await assert.rejects(
    () => promoteRun(registry, "penguins", { runId: "run-b", force: true, reason: "  " }),
    {
      name: "PromotionRefusedError",
      message: /without a reason: pass --reason/,
    },
  );
  const dry = await promoteRun(registry, "penguins", {
    runId: "run-b",
    force: true,
    reason: "x",
    dryRun: true,
  });
  assert.equal(dry.entry, null);
  assert.equal((await readProduction(penguinsDir(registry)))?.runId, "run-a");

  const forced = await promoteRun(registry, "penguins", {
    runId: "run-b",
    force: true,
    reason: "hotfix",
  });
  assert.equal(forced.action, "force");
  const last = (await readPromotionLog(penguinsDir(registry))).at(-1)!;
  assert.equal(last.action, "force");
  assert.equal(last.reason, "hotfix");
  assert.equal(last.overridden.length, 2);
  assert.match(last.overridden[0]!, /different test data/);
  assert.match(last.overridden[1]!, /does not beat production run "run-a"/);
  assert.deepEqual(last.metrics, { from: { val: 0.9, test: 0.9 }, to: { val: 0.7, test: 0.7 } });
});

Deno.test("promoteRun() refuses a candidate with corrupted weights, naming the file", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.8 });
  const bad = await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.95 });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  const before = await productionState(registry);
  await Deno.writeFile(`${bad}/model/weights.bin`, new Uint8Array([9, 9, 9, 9]));
  for (const force of [false, true]) {
    await assert.rejects(
      () => promoteRun(registry, "penguins", { runId: "run-b", force, reason: "r" }),
      {
        name: "ArtifactError",
        message: /run-b\/model\/weights\.bin": sha256 .* does not match/,
      },
    );
  }
  assert.equal(await productionState(registry), before);
  assert.deepEqual(listDir(penguinsDir(registry)), ["current.json", "promotions.jsonl", "runs"]);
});

Deno.test("promoteRun() refuses an unknown run id without touching production", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a" });
  await assert.rejects(() => promoteRun(registry, "penguins", { runId: "run-x" }), {
    name: "ArtifactError",
    message: /Cannot open run "run-x".*did you mean "run-a"/,
  });
  await assert.rejects(() => promoteRun(registry, "penguins", { runId: "../run-a" }), {
    name: "ArtifactError",
    message: /a run id holds only/,
  });
  assert.deepEqual(listDir(modelsDir(registry)), ["experiments"]);
});

Deno.test("promoteRun() without a run id promotes the best run of the matching project", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, {
    id: "20260101-000000-penguins-aaaaaaaa",
    val: 0.97,
  });
  await writeFakeRun(registry.experiments_dir, {
    id: "20260102-000000-penguins-bbbbbbbb",
    val: 0.9,
  });
  await writeFakeRun(registry.experiments_dir, {
    id: "20260103-000000-cars-cccccccc",
    val: 0.99,
    project: "cars",
    profile: "cars",
  });
  const result = await promoteRun(registry, "penguins", {});
  assert.equal(result.to, "20260101-000000-penguins-aaaaaaaa");
});

Deno.test("promoteRun() refuses when the production copy is corrupt, unless forced", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.8 });
  await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.9 });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  await Deno.writeTextFile(`${penguinsDir(registry)}/runs/run-a/model/weights.bin`, "x");
  await assert.rejects(() => readProduction(penguinsDir(registry)), {
    name: "ArtifactError",
    message: /runs\/run-a\/model\/weights\.bin": sha256/,
  });
  await assert.rejects(() => promoteRun(registry, "penguins", { runId: "run-b" }), {
    name: "ArtifactError",
    message: /weights\.bin": sha256 .*production was not changed \(roll back with/,
  });
  // Forcing the same run again repairs its copy from the intact experiments folder.
  const repaired = await promoteRun(registry, "penguins", {
    runId: "run-a",
    force: true,
    reason: "repair",
  });
  assert.equal(repaired.action, "force");
  assert.equal((await readProduction(penguinsDir(registry)))?.runId, "run-a");
  assert.deepEqual((await readProduction(penguinsDir(registry)))?.pointer.history, ["run-a"]);
});

Deno.test("rollbackProduction() returns to the previous run and logs it", async () => {
  const registry = await makeRegistry();
  await assert.rejects(() => rollbackProduction(registry, "penguins"), {
    name: "ArtifactError",
    message:
      /Cannot roll back project "penguins": its production in ".*\/penguins" is empty; promote a run first/,
  });
  assert.deepEqual(listDir(modelsDir(registry)), [], "no folder is created");
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.8 });
  await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.9 });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  await promoteRun(registry, "penguins", { runId: "run-b" });
  assert.deepEqual((await readProduction(penguinsDir(registry)))?.pointer.history, [
    "run-a",
    "run-b",
  ]);
  // The current run's copy may be broken: rolling back is the remedy.
  await Deno.writeTextFile(`${penguinsDir(registry)}/runs/run-b/model/weights.bin`, "x");

  const result = await rollbackProduction(registry, "penguins", {
    reason: "bad predictions",
    user: "ana",
  });
  assert.deepEqual([result.action, result.from, result.to], ["rollback", "run-b", "run-a"]);
  const production = await readProduction(penguinsDir(registry));
  assert.equal(production?.runId, "run-a");
  assert.deepEqual(production?.pointer.history, ["run-a"]);
  assert.deepEqual(listDir(`${penguinsDir(registry)}/runs`), ["run-a"]);
  const log = await readPromotionLog(penguinsDir(registry));
  assert.deepEqual(log.map((e) => [e.action, e.from, e.to]), [
    ["promote", null, "run-a"],
    ["promote", "run-a", "run-b"],
    ["rollback", "run-b", "run-a"],
  ]);
  assert.equal(log[2]?.reason, "bad predictions");
  assert.deepEqual(log[2]?.metrics.to, { val: 0.8, test: 0.8 });

  const before = await productionState(registry);
  await assert.rejects(() => rollbackProduction(registry, "penguins"), {
    name: "ArtifactError",
    message: /Cannot roll back production run "run-a": no earlier promoted run is recorded/,
  });
  assert.equal(await productionState(registry), before);
});

Deno.test("promoteRun() keeps only the last `keep` runs for rollback", async () => {
  const registry = await makeRegistry();
  for (const [i, id] of ["run-a", "run-b", "run-c"].entries()) {
    await writeFakeRun(registry.experiments_dir, { id, test: 0.5 + i / 10 });
    await promoteRun(registry, "penguins", { runId: id, keep: 2 });
  }
  assert.deepEqual((await readProduction(penguinsDir(registry)))?.pointer.history, [
    "run-b",
    "run-c",
  ]);
  assert.deepEqual(listDir(`${penguinsDir(registry)}/runs`), ["run-b", "run-c"]);
});

Deno.test("readProductionPointer() names current.json when it is not a valid pointer", async () => {
  const registry = await makeRegistry();
  assert.equal(await readProductionPointer(penguinsDir(registry)), null);
  await Deno.mkdir(penguinsDir(registry), { recursive: true });
  await Deno.writeTextFile(`${penguinsDir(registry)}/current.json`, "{");
  await assert.rejects(() => readProductionPointer(penguinsDir(registry)), {
    name: "ArtifactError",
    message: /current\.json": the file is not valid JSON; restore it from promotions\.jsonl/,
  });
  await Deno.writeTextFile(
    `${penguinsDir(registry)}/current.json`,
    JSON.stringify({ run_id: "../x", promoted_at: "", previous: null, history: ["../x"] }),
  );
  await assert.rejects(() => readProductionPointer(penguinsDir(registry)), {
    name: "ArtifactError",
    message: /current\.json": expected \{ run_id, promoted_at, previous, history \}/,
  });
});

Deno.test("two promotions started together run one after the other", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.8 });
  await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.9 });
  const results = await Promise.allSettled([
    promoteRun(registry, "penguins", { runId: "run-b" }),
    promoteRun(registry, "penguins", { runId: "run-a" }),
  ]);
  // Whichever went second saw the first one's result: b first refuses a; a first lets b in.
  const log = await readPromotionLog(penguinsDir(registry));
  assert.equal(log[0]?.from, null);
  for (let i = 1; i < log.length; i++) assert.equal(log[i]?.from, log[i - 1]?.to);
  assert.equal((await readProduction(penguinsDir(registry)))?.runId, "run-b");
  assert.equal(results[0].status, "fulfilled");
});

Deno.test("checkPromotionGate() calls an equal test value a tie, and a tie is refused", () => {
  const production = gateRun("a", 0.9);
  const tie = checkPromotionGate(gateRun("b", 0.9), production);
  assert.equal(tie.ok, false);
  assert.equal(tie.tie, true);
  assert.deepEqual(tie.reasons, [
    'run "b" ties production run "a" on test f1_macro: 0.9000 vs 0.9000 (+0.0000); a tie does not replace production, the candidate must be better by more than 0',
  ]);
  const better = checkPromotionGate(gateRun("c", 0.91), production);
  assert.deepEqual([better.ok, better.tie], [true, false]);
  const worse = checkPromotionGate(gateRun("d", 0.89), production);
  assert.deepEqual([worse.ok, worse.tie], [false, false]);
});

Deno.test("promoteRun() refuses a candidate that ties production and says it ties", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.9 });
  await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.9 });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  const before = await productionState(registry);
  await assert.rejects(() => promoteRun(registry, "penguins", { runId: "run-b" }), {
    name: "PromotionRefusedError",
    message:
      /^Cannot promote run "run-b": it ties production run "run-a" of project "penguins" on test f1_macro \(a tie does not replace production\), production is unchanged:\n {2}- run "run-b" ties production run "run-a" on test f1_macro: 0\.9000 vs 0\.9000 \(\+0\.0000\)[^\n]*\nTrain a run that beats production, or override with --force --reason "\.\.\."$/,
  });
  assert.equal(await productionState(registry), before);
});

Deno.test("promoteRun() keeps production per project: two projects side by side, each gate and rollback its own", async () => {
  const registry = await makeRegistry();
  const cars = (id: string, test: number) =>
    writeFakeRun(registry.experiments_dir, { id, test, project: "cars", profile: "cars" });
  await writeFakeRun(registry.experiments_dir, { id: "run-p1", test: 0.9 });
  await writeFakeRun(registry.experiments_dir, { id: "run-p2", test: 0.95 });
  await cars("run-c1", 0.6);
  await cars("run-c2", 0.7);

  await promoteRun(registry, "penguins", { runId: "run-p1" });
  // A cars run far below penguins' production still fills the empty cars slot: no cross-project comparison.
  const first = await promoteRun(registry, "cars", { runId: "run-c1" });
  assert.deepEqual([first.action, first.from], ["promote", null]);
  assert.deepEqual(await listProductionProjects(registry.production_dir), ["cars", "penguins"]);
  assert.deepEqual(listDir(registry.production_dir), ["cars", "penguins"]);
  assert.deepEqual(listDir(`${registry.production_dir}/cars`), [
    "current.json",
    "promotions.jsonl",
    "runs",
  ]);
  await promoteRun(registry, "penguins", { runId: "run-p2" });
  await promoteRun(registry, "cars", { runId: "run-c2" });
  assert.equal((await readProduction(penguinsDir(registry)))?.runId, "run-p2");
  assert.equal((await readProduction(`${registry.production_dir}/cars`))?.runId, "run-c2");

  // Rolling back penguins leaves cars as it was, log included.
  const carsBefore = await Deno.readTextFile(`${registry.production_dir}/cars/current.json`);
  const back = await rollbackProduction(registry, "penguins", { reason: "test" });
  assert.deepEqual([back.from, back.to], ["run-p2", "run-p1"]);
  assert.equal((await readProduction(penguinsDir(registry)))?.runId, "run-p1");
  assert.equal(await Deno.readTextFile(`${registry.production_dir}/cars/current.json`), carsBefore);
  assert.deepEqual(
    (await readPromotionLog(`${registry.production_dir}/cars`)).map((e) => [e.from, e.to]),
    [[null, "run-c1"], ["run-c1", "run-c2"]],
  );

  // Without --run, only runs of the project compete.
  await cars("run-c3", 0.8);
  const best = await promoteRun(registry, "cars", { dryRun: true });
  assert.equal(best.to, "run-c3");
});

Deno.test("promoteRun() refuses a run of another project, naming both, even by force", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-c", test: 0.99, project: "cars" });
  for (const force of [false, true]) {
    await assert.rejects(
      () => promoteRun(registry, "penguins", { runId: "run-c", force, reason: "r" }),
      {
        name: "PromotionRefusedError",
        message:
          /^Cannot promote run "run-c" to the production of project "penguins": the run belongs to project "cars", and production is kept per project; promote it with the profile of project "cars"/,
      },
    );
  }
  assert.deepEqual(listDir(modelsDir(registry)), ["experiments"]);
});

Deno.test("projectProductionDir() joins the project folder and refuses names that are not folder names", () => {
  assert.equal(
    projectProductionDir("models/production", "penguins"),
    "models/production/penguins",
  );
  assert.equal(projectProductionDir("models/production/", "cars.v2"), "models/production/cars.v2");
  for (const bad of ["", "../x", "a/b", ".hidden", "my project", "x..y"]) {
    assert.throws(() => projectProductionDir("models/production", bad), {
      name: "ConfigError",
      message: /Cannot use project\.name .* as a registry name: .*rename it in the profile/,
    });
  }
});

Deno.test("a production folder in the layout from before projects is refused with the commands that move it", async () => {
  const registry = await makeRegistry();
  await writeFakeRun(registry.experiments_dir, { id: "run-a", test: 0.8 });
  await writeFakeRun(registry.experiments_dir, { id: "run-b", test: 0.9 });
  await promoteRun(registry, "penguins", { runId: "run-a" });
  // The old layout: the project's files directly in production_dir.
  const root = registry.production_dir;
  for (const name of ["current.json", "promotions.jsonl", "runs"]) {
    await Deno.rename(`${root}/penguins/${name}`, `${root}/${name}`);
  }
  await Deno.remove(`${root}/penguins`, { recursive: true });
  const expected = {
    name: "ArtifactError",
    message: new RegExp(
      `^Cannot use production in "${root}": it holds "current\\.json" at the top, the layout from before production was kept per project \\(now "${root}/<project\\.name>/current\\.json"\\); move it into the folder of project "penguins" with: mkdir -p ${root}/penguins && mv ${root}/current\\.json ${root}/runs ${root}/promotions\\.jsonl ${root}/penguins/`,
    ),
  };
  await assert.rejects(() => promoteRun(registry, "penguins", { runId: "run-b" }), expected);
  await assert.rejects(() => rollbackProduction(registry, "penguins"), expected);
  await assert.rejects(() => resolveProductionDir(registry, "cars"), expected);

  // The documented move works: production is back, and the next promotion passes the gate.
  await Deno.mkdir(`${root}/penguins`);
  for (const name of ["current.json", "runs", "promotions.jsonl"]) {
    await Deno.rename(`${root}/${name}`, `${root}/penguins/${name}`);
  }
  assert.equal((await readProduction(penguinsDir(registry)))?.runId, "run-a");
  const result = await promoteRun(registry, "penguins", { runId: "run-b" });
  assert.deepEqual([result.from, result.to], ["run-a", "run-b"]);
});

Deno.test("withRegistryLock() lets one holder in at a time and releases on error", async () => {
  const { production_dir: dir } = await makeRegistry();
  const events: string[] = [];
  const hold = (name: string, ms: number) =>
    withRegistryLock(dir, async () => {
      events.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`${name} out`);
    });
  await Promise.all([hold("a", 60), hold("b", 10)]);
  // Either may win the race for the lock; what matters is that they never overlap.
  const first = events[0]!.slice(0, 1);
  const second = first === "a" ? "b" : "a";
  assert.deepEqual(events, [`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
  await assert.rejects(
    () => withRegistryLock(dir, () => Promise.reject(new Error("boom"))),
    { message: "boom" },
  );
  assert.deepEqual(listDir(dir), [], "the lock file is removed");
});

Deno.test("withRegistryLock() waits for a live holder, then fails naming it", async () => {
  const { production_dir: dir } = await makeRegistry();
  await Deno.mkdir(dir, { recursive: true });
  const holder = {
    pid: Deno.pid,
    hostname: Deno.hostname(),
    started: "2026-11-27T07:00:00.000Z",
    token: "other",
  };
  await Deno.writeTextFile(`${dir}/.lock`, JSON.stringify(holder));
  let ran = false;
  const started = performance.now();
  await assert.rejects(
    () =>
      withRegistryLock(dir, () => {
        ran = true;
        return Promise.resolve();
      }, { timeoutMs: 150 }),
    (error: Error) => {
      assert.equal(error.name, "RegistryLockedError");
      assert.match(
        error.message,
        new RegExp(
          `holds it \\(pid ${Deno.pid} on ".+" since 2026-11-27T07:00:00\\.000Z\\) and did not release it within 0\\.15 s`,
        ),
      );
      assert.deepEqual((error as RegistryLockedError).holder, holder);
      return true;
    },
  );
  assert.ok(performance.now() - started >= 140, "it waited before failing");
  assert.equal(ran, false);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/.lock`)), holder, "left in place");
});

Deno.test("withRegistryLock() removes a stale lock whose process is gone, with a log line", async () => {
  const { production_dir: dir } = await makeRegistry();
  await Deno.mkdir(dir, { recursive: true });
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""], stdout: "null" }).spawn();
  const pid = child.pid;
  await child.status;
  await Deno.writeTextFile(
    `${dir}/.lock`,
    JSON.stringify({
      pid,
      hostname: Deno.hostname(),
      started: new Date().toISOString(),
      token: "t",
    }),
  );
  const logs = await withCapturedLogs(async () => {
    assert.equal(await withRegistryLock(dir, () => Promise.resolve(42), { timeoutMs: 0 }), 42);
  });
  assert.ok(
    logs.some((l) =>
      l.level === "warning" &&
      l.message.includes(`its process ${pid} on`) && l.message.includes("is no longer running")
    ),
    JSON.stringify(logs),
  );
  assert.deepEqual(listDir(dir), []);
});

Deno.test("withRegistryLock() removes an old lock file with no owner record", async () => {
  const { production_dir: dir } = await makeRegistry();
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/.lock`, "");
  const old = new Date(Date.now() - 60_000);
  await Deno.utime(`${dir}/.lock`, old, old);
  const logs = await withCapturedLogs(async () => {
    await withRegistryLock(dir, () => Promise.resolve(), { timeoutMs: 0 });
  });
  assert.ok(logs.some((l) => l.message.includes("has no valid owner record")));
  // A fresh empty file is a writer that has not finished yet: it is waited for, not removed.
  await Deno.writeTextFile(`${dir}/.lock`, "");
  await assert.rejects(
    () => withRegistryLock(dir, () => Promise.resolve(), { timeoutMs: 50 }),
    { name: "RegistryLockedError", message: /an unknown holder/ },
  );
});
