import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, LinearModel, MlpModel, trainNetwork } from "../../src/models/mod.ts";
import { buildDenseLayers, denseTrainableNetwork } from "../../src/models/mlp.ts";
import { TrainingThreadError } from "../../src/errors.ts";
import { blobs, linearTarget, withoutSeconds } from "./_synthetic.ts";

await initBackend("wasm");

async function fitMlp(threads: number, rows = 301) {
  const { x, y } = blobs({ rows, cols: 5 });
  const val = blobs({ rows: 60, cols: 5, seed: 99 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 5,
    classes: y.classes,
    hiddenUnits: [12, 6],
    dropout: 0.25,
    l2: 0.001,
    seed: 5,
  });
  // 301 rows in batches of 64: the last batch has 45 rows, split unevenly across threads.
  const history = await model.fit(x, y, {
    epochs: 4,
    batchSize: 64,
    seed: 8,
    threads,
    validation: { x: val.x, y: val.y },
  });
  const weights = model.getWeights();
  model.dispose();
  return { weights, history };
}

Deno.test("training on 2 threads is deterministic: two runs give byte-identical weights and history", async () => {
  const a = await fitMlp(2);
  const b = await fitMlp(2);
  assert.deepEqual(
    a.weights.map((w) => new Uint8Array(w.buffer)),
    b.weights.map((w) => new Uint8Array(w.buffer)),
  );
  assert.deepEqual(withoutSeconds(a.history), withoutSeconds(b.history));
});

Deno.test("training on 2 or 3 threads follows the one-thread run up to float rounding (same masks, same batches)", async () => {
  const one = await fitMlp(1);
  for (const threads of [2, 3]) {
    const many = await fitMlp(threads);
    // Different summation order only: losses agree to ~1e-6, not to the bit.
    one.history.epochs.forEach((epoch, i) => {
      const other = many.history.epochs[i]!;
      assert.ok(
        Math.abs(epoch.loss - other.loss) < 1e-5,
        `epoch ${i} loss ${epoch.loss} vs ${other.loss}`,
      );
      assert.ok(Math.abs(epoch.val_loss! - other.val_loss!) < 1e-5);
      assert.equal(epoch.metric, other.metric);
    });
    let maxDiff = 0;
    let identical = true;
    one.weights.forEach((w, i) =>
      w.forEach((value, j) => {
        const diff = Math.abs(value - many.weights[i]![j]!);
        maxDiff = Math.max(maxDiff, diff);
        if (diff !== 0) identical = false;
      })
    );
    assert.ok(maxDiff < 1e-4, `threads ${threads}: weights differ by up to ${maxDiff}`);
    // The shares really were computed apart: rounding leaves a trace somewhere.
    assert.equal(identical, false, `threads ${threads}: bit-identical to one thread`);
  }
});

Deno.test("a batch smaller than the thread count leaves some shares empty and still trains", async () => {
  // 65 rows, batches of 32: the last batch has 1 row, so 2 of 3 shares are empty.
  const { weights, history } = await fitMlp(3, 65);
  assert.equal(history.epochs.length, 4);
  assert.ok(weights.every((w) => w.every(Number.isFinite)));
  assert.ok(history.epochs.every((e) => Number.isFinite(e.loss)));
});

Deno.test("regression trains on 2 threads and lowers the error like one thread", async () => {
  const { x, y } = linearTarget({ rows: 400 });
  const results = [];
  for (const threads of [1, 2]) {
    const model = new LinearModel({ task: "regression", inputDim: 3, seed: 2 });
    const history = await model.fit(x, y, {
      epochs: 30,
      batchSize: 50,
      learningRate: 0.05,
      threads,
    });
    results.push(history.epochs.map((e) => e.loss));
    model.dispose();
  }
  const [one, two] = results as [number[], number[]];
  assert.ok(two.at(-1)! < two[0]! / 10, `loss ${two[0]} → ${two.at(-1)}`);
  two.forEach((loss, i) => assert.ok(Math.abs(loss - one[i]!) <= 1e-4 * Math.max(1, one[i]!)));
});

Deno.test("threads must be a positive integer, named after training.threads", async () => {
  const { x, y } = blobs({ rows: 30 });
  const model = new MlpModel({ task: "classification", inputDim: 4, classes: y.classes });
  for (const threads of [0, 1.5]) {
    await assert.rejects(() => model.fit(x, y, { epochs: 1, threads }), {
      name: "RangeError",
      message: /threads is .*expected a positive integer; set training\.threads/,
    });
  }
});

Deno.test("a training thread that cannot build its network fails with TrainingThreadError, and nothing is left running", async () => {
  const { x, y } = blobs({ rows: 64 });
  const spec = {
    task: "classification" as const,
    inputDim: 4,
    classes: y.classes,
    seed: 1,
    hiddenUnits: [4],
    activation: "relu" as const,
    dropout: 0,
    l2: 0,
  };
  const { model, dense } = buildDenseLayers("mlp", spec);
  const network = denseTrainableNetwork(spec, dense);
  // A replica the worker cannot build: an activation tfjs does not know.
  const broken = { ...network, replica: { ...spec, activation: "no-such-activation" as "relu" } };
  const before = tf.memory().numTensors;
  await assert.rejects(
    () => trainNetwork(broken, { x, y }, { epochs: 1, batchSize: 32, threads: 2 }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingThreadError);
      assert.match(error.message, /training thread 1 failed to start.*set training\.threads to 1/);
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("aborting a 2-thread training rejects with the reason and stops the threads", async () => {
  const { x, y } = blobs({ rows: 2000, cols: 5 });
  const model = new MlpModel({ task: "classification", inputDim: 5, classes: y.classes });
  const controller = new AbortController();
  const reason = new Error("stop now");
  await assert.rejects(
    () =>
      model.fit(x, y, {
        epochs: 50,
        batchSize: 64,
        threads: 2,
        signal: controller.signal,
        callbacks: { onEpochEnd: (epoch) => epoch === 1 ? controller.abort(reason) : undefined },
      }),
    (error: unknown) => error === reason,
  );
  assert.equal(model.isFitted, false);
});
