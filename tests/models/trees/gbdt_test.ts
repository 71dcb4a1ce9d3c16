import assert from "node:assert/strict";
import { GbdtModel } from "../../../src/models/mod.ts";
import { stepData as data } from "./_data.ts";

// The contract gbdt shares with random_forest (learning, save/load, seeds, bad targets and
// params, corrupt files) is in tree_family_contract_test.ts; the losses in gbdt_loss_test.ts.

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
