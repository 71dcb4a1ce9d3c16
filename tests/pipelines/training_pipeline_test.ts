import assert from "node:assert/strict";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import type { Config } from "../../src/config/mod.ts";
import { buildTargets, fitFeatures, prepareData } from "../../src/pipelines/mod.ts";
import { createModel, initBackend } from "../../src/models/mod.ts";
import type { Targets } from "../../src/models/mod.ts";
import { captureLogs, frameToMatrix } from "../../src/utils/mod.ts";
import type { Matrix } from "../../src/utils/mod.ts";

/** The matrices as fitFeatures built them before it went split by split: all frames, then all matrices. */
function referenceMatrices(
  features: ReturnType<typeof fitFeatures>,
  data: { train: DataFrame; val: DataFrame; test: DataFrame },
): { train: Matrix; val: Matrix; test: Matrix } {
  const frame = (df: DataFrame) => {
    const transformed = features.pipeline.transform(df);
    return features.selector ? features.selector.transform(transformed) : transformed;
  };
  const frames = { train: frame(data.train), val: frame(data.val), test: frame(data.test) };
  return {
    train: frameToMatrix(frames.train, features.names),
    val: frameToMatrix(frames.val, features.names),
    test: frameToMatrix(frames.test, features.names),
  };
}

/** The per-row label encoding buildTargets used for every frame before the polars path. */
function referenceLabels(frames: DataFrame[], target: string): Int32Array[] {
  const labelsOf = (df: DataFrame) => df.getColumn(target).cast(pl.Utf8).toArray() as string[];
  const classes = [...new Set(labelsOf(frames[0]!))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return frames.map((df) => Int32Array.from(labelsOf(df), (label) => index.get(label)!));
}

function bytes(values: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

async function penguins(overrides: string[] = []): Promise<Config> {
  return (await loadConfig({ overrides })).config;
}

Deno.test("fitFeatures() builds byte-identical matrices to transforming every split first", async () => {
  using _logs = captureLogs({ level: "error" });
  const config = await penguins();
  const data = await prepareData(config);
  const features = fitFeatures(data, config);
  const expected = referenceMatrices(features, data);
  for (const split of ["train", "val", "test"] as const) {
    assert.equal(features.x[split].rows, data[split].height);
    assert.equal(features.x[split].cols, 9);
    assert.deepEqual(bytes(features.x[split].data), bytes(expected[split].data), split);
  }
});

Deno.test("fitFeatures() with a selector applies it to every split as before", async () => {
  using _logs = captureLogs({ level: "error" });
  const config = await penguins([
    'features.selection=[{ kind: "top_k", k: 5, score: "anova_f" }]',
  ]);
  const data = await prepareData(config);
  const features = fitFeatures(data, config);
  assert.equal(features.names.length, 5);
  const expected = referenceMatrices(features, data);
  for (const split of ["train", "val", "test"] as const) {
    assert.deepEqual(bytes(features.x[split].data), bytes(expected[split].data), split);
  }
});

Deno.test("buildTargets() gives the class indexes of the per-row encoding", () => {
  const frames = {
    train: pl.DataFrame({ y: ["on_time", "delayed", "on_time", "delayed", "on_time"] }),
    val: pl.DataFrame({ y: ["delayed", "on_time"] }),
    test: pl.DataFrame({ y: ["on_time", "on_time", "delayed"] }),
  };
  const y = buildTargets(frames, "y", "classification");
  const expected = referenceLabels([frames.train, frames.val, frames.test], "y");
  assert.equal(y.train.kind, "classification");
  assert.deepEqual((y.train as Extract<Targets, { kind: "classification" }>).classes, [
    "delayed",
    "on_time",
  ]);
  [y.train, y.val, y.test].forEach((targets, i) => {
    assert.ok(targets.kind === "classification" && targets.labels instanceof Int32Array);
    assert.deepEqual(targets.labels, expected[i]);
  });
  assert.deepEqual(
    (y.test as Extract<Targets, { kind: "classification" }>).labels,
    Int32Array.from([1, 1, 0]),
  );
});

Deno.test("buildTargets() names a test class absent from train", () => {
  const frames = {
    train: pl.DataFrame({ y: ["a", "b", "a"] }),
    val: pl.DataFrame({ y: ["a"] }),
    test: pl.DataFrame({ y: ["b", "c", "d", "c"] }),
  };
  assert.throws(() => buildTargets(frames, "y", "classification"), {
    name: "DataValidationError",
    message: /test split: class\(es\) \["c","d"\] of "y" are absent from the training split/,
  });
});

Deno.test("buildTargets() encodes integer targets by their text, as before", () => {
  const frames = {
    train: pl.DataFrame([pl.Series("y", [3, 10, 3, 2], pl.Int32)]),
    val: pl.DataFrame([pl.Series("y", [10], pl.Int32)]),
    test: pl.DataFrame([pl.Series("y", [2, 3], pl.Int32)]),
  };
  const y = buildTargets(frames, "y", "classification");
  const expected = referenceLabels([frames.train, frames.val, frames.test], "y");
  assert.deepEqual((y.train as Extract<Targets, { kind: "classification" }>).classes, [
    "10",
    "2",
    "3",
  ]);
  [y.train, y.val, y.test].forEach((targets, i) => {
    assert.ok(targets.kind === "classification");
    assert.deepEqual(targets.labels, expected[i]);
  });
});

Deno.test("a seeded MLP trained on fitFeatures() output has byte-identical weights to the reference", async () => {
  using _logs = captureLogs({ level: "error" });
  const config = await penguins();
  const data = await prepareData(config);
  const features = fitFeatures(data, config);
  const reference = referenceMatrices(features, data);
  const labels = referenceLabels([data.train], config.data.target)[0]!;
  await initBackend("wasm");
  const classes = (features.y.train as Extract<Targets, { kind: "classification" }>).classes;
  const train = async (x: Matrix, y: Targets) => {
    const model = createModel(config.model, {
      task: "classification",
      inputDim: x.cols,
      classes,
      seed: 7,
    });
    await model.fit(x, y, { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 7 });
    const weights = (model as unknown as { getWeights(): Float32Array[] }).getWeights();
    model.dispose();
    return weights;
  };
  const now = await train(features.x.train, features.y.train);
  const before = await train(reference.train, { kind: "classification", labels, classes });
  assert.equal(now.length, before.length);
  now.forEach((w, i) => assert.deepEqual(bytes(w), bytes(before[i]!), `weight ${i}`));
});

Deno.test("buildTargets() encodes more than eight classes like the per-row encoding", () => {
  const names = ["j", "a", "i", "b", "h", "c", "g", "d", "f", "e"];
  const frames = {
    train: pl.DataFrame({ y: [...names, "a", "j"] }),
    val: pl.DataFrame({ y: ["e", "f", "a"] }),
    test: pl.DataFrame({ y: ["j", "b"] }),
  };
  const y = buildTargets(frames, "y", "classification");
  const expected = referenceLabels([frames.train, frames.val, frames.test], "y");
  assert.deepEqual(
    (y.train as Extract<Targets, { kind: "classification" }>).classes,
    [
      ...names,
    ].sort(),
  );
  [y.train, y.val, y.test].forEach((targets, i) => {
    assert.ok(targets.kind === "classification");
    assert.deepEqual(targets.labels, expected[i]);
  });
  assert.throws(
    () => buildTargets({ ...frames, test: pl.DataFrame({ y: ["k", "a"] }) }, "y", "classification"),
    { name: "DataValidationError", message: /test split: class\(es\) \["k"\] of "y" are absent/ },
  );
});

Deno.test("prepareData() still rejects cleaned splits that break a rule the raw data passed", async () => {
  using _logs = captureLogs({ level: "error" });
  const base = await penguins();
  const config: Config = {
    ...base,
    validation: {
      strict: true,
      min_rows: 1,
      columns: {
        Island: {
          dtype: "string",
          nullable: false,
          allowed: ["Biscoe", "Dream", "Torgersen"],
          unique: false,
        },
      },
    },
  };
  // The raw data passes and cleaning only drops rows: the splits hold raw rows as they were.
  const data = await prepareData(config);
  assert.ok(data.validation.ok);
  assert.deepEqual(Object.keys(data.stages), ["load", "validate", "clean", "split", "features"]);
  // Lower-cased islands are no longer allowed: the cleaned splits are checked and refused.
  const lowered: Config = {
    ...config,
    cleaning: { ...config.cleaning, normalize_case: { Island: "lower" } },
  };
  await assert.rejects(() => prepareData(lowered), {
    name: "DataValidationError",
    message:
      /^Cannot train: the cleaned train split still breaks 1 validation rule\(s\) \(Island allowed: \d+\)/,
  });
});
