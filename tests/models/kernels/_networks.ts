/**
 * Seeded networks and inputs for the dense-kernel tests, and the comparison with tfjs.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DenseForwardKernel, planDenseNetwork } from "../../../src/models/kernels/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";

/** Seeded inputs in about [-3, 3]. */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = 3 * rng.normal();
  return { data, rows, cols };
}

/**
 * A sequential network with seeded random weights and biases: hidden Dense layers with
 * `activation`, then `units` outputs with `head` (a Dense activation or a separate layer).
 */
export function randomNetwork(options: {
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

export function tfjsPredict(model: tf.LayersModel, x: Matrix): Float32Array {
  return tf.tidy(() =>
    (model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor).dataSync() as Float32Array
  );
}

/** Equal within float rounding: |a − e| ≤ 1e-5·|e| + 1e-6, NaN only where expected is NaN. */
export function assertNear(actual: Float32Array, expected: Float32Array): void {
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

export async function kernelFor(
  model: tf.LayersModel,
  blockRows = 16,
): Promise<DenseForwardKernel> {
  const { plan, unsupported } = planDenseNetwork(model);
  assert.equal(unsupported, null);
  return await DenseForwardKernel.load(plan!, { blockRows });
}
