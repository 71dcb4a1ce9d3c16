import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, LinearModel, MlpModel } from "../../../src/models/mod.ts";
import { DenseNetworkPredictor } from "../../../src/models/kernels/mod.ts";
import { captureLogs } from "../../../src/utils/mod.ts";
import { blobs, linearTarget } from "../_synthetic.ts";
import { assertNear, randomMatrix, randomNetwork, tfjsPredict } from "./_networks.ts";

await initBackend("wasm");

Deno.test("DenseNetworkPredictor.fromModel runs a fitted MlpModel and LinearModel on the kernels with model.predict's numbers", async () => {
  const { x, y } = blobs({ rows: 90, cols: 5 });
  const mlp = new MlpModel({
    task: "classification",
    inputDim: 5,
    classes: y.classes,
    hiddenUnits: [12, 7],
  });
  await mlp.fit(x, y, { epochs: 2, batchSize: 16 });
  const regression = linearTarget({ rows: 40 });
  const linear = new LinearModel({ task: "regression", inputDim: regression.x.cols });
  await linear.fit(regression.x, regression.y, { epochs: 2, batchSize: 8 });
  for (const [model, data] of [[mlp, x], [linear, regression.x]] as const) {
    const predictor = await DenseNetworkPredictor.fromModel(model);
    assert.equal(predictor.engine, "wasm-kernels");
    assert.equal(predictor.fallbackReason, null);
    const before = tf.memory().numTensors;
    const p = predictor.predict(data);
    assert.equal(tf.memory().numTensors, before);
    assertNear(p, model.predict(data));
    const bad = { ...data, data: data.data.slice() };
    bad.data[1] = NaN;
    assert.throws(() => predictor.predict(bad), { name: "DataValidationError" });
    model.dispose();
  }
});

Deno.test("DenseNetworkPredictor falls back to tfjs with one log line for layers the kernels do not cover", async () => {
  const { x, y } = blobs({ rows: 60, cols: 4 });
  const elu = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [8],
    activation: "elu",
  });
  await elu.fit(x, y, { epochs: 1, batchSize: 16 });
  const normalised = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 4,
        inputShape: [4],
        kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }),
      }),
      tf.layers.batchNormalization({}),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  const logs = captureLogs({ level: "info" });
  try {
    const fromModel = await DenseNetworkPredictor.fromModel(elu);
    const fromLayers = await DenseNetworkPredictor.fromLayersModel(normalised);
    assert.equal(fromModel.engine, "tfjs");
    assert.equal(fromLayers.engine, "tfjs");
    assert.deepEqual(fromModel.predict(x), elu.predict(x));
    assert.deepEqual(fromLayers.predict(x), tfjsPredict(normalised, x));
    const lines = logs.messages().filter((m) => m.includes("Dense kernels do not cover"));
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /layer "hidden_1" \(Dense\) has activation "elu"/);
    assert.match(lines[1]!, /\(BatchNormalization\) is not a Dense or Activation layer/);
  } finally {
    logs.stop();
    elu.dispose();
    normalised.dispose();
  }
});

Deno.test("DenseNetworkPredictor falls back to tfjs with a warning when the kernels cannot load", async () => {
  const model = randomNetwork({
    inputDim: 4,
    hidden: [5],
    activation: "relu",
    units: 2,
    head: "softmax",
  });
  const logs = captureLogs({ level: "info" });
  try {
    const predictor = await DenseNetworkPredictor.fromLayersModel(model, {
      wasmFile: "src/models/kernels/missing.wasm",
    });
    assert.equal(predictor.engine, "tfjs");
    assert.match(predictor.fallbackReason ?? "", /missing\.wasm/);
    const x = randomMatrix(3, 4, 8);
    assert.deepEqual(predictor.predict(x), tfjsPredict(model, x));
    const lines = logs.messages().filter((m) => m.includes("Dense kernels unavailable"));
    assert.equal(lines.length, 1);
  } finally {
    logs.stop();
    model.dispose();
  }
});
