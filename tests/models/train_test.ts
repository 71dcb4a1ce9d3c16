import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  balancedClassWeights,
  classWeightsFromConfig,
  drawDropoutMask,
  fitOptionsFromConfig,
  initBackend,
  LinearModel,
  MlpModel,
  type Targets,
} from "../../src/models/mod.ts";
import { TrainingConfigSchema } from "../../src/config/schema.ts";
import { type Matrix, Random } from "../../src/utils/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";
import { blobs, linearTarget, sliceRows, withoutSeconds } from "./_synthetic.ts";

await initBackend("wasm");

function weightBytes(model: MlpModel | LinearModel): Uint8Array[] {
  return model.getWeights().map((w) => new Uint8Array(w.buffer.slice(0)));
}

function crossEntropy(probabilities: Float32Array, labels: Int32Array, k: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(probabilities[i * k + labels[i]!]!);
  return sum / labels.length;
}

Deno.test("balancedClassWeights() gives n / (k · count) per class, like sklearn", () => {
  const weights = balancedClassWeights(new Int32Array([0, 0, 0, 1, 2, 2]), 3);
  assert.deepEqual(Array.from(weights), [6 / 9, 2, 1].map(Math.fround));
  assert.deepEqual(Array.from(balancedClassWeights(new Int32Array([0, 0]), 2)), [0.5, 0]);
  assert.throws(() => balancedClassWeights(new Int32Array([0, 3]), 2), {
    name: "RangeError",
    message: /label 3 is outside \[0, 2\)/,
  });
});

Deno.test("classWeightsFromConfig() reads none, balanced and per-class weights", () => {
  const y: Targets = {
    kind: "classification",
    labels: new Int32Array([0, 0, 0, 1]),
    classes: ["Adelie", "Gentoo"],
  };
  assert.equal(classWeightsFromConfig("none", y), null);
  assert.deepEqual(Array.from(classWeightsFromConfig("balanced", y)!), [4 / 6, 2].map(Math.fround));
  assert.deepEqual(Array.from(classWeightsFromConfig({ Gentoo: 3 }, y)!), [1, 3]);
  assert.throws(() => classWeightsFromConfig({ Gento: 3 }, y), {
    name: "ConfigError",
    message: /training\.class_weights.*unknown class "Gento": did you mean "Gentoo"/,
  });
  assert.throws(
    () => classWeightsFromConfig("balanced", { kind: "regression", values: new Float32Array(2) }),
    { name: "ConfigError", message: /apply to classification.*set it to "none"/ },
  );
});

Deno.test("fitOptionsFromConfig() maps the training config to camelCase fit options", () => {
  const training = TrainingConfigSchema.parse({
    epochs: 7,
    batch_size: 16,
    learning_rate: 0.1,
    optimizer: "sgd",
    seed: 3,
    early_stopping: { patience: 4, min_delta: 0.01, restore_best: false },
    class_weights: "balanced",
    engine: "tfjs",
  });
  const y: Targets = {
    kind: "classification",
    labels: new Int32Array([0, 1, 1, 1]),
    classes: ["a", "b"],
  };
  assert.deepEqual(fitOptionsFromConfig(training, y), {
    epochs: 7,
    batchSize: 16,
    learningRate: 0.1,
    optimizer: "sgd",
    seed: 3,
    earlyStopping: { enabled: true, patience: 4, minDelta: 0.01, restoreBest: false },
    classWeights: new Float32Array([2, 4 / 6]),
    threads: 1,
    engine: "tfjs",
  });
});

Deno.test("fit() is deterministic: two fits give byte-identical weights and history", async () => {
  const { x, y } = blobs();
  const val = blobs({ seed: 99 });
  const runs = [];
  for (let run = 0; run < 2; run++) {
    const model = new MlpModel({
      task: "classification",
      inputDim: 4,
      classes: y.classes,
      hiddenUnits: [8, 6],
      dropout: 0.3,
      l2: 0.001,
      seed: 5,
    });
    const history = await model.fit(x, y, {
      epochs: 3,
      batchSize: 32,
      seed: 8,
      validation: { x: val.x, y: val.y },
    });
    runs.push({ weights: weightBytes(model), history: withoutSeconds(history) });
    model.dispose();
  }
  assert.deepEqual(runs[0]!.weights, runs[1]!.weights);
  assert.deepEqual(runs[0]!.history, runs[1]!.history);

  const other = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8, 6],
    dropout: 0.3,
    seed: 5,
  });
  await other.fit(x, y, { epochs: 3, batchSize: 32, seed: 9 });
  assert.notDeepEqual(
    weightBytes(other),
    runs[0]!.weights,
    "another fit seed shuffles differently",
  );
  other.dispose();
});

