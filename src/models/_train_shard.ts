/**
 * One training step's arithmetic, shared by the training loop and its training threads: the
 * forward pass of a dense network, the loss of a batch, and the gradient of a contiguous share of
 * its rows, written to a flat array.
 *
 * The gradient is derived by hand rather than by `tf.variableGrads`: the same tfjs ops that
 * tfjs's own gradient functions run (Dense layers in training mode, `logSoftmax`, dropout, the L2
 * penalty), in the same order, so the values are equal to the autodiff's bit for bit (tested in
 * `tests/models/train_shard_test.ts`). Without the gradient tape a step runs about half the ops
 * and none of the tape's bookkeeping, whose polymorphic property walks also kept V8 recompiling
 * tfjs's engine functions on its helper threads.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Activation, DropoutMasks, TrainableNetwork } from "./_network_types.ts";

/** A gathered batch: row-major features, one-hot (class-weighted) targets, class labels. */
export interface BatchBuffers {
  /** `batchSize × d` features. */
  x: Float32Array;
  /** `batchSize × k` targets: the class weight at the label for classifiers, values otherwise. */
  targets: Float32Array;
  /** `batchSize` class indexes (classifiers), empty for regression. */
  labels: Int32Array;
}

/** What one share of a batch contributed. */
export interface ShardResult {
  /** Its part of the batch loss: its summed loss / batch rows (+ the penalty on share 0). */
  cost: number;
  /** Its summed metric (correct rows, or absolute errors). */
  metric: number;
}

/** The loss terms of a batch (see {@link batchLoss}). */
export interface BatchLoss {
  /** Summed loss (class-weighted cross-entropy, or squared error). */
  lossSum: tf.Scalar;
  /** Summed metric (correct rows, or absolute errors). */
  metricSum: tf.Scalar;
  /** The log-probabilities (classification) or the errors `out − targets` (regression). */
  residual: tf.Tensor2D;
}

/**
 * Summed loss and metric of one batch; the caller divides.
 *
 * @param out the network's logits or predictions
 * @param targets as in `BatchBuffers`
 * @param labels class indexes, or `null` for regression
 * @returns the two sums, and the residual the gradient starts from
 * @example
 * ```ts
 * const { lossSum } = batchLoss(networkForward(network, xs), targets, labels);
 * ```
 */
export function batchLoss(
  out: tf.Tensor2D,
  targets: tf.Tensor2D,
  labels: tf.Tensor1D | null,
): BatchLoss {
  if (labels !== null) {
    // Cross-entropy from integer labels: `targets` holds the class weight at each row's label
    // and 0 elsewhere, so the product picks the weighted log-probability of the true class.
    const logProbabilities = tf.logSoftmax(out);
    const lossSum = tf.neg(tf.sum(tf.mul(targets, logProbabilities))) as tf.Scalar;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), labels), "float32")) as tf.Scalar;
    return { lossSum, metricSum: correct, residual: logProbabilities };
  }
  const diff = tf.sub(out, targets) as tf.Tensor2D;
  return {
    lossSum: tf.sum(tf.square(diff)) as tf.Scalar,
    metricSum: tf.sum(tf.abs(diff)) as tf.Scalar,
    residual: diff,
  };
}

/**
 * Runs the network on a batch in inference mode: each Dense layer as tfjs's `Dense.call` runs it
 * outside training (one fused kernel for relu, elu and linear), so the outputs equal
 * `LayersModel.predict`'s bit for bit.
 *
 * @param network the network
 * @param x the batch, `rows × inputDim`
 * @returns logits (classification) or predictions (regression)
 * @example
 * ```ts
 * const probabilities = tf.softmax(networkForward(network, xs));
 * ```
 */
export function networkForward(network: TrainableNetwork, x: tf.Tensor2D): tf.Tensor2D {
  const { layers, activation } = network;
  let h = x;
  layers.forEach(({ kernel, bias }, i) => {
    const hidden = i < layers.length - 1;
    const fused = hidden ? FUSED_ACTIVATIONS[activation] : "linear";
    if (fused !== undefined) {
      h = tf.fused.matMul({ a: h, b: kernel, bias, activation: fused }) as tf.Tensor2D;
    } else {
      h = activate(activation, tf.add(tf.fused.matMul({ a: h, b: kernel }), bias) as tf.Tensor2D).a;
    }
  });
  return h;
}

/**
 * The network's L2 penalty `l2 · Σ w²` over its kernels, or `null` when `l2` is 0.
 *
 * @param network the network
 * @returns a scalar tensor or `null`
 * @example
 * ```ts
 * const penalty = networkPenalty(network)?.dataSync()[0] ?? 0;
 * ```
 */
