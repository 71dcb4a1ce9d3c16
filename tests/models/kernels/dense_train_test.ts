import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, MlpModel, trainNetwork } from "../../../src/models/mod.ts";
import type { Activation, DenseNetworkSpec } from "../../../src/models/mod.ts";
import { buildDenseLayers, denseTrainableNetwork } from "../../../src/models/mlp.ts";
import {
  type BatchBuffers,
  shardGradients,
  writeVariables,
} from "../../../src/models/_train_shard.ts";
import { createFlatOptimizer } from "../../../src/models/_optimizers.ts";
import { TrainingThreads } from "../../../src/models/_train_threads.ts";
import { DenseTrainKernel, KERNEL_BLOCK_ROWS } from "../../../src/models/kernels/mod.ts";
import { TrainingDivergedError, TrainingThreadError } from "../../../src/errors.ts";
import { captureLogs, Random } from "../../../src/utils/mod.ts";
import { blobs, linearTarget, withoutSeconds } from "../_synthetic.ts";

await initBackend("wasm");

type Task = "classification" | "regression";

function spec(options: Partial<DenseNetworkSpec> & { task: Task }): DenseNetworkSpec {
  return {
    inputDim: 13,
    classes: options.task === "classification" ? ["a", "b", "c"] : [],
    seed: 1,
    hiddenUnits: [10, 7],
    activation: "relu",
    dropout: 0,
    l2: 0,
    ...options,
  };
}

function kernelShape(s: DenseNetworkSpec) {
  return {
    inputDim: s.inputDim,
    hiddenUnits: s.hiddenUnits,
    activation: s.activation as "relu" | "tanh" | "sigmoid",
    outputUnits: s.task === "classification" ? s.classes.length : 1,
    classification: s.task === "classification",
    dropout: s.dropout > 0,
    l2: s.l2,
  };
}

/** A random batch of `rows` rows: features in [-1, 1), class weights 1 and 1.5, or values. */
function randomBatch(s: DenseNetworkSpec, rows: number, seed: number): BatchBuffers {
  const rng = new Random(seed);
  const k = s.task === "classification" ? s.classes.length : 1;
  const batch = {
    x: new Float32Array(rows * s.inputDim).map(() => 2 * rng.next() - 1),
    targets: new Float32Array(rows * k),
    labels: new Int32Array(s.task === "classification" ? rows : 0),
  };
  for (let i = 0; i < rows; i++) {
    if (s.task === "classification") {
      const label = i % k;
      batch.labels[i] = label;
      batch.targets[i * k + label] = label === 1 ? 1.5 : 1;
    } else {
      batch.targets[i] = rng.normal();
    }
  }
  return batch;
}

