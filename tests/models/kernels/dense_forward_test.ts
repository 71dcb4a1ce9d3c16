import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, LinearModel, MlpModel } from "../../../src/models/mod.ts";
import {
  DenseForwardKernel,
  DenseNetworkPredictor,
  KERNEL_ACTIVATIONS,
  type KernelActivation,
  planDenseNetwork,
} from "../../../src/models/kernels/mod.ts";
import { compileDenseKernel, DENSE_KERNEL_WASM } from "../../../src/cli/kernels_build.ts";
import { captureLogs, type Matrix, Random } from "../../../src/utils/mod.ts";
import { blobs, linearTarget } from "../_synthetic.ts";

await initBackend("wasm");

/** Seeded inputs in about [-3, 3]. */
function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = 3 * rng.normal();
  return { data, rows, cols };
}

/**
 * A sequential network with seeded random weights and biases: hidden Dense layers with
 * `activation`, then `units` outputs with `head` (a Dense activation or a separate layer).
 */
function randomNetwork(options: {
  inputDim: number;
  hidden: number[];
  activation: string;
  units: number;
  head: "softmax" | "sigmoid" | "linear" | "softmax-layer";
  seed?: number;
}): tf.LayersModel {
  const { inputDim, hidden, activation, units, head, seed = 1 } = options;
  const layers: tf.layers.Layer[] = [];
  const init = (i: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
    biasInitializer: tf.initializers.randomUniform({
      minval: -0.5,
      maxval: 0.5,
      seed: seed + 100 + i,
    }),
  });
  hidden.forEach((n, i) =>
    layers.push(tf.layers.dense({
      units: n,
      activation: activation as "relu",
      ...(i === 0 ? { inputShape: [inputDim] } : {}),
      ...init(i),
    }))
  );
  layers.push(tf.layers.dense({
    units,
    activation: head === "softmax-layer" ? "linear" : head,
    ...(hidden.length === 0 ? { inputShape: [inputDim] } : {}),
    ...init(hidden.length),
  }));
  if (head === "softmax-layer") layers.push(tf.layers.activation({ activation: "softmax" }));
  return tf.sequential({ layers });
}

function tfjsPredict(model: tf.LayersModel, x: Matrix): Float32Array {
  return tf.tidy(() =>
    (model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor).dataSync() as Float32Array
  );
}