Deno.test("fit() reports loss, accuracy, validation scores and timing per epoch", async () => {
  const { x, y } = blobs();
  const val = blobs({ seed: 12 });
  const model = new LinearModel({ task: "classification", inputDim: 4, classes: y.classes });
  const history = await model.fit(x, y, {
    epochs: 4,
    batchSize: 16,
    learningRate: 0.05,
    validation: { x: val.x, y: val.y },
  });
  assert.equal(history.epochs.length, 4);
  assert.equal(history.metric, "accuracy");
  assert.equal(history.monitor, "val_loss");
  assert.equal(history.stoppedEarly, false);
  assert.deepEqual(history.epochs.map((e) => e.epoch), [0, 1, 2, 3]);
  assert.ok(history.epochs[3]!.loss < history.epochs[0]!.loss);
  for (const e of history.epochs) {
    assert.ok(e.metric >= 0 && e.metric <= 1);
    assert.ok(e.val_metric! >= 0 && e.val_metric! <= 1);
    assert.ok(e.seconds >= 0);
  }
  assert.ok(history.epochs[3]!.val_metric! > 0.9);
  const probabilities = model.predict(val.x);
  assertClose(
    history.epochs[3]!.val_loss!,
    crossEntropy(probabilities, val.y.labels, 3),
    1e-5,
    "val_loss is the cross-entropy of the final predictions",
  );
  model.dispose();
});

Deno.test("early stopping stops when the validation loss rises and restores the best weights", async () => {
  const { x, y } = blobs();
  // The validation labels are rotated: the better the model fits the training rows, the worse
  // its validation loss, so the best epoch is the first.
  const rotated = Int32Array.from(y.labels, (label) => (label + 1) % 3);
  const yVal: Targets = { kind: "classification", labels: rotated, classes: y.classes };
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8],
  });
  const history = await model.fit(x, y, {
    epochs: 30,
    batchSize: 16,
    learningRate: 0.05,
    validation: { x, y: yVal },
    earlyStopping: { enabled: true, patience: 2, minDelta: 0, restoreBest: true },
  });
  assert.equal(history.stoppedEarly, true);
  assert.equal(history.epochs.length, 3);
  assert.equal(history.bestEpoch, 0);
  assert.equal(history.restoredBest, true);
  const losses = history.epochs.map((e) => e.val_loss!);
  assert.ok(losses[1]! > losses[0]! && losses[2]! > losses[0]!, `val losses ${losses}`);
  const restored = crossEntropy(model.predict(x), rotated, 3);
  assertClose(restored, losses[0]!, 1e-5, "the model has the best epoch's weights");
  assert.ok(Math.abs(restored - losses[2]!) > 1e-3);
  model.dispose();
});

Deno.test("early stopping without restore keeps the last weights, and min_delta counts", async () => {
  const { x, y } = blobs();
  const rotated = Int32Array.from(y.labels, (label) => (label + 1) % 3);
  const yVal: Targets = { kind: "classification", labels: rotated, classes: y.classes };
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8],
  });
  const history = await model.fit(x, y, {
    epochs: 30,
    batchSize: 16,
    learningRate: 0.05,
    validation: { x, y: yVal },
    earlyStopping: { enabled: true, patience: 1, minDelta: 0, restoreBest: false },
  });
  assert.equal(history.epochs.length, 2);
  assert.equal(history.restoredBest, false);
  assertClose(crossEntropy(model.predict(x), rotated, 3), history.epochs[1]!.val_loss!, 1e-5);

  // Without validation the training loss is watched; a huge min_delta stops after patience.
  const noVal = await model.fit(x, y, {
    epochs: 30,
    batchSize: 16,
    earlyStopping: { enabled: true, patience: 3, minDelta: 100, restoreBest: true },
  });
  assert.equal(noVal.monitor, "loss");
  assert.equal(noVal.epochs.length, 4);
  assert.equal(noVal.bestEpoch, 0);
  assert.equal(noVal.stoppedEarly, true);
  model.dispose();
});

