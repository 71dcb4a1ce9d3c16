import assert from "node:assert/strict";
import { createModel, GbdtModel, loadModel, type Targets } from "../../../src/models/mod.ts";
import {
  baseScores,
  gradients,
  huberDelta,
  lossAndMetric,
  refitLeaf,
} from "../../../src/models/trees/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";
import { tempDir } from "./_data.ts";

/** Six rows on one feature, 0..5, with a far outlier in the last target. */
const X6: Matrix = { data: Float32Array.of(0, 1, 2, 3, 4, 5), rows: 6, cols: 1 };
const Y6: Targets = { kind: "regression", values: Float32Array.of(0, 1, 10, 20, 21, 100) };
/** One round, one split, no penalty: the leaves are exactly the re-fit values, halved. */
const ONE_SPLIT = {
  rounds: 1,
  max_leaves: 2,
  min_samples_leaf: 1,
  l2: 0,
  learning_rate: 0.5,
} as const;

function close(actual: ArrayLike<number>, expected: number[], tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i]! - expected[i]!) < tolerance,
      `[${i}]: ${Array.from(actual)} vs ${expected}`,
    );
  }
}

Deno.test("huberDelta() takes the quantile of the absolute residuals, interpolated as numpy's", () => {
  const scores = new Float64Array(4);
  const values = Float32Array.of(1, -2, 10, 4);
  assert.equal(huberDelta(scores, values, 0.5), 3); // |r| sorted 1 2 4 10: between 2 and 4
  close([huberDelta(scores, values, 0.9)], [8.2], 1e-12); // between 4 and 10, 0.7 of the way
  assert.equal(huberDelta(Float64Array.of(1, -2, 10, 4), values, 0.9), 0);
});

Deno.test("refitLeaf() gives the median residual, and for huber the median plus clipped deviations", () => {
  const scores = Float64Array.of(1, 1, 1, 1, 1);
  const values = Float32Array.of(1, 2, 4, 50, -7); // residuals 0 1 3 49 −8
  const rows = Uint32Array.of(0, 1, 2, 3);
  assert.equal(refitLeaf("absolute_error", { scores, values }, rows), 2); // (1 + 3) / 2
  // Deviations from 2: −2 −1 1 47, clipped to ±5: −2 −1 1 5, mean 0.75.
  assert.equal(refitLeaf("huber", { scores, values, delta: 5 }, rows), 2.75);
  assert.equal(refitLeaf("absolute_error", { scores, values }, Uint32Array.of(4, 0, 3)), 0);
  assert.equal(refitLeaf("huber", { scores, values, delta: 5 }, new Uint32Array(0)), 0);
  assert.throws(() => refitLeaf("squared_error", { scores, values }, rows), {
    name: "RangeError",
    message: /only "absolute_error" and "huber" re-fit leaves/,
  });
  assert.throws(() => refitLeaf("huber", { scores, values }, rows), {
    name: "RangeError",
    message: /expected a "delta" of at least 0, found undefined/,
  });
});

Deno.test("the regression losses start from the mean or the median and have their own gradients", () => {
  const y = { kind: "regression", values: Float32Array.of(0, 1, 10, 20, 21, 100) } as const;
  const weights = new Float64Array(6).fill(1);
  assert.deepEqual(Array.from(baseScores("squared_error", y, weights)), [152 / 6]);
  assert.deepEqual(Array.from(baseScores("absolute_error", y, weights)), [15]);
  assert.deepEqual(Array.from(baseScores("huber", y, weights)), [15]);
  const scores = new Float64Array(6).fill(15);
  const grad = new Float64Array(6);
  const hess = new Float64Array(6);
  gradients("absolute_error", { scores, y, weights }, 0, { grad, hess });
  assert.deepEqual(Array.from(grad), [1, 1, 1, -1, -1, -1]);
  assert.deepEqual(Array.from(hess), [1, 1, 1, 1, 1, 1]);
  gradients("huber", { scores, y, weights, delta: 10 }, 0, { grad, hess });
  assert.deepEqual(Array.from(grad), [10, 10, 5, -5, -6, -10]);
  assert.deepEqual(Array.from(hess), [1, 1, 1, 1, 1, 1]);
  // Residuals −15 −14 −5 5 6 85 against delta 10.
  const huber = lossAndMetric("huber", { scores, y, delta: 10 });
  assert.equal(huber.loss, (100 + 90 + 12.5 + 12.5 + 18 + 800) / 6);
  assert.equal(huber.metric, 130 / 6);
  assert.equal(lossAndMetric("absolute_error", { scores, y }).loss, 130 / 6);
  assert.throws(() => lossAndMetric("huber", { scores, y }), { name: "RangeError" });
});