export function networkPenalty(network: TrainableNetwork): tf.Scalar | null {
  if (network.l2 === 0) return null;
  const sums = network.layers.map(({ kernel }) => tf.sum(tf.square(kernel)));
  return tf.mul(network.l2, tf.addN(sums)) as tf.Scalar;
}

/**
 * Computes the gradient of `lossSum(rows start..end) / batchRows` (plus the penalty when asked)
 * with respect to the network's variables and writes it, variables in order, into `gradients`.
 *
 * @param network the network, its variables holding the step's weights
 * @param batch the gathered batch
 * @param share the rows `[start, end)` of the batch, `batchRows` in all, `d` features, `k`
 *   targets per row, the dropout masks of these rows, and whether to add the penalty
 * @param gradients where the flat gradient goes (every variable's size, summed)
 * @returns the share's cost and metric
 * @example
 * ```ts
 * const { cost } = shardGradients(network, batch, { start: 0, end: m, batchRows: m, d, k, masks: null, penalty: true }, flat);
 * ```
 */
export function shardGradients(
  network: TrainableNetwork,
  batch: BatchBuffers,
  share: {
    start: number;
    end: number;
    batchRows: number;
    d: number;
    k: number;
    masks: DropoutMasks | null;
    penalty: boolean;
  },
  gradients: Float32Array,
): ShardResult {
  const { start, end, batchRows, d, k, masks } = share;
  const rows = end - start;
  if (rows === 0) {
    gradients.fill(0);
    return { cost: 0, metric: 0 };
  }
  const { layers, activation, dropout } = network;
  const classification = network.task === "classification";
  const result: ShardResult = { cost: 0, metric: 0 };
  // The tidy returns nothing: tfjs walks a returned object's properties for tensors, and that
  // walk deoptimises in V8 on every few thousand calls, recompiling on a helper thread.
  tf.tidy(() => {
    const xs = tf.tensor2d(batch.x.subarray(start * d, end * d), [rows, d]);
    const targets = tf.tensor2d(batch.targets.subarray(start * k, end * k), [rows, k]);
    const labels = classification ? tf.tensor1d(batch.labels.subarray(start, end), "int32") : null;

    // Forward in training mode, keeping what the backward pass needs. Under a gradient tape
    // tfjs runs relu and elu layers unfused (matMul, add, activation) and the others as a
    // fused matMul followed by add and the activation; the output layer is one fused matMul.
    const inputs: tf.Tensor2D[] = [];
    const hidden: { pre: tf.Tensor2D; act: Activated; mask: tf.Tensor2D | null }[] = [];
    let h = xs;
    for (let i = 0; i < layers.length - 1; i++) {
      const { kernel, bias } = layers[i]!;
      inputs.push(h);
      const product = FUSED_ACTIVATIONS[activation] !== undefined
        ? tf.matMul(h, kernel)
        : tf.fused.matMul({ a: h, b: kernel });
      const pre = tf.add(product, bias) as tf.Tensor2D;
      const act = activate(activation, pre);
      let mask: tf.Tensor2D | null = null;
      h = act.a;
      if (masks !== null && dropout.rate > 0) {
        const [count, units] = h.shape;
        mask = tf.tensor2d(masks(i, count, units), [count, units]);
        h = tf.mul(h, mask);
      }
      hidden.push({ pre, act, mask });
    }
    const output = layers[layers.length - 1]!;
    inputs.push(h);
    const out = tf.fused.matMul({ a: h, b: output.kernel, bias: output.bias }) as tf.Tensor2D;
    const terms = batchLoss(out, targets, labels);
    let cost = tf.div(terms.lossSum, batchRows) as tf.Scalar;
    const penalty = share.penalty ? networkPenalty(network) : null;
    if (penalty !== null) cost = tf.add(cost, penalty);

    // Backward: d(lossSum / batchRows) / d(out), as the gradients of div, neg, sum, mul and
    // logSoftmax (classification) or of div, sum, square and sub (regression) compose.
    let delta: tf.Tensor2D;
    if (labels !== null) {
      const upstream = tf.mul(targets, -(1 / batchRows));
      delta = tf.sub(
        upstream,
        tf.mul(tf.sum(upstream, -1, true), tf.exp(terms.residual)),
      );
    } else {
      delta = tf.mul(1 / batchRows, tf.mul(terms.residual, 2));
    }
    const grads: tf.Tensor[] = new Array(2 * layers.length);
    for (let i = layers.length - 1; i >= 0; i--) {
      const { kernel } = layers[i]!;
      if (i < layers.length - 1) {
        const { pre, act, mask } = hidden[i]!;
        const upstream = mask === null ? delta : tf.mul(delta, mask) as tf.Tensor2D;
        delta = activationGradient(activation, upstream, pre, act);
      }
      let kernelGradient: tf.Tensor = tf.matMul(inputs[i]!, delta, true, false);
      if (penalty !== null) {
        kernelGradient = tf.add(tf.mul(network.l2, tf.mul(kernel, 2)), kernelGradient);
      }
      grads[2 * i] = kernelGradient;
      grads[2 * i + 1] = tf.sum(delta, 0);
      if (i > 0) delta = tf.matMul(delta, kernel as tf.Tensor2D, false, true);
    }
    let offset = 0;
    for (const gradient of grads) {
      gradients.set(gradient.dataSync() as Float32Array, offset);
      offset += gradient.size;
    }
    result.cost = cost.dataSync()[0]!;
    result.metric = terms.metricSum.dataSync()[0]!;
  });
  return result;
}

