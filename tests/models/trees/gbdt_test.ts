import assert from "node:assert/strict";
import { createModel, GbdtModel, loadModel, type Targets } from "../../../src/models/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";

/** Rows × 4 features (one constant, one all-missing) with a step target and some NaN. */
function data(seed: number, rows: number) {
  const random = new Random(seed);
  const cols = 4;
  const x = new Float32Array(rows * cols);
  const values = new Float32Array(rows);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = random.next() < 0.05 ? NaN : random.next() * 4;
    const b = random.normal();
    x.set([a, b, 7, NaN], i * cols);
    const step = a !== a ? 1 : a > 2 ? 3 : 0;
    values[i] = step + 0.5 * b + 0.1 * random.normal();
    labels[i] = a !== a ? 2 : a > 2 ? (b > 0 ? 1 : 2) : 0;
  }
  const matrix: Matrix = { data: x, rows, cols };
  const regression: Targets = { kind: "regression", values };
  const classification: Targets = { kind: "classification", labels, classes: ["a", "b", "c"] };
  return { x: matrix, regression, classification };
}

async function tempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await use(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("GbdtModel learns a step regression with a constant and an all-missing feature", async () => {
  const train = data(1, 600);
  const test = data(2, 300);
  const model = new GbdtModel({ task: "regression", inputDim: 4, params: { rounds: 100 } });
  const history = await model.fit(train.x, train.regression, {
    validation: { x: test.x, y: test.regression },
  });
  const p = model.predict(test.x);
  const y = (test.regression as { values: Float32Array }).values;
  let squares = 0;
  for (let i = 0; i < y.length; i++) squares += (p[i]! - y[i]!) ** 2;
  assert.ok(Math.sqrt(squares / y.length) < 0.25, `rmse ${Math.sqrt(squares / y.length)}`);
  assert.equal(history.metric, "mae");
  assert.equal(history.monitor, "val_loss");
  assert.ok(history.epochs.length >= 1 && history.epochs.length <= 100);
  assert.ok(history.epochs.at(-1)!.loss < history.epochs[0]!.loss);
  assert.match(model.summary(), /GbdtModel \(gbdt\): regression, 4 inputs, loss squared_error/);
});

Deno.test("GbdtModel classifies three classes with probabilities that sum to 1", async () => {
  const train = data(3, 600);
  const test = data(4, 200);
  const model = createModel({ family: "gbdt", params: { rounds: 60 } }, {
    task: "classification",
    inputDim: 4,
    classes: ["a", "b", "c"],
  });
  const history = await model.fit(train.x, train.classification, {});
  assert.equal(history.metric, "accuracy");
  assert.equal(history.epochs.length, 60);
  const p = model.predict(test.x);
  assert.equal(p.length, 200 * 3);
  for (let i = 0; i < 200; i++) {
    assert.ok(Math.abs(p[i * 3]! + p[i * 3 + 1]! + p[i * 3 + 2]! - 1) < 1e-6);
  }
  const labels = model.predictClasses(test.x);
  const truth = (test.classification as { labels: Int32Array }).labels;
  const correct = labels.filter((label, i) => label === truth[i]).length;
  assert.ok(correct / 200 > 0.95, `accuracy ${correct / 200}`);
});

Deno.test("GbdtModel routes NaN rows to the side the split learned", async () => {
  // Missing x goes with the high rows in training, so a NaN row predicts high.
  const x = new Float32Array(100);
  const values = new Float32Array(100);
  for (let i = 0; i < 100; i++) {
    x[i] = i % 10 === 0 ? NaN : i;
    values[i] = x[i]! !== x[i]! || i >= 50 ? 10 : 0;
  }
  const model = new GbdtModel({
    task: "regression",
    inputDim: 1,
    params: { rounds: 30, learning_rate: 0.5, min_samples_leaf: 5, l2: 0 },
  });
  await model.fit({ data: x, rows: 100, cols: 1 }, { kind: "regression", values });
  const p = model.predict({ data: Float32Array.of(NaN, 10, 90), rows: 3, cols: 1 });
  assert.ok(
    Math.abs(p[0]! - 10) < 0.01 && Math.abs(p[1]!) < 0.01 && Math.abs(p[2]! - 10) < 0.01,
    `${p}`,
  );
});

Deno.test("a saved GbdtModel loads and predicts bit-identically", async () => {
  const train = data(5, 400);
  const test = data(6, 200);
  for (
    const [task, y] of [["regression", train.regression], [
      "classification",
      train.classification,
    ]] as const
  ) {
    const model = new GbdtModel({
      task,
      inputDim: 4,
      classes: task === "classification" ? ["a", "b", "c"] : [],
      params: { rounds: 20, subsample: 0.7, colsample: 0.5 },
    });
    await model.fit(train.x, y, { seed: 3 });
    await tempDir(async (dir) => {
      await model.save(dir);
      assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
        "params.json",
        "trees.bin",
      ]);
      const loaded = await loadModel(dir);
      assert.ok(loaded instanceof GbdtModel);
      assert.deepEqual(loaded.predict(test.x), model.predict(test.x));
      assert.equal(loaded.summary(), model.summary());
    });
  }
});

