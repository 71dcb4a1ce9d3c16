import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, LinearModel, MlpModel, type Targets } from "../../src/models/mod.ts";
import { buildDenseLayers, type DenseNetworkSpec } from "../../src/models/mlp.ts";
import type { Matrix } from "../../src/utils/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";
import { blobs, linearTarget, sliceRows } from "./_synthetic.ts";

await initBackend("wasm");

function accuracy(predicted: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

Deno.test("MlpModel beats chance on separable 3-class blobs after 5 epochs", async () => {
  const data = blobs({ rows: 300 });
  const train = sliceRows(data, 0, 150);
  const test = sliceRows(data, 150, 300);
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: train.y.classes,
    hiddenUnits: [16, 8],
    activation: "tanh",
    dropout: 0.1,
  });
  await model.fit(train.x, train.y, { epochs: 5, batchSize: 16, learningRate: 0.02 });
  const probabilities = model.predict(test.x);
  assert.equal(probabilities.length, 150 * 3);
  for (let i = 0; i < 150; i++) {
    assertClose(
      probabilities[i * 3]! + probabilities[i * 3 + 1]! + probabilities[i * 3 + 2]!,
      1,
      1e-5,
    );
  }
  const labels = test.y.kind === "classification" ? test.y.labels : new Int32Array();
  assert.ok(accuracy(model.predictClasses(test.x), labels) > 0.9);
  model.dispose();
});

Deno.test("MlpModel trains with every activation the config allows", async () => {
  const { x, y } = blobs({ rows: 60 });
  for (
    const activation of ["relu", "elu", "selu", "tanh", "sigmoid", "softplus", "swish"] as const
  ) {
    const model = new MlpModel({
      task: "classification",
      inputDim: 4,
      classes: y.classes,
      hiddenUnits: [8],
      activation,
    });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16 });
    assert.ok(Number.isFinite(history.epochs[1]!.loss), activation);
    model.dispose();
  }
});

Deno.test("a binary MlpModel predicts two softmax columns per row", async () => {
  const { x, y } = blobs({ rows: 60, classes: 2 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [4],
  });
  await model.fit(x, y, { epochs: 3, batchSize: 16 });
  const p = model.predict(x);
  assert.equal(p.length, 120);
  for (let i = 0; i < 60; i++) assertClose(p[2 * i]! + p[2 * i + 1]!, 1, 1e-6);
  model.dispose();
});

Deno.test("MlpModel.predict() in chunks equals predict() in one go, bit for bit", async () => {
  const { x, y } = blobs({ rows: 150 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8, 8],
  });
  await model.fit(x, y, { epochs: 2, batchSize: 32 });
  const whole = model.predict(x);
  for (const chunkRows of [1, 37, 100, 149]) {
    assert.deepEqual(model.predict(x, { chunkRows }), whole, `chunkRows ${chunkRows}`);
  }
  assert.deepEqual(
    model.predict({ data: new Float32Array(0), rows: 0, cols: 4 }),
    new Float32Array(0),
  );
  model.dispose();
});

Deno.test("refitting an MlpModel starts over: fit(a).fit(b) equals fit(b)", async () => {
  const a = blobs({ seed: 1 });
  const b = blobs({ seed: 2 });
  const make = () =>
    new MlpModel({
      task: "classification",
      inputDim: 4,
      classes: a.y.classes,
      hiddenUnits: [5],
      dropout: 0.2,
    });
  const twice = make();
  await twice.fit(a.x, a.y, { epochs: 2 });
  await twice.fit(b.x, b.y, { epochs: 2 });
  const once = make();
  await once.fit(b.x, b.y, { epochs: 2 });
  assert.deepEqual(twice.getWeights(), once.getWeights());
  twice.dispose();
  once.dispose();
});

