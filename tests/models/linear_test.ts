import assert from "node:assert/strict";
import { initBackend, LinearModel } from "../../src/models/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";
import { blobs, linearTarget, sliceRows } from "./_synthetic.ts";

await initBackend("wasm");

Deno.test("LinearModel (softmax regression) beats chance on separable blobs", async () => {
  const data = blobs({ rows: 300, seed: 3 });
  const train = sliceRows(data, 0, 150);
  const test = sliceRows(data, 150, 300);
  const model = new LinearModel({ task: "classification", inputDim: 4, classes: train.y.classes });
  await model.fit(train.x, train.y, { epochs: 5, batchSize: 16, learningRate: 0.05 });
  const predicted = model.predictClasses(test.x);
  const labels = test.y.kind === "classification" ? test.y.labels : new Int32Array();
  let correct = 0;
  for (let i = 0; i < 150; i++) if (predicted[i] === labels[i]) correct++;
  assert.ok(correct / 150 > 0.9, `accuracy ${correct / 150}`);
  assert.equal(model.summary().split("\n")[2], "output             3  softmax             15");
  model.dispose();
});

Deno.test("LinearModel (linear regression) recovers the coefficients of a linear target", async () => {
  const { x, y } = linearTarget({ rows: 200 });
  const model = new LinearModel({ task: "regression", inputDim: 3, seed: 4 });
  await model.fit(x, y, { epochs: 25, batchSize: 32, learningRate: 0.1 });
  const [kernel, bias] = model.getWeights();
  assert.equal(kernel!.length, 3);
  assertClose(kernel![0]!, 2, 0.05);
  assertClose(kernel![1]!, -1, 0.05);
  assertClose(kernel![2]!, 0.5, 0.05);
  assertClose(bias![0]!, 1, 0.05);
  model.dispose();
});

Deno.test("LinearModel's L2 penalty shrinks the weights as ridge regression does", async () => {
  const { x, y } = linearTarget();
  const norm = async (l2: number): Promise<number> => {
    const model = new LinearModel({ task: "regression", inputDim: 3, l2 });
    await model.fit(x, y, { epochs: 25, batchSize: 32, learningRate: 0.1 });
    const kernel = model.getWeights()[0]!;
    model.dispose();
    return Math.hypot(...kernel);
  };
  const plain = await norm(0);
  const shrunk = await norm(0.5);
  // Loss MSE + l2·|w|² on standard-normal features: w ≈ w_true / (1 + l2).
  assertClose(shrunk / plain, 1 / 1.5, 0.05, `|w| ${shrunk} with l2 0.5 vs ${plain} without`);
});

Deno.test("LinearModel.toConfig() and constructor checks", () => {
  const model = new LinearModel({ task: "regression", inputDim: 2, l2: 0.01 });
  assert.equal(model.family, "linear");
  assert.equal(model.isFitted, false);
  assert.deepEqual(model.toConfig(), { family: "linear", params: { l2: 0.01 } });
  assert.throws(() => new LinearModel({ task: "regression", inputDim: 2, l2: -1 }), {
    name: "RangeError",
    message: /Cannot create "linear" model: l2 is -1.*model\.params\.l2/,
  });
  assert.throws(() => new LinearModel({ task: "classification", inputDim: 2, classes: [] }), {
    name: "DataValidationError",
    message: /"linear" classifier: the training split holds no class/,
  });
});