/** The kernel's packed gradient in tfjs's flat layout. */
function flatGradient(kernel: DenseTrainKernel): Float32Array {
  const saved = kernel.weights.slice();
  kernel.weights.set(kernel.gradients);
  const flat = new Float32Array(kernel.flatSize);
  kernel.readWeights(flat);
  kernel.weights.set(saved);
  return flat;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

Deno.test("the kernels' gradient equals tfjs's up to float rounding, per activation, loss, dropout and L2, across row blocks", async () => {
  const rows = KERNEL_BLOCK_ROWS * 2 + 37; // three blocks, the last partial
  for (const activation of ["relu", "tanh", "sigmoid"] as const) {
    for (const task of ["classification", "regression"] as const) {
      for (const [dropout, l2] of [[0, 0], [0.3, 0.01]] as const) {
        const s = spec({ task, activation, dropout, l2 });
        const { model, dense } = buildDenseLayers("mlp", s);
        const network = denseTrainableNetwork(s, dense);
        const size = network.variables.reduce((sum, v) => sum + v.size, 0);
        const rng = new Random(3);
        const weights = new Float32Array(size).map(() => rng.next() - 0.5);
        writeVariables(network.variables, weights);
        const batch = randomBatch(s, rows, 4);
        const maskRng = new Random(9);
        const maskData = s.hiddenUnits.map((units) =>
          new Float32Array(rows * units).map(() => maskRng.next() < dropout ? 0 : 1 / (1 - dropout))
        );
        const masks = dropout > 0
          ? (layer: number, count: number, units: number) =>
            maskData[layer]!.subarray(0, count * units)
          : null;
        const expected = new Float32Array(size);
        const share = { start: 0, end: rows, batchRows: rows, masks, penalty: true };
        const tfjs = shardGradients(
          network,
          batch,
          { ...share, d: s.inputDim, k: batch.targets.length / rows },
          expected,
        );
        const kernel = await DenseTrainKernel.create(kernelShape(s), rows);
        kernel.setWeights(weights);
        const result = kernel.shareGradients(batch, share);
        const where = `${activation} ${task} dropout ${dropout} l2 ${l2}`;
        const scale = Math.max(...expected.map(Math.abs));
        assert.ok(scale > 0.01, `${where}: the gradient is not trivially small`);
        assert.ok(maxAbsDiff(flatGradient(kernel), expected) < 2e-6 * Math.max(1, scale), where);
        assert.ok(Math.abs(result.cost - tfjs.cost) < 1e-5 * Math.max(1, tfjs.cost), where);
        if (task === "classification") assert.equal(result.metric, tfjs.metric, where);
        else assert.ok(Math.abs(result.metric - tfjs.metric) < 1e-3, where);
        model.dispose();
      }
    }
  }
});

Deno.test("the kernels' optimisers equal the flat optimisers (and so tfjs's) bit for bit", async () => {
  const s = spec({ task: "classification", hiddenUnits: [6] });
  const kernel = await DenseTrainKernel.create(kernelShape(s), 8);
  const rng = new Random(5);
  const start = new Float32Array(kernel.flatSize).map(() => rng.next() - 0.5);
  for (const name of ["adam", "sgd", "rmsprop"] as const) {
    kernel.setWeights(start);
    kernel.startOptimizer(name, 0.01);
    const reference = createFlatOptimizer(name, 0.01, kernel.flatSize);
    const weights = start.slice();
    for (let step = 0; step < 5; step++) {
      const gradient = new Float32Array(kernel.flatSize).map(() => rng.normal());
      // Pack the gradient through the weights' layout, then step both.
      const saved = kernel.weights.slice();
      kernel.setWeights(gradient);
      kernel.gradients.set(kernel.weights);
      kernel.weights.set(saved);
      kernel.optimizerStep();
      reference.step(gradient, weights);
    }
    const packed = new Float32Array(kernel.flatSize);
    kernel.readWeights(packed);
    assert.deepEqual(packed, weights, name);
    assert.notDeepEqual(packed, start, `${name} moved the weights`);
  }
});

async function fitBoth(
  options: { activation: Activation; task: Task; optimizer: "adam" | "sgd" | "rmsprop" },
) {
  const data = options.task === "classification"
    ? blobs({ rows: 400, cols: 5 })
    : linearTarget({ rows: 400 });
  const results = [];
  for (const engine of ["kernels", "tfjs"] as const) {
    const model = new MlpModel({
      task: options.task,
      inputDim: data.x.cols,
      classes: data.y.kind === "classification" ? data.y.classes : [],
      hiddenUnits: [16, 8],
      activation: options.activation,
      dropout: 0.1,
      l2: 0.001,
      seed: 3,
    });
    const history = await model.fit(data.x, data.y, {
      epochs: 3,
      batchSize: 32,
      learningRate: options.optimizer === "sgd" ? 0.05 : 0.01,
      optimizer: options.optimizer,
      engine,
      validation: { x: data.x, y: data.y },
    });
    results.push({ history, weights: model.getWeights().flatMap((w) => [...w]) });
    model.dispose();
  }
  return results;
}

Deno.test("training on the kernels follows tfjs ops up to float rounding, per activation, loss and optimiser", async () => {
  const cases = [
    { activation: "relu", task: "classification", optimizer: "adam" },
    { activation: "tanh", task: "classification", optimizer: "sgd" },
    { activation: "sigmoid", task: "classification", optimizer: "rmsprop" },
    { activation: "relu", task: "regression", optimizer: "sgd" },
    { activation: "tanh", task: "regression", optimizer: "rmsprop" },
    { activation: "sigmoid", task: "regression", optimizer: "adam" },
  ] as const;
  for (const options of cases) {
    const where = JSON.stringify(options);
    const [kernels, tfjs] = await fitBoth(options);
    const diff = maxAbsDiff(kernels!.weights, tfjs!.weights);
    assert.ok(diff < 1e-3, `${where}: weights differ by ${diff}`);
    assert.ok(diff > 0 || kernels!.weights.length === 0, `${where}: not even rounding differs`);
    kernels!.history.epochs.forEach((epoch, i) => {
      const other = tfjs!.history.epochs[i]!;
      assert.ok(Math.abs(epoch.loss - other.loss) < 1e-4 * Math.max(1, other.loss), where);
      assert.ok(Math.abs(epoch.val_loss! - other.val_loss!) < 1e-4 * Math.max(1, other.val_loss!));
    });
  }
});

async function fitOnKernels(threads: number) {
  const { x, y } = blobs({ rows: 700, cols: 6 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 6,
    classes: y.classes,
    hiddenUnits: [12, 6],
    dropout: 0.25,
    l2: 0.001,
    seed: 5,
  });
  // 700 rows in batches of 600: the second batch has 100 rows; shares of 300 cross a block.
  const history = await model.fit(x, y, { epochs: 3, batchSize: 600, seed: 8, threads });
  const weights = model.getWeights();
  model.dispose();
  return { weights, history: withoutSeconds(history) };
}

Deno.test("training on the kernels is deterministic on 1 and 2 threads, and 2 threads follow 1 up to rounding", async () => {
  const one = [await fitOnKernels(1), await fitOnKernels(1)];
  const two = [await fitOnKernels(2), await fitOnKernels(2)];
  assert.deepEqual(one[0], one[1]);
  assert.deepEqual(two[0], two[1]);
  const diff = maxAbsDiff(
    one[0]!.weights.flatMap((w) => [...w]),
    two[0]!.weights.flatMap((w) => [...w]),
  );
  assert.ok(diff < 1e-4, `1 and 2 threads differ by ${diff}`);
});

Deno.test("a network the kernels do not cover trains on tfjs ops, with one log line and tfjs's numbers", async () => {
  const { x, y } = blobs({ rows: 90, cols: 4 });
  const fit = async (engine: "kernels" | "tfjs") => {
    const model = new MlpModel({
      task: "classification",
      inputDim: 4,
      classes: y.classes,
      hiddenUnits: [8],
      activation: "elu",
    });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, engine });
    const weights = model.getWeights();
    assert.equal(model.predictionEngine, "tfjs");
    model.dispose();
    return { weights, history: withoutSeconds(history) };
  };
  const logs = captureLogs({ level: "info" });
  let kernels;
  try {
    kernels = await fit("kernels");
  } finally {
    logs.stop();
  }
  const lines = logs.messages().filter((m) => m.includes("training.engine kernels does not cover"));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /hidden activation "elu" \(they cover relu, tanh, sigmoid\)/);
  const predicting = logs.messages().filter((m) => m.includes("prediction kernels cannot run"));
  assert.equal(predicting.length, 1);
  assert.match(
    predicting[0]!,
    /\(layer "hidden_1" \(Dense\) has activation "elu"\); predicting with tfjs ops/,
  );
  assert.deepEqual(kernels, await fit("tfjs"));
});

