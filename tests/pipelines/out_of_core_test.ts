import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { usesOutOfCore } from "../../src/pipelines/nodes/mod.ts";
import type { TrainingResult } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";

/** Penguins with the settings out-of-core training accepts: no duplicate check, a random split. */
const STREAMABLE = [
  "cleaning.drop_duplicates=false",
  "split.method=random",
  "training.epochs=3",
  "training.early_stopping.enabled=false",
];

async function train(overrides: string[]): Promise<TrainingResult> {
  using _logs = captureLogs({ level: "error" });
  const loaded = await loadConfig({ overrides: [...STREAMABLE, ...overrides] });
  return await runTraining(loaded, { record: false, cache: false });
}

function featureState(result: TrainingResult): unknown {
  return JSON.parse(JSON.stringify(result.features.pipeline.toJSON()));
}

function assertClose(actual: unknown, expected: unknown, tol: number, path = "state"): void {
  if (typeof expected === "number") {
    assert.ok(Math.abs((actual as number) - expected) <= tol, `${path}: ${actual} vs ${expected}`);
  } else if (Array.isArray(expected)) {
    expected.forEach((v, i) => assertClose((actual as unknown[])[i], v, tol, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    for (const [k, v] of Object.entries(expected)) {
      assertClose((actual as Record<string, unknown>)[k], v, tol, `${path}.${k}`);
    }
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

Deno.test("out-of-core training gives the in-memory run's split, features and metrics", async () => {
  // Batches of 60 rows: six shards, and a window (4 batches) that holds every training row,
  // so the shuffles equal the in-memory run's.
  const inMemory = await train(["data.out_of_core=false"]);
  const outOfCore = await train(["data.out_of_core=true", "data.batch_rows=60"]);
  try {
    assert.deepEqual(outOfCore.record.rows, inMemory.record.rows);
    assert.equal(outOfCore.record.rows.train, 233);
    assert.deepEqual(outOfCore.features.names, inMemory.features.names);
    assertClose(featureState(outOfCore), featureState(inMemory), 1e-9);
    for (const split of ["val", "test"] as const) {
      const a = outOfCore.metrics[split]!;
      const b = inMemory.metrics[split]!;
      for (const metric of ["accuracy", "f1_macro", "roc_auc", "log_loss"] as const) {
        assertClose(
          (a as unknown as Record<string, number>)[metric],
          (b as unknown as Record<string, number>)[metric],
          1e-4,
          `${split}.${metric}`,
        );
      }
    }
    assert.deepEqual(outOfCore.baseline.test, inMemory.baseline.test);
    assert.deepEqual(
      outOfCore.lineage.nodes.map((n) => n.node),
      ["stream_clean", "stream_split", "stream_features", "train", "evaluate", "record"],
    );
  } finally {
    inMemory.model.dispose();
    outOfCore.model.dispose();
  }
});

async function shardFolders(): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir("data/processed/out_of_core")) names.push(entry.name);
  } catch {
    // no folder: no shards
  }
  return names;
}

Deno.test("out-of-core training with small windows shuffles by window and still learns", async () => {
  const before = await shardFolders();
  const result = await train(["data.out_of_core=true", "data.batch_rows=20"]);
  try {
    assert.equal(result.history.epochs.length, 3);
    const accuracy = (result.metrics.test as { accuracy: number }).accuracy;
    assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);
  } finally {
    result.model.dispose();
  }
  // The run's shards are removed when it ends.
  assert.deepEqual((await shardFolders()).filter((name) => !before.includes(name)), []);
});

Deno.test("out-of-core training refuses settings that need every row, naming the key", async () => {
  await assert.rejects(
    () => train(["data.out_of_core=true", "cleaning.drop_duplicates=true"]),
    { name: "ConfigError", message: /"cleaning.drop_duplicates" compares every row/ },
  );
  await assert.rejects(
    () => train(["data.out_of_core=true", "split.method=stratified"]),
    { name: "ConfigError", message: /method "stratified" out of core/ },
  );
  await assert.rejects(
    () => train(["data.out_of_core=true", "features.selection=[{kind: variance_threshold}]"]),
    { name: "ConfigError", message: /"features.selection" scores features/ },
  );
});

for (const [family, size] of [["gbdt", "rounds=20"], ["random_forest", "n_estimators=20"]]) {
  Deno.test(`out-of-core ${family} grows the in-memory run's trees from the row files`, async () => {
    const settings = [`model.family=${family}`, `model.params.${size}`];
    const inMemory = await train([...settings, "data.out_of_core=false"]);
    const outOfCore = await train([...settings, "data.out_of_core=true", "data.batch_rows=60"]);
    try {
      assert.deepEqual(outOfCore.record.rows, inMemory.record.rows);
      assert.deepEqual(outOfCore.features.names, inMemory.features.names);
      for (const split of ["val", "test"] as const) {
        const a = outOfCore.metrics[split]! as unknown as Record<string, number>;
        const b = inMemory.metrics[split]! as unknown as Record<string, number>;
        for (const metric of ["accuracy", "f1_macro", "log_loss"]) {
          assertClose(a[metric], b[metric], 1e-6, `${split}.${metric}`);
        }
      }
      const test = outOfCore.metrics.test as unknown as Record<string, number>;
      assert.ok(test["accuracy"]! > 0.9, `test accuracy ${test["accuracy"]}`);
    } finally {
      inMemory.model.dispose();
      outOfCore.model.dispose();
    }
  });
}

Deno.test("data.out_of_core auto trains in memory below data.out_of_core_rows", async () => {
  const small = (await loadConfig({ overrides: ["data.out_of_core=auto"] })).config;
  assert.equal(usesOutOfCore(small), false);
  const forced = (await loadConfig({ overrides: ["data.out_of_core=true"] })).config;
  assert.equal(usesOutOfCore(forced), true);
});

Deno.test("an out-of-core run removes the shards a killed run left behind", async () => {
  const leftover = "data/processed/out_of_core/run-killed-0000";
  await Deno.mkdir(leftover, { recursive: true });
  await Deno.writeTextFile(`${leftover}/clean-00000.arrow`, "partial");
  const past = new Date(Date.now() - 60_000);
  await Deno.utime(`${leftover}/clean-00000.arrow`, past, past);
  await Deno.utime(leftover, past, past);
  const result = await train(["data.out_of_core=true", "data.batch_rows=100"]);
  result.model.dispose();
  assert.equal(await Deno.stat(leftover).then(() => true).catch(() => false), false);
});