Deno.test("MlpModel rejects bad specs early with the config key to fix", () => {
  const base = { task: "classification" as const, inputDim: 4, classes: ["a", "b"] };
  assert.throws(() => new MlpModel({ ...base, classes: ["Adelie"] }), {
    name: "DataValidationError",
    message: /the training split holds one class \("Adelie"\), expected at least 2/,
  });
  assert.throws(() => new MlpModel({ ...base, inputDim: 0 }), {
    name: "RangeError",
    message: /inputDim is 0, expected a positive integer.*features\.steps/,
  });
  assert.throws(() => new MlpModel({ ...base, hiddenUnits: [8, 0] }), {
    name: "RangeError",
    message: /hidden_units\[1\] is 0/,
  });
  assert.throws(() => new MlpModel({ ...base, dropout: 1 }), {
    name: "RangeError",
    message: /dropout is 1, expected a rate in \[0, 1\); set model\.params\.dropout/,
  });
  assert.throws(() => new MlpModel({ ...base, activation: "gelu" as "relu" }), {
    name: "TypeError",
    message: /unknown activation "gelu"/,
  });
  assert.throws(() => new MlpModel({ ...base, classes: ["a", "a"] }), {
    name: "TypeError",
    message: /duplicate class names/,
  });
  assert.throws(() => new MlpModel({ task: "regression", inputDim: 2, classes: ["a", "b"] }), {
    name: "TypeError",
    message: /pass no classes for regression/,
  });
});

Deno.test("MlpModel.fit() rejects a training split whose labels hold one class", async () => {
  const x: Matrix = { data: new Float32Array(8), rows: 4, cols: 2 };
  const y: Targets = {
    kind: "classification",
    labels: new Int32Array(4),
    classes: ["Adelie", "Gentoo"],
  };
  const model = new MlpModel({ task: "classification", inputDim: 2, classes: y.classes });
  await assert.rejects(() => model.fit(x, y), {
    name: "DataValidationError",
    message: /Cannot train "mlp" classifier: the training split holds one class \("Adelie"\)/,
  });
});

Deno.test("MlpModel checks inputs: not fitted, wrong width, NaN, wrong targets", async () => {
  const { x, y } = blobs({ rows: 30 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [4],
  });
  assert.throws(() => model.predict(x), {
    name: "NotFittedError",
    message: /Cannot predict with "mlp": it is not fitted, call fit\(\)/,
  });
  await assert.rejects(() => model.save("/nonexistent"), { name: "NotFittedError" });
  await model.fit(x, y, { epochs: 1 });
  assert.throws(() => model.predict({ data: new Float32Array(6), rows: 2, cols: 3 }), {
    name: "SchemaMismatchError",
    message: /the input has 3 columns, expected 4/,
  });
  const withNaN = x.data.slice();
  withNaN[9] = NaN;
  assert.throws(
    () => model.predict({ ...x, data: withNaN }),
    (error: Error & { issues?: unknown[] }) => {
      assert.equal(error.name, "DataValidationError");
      assert.match(error.message, /1 feature values are NaN or infinite \(first at row 3\)/);
      assert.deepEqual(error.issues, [{
        column: null,
        rule: "finite",
        count: 1,
        message: "expected finite feature values, found NaN or infinity",
        examples: [NaN],
        rows: [3],
      }]);
      return true;
    },
  );
  assert.throws(() => model.predict({ data: new Float32Array(5), rows: 2, cols: 4 }), {
    name: "TypeError",
    message: /malformed/,
  });
  const badLabels: Targets = {
    kind: "classification",
    labels: new Int32Array(30).fill(5),
    classes: y.classes,
  };
  await assert.rejects(() => model.fit(x, badLabels), {
    name: "DataValidationError",
    message: /30 labels are outside \[0, 3\)/,
  });
  const otherClasses: Targets = { ...y, classes: ["x", "y", "z"] };
  await assert.rejects(() => model.fit(x, otherClasses), { name: "SchemaMismatchError" });
  await assert.rejects(() => model.fit(x, { kind: "regression", values: new Float32Array(30) }), {
    name: "TypeError",
    message: /targets are for regression, the model does classification/,
  });
  model.dispose();
});