Deno.test("class weights change the result: balanced weights predict the minority class more", async () => {
  // 180 rows of class 0 around (0, 0) and 20 of class 1 around (1, 1): heavy overlap.
  const rng = new Random(21);
  const rows = 200;
  const data = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const label = i % 10 === 0 ? 1 : 0;
    labels[i] = label;
    data[i * 2] = label + rng.normal();
    data[i * 2 + 1] = label + rng.normal();
  }
  const x: Matrix = { data, rows, cols: 2 };
  const y: Targets = { kind: "classification", labels, classes: ["common", "rare"] };
  const minorityPredictions = async (classWeights: Float32Array | null): Promise<number> => {
    const model = new LinearModel({ task: "classification", inputDim: 2, classes: y.classes });
    await model.fit(x, y, { epochs: 20, batchSize: 32, learningRate: 0.05, classWeights });
    const predicted = model.predictClasses(x);
    model.dispose();
    return predicted.reduce((n, c) => n + c, 0);
  };
  const plain = await minorityPredictions(null);
  const balanced = await minorityPredictions(balancedClassWeights(labels, 2));
  assert.ok(plain < 10, `unweighted predicts "rare" for ${plain} rows`);
  assert.ok(balanced > 40, `balanced predicts "rare" for ${balanced} rows`);
});

Deno.test("a huge learning rate on unscaled data throws TrainingDivergedError naming the epoch", async () => {
  const { x, y } = blobs({ scale: 1e4 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8],
  });
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => model.fit(x, y, { epochs: 5, batchSize: 16, learningRate: 1e6, optimizer: "sgd" }),
    (error: Error & { epoch?: number; batch?: number }) => {
      assert.equal(error.name, "TrainingDivergedError");
      assert.match(
        error.message,
        /Cannot train the model: the loss became (NaN|Infinity) at epoch \d+/,
      );
      assert.match(error.message, /lower training\.learning_rate \(try 100000\)/);
      assert.equal(typeof error.epoch, "number");
      assert.equal(typeof error.batch, "number");
      return true;
    },
  );
  assert.equal(model.isFitted, false);
  assert.equal(tf.memory().numTensors, before, "a diverged fit leaks no tensors");
});

Deno.test("fit() and predict() leak no tensors", async () => {
  const { x, y } = blobs();
  const val = blobs({ seed: 4 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [6],
    dropout: 0.2,
    l2: 0.01,
  });
  const empty = tf.memory().numTensors;
  const options = { epochs: 2, batchSize: 32, validation: { x: val.x, y: val.y } };
  await model.fit(x, y, options);
  const withModel = tf.memory().numTensors;
  assert.equal(withModel - empty, 4, "the model holds two kernels and two biases");
  await model.fit(x, y, { ...options, optimizer: "rmsprop" });
  assert.equal(tf.memory().numTensors, withModel);
  model.predict(x);
  model.predict(x, { chunkRows: 7 });
  model.predictClasses(x);
  assert.equal(tf.memory().numTensors, withModel);
  model.dispose();
  assert.equal(tf.memory().numTensors, empty);
});

Deno.test("callbacks run in tfjs lifecycle order with the epoch logs", async () => {
  const { x, y } = blobs({ rows: 40 });
  const events: string[] = [];
  const model = new LinearModel({ task: "classification", inputDim: 4, classes: y.classes });
  const history = await model.fit(x, y, {
    epochs: 2,
    batchSize: 16,
    callbacks: {
      onTrainBegin: (info) => {
        events.push(
          `trainBegin ${info.epochs} ${info.batchesPerEpoch} ${info.samples} ${info.metric}`,
        );
      },
      onEpochBegin: (epoch) => {
        events.push(`epochBegin ${epoch}`);
      },
      onBatchEnd: async (batch, logs) => {
        await Promise.resolve();
        events.push(`batchEnd ${batch} ${logs.size}`);
      },
      onEpochEnd: (epoch, logs) => {
        events.push(`epochEnd ${epoch} ${logs.loss > 0}`);
      },
      onTrainEnd: (h) => {
        events.push(`trainEnd ${h.epochs.length}`);
      },
    },
  });
  assert.deepEqual(events, [
    "trainBegin 2 3 40 accuracy",
    "epochBegin 0",
    "batchEnd 0 16",
    "batchEnd 1 16",
    "batchEnd 2 8",
    "epochEnd 0 true",
    "epochBegin 1",
    "batchEnd 0 16",
    "batchEnd 1 16",
    "batchEnd 2 8",
    "epochEnd 1 true",
    "trainEnd 2",
  ]);
  assert.equal(history.epochs.length, 2);
  model.dispose();
});

