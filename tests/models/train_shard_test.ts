import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  type Activation,
  ACTIVATIONS,
  type DenseNetworkSpec,
  initBackend,
} from "../../src/models/mod.ts";
import { buildDenseLayers, denseTrainableNetwork } from "../../src/models/mlp.ts";
import {
  type BatchBuffers,
  batchLoss,
  networkForward,
  networkPenalty,
  shardGradients,
  writeVariables,
} from "../../src/models/_train_shard.ts";
import { drawDropoutMask, type DropoutMasks } from "../../src/models/train.ts";
import { Random } from "../../src/utils/mod.ts";

/** A network with random (seeded) weights, its Dense layers, and a random batch of `rows`. */
function setup(spec: DenseNetworkSpec, rows: number, seed: number) {
  const { model, dense } = buildDenseLayers("shard", spec);
  const network = denseTrainableNetwork(spec, dense);
  const rng = new Random(seed);
  const size = network.variables.reduce((sum, v) => sum + v.size, 0);
  writeVariables(network.variables, Float32Array.from({ length: size }, () => rng.next() - 0.5));
  const d = spec.inputDim;
  const k = spec.task === "classification" ? spec.classes.length : 1;
  const batch: BatchBuffers = {
    x: Float32Array.from({ length: rows * d }, () => 4 * rng.next() - 2),
    targets: new Float32Array(rows * k),
    labels: new Int32Array(spec.task === "classification" ? rows : 0),
  };
  for (let i = 0; i < rows; i++) {
    if (spec.task === "classification") {
      const label = Math.floor(rng.next() * k);
      batch.labels[i] = label;
      batch.targets[i * k + label] = [0.5, 1, 2.25][label]!; // class weights
    } else {
      batch.targets[i] = 3 * rng.next() - 1;
    }
  }
  const masks = spec.hiddenUnits.map((units) => drawDropoutMask(rng, rows, units, spec.dropout));
  return { model, dense, network, batch, masks, size, d, k };
}

/** The gradient as tfjs's autodiff gives it: `tf.variableGrads` through the Dense layers. */
function tapeGradients(
  ctx: ReturnType<typeof setup>,
  share: { start: number; end: number; batchRows: number; penalty: boolean; train: boolean },
) {
  const { dense, network, batch, masks, d, k } = ctx;
  const { start, end } = share;
  const rows = end - start;
  return tf.tidy(() => {
    const xs = tf.tensor2d(batch.x.subarray(start * d, end * d), [rows, d]);
    const targets = tf.tensor2d(batch.targets.subarray(start * k, end * k), [rows, k]);
    const labels = network.task === "classification"
      ? tf.tensor1d(batch.labels.subarray(start, end), "int32")
      : null;
    let metric = 0;
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor2D = xs;
      dense.slice(0, -1).forEach((layer, i) => {
        h = layer.apply(h) as tf.Tensor2D;
        if (share.train && network.dropout.rate > 0) {
          const units = h.shape[1];
          const mask = masks[i]!.subarray(start * units, end * units);
          h = tf.mul(h, tf.tensor2d(mask, [rows, units]));
        }
      });
      const out = dense.at(-1)!.apply(h) as tf.Tensor2D;
      const terms = batchLoss(out, targets, labels);
      metric = terms.metricSum.dataSync()[0]!;
      const loss = tf.div(terms.lossSum, share.batchRows) as tf.Scalar;
      const penalty = share.penalty ? networkPenalty(network) : null;
      return penalty === null ? loss : tf.add(loss, penalty);
    }, [...network.variables]);
    const flat = new Float32Array(ctx.size);
    let offset = 0;
    for (const variable of network.variables) {
      flat.set(grads[variable.name]!.dataSync() as Float32Array, offset);
      offset += variable.size;
    }
    return { gradients: flat, cost: value.dataSync()[0]!, metric };
  });
}

