import assert from "node:assert/strict";
import { BaselineModel, loadModel, type Targets } from "../../src/models/mod.ts";
import type { Matrix } from "../../src/utils/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";

const x: Matrix = { data: new Float32Array(12), rows: 6, cols: 2 };
const y: Targets = {
  kind: "classification",
  labels: new Int32Array([0, 0, 0, 1, 2, 2]),
  classes: ["Adelie", "Chinstrap", "Gentoo"],
};

Deno.test("BaselineModel predicts the training class frequencies for every row", async () => {
  const model = new BaselineModel({ task: "classification", inputDim: 2, classes: y.classes });
  const history = await model.fit(x, y);
  const p = model.predict({ data: new Float32Array(4), rows: 2, cols: 2 });
  const priors = [3 / 6, 1 / 6, 2 / 6].map(Math.fround);
  assert.deepEqual(Array.from(p), [...priors, ...priors]);
  assert.deepEqual(Array.from(model.predictClasses(x)), [0, 0, 0, 0, 0, 0]);
  assert.equal(history.epochs.length, 1);
  assert.equal(history.metric, "accuracy");
  assertClose(history.epochs[0]!.metric, 0.5, 1e-12, "accuracy of the majority class");
  const expectedLoss = -(3 * Math.log(3 / 6) + Math.log(1 / 6) + 2 * Math.log(2 / 6)) / 6;
  assertClose(history.epochs[0]!.loss, expectedLoss, 1e-12);
  assert.match(model.summary(), /class priors: Adelie 0\.5000, Chinstrap 0\.1667, Gentoo 0\.3333/);
});

Deno.test("BaselineModel predicts the training mean for regression and scores validation rows", async () => {
  const model = new BaselineModel({ task: "regression", inputDim: 2 });
  const values = new Float32Array([1, 2, 3, 4, 5, 9]);
  const val = {
    x: { data: new Float32Array(4), rows: 2, cols: 2 },
    y: { kind: "regression" as const, values: new Float32Array([4, 6]) },
  };
  const history = await model.fit(x, { kind: "regression", values }, { validation: val });
  assert.deepEqual(Array.from(model.predict(val.x)), [4, 4]);
  assert.equal(history.metric, "mae");
  assertClose(history.epochs[0]!.val_loss!, 2, 1e-12);
  assertClose(history.epochs[0]!.val_metric!, 1, 1e-12);
  assertClose(history.epochs[0]!.metric, (3 + 2 + 1 + 0 + 1 + 5) / 6, 1e-12);
});

Deno.test("BaselineModel saves as params.json alone and loads back exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = new BaselineModel({ task: "classification", inputDim: 2, classes: y.classes });
    await model.fit(x, y);
    await model.save(`${dir}/model`);
    assert.deepEqual([...Deno.readDirSync(`${dir}/model`)].map((e) => e.name), ["params.json"]);
    const loaded = await loadModel(`${dir}/model`);
    assert.ok(loaded instanceof BaselineModel);
    assert.deepEqual(loaded.predict(x), model.predict(x));
    assert.deepEqual(loaded.classes, y.classes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BaselineModel.load() rejects corrupt priors with ArtifactError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = new BaselineModel({ task: "classification", inputDim: 2, classes: y.classes });
    await model.fit(x, y);
    await model.save(dir);
    const params = JSON.parse(await Deno.readTextFile(`${dir}/params.json`));
    params.state.priors = [0.5, 0.5];
    await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify(params));
    await assert.rejects(() => BaselineModel.load(dir), {
      name: "ArtifactError",
      message: /"state" in "params\.json" is corrupt: "priors" must list 3 probabilities/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BaselineModel rejects a single-class split and predicting before fit", async () => {
  const model = new BaselineModel({ task: "classification", inputDim: 2, classes: ["a", "b"] });
  assert.throws(() => model.predict(x), { name: "NotFittedError" });
  await assert.rejects(
    () =>
      model.fit(x, {
        kind: "classification",
        labels: new Int32Array(6).fill(1),
        classes: ["a", "b"],
      }),
    { name: "DataValidationError", message: /the training split holds one class \("b"\)/ },
  );
  model.dispose();
  assert.equal(model.isFitted, false);
});