Deno.test("an aborted signal rejects fit() with its reason and leaves the model unfitted", async () => {
  const { x, y } = blobs();
  const controller = new AbortController();
  const model = new LinearModel({ task: "classification", inputDim: 4, classes: y.classes });
  const before = tf.memory().numTensors;
  let epochs = 0;
  await assert.rejects(
    () =>
      model.fit(x, y, {
        epochs: 50,
        signal: controller.signal,
        callbacks: {
          onEpochEnd: () => {
            epochs++;
            if (epochs === 2) controller.abort(new Error("stopped by the user"));
          },
        },
      }),
    { message: "stopped by the user" },
  );
  assert.equal(epochs, 2);
  assert.equal(model.isFitted, false);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("regression training lowers the mean squared error and reports the MAE", async () => {
  const { x, y } = linearTarget();
  const model = new MlpModel({ task: "regression", inputDim: 3, hiddenUnits: [16], seed: 2 });
  const history = await model.fit(x, y, { epochs: 20, batchSize: 16, learningRate: 0.02 });
  assert.equal(history.metric, "mae");
  assert.ok(
    history.epochs[19]!.loss < history.epochs[0]!.loss / 5,
    JSON.stringify(history.epochs[19]),
  );
  const predictions = model.predict(x);
  assert.equal(predictions.length, 150);
  let absolute = 0;
  for (let i = 0; i < 150; i++) absolute += Math.abs(predictions[i]! - y.values[i]!);
  assert.ok(absolute / 150 < 0.5, `MAE ${absolute / 150}`);
  model.dispose();
});

Deno.test("fit() rejects bad options and mismatched validation data with the config key", async () => {
  const { x, y } = blobs({ rows: 30 });
  const model = new LinearModel({ task: "classification", inputDim: 4, classes: y.classes });
  await assert.rejects(() => model.fit(x, y, { batchSize: 0 }), {
    name: "RangeError",
    message: /batchSize is 0, expected a positive integer; set training\.batch_size/,
  });
  await assert.rejects(() => model.fit(x, y, { learningRate: -1 }), {
    name: "RangeError",
    message: /training\.learning_rate/,
  });
  await assert.rejects(() => model.fit(x, y, { optimizer: "adamw" as "adam" }), {
    name: "RangeError",
    message: /unknown optimizer "adamw": did you mean "adam"/,
  });
  await assert.rejects(() => model.fit(x, y, { classWeights: new Float32Array([1, 2]) }), {
    name: "RangeError",
    message: /expected 3 finite non-negative class weights/,
  });
  const narrow = sliceRows(blobs({ rows: 30, cols: 3 }), 0, 10);
  await assert.rejects(
    () => model.fit(x, y, { validation: { x: narrow.x, y: narrow.y } }),
    { name: "SchemaMismatchError", message: /validation set.*3 columns, expected 4/ },
  );
  assert.equal(model.isFitted, false);
});

Deno.test("training also runs on the cpu backend, deterministically", async () => {
  const { x, y } = blobs({ rows: 60 });
  await initBackend("cpu");
  try {
    const runs = [];
    for (let run = 0; run < 2; run++) {
      const model = new MlpModel({
        task: "classification",
        inputDim: 4,
        classes: y.classes,
        hiddenUnits: [6],
        dropout: 0.2,
      });
      const history = await model.fit(x, y, { epochs: 2, batchSize: 16, validation: { x, y } });
      runs.push({ weights: weightBytes(model), history: withoutSeconds(history) });
      model.dispose();
    }
    assert.equal(tf.getBackend(), "cpu");
    assert.deepEqual(runs[0], runs[1]);
  } finally {
    await initBackend("wasm");
  }
});

Deno.test("drawDropoutMask() drops about `rate` of the values and scales the rest by 1 / (1 − rate)", () => {
  const mask = drawDropoutMask(new Random(3), 200, 50, 0.3);
  assert.equal(mask.length, 10_000);
  const keep = Math.fround(1 / 0.7);
  assert.ok(mask.every((v) => v === 0 || v === keep));
  const dropped = mask.filter((v) => v === 0).length / mask.length;
  assert.ok(Math.abs(dropped - 0.3) < 0.02, `dropped ${dropped}`);
  assert.deepEqual(drawDropoutMask(new Random(3), 200, 50, 0.3), mask, "seeded: same mask again");
  assert.ok(drawDropoutMask(new Random(3), 2, 3, 0).every((v) => v === 1));
});
