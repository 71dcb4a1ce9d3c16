/**
 * One training step's arithmetic, shared by the training loop and its training threads: the
 * loss of a batch and the gradient of a contiguous share of its rows, written to a flat array.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DropoutMasks, TrainableNetwork } from "./train.ts";

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

/**
 * Summed loss and metric of one batch; the caller divides.
 *
 * @param out the network's logits or predictions
 * @param targets as in `BatchBuffers`
 * @param labels class indexes, or `null` for regression
 * @returns the two sums
 * @example
 * ```ts
 * const { lossSum } = batchLoss(network.forward(xs, null), targets, labels);
 * ```
 */
export function batchLoss(
  out: tf.Tensor2D,
  targets: tf.Tensor2D,
  labels: tf.Tensor1D | null,
): { lossSum: tf.Scalar; metricSum: tf.Scalar } {
  if (labels !== null) {
    // Cross-entropy from integer labels: `targets` holds the class weight at each row's label
    // and 0 elsewhere, so the product picks the weighted log-probability of the true class.
    const logProbabilities = tf.logSoftmax(out);
    const lossSum = tf.neg(tf.sum(tf.mul(targets, logProbabilities))) as tf.Scalar;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), labels), "float32")) as tf.Scalar;
    return { lossSum, metricSum: correct };
  }
  const diff = tf.sub(out, targets);
  return {
    lossSum: tf.sum(tf.square(diff)) as tf.Scalar,
    metricSum: tf.sum(tf.abs(diff)) as tf.Scalar,
  };
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
  const classification = network.task === "classification";
  return tf.tidy(() => {
    const xs = tf.tensor2d(batch.x.subarray(start * d, end * d), [rows, d]);
    const targets = tf.tensor2d(batch.targets.subarray(start * k, end * k), [rows, k]);
    const labels = classification ? tf.tensor1d(batch.labels.subarray(start, end), "int32") : null;
    let metricTensor: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const terms = batchLoss(network.forward(xs, masks), targets, labels);
      metricTensor = tf.keep(terms.metricSum);
      const loss = tf.div(terms.lossSum, batchRows) as tf.Scalar;
      const penalty = share.penalty ? network.penalty() : null;
      return penalty === null ? loss : tf.add(loss, penalty);
    }, [...network.variables]);
    let offset = 0;
    for (const variable of network.variables) {
      gradients.set(grads[variable.name]!.dataSync() as Float32Array, offset);
      offset += variable.size;
    }
    const metric = (metricTensor as tf.Scalar | null)!.dataSync()[0]!;
    tf.dispose(metricTensor!);
    return { cost: value.dataSync()[0]!, metric };
  });
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