Deno.test("the same seed gives a byte-identical saved model, another seed another model", async () => {
  const train = data(7, 400);
  const val = data(8, 100);
  async function savedBytes(seed: number): Promise<Uint8Array[]> {
    const model = new GbdtModel({
      task: "classification",
      inputDim: 4,
      classes: ["a", "b", "c"],
      params: { rounds: 15, subsample: 0.6, colsample: 0.5 },
    });
    await model.fit(train.x, train.classification, {
      seed,
      validation: { x: val.x, y: val.classification },
    });
    return await tempDir(async (dir) => {
      await model.save(dir);
      return [await Deno.readFile(`${dir}/params.json`), await Deno.readFile(`${dir}/trees.bin`)];
    });
  }
  const first = await savedBytes(11);
  assert.deepEqual(await savedBytes(11), first);
  assert.notDeepEqual((await savedBytes(12))[1], first[1]);
});

Deno.test("GbdtModel stops early on the validation loss and keeps the best round's trees", async () => {
  const train = data(9, 300);
  const val = data(10, 100);
  const model = new GbdtModel({
    task: "regression",
    inputDim: 4,
    params: { rounds: 500, learning_rate: 0.5, early_stopping_rounds: 5, min_samples_leaf: 2 },
  });
  const history = await model.fit(train.x, train.regression, {
    validation: { x: val.x, y: val.regression },
  });
  assert.equal(history.stoppedEarly, true);
  assert.equal(history.epochs.length, history.bestEpoch + 6);
  const best = history.epochs[history.bestEpoch]!.val_loss!;
  const p = model.predict(val.x);
  const y = (val.regression as { values: Float32Array }).values;
  let squares = 0;
  for (let i = 0; i < y.length; i++) squares += (p[i]! - y[i]!) ** 2;
  assert.ok(Math.abs(squares / y.length - best) < 1e-4, `${squares / y.length} vs ${best}`);
  assert.match(model.summary(), new RegExp(`${history.bestEpoch + 1} rounds × 1 trees`));
});

Deno.test("GbdtModel with max_leaves 1 predicts the training mean (every tree is one leaf)", async () => {
  const train = data(11, 200);
  const model = new GbdtModel({
    task: "regression",
    inputDim: 4,
    params: { rounds: 5, max_leaves: 1 },
  });
  await model.fit(train.x, train.regression, {});
  const y = (train.regression as { values: Float32Array }).values;
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const p = model.predict(train.x);
  for (const v of p) assert.ok(Math.abs(v - mean) < 1e-5);
});

Deno.test("GbdtModel refuses a single-class split and NaN or infinite targets, naming them", async () => {
  const x: Matrix = { data: new Float32Array(8), rows: 4, cols: 2 };
  const model = new GbdtModel({ task: "classification", inputDim: 2, classes: ["a", "b"] });
  await assert.rejects(
    () => model.fit(x, { kind: "classification", labels: new Int32Array(4), classes: ["a", "b"] }),
    {
      name: "DataValidationError",
      message: /training split holds one class \("a"\), expected at least 2/,
    },
  );
  const regressor = new GbdtModel({ task: "regression", inputDim: 2 });
  for (const bad of [NaN, Infinity, -Infinity]) {
    await assert.rejects(
      () => regressor.fit(x, { kind: "regression", values: Float32Array.of(1, bad, 2, 3) }),
      { name: "DataValidationError", message: /1 target values are NaN or infinite/ },
    );
  }
  assert.throws(() => regressor.predict(x), { name: "NotFittedError" });
  assert.throws(
    () => new GbdtModel({ task: "regression", inputDim: 2, params: { max_bins: 256 } }),
    {
      name: "ZodError",
    },
  );
});

Deno.test("createModel() reports bad gbdt params at their key path", () => {
  assert.throws(
    () =>
      createModel({ family: "gbdt", params: { max_leaves: 0, colsample: 2 } }, {
        task: "regression",
        inputDim: 1,
      }),
    { name: "ConfigError", message: /model\.params\.max_leaves: .*model\.params\.colsample/ },
  );
});

Deno.test("GbdtModel.load() refuses a truncated or edited trees file", async () => {
  const train = data(12, 200);
  const model = new GbdtModel({ task: "regression", inputDim: 4, params: { rounds: 3 } });
  await model.fit(train.x, train.regression, {});
  await tempDir(async (dir) => {
    await model.save(dir);
    const bytes = await Deno.readFile(`${dir}/trees.bin`);
    await Deno.writeFile(`${dir}/trees.bin`, bytes.subarray(0, bytes.length - 7));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /trees\.bin" is corrupt: it holds/,
    });
    const edited = bytes.slice();
    new DataView(edited.buffer).setInt32(12, 9, true); // the root splits on feature 9 of 4
    await Deno.writeFile(`${dir}/trees.bin`, edited);
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /tree 0 node 0 splits on feature 9/,
    });
    await Deno.remove(`${dir}/trees.bin`);
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /"[^"]*trees\.bin" does not exist; check the path or re-save the model/,
    });
  });
});