Deno.test("one absolute_error round sets each leaf to the median residual of its rows", async () => {
  const model = new GbdtModel({
    task: "regression",
    inputDim: 1,
    params: { ...ONE_SPLIT, loss: "absolute_error" },
  });
  const history = await model.fit(X6, Y6);
  // Base: median 15. Gradient signs split 0..2 | 3..5; residuals −15 −14 −5 and 5 6 85 have
  // medians −14 and 6, halved by the learning rate.
  close(model.predict(X6), [8, 8, 8, 18, 18, 18]);
  assert.equal(history.epochs.length, 1);
  assert.equal(history.metric, "mae");
  // |errors| 8 7 2 2 3 82: the absolute-error loss is the mean absolute error.
  close([history.epochs[0]!.loss, history.epochs[0]!.metric], [104 / 6, 104 / 6]);
  assert.match(model.summary(), /regression, 1 inputs, loss absolute_error\n1 rounds × 1 trees/);
});

Deno.test("one huber round sets each leaf to the median plus the mean clipped deviation", async () => {
  const model = new GbdtModel({
    task: "regression",
    inputDim: 1,
    params: { ...ONE_SPLIT, loss: "huber", huber_quantile: 0.5 },
  });
  const history = await model.fit(X6, Y6);
  // Base 15; |residuals| 15 14 5 5 6 85 give delta 10 (their median). Clipped gradients
  // 10 10 5 −5 −6 −10 split 0..2 | 3..5. Left residuals −15 −14 −5: median −14, deviations
  // −1 0 9, mean 8/3. Right 5 6 85: median 6, deviations −1 0 79 clipped to 10, mean 3.
  const left = 15 + 0.5 * (-14 + 8 / 3);
  const right = 15 + 0.5 * (6 + 3);
  close(model.predict(X6), [left, left, left, right, right, right]);
  close([history.epochs[0]!.loss], [139.125]); // huber loss with delta 10 after the round
  assert.match(model.summary(), /loss huber \(quantile 0\.5\)/);
});

Deno.test("one squared_error round keeps the Newton leaves from the mean", async () => {
  const model = new GbdtModel({ task: "regression", inputDim: 1, params: ONE_SPLIT });
  await model.fit(X6, Y6);
  // Mean 152/6; the best squared-error cut isolates the outlier: leaves −G/H are the mean
  // residual of each side.
  const mean = 152 / 6;
  const low = mean + 0.5 * (52 / 5 - mean);
  close(model.predict(X6), [low, low, low, low, low, mean + 0.5 * (100 - mean)]);
});

/** y = 3·x₀ + noise; `outliers` of the training rows get +500 on their target. */
function outlierData(seed: number, rows: number, outliers: number) {
  const random = new Random(seed);
  const x = new Float32Array(rows * 2);
  const values = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = random.next() * 10;
    x.set([a, random.normal()], i * 2);
    values[i] = 3 * a + 0.3 * random.normal() + (i % Math.ceil(rows / outliers) === 0 ? 500 : 0);
  }
  return { x: { data: x, rows, cols: 2 } as Matrix, values };
}

