import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/models/mod.ts";
import { createFlatOptimizer, type FlatOptimizerName } from "../../src/models/_optimizers.ts";
import { Random } from "../../src/utils/mod.ts";

await initBackend("wasm");

const SHAPES: number[][] = [[7, 5], [5], [5, 3], [3]];

/** Runs `steps` updates through tf.train.<name> and the flat optimiser; returns both weights. */
function runBoth(name: FlatOptimizerName, learningRate: number, steps: number, seed: number) {
  const rng = new Random(seed);
  const initial = SHAPES.map((shape) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal())
  );
  const variables = initial.map((values, i) => tf.variable(tf.tensor(values, SHAPES[i]!)));
  const optimizer = name === "adam"
    ? tf.train.adam(learningRate)
    : name === "sgd"
    ? tf.train.sgd(learningRate)
    : tf.train.rmsprop(learningRate);
  const size = initial.reduce((s, values) => s + values.length, 0);
  const flat = new Float32Array(size);
  let offset = 0;
  for (const values of initial) {
    flat.set(values, offset);
    offset += values.length;
  }
  const start = flat.slice();
  const ours = createFlatOptimizer(name, learningRate, size);
  for (let step = 0; step < steps; step++) {
    // Gradients spanning many magnitudes, zeros and signs, as real training sees.
    const gradients = Float32Array.from(
      { length: size },
      (_, i) => i % 11 === 0 ? 0 : rng.normal() * 10 ** (rng.int(9) - 5),
    );
    offset = 0;
    const named = variables.map((variable, i) => {
      const tensor = tf.tensor(gradients.subarray(offset, offset + variable.size), SHAPES[i]!);
      offset += variable.size;
      return { name: variable.name, tensor };
    });
    optimizer.applyGradients(named);
    tf.dispose(named.map((entry) => entry.tensor));
    ours.step(gradients, flat);
  }
  const theirs = new Float32Array(size);
  offset = 0;
  for (const variable of variables) {
    theirs.set(variable.dataSync() as Float32Array, offset);
    offset += variable.size;
  }
  optimizer.dispose();
  tf.dispose(variables);
  return { theirs, ours: flat, start };
}

for (const name of ["adam", "sgd", "rmsprop"] as const) {
  Deno.test(`the flat ${name} optimiser gives bit-identical weights to tf.train.${name} over 60 steps`, () => {
    for (const [learningRate, seed] of [[0.001, 1], [0.05, 2], [0.3, 3]] as const) {
      const { theirs, ours, start } = runBoth(name, learningRate, 60, seed);
      // Compare bytes: equal floats of different bit patterns (+0/−0) would be a difference too.
      assert.deepEqual(
        new Uint8Array(ours.buffer),
        new Uint8Array(theirs.buffer),
        `${name}, learning rate ${learningRate}`,
      );
      // And the weights moved: two optimisers that did nothing would match too.
      const moved = ours.filter((value, i) => value !== start[i]).length;
      assert.ok(moved > ours.length * 0.8, `${name}: only ${moved} of ${ours.length} values moved`);
    }
  });
}