Deno.test("the kernels train on a batch of one row, and on 2 threads when a share is empty", async () => {
  const { x, y } = blobs({ rows: 3, cols: 4 });
  for (const threads of [1, 2]) {
    const model = new MlpModel({ task: "classification", inputDim: 4, classes: y.classes });
    // batch size 1: every step has one row, and on 2 threads the loop's own share is empty.
    const history = await model.fit(x, y, { epochs: 2, batchSize: 1, threads });
    assert.equal(history.epochs.length, 2);
    assert.ok(history.epochs.every((epoch) => Number.isFinite(epoch.loss) && epoch.loss > 0));
    assert.ok(model.getWeights().every((w) => w.every(Number.isFinite)));
    model.dispose();
  }
});

Deno.test("NaN inputs stop training with TrainingDivergedError on the kernels as on tfjs ops, relu included", async () => {
  const { x, y } = blobs({ rows: 40, cols: 4 });
  const bad = { ...x, data: x.data.slice() };
  bad.data[5] = NaN;
  for (const engine of ["kernels", "tfjs"] as const) {
    const s = spec({ task: "classification", inputDim: 4, classes: y.classes, hiddenUnits: [8] });
    const { model, dense } = buildDenseLayers("mlp", s);
    // trainNetwork itself: fit() would refuse the NaN before training.
    await assert.rejects(
      () => trainNetwork(denseTrainableNetwork(s, dense), { x: bad, y }, { epochs: 1, engine }),
      (error: unknown) => {
        assert.ok(error instanceof TrainingDivergedError, engine);
        assert.match((error as Error).message, /the loss became NaN/);
        return true;
      },
    );
    model.dispose();
  }
});