/** Equal within float rounding: |a − e| ≤ 1e-5·|e| + 1e-6, NaN only where expected is NaN. */
function assertNear(actual: Float32Array, expected: Float32Array): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `value ${i}: expected NaN, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= 1e-5 * Math.abs(e) + 1e-6, `value ${i}: expected ${e}, got ${a}`);
  }
}

async function kernelFor(model: tf.LayersModel, blockRows = 16): Promise<DenseForwardKernel> {
  const { plan, unsupported } = planDenseNetwork(model);
  assert.equal(unsupported, null);
  return await DenseForwardKernel.load(plan!, { blockRows });
}

Deno.test("the committed dense.wasm is what kernels:build compiles from the source", async () => {
  const built = await compileDenseKernel(".");
  const committed = await Deno.readFile(DENSE_KERNEL_WASM);
  assert.deepEqual(committed, built, "run deno task kernels:build and commit dense.wasm");
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(committed))
    .map(({ name }) => name).sort();
  assert.deepEqual(exports, [
    "apiVersion",
    "compactRows",
    "denseLayer",
    "heapBase",
    "memory",
    "softmaxRows",
  ]);
});

for (const activation of KERNEL_ACTIVATIONS) {
  Deno.test(`DenseForwardKernel equals tfjs predict for ${activation} hidden layers and a softmax head`, async () => {
    // Odd widths and 37 rows in blocks of 16: padded units, 4-row tiles and remainder rows.
    const model = randomNetwork({
      inputDim: 13,
      hidden: [17, 9],
      activation,
      units: 3,
      head: "softmax",
    });
    const x = randomMatrix(37, 13, 2);
    const kernel = await kernelFor(model);
    const p = kernel.predict(x.data, x.rows);
    assertNear(p, tfjsPredict(model, x));
    for (let r = 0; r < 37; r++) {
      assert.ok(Math.abs(p[r * 3]! + p[r * 3 + 1]! + p[r * 3 + 2]! - 1) < 1e-6);
    }
    model.dispose();
  });
}

Deno.test("DenseForwardKernel's tanh and sigmoid equal tfjs's from tiny to infinite inputs", async () => {
  const values = [
    0,
    1e-6,
    1e-4,
    0.01,
    0.29,
    0.3,
    0.31,
    0.5,
    1,
    2.5,
    5,
    9,
    20,
    44,
    50,
    88,
    100,
    1e30,
    Infinity,
  ];
  const data = new Float32Array([...values, ...values.map((v) => -v)]);
  const x = { data, rows: data.length, cols: 1 };
  for (const activation of ["tanh", "sigmoid"] as const) {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 1, inputShape: [1], activation, kernelInitializer: "ones" }),
      ],
    });
    const expected = tfjsPredict(model, x);
    const actual = (await kernelFor(model)).predict(x.data, x.rows);
    assertNear(actual, expected);
    // Relative accuracy where the values are tiny, too: tanh(1e-6) is 1e-6, not 0.
    for (let i = 0; i < data.length; i++) {
      const e = expected[i]!;
      if (Math.abs(e) < 1e-3) {
        assert.ok(
          Math.abs(actual[i]! - e) <= 1e-5 * Math.abs(e) + 1e-30,
          `${activation}(${data[i]})`,
        );
      }
    }
    model.dispose();
  }
});

Deno.test("DenseForwardKernel equals tfjs for a sigmoid output, a softmax layer and a linear regression head", async () => {
  const heads = [
    { head: "sigmoid", units: 1 },
    { head: "softmax-layer", units: 4 },
    { head: "linear", units: 1 },
    { head: "linear", units: 10 },
  ] as const;
  for (const { head, units } of heads) {
    const model = randomNetwork({
      inputDim: 45,
      hidden: [64, 64],
      activation: "relu",
      units,
      head,
    });
    const x = randomMatrix(101, 45, 3);
    const kernel = await kernelFor(model, 32);
    assert.equal(kernel.outputUnits, units);
    assertNear(kernel.predict(x.data, x.rows), tfjsPredict(model, x));
    model.dispose();
  }
});

Deno.test("DenseForwardKernel runs a network without hidden layers and folds Activation layers", async () => {
  const linear = randomNetwork({
    inputDim: 5,
    hidden: [],
    activation: "relu",
    units: 2,
    head: "softmax",
  });
  const folded = tf.sequential({
    layers: [
      tf.layers.dense({ units: 6, inputShape: [5], biasInitializer: "ones" }),
      tf.layers.activation({ activation: "tanh" }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  const x = randomMatrix(9, 5, 4);
  for (const model of [linear, folded]) {
    assertNear((await kernelFor(model)).predict(x.data, x.rows), tfjsPredict(model, x));
    model.dispose();
  }
  const separateRelu = tf.sequential({
    layers: [
      tf.layers.dense({ units: 6, inputShape: [5] }),
      tf.layers.activation({ activation: "relu" }),
    ],
  });
  assert.match(
    planDenseNetwork(separateRelu).unsupported ?? "",
    /applies "relu" where the kernels cannot fuse it/,
  );
  separateRelu.dispose();
});

Deno.test("DenseForwardKernel predicts one row, and zero rows as an empty array", async () => {
  const model = randomNetwork({
    inputDim: 45,
    hidden: [64, 64],
    activation: "relu",
    units: 2,
    head: "softmax",
  });
  const kernel = await kernelFor(model);
  const one = randomMatrix(1, 45, 5);
  assertNear(kernel.predict(one.data, 1), tfjsPredict(model, one));
  assert.deepEqual(kernel.predict(new Float32Array(0), 0), new Float32Array(0));
  assert.throws(() => kernel.predict(new Float32Array(44), 1), {
    name: "TypeError",
    message: /44 values for 1 rows, expected rows × 45/,
  });
  model.dispose();
});

Deno.test("DenseForwardKernel treats a NaN input as tfjs does: NaN in its row, or 0 after a Dense relu", async () => {
  for (const activation of KERNEL_ACTIVATIONS satisfies readonly KernelActivation[]) {
    const model = randomNetwork({
      inputDim: 6,
      hidden: [8],
      activation,
      units: 3,
      head: "softmax",
    });
    const x = randomMatrix(6, 6, 6);
    x.data[2 * 6 + 4] = NaN;
    const expected = tfjsPredict(model, x);
    const actual = (await kernelFor(model)).predict(x.data, x.rows);
    // tfjs's fused relu clamps NaN to 0; the other activations carry it to the softmax.
    assert.equal(Number.isNaN(actual[2 * 3]!), activation !== "relu", activation);
    assertNear(actual, expected);
    model.dispose();
  }
});

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

Deno.test("DenseForwardKernel.load refuses a bad block size and a missing .wasm with the remedy", async () => {
  const model = randomNetwork({
    inputDim: 3,
    hidden: [],
    activation: "relu",
    units: 1,
    head: "linear",
  });
  const { plan } = planDenseNetwork(model);
  await assert.rejects(DenseForwardKernel.load(plan!, { blockRows: 0 }), {
    name: "RangeError",
    message: /blockRows is 0, expected a positive integer/,
  });
  await assert.rejects(
    DenseForwardKernel.load(plan!, { wasmFile: "src/models/kernels/missing.wasm" }),
    {
      name: "ArtifactError",
      message: /missing\.wasm.*deno task kernels:build/,
    },
  );
  model.dispose();
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