Deno.test("predictClasses() on a regressor throws TypeError", async () => {
  const model = new MlpModel({ task: "regression", inputDim: 1, hiddenUnits: [2] });
  const x: Matrix = { data: new Float32Array([1, 2, 3]), rows: 3, cols: 1 };
  await model.fit(x, { kind: "regression", values: new Float32Array([2, 4, 6]) }, { epochs: 1 });
  assert.throws(() => model.predictClasses(x), { name: "TypeError", message: /use predict\(\)/ });
  model.dispose();
});

Deno.test("MlpModel.summary() lists the layers, activations and parameter counts", () => {
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: ["a", "b", "c"],
    hiddenUnits: [16, 8],
    dropout: 0.1,
    l2: 0.001,
    seed: 3,
  });
  assert.equal(
    model.summary(),
    [
      `MlpModel (mlp): classification of 3 classes ["a","b","c"], 4 inputs, not fitted`,
      "layer          units  activation      params",
      "hidden_1          16  relu                80",
      "hidden_2           8  relu               136",
      "output             3  softmax             27",
      "total params: 243; dropout 0.1; l2 0.001; seed 3",
    ].join("\n"),
  );
  assert.deepEqual(model.toConfig(), {
    family: "mlp",
    params: { hidden_units: [16, 8], activation: "relu", dropout: 0.1, l2: 0.001 },
  });
});

Deno.test("MlpModel.dispose() frees every tensor and unfits the model", async () => {
  const { x, y } = blobs({ rows: 30 });
  const before = tf.memory().numTensors;
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [4, 4],
  });
  await model.fit(x, y, { epochs: 1 });
  assert.equal(tf.memory().numTensors - before, 6);
  model.dispose();
  assert.equal(model.isFitted, false);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("predict() runs on the forward kernels and gives LayersModel.predict()'s outputs up to float rounding, for classifiers and regressors", async () => {
  const cases: Array<{ model: MlpModel | LinearModel; x: Matrix; spec: DenseNetworkSpec }> = [];
  const { x, y } = blobs({ rows: 150 });
  const mlp = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8, 5],
    activation: "tanh",
  });
  await mlp.fit(x, y, { epochs: 3, batchSize: 32 });
  cases.push({
    model: mlp,
    x,
    spec: {
      task: "classification",
      inputDim: 4,
      classes: y.classes,
      seed: 42,
      hiddenUnits: [8, 5],
      activation: "tanh",
      dropout: 0,
      l2: 0,
    },
  });
  const reg = linearTarget({ rows: 120 });
  const linear = new LinearModel({ task: "regression", inputDim: 3 });
  await linear.fit(reg.x, reg.y, { epochs: 5, batchSize: 16 });
  cases.push({
    model: linear,
    x: reg.x,
    spec: {
      task: "regression",
      inputDim: 3,
      classes: [],
      seed: 42,
      hiddenUnits: [],
      activation: "relu",
      dropout: 0,
      l2: 0,
    },
  });
  for (const { model, x: input, spec } of cases) {
    // The same network as a plain tfjs LayersModel, holding the trained weights.
    const { model: layers, dense } = buildDenseLayers("reference", spec);
    const weights = model.getWeights();
    let fanIn = spec.inputDim;
    dense.forEach((layer, i) => {
      const units = weights[2 * i + 1]!.length;
      const values = [
        tf.tensor2d(weights[2 * i]!, [fanIn, units]),
        tf.tensor1d(weights[2 * i + 1]!),
      ];
      layer.setWeights(values);
      tf.dispose(values);
      fanIn = units;
    });
    const expected = tf.tidy(() =>
      (layers.predict(tf.tensor2d(input.data, [input.rows, input.cols])) as tf.Tensor).dataSync()
    );
    const actual = model.predict(input);
    assert.equal(model.predictionEngine, "kernels");
    assert.equal(actual.length, expected.length);
    let maxDiff = 0;
    actual.forEach((value, i) => (maxDiff = Math.max(maxDiff, Math.abs(value - expected[i]!))));
    assert.ok(maxDiff < 2e-6, `${model.family}: ${maxDiff}`);
    layers.dispose();
    model.dispose();
  }
});