function handGradients(
  ctx: ReturnType<typeof setup>,
  share: { start: number; end: number; batchRows: number; penalty: boolean; train: boolean },
) {
  const { network, batch, masks, d, k } = ctx;
  const { start } = share;
  const dropoutMasks: DropoutMasks | null = share.train
    ? (layer, rows, units) => masks[layer]!.subarray(start * units, (start + rows) * units)
    : null;
  const gradients = new Float32Array(ctx.size);
  const result = shardGradients(network, batch, { ...share, d, k, masks: dropoutMasks }, gradients);
  return { gradients, ...result };
}

const bits = (values: Float32Array) => new Uint8Array(values.buffer);

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`[${backend}] the hand-derived gradient equals tf.variableGrads bit for bit: every activation, both tasks, dropout, L2, shares`, async () => {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    let cases = 0;
    for (const activation of ACTIVATIONS as readonly Activation[]) {
      for (const task of ["classification", "regression"] as const) {
        const spec: DenseNetworkSpec = {
          task,
          inputDim: 7,
          classes: task === "classification" ? ["a", "b", "c"] : [],
          seed: 1,
          hiddenUnits: [9, 5],
          activation,
          dropout: 0.3,
          l2: 0.01,
        };
        const ctx = setup(spec, 23, cases + 1);
        try {
          for (
            const share of [
              { start: 0, end: 23, batchRows: 23, penalty: true, train: true },
              { start: 0, end: 23, batchRows: 23, penalty: false, train: false },
              { start: 11, end: 23, batchRows: 23, penalty: false, train: true },
            ]
          ) {
            const tape = tapeGradients(ctx, share);
            const hand = handGradients(ctx, share);
            const where = `${activation} ${task} rows ${share.start}..${share.end}`;
            assert.ok(
              tape.gradients.some((g) => g !== 0),
              `${where}: a zero gradient tests nothing`,
            );
            assert.deepEqual(bits(hand.gradients), bits(tape.gradients), where);
            assert.equal(hand.cost, tape.cost, where);
            assert.equal(hand.metric, tape.metric, where);
          }
        } finally {
          ctx.model.dispose();
        }
        cases++;
      }
    }
    assert.equal(cases, ACTIVATIONS.length * 2);
    assert.equal(tf.memory().numTensors, before, "shardGradients leaks no tensors");
  });
}

Deno.test("a linear network (no hidden layer) gets the autodiff's gradient too", async () => {
  await initBackend("wasm");
  const spec: DenseNetworkSpec = {
    task: "classification",
    inputDim: 4,
    classes: ["x", "y"],
    seed: 1,
    hiddenUnits: [],
    activation: "relu",
    dropout: 0,
    l2: 0.5,
  };
  const ctx = setup(spec, 10, 3);
  try {
    const share = { start: 0, end: 10, batchRows: 10, penalty: true, train: true };
    const tape = tapeGradients(ctx, share);
    const hand = handGradients(ctx, share);
    assert.deepEqual(bits(hand.gradients), bits(tape.gradients));
    assert.equal(hand.cost, tape.cost);
  } finally {
    ctx.model.dispose();
  }
});

Deno.test("networkForward() equals LayersModel.predict bit for bit for every activation", async () => {
  await initBackend("wasm");
  for (const activation of ACTIVATIONS as readonly Activation[]) {
    const spec: DenseNetworkSpec = {
      task: "classification",
      inputDim: 6,
      classes: ["a", "b", "c"],
      seed: 1,
      hiddenUnits: [8, 4],
      activation,
      dropout: 0.2,
      l2: 0,
    };
    const ctx = setup(spec, 17, 5);
    try {
      const [ours, theirs] = tf.tidy(() => {
        const xs = tf.tensor2d(ctx.batch.x, [17, 6]);
        return [
          tf.softmax(networkForward(ctx.network, xs)).dataSync() as Float32Array,
          (ctx.model.predict(xs) as tf.Tensor).dataSync() as Float32Array,
        ];
      });
      assert.deepEqual(bits(ours), bits(theirs), activation);
    } finally {
      ctx.model.dispose();
    }
  }
});
