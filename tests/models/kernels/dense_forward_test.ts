import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../../src/models/mod.ts";
import {
  DenseForwardKernel,
  KERNEL_ACTIVATIONS,
  type KernelActivation,
  planDenseNetwork,
} from "../../../src/models/kernels/mod.ts";
import { assertNear, kernelFor, randomMatrix, randomNetwork, tfjsPredict } from "./_networks.ts";

await initBackend("wasm");

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