Deno.test("a kernels training thread that cannot start fails with TrainingThreadError", async () => {
  const s = spec({ task: "classification", inputDim: -1 });
  await assert.rejects(
    () =>
      TrainingThreads.start({
        threads: 2,
        spec: s,
        backend: "wasm",
        engine: "kernels",
        batchSize: 8,
        d: 4,
        k: 3,
        dropoutUnits: [],
        size: 16,
      }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingThreadError);
      assert.match(
        (error as Error).message,
        /training thread 1 failed to start.*training\.threads/,
      );
      return true;
    },
  );
});

Deno.test("an unknown engine is refused before training, named after training.engine", async () => {
  const { x, y } = blobs({ rows: 20, cols: 4 });
  const model = new MlpModel({ task: "classification", inputDim: 4, classes: y.classes });
  await assert.rejects(() => model.fit(x, y, { engine: "kernel" as "kernels" }), {
    name: "RangeError",
    message: /unknown engine "kernel".*did you mean "kernels".*training\.engine/,
  });
  model.dispose();
});

Deno.test("a fitted or loaded MLP predicts on the forward kernels, within rounding of tfjs ops", async () => {
  const { x, y } = blobs({ rows: 300, cols: 5 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 5,
    classes: y.classes,
    hiddenUnits: [12, 7],
    activation: "tanh",
  });
  await model.fit(x, y, { epochs: 2, batchSize: 32 });
  assert.equal(model.predictionEngine, "kernels");
  const reference = tf.tidy(() =>
    (model.layersModel().predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor)
      .dataSync() as Float32Array
  );
  const p = model.predict(x);
  assert.ok(maxAbsDiff(p, reference) < 1e-6);
  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    const loaded = await MlpModel.load(dir);
    assert.equal(loaded.predictionEngine, "kernels");
    assert.deepEqual(loaded.predict(x), p);
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  model.dispose();
});

/** Counts the subnormal floats in `values` (nonzero, below the smallest normal float32). */
function subnormals(values: Float32Array): number {
  let count = 0;
  for (const value of values) {
    if (value !== 0 && Math.abs(value) < 1.1754943508222875e-38) count++;
  }
  return count;
}

Deno.test("the kernels make no subnormal floats where confident predictions would: tiny gradients become 0", async () => {
  // One linear layer, two classes, logits 95 apart: P(class 1) = e^-95, about 5e-42, a subnormal
  // float, and so would be its gradient. x86 computes subnormals about 100 times slower, which
  // slowed the epochs of a separable dataset 4-fold as training converged.
  for (const activation of ["relu", "tanh", "sigmoid"] as const) {
    const kernel = await DenseTrainKernel.create({
      inputDim: 1,
      hiddenUnits: activation === "relu" ? [] : [2],
      activation,
      outputUnits: 2,
      classification: true,
      dropout: false,
      l2: 0,
    }, 4);
    // Hidden layer (when present): a pre-activation of -95, so sigmoid's output is ~5e-42 too,
    // and tanh's -1 makes the logits 95 apart again.
    const flat = activation === "relu"
      ? new Float32Array([95, 0, 0, 0])
      : new Float32Array([-95, 1, 0, 0, -95, 0, 0, 0, 0, 0]);
    kernel.setWeights(flat);
    kernel.startOptimizer("adam", 0.01);
    const batch = {
      x: new Float32Array([1, 1, 1, 1]),
      targets: new Float32Array([1, 0, 1, 0, 1, 0, 1, 0]),
      labels: new Int32Array([0, 0, 0, 0]),
    };
    const result = kernel.shareGradients(batch, {
      start: 0,
      end: 4,
      batchRows: 4,
      masks: null,
      penalty: false,
    });
    assert.equal(result.metric, 4, activation);
    assert.equal(subnormals(kernel.gradients), 0, `${activation}: gradients`);
    kernel.optimizerStep();
    assert.equal(subnormals(kernel.weights), 0, `${activation}: weights`);
    assert.ok(kernel.weights.every(Number.isFinite));
  }
});