Deno.test("absolute_error and huber beat squared_error on test MAE when training has huge outliers", async () => {
  const train = outlierData(1, 400, outliers(400));
  const test = outlierData(2, 300, 0);
  const mae: Record<string, number> = {};
  for (const loss of ["squared_error", "absolute_error", "huber"] as const) {
    const model = new GbdtModel({
      task: "regression",
      inputDim: 2,
      params: { rounds: 100, min_samples_leaf: 5, loss },
    });
    await model.fit(train.x, { kind: "regression", values: train.values }, { seed: 1 });
    const p = model.predict(test.x);
    let sum = 0;
    for (let i = 0; i < test.values.length; i++) sum += Math.abs(p[i]! - test.values[i]!);
    mae[loss] = sum / test.values.length;
  }
  // Measured: squared_error 22.4, absolute_error 1.98, huber 2.04 (targets span 0..30).
  assert.ok(mae.squared_error! > 15, JSON.stringify(mae));
  assert.ok(mae.absolute_error! < mae.squared_error! / 5, JSON.stringify(mae));
  assert.ok(mae.huber! < mae.squared_error! / 5, JSON.stringify(mae));
  assert.ok(mae.absolute_error! < 2.5 && mae.huber! < 2.5, JSON.stringify(mae));
});

function outliers(rows: number): number {
  return Math.round(rows * 0.03);
}

Deno.test("a saved absolute_error or huber GbdtModel loads with its loss and predicts identically", async () => {
  const train = outlierData(3, 200, 6);
  const test = outlierData(4, 50, 0);
  for (const loss of ["absolute_error", "huber"] as const) {
    const model = new GbdtModel({
      task: "regression",
      inputDim: 2,
      params: { rounds: 10, min_samples_leaf: 5, subsample: 0.8, loss, huber_quantile: 0.8 },
    });
    await model.fit(train.x, { kind: "regression", values: train.values }, { seed: 5 });
    await tempDir(async (dir) => {
      await model.save(dir);
      const params = JSON.parse(await Deno.readTextFile(`${dir}/params.json`));
      assert.equal(params.state.loss, loss);
      assert.equal(params.config.params.loss, loss);
      assert.equal(params.config.params.huber_quantile, 0.8);
      const loaded = await loadModel(dir);
      assert.ok(loaded instanceof GbdtModel);
      assert.equal(loaded.params.loss, loss);
      assert.deepEqual(loaded.predict(test.x), model.predict(test.x));
      assert.equal(loaded.summary(), model.summary());

      // A state whose loss disagrees with the params is refused.
      params.state.loss = loss === "huber" ? "absolute_error" : "huber";
      await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify(params));
      await assert.rejects(() => loadModel(dir), {
        name: "ArtifactError",
        message: new RegExp(`"state" in "params\\.json" is corrupt: loss: .*"${loss}"`),
      });
    });
  }
});

Deno.test("a gbdt classifier refuses a regression loss, naming model.params.loss", () => {
  for (const loss of ["absolute_error", "huber"] as const) {
    assert.throws(
      () =>
        new GbdtModel({
          task: "classification",
          inputDim: 1,
          classes: ["a", "b"],
          params: { loss },
        }),
      {
        name: "ConfigError",
        message: new RegExp(
          `model\\.params\\.loss is "${loss}", but classification picks its loss itself .*remove model\\.params\\.loss`,
        ),
      },
    );
  }
  assert.throws(
    () =>
      createModel({ family: "gbdt", params: { loss: "huber" } }, {
        task: "classification",
        inputDim: 1,
        classes: ["a", "b", "c"],
      }),
    (error: unknown) =>
      error instanceof Error && error.name === "ConfigError" &&
      (error as { issues?: { path: string }[] }).issues?.[0]?.path === "model.params.loss",
  );
  assert.throws(
    () =>
      createModel({ family: "gbdt", params: { loss: "quantile", huber_quantile: 1 } }, {
        task: "regression",
        inputDim: 1,
      }),
    {
      name: "ConfigError",
      message: /model\.params\.loss: .*model\.params\.huber_quantile/,
    },
  );
  // The default loss is fine for a classifier: it picks log_loss itself.
  const model = new GbdtModel({ task: "classification", inputDim: 1, classes: ["a", "b"] });
  assert.match(model.summary(), /loss log_loss/);
});