/**
 * Returns the rows `[start, end)` of share `index` of `threads` for a batch of `rows`.
 *
 * @param index the share, from 0
 * @param threads how many shares
 * @param rows the batch's rows
 * @returns the share's bounds; shares are contiguous, in order, and differ by at most a row
 * @example
 * ```ts
 * shareBounds(1, 2, 1024); // [512, 1024]
 * ```
 */
export function shareBounds(index: number, threads: number, rows: number): [number, number] {
  return [Math.floor(index * rows / threads), Math.floor((index + 1) * rows / threads)];
}

/**
 * Copies the variables' values, in order, into one flat array.
 *
 * @param variables the variables
 * @param into the destination, their sizes summed
 * @example
 * ```ts
 * readVariables(network.variables, weights);
 * ```
 */
export function readVariables(variables: readonly tf.Variable[], into: Float32Array): void {
  let offset = 0;
  for (const variable of variables) {
    into.set(variable.dataSync() as Float32Array, offset);
    offset += variable.size;
  }
}

/**
 * Writes flat values into the variables, in order.
 *
 * @param variables the variables
 * @param from the values, their sizes summed
 * @example
 * ```ts
 * writeVariables(network.variables, weights);
 * ```
 */
export function writeVariables(variables: readonly tf.Variable[], from: Float32Array): void {
  let offset = 0;
  for (const variable of variables) {
    const tensor = tf.tensor(from.subarray(offset, offset + variable.size), variable.shape);
    variable.assign(tensor);
    tensor.dispose();
    offset += variable.size;
  }
}

// ---------------------------------------------------------------- internals

/** Activations tfjs fuses into the matMul kernel when no gradient is taken. */
const FUSED_ACTIVATIONS: Partial<Record<Activation, "relu" | "elu">> = { relu: "relu", elu: "elu" };

/** tfjs's SELU constants (`selu_util`). */
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

/** An activation's output, and the sigmoid inside swish that its gradient reuses. */
interface Activated {
  a: tf.Tensor2D;
  sigmoid: tf.Tensor2D | null;
}

/** Applies a hidden activation as tfjs-layers does. */
function activate(activation: Activation, x: tf.Tensor2D): Activated {
  switch (activation) {
    case "relu":
      return { a: tf.relu(x), sigmoid: null };
    case "elu":
      return { a: tf.elu(x), sigmoid: null };
    case "selu":
      return { a: tf.selu(x), sigmoid: null };
    case "tanh":
      return { a: tf.tanh(x), sigmoid: null };
    case "sigmoid":
      return { a: tf.sigmoid(x), sigmoid: null };
    case "softplus":
      return { a: tf.softplus(x), sigmoid: null };
    case "swish": {
      // tfjs-layers: x · sigmoid(alpha · x) with alpha 1.
      const sigmoid = tf.sigmoid(tf.mul(x, 1)) as tf.Tensor2D;
      return { a: tf.mul(sigmoid, x) as tf.Tensor2D, sigmoid };
    }
  }
}

/** The gradient at the activation's input, as tfjs's gradient functions compute it. */
function activationGradient(
  activation: Activation,
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  { a: y, sigmoid }: Activated,
): tf.Tensor2D {
  switch (activation) {
    case "relu":
      return tf.mul(dy, tf.step(x));
    case "elu":
      return tf.engine().runKernel("EluGrad", { dy, y }) as tf.Tensor2D;
    case "selu":
      return tf.where(
        tf.greater(x, 0),
        tf.mul(dy, SELU_SCALE),
        tf.mul(tf.mul(dy, SELU_SCALE_ALPHA), tf.exp(x)),
      );
    case "tanh":
      return tf.mul(tf.sub(1, tf.square(y)), dy);
    case "sigmoid":
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case "softplus":
      return tf.mul(dy, tf.sigmoid(x));
    case "swish": {
      // y = s · x with s = sigmoid(x · 1): the product's two branches, added as the tape adds.
      const s = sigmoid!;
      const throughSigmoid = tf.mul(tf.mul(tf.mul(dy, x), tf.mul(s, tf.sub(1, s))), 1);
      return tf.add(tf.mul(dy, s), throughSigmoid);
    }
  }
}
