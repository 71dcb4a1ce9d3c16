/**
 * What one training step runs on (`training.engine`): the WebAssembly kernels of
 * `kernels/dense_train.ts` (weights, gradient and optimiser state resident in WebAssembly memory,
 * one call per layer and stage), or tfjs ops (`_train_shard.ts`, equal to tfjs's own gradients
 * bit for bit, with the flat optimisers of `_optimizers.ts`). The loop, its training threads and
 * validation all go through this interface, so the engines differ only here.
 *
 * The kernels cover dense networks with relu, tanh or sigmoid hidden layers (and linear models);
 * any other network trains on tfjs ops, and the loop logs one line saying why.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Matrix } from "../utils/mod.ts";
import type { Targets } from "./_model_types.ts";
import type { DenseNetworkSpec, DropoutMasks, TrainableNetwork } from "./_network_types.ts";
import { createFlatOptimizer, type FlatOptimizerName } from "./_optimizers.ts";
import {
  type BatchBuffers,
  batchLoss,
  networkForward,
  networkPenalty,
  readVariables,
  shardGradients,
  type ShardResult,
  writeVariables,
} from "./_train_shard.ts";
import {
  DenseTrainKernel,
  TRAIN_KERNEL_ACTIVATIONS,
  type TrainKernelActivation,
} from "./kernels/dense_train.ts";

/** The engines a training step can run on. */
export type TrainingEngineName = "kernels" | "tfjs";

/** The engine names, in config order. */
export const TRAINING_ENGINES: readonly TrainingEngineName[] = ["kernels", "tfjs"];

/** Rows of one share of a batch. */
export interface EngineShare {
  /** First row of the share in the batch. */
  start: number;
  /** One past its last row. */
  end: number;
  /** Rows of the whole batch (the loss is divided by them). */
  batchRows: number;
  /** The share's dropout masks, or `null` without dropout. */
  masks: DropoutMasks | null;
  /** Whether to add the L2 penalty (the loop's own share only). */
  penalty: boolean;
}

/** A share's gradient: what a training thread runs. */
export interface ShareEngine {
  /** `"kernels"` or `"tfjs"`. */
  readonly name: TrainingEngineName;
  /** Values in the engine's weight layout: the size of `weights`, `gradients` and a thread's slot. */
  readonly size: number;
  /** The weights, in the engine's layout. */
  readonly weights: Float32Array;
  /** The gradient of the last `shareGradients` call, in the engine's layout. */
  readonly gradients: Float32Array;
  /** Buffers to gather a batch into without a copy. */
  readonly batch: BatchBuffers;
  /**
   * Computes the gradient of the share into `gradients`.
   *
   * @param batch the gathered batch
   * @param share its rows, the batch's rows, the masks and the penalty
   * @returns the share's cost and metric
   */
  shareGradients(batch: BatchBuffers, share: EngineShare): ShardResult;
  /**
   * Takes new weights (from the loop's thread), in the engine's layout.
   *
   * @param from `size` values
   */
  loadWeights(from: Float32Array): void;
}

/** The loop's engine: a share engine with the optimiser, validation and the variables. */
export interface LoopEngine extends ShareEngine {
  /** One optimiser step on `weights` from `gradients` (the summed gradient). */
  optimizerStep(): void;
  /**
   * Sums the loss (unweighted) and the metric over `x`, `y`, in inference mode.
   *
   * @param data the rows
   * @returns the mean loss plus the penalty, and the mean metric
   */
  evaluate(data: { x: Matrix; y: Targets }): { loss: number; metric: number };
  /** Writes the weights into the network's tfjs variables. */
  commit(): void;
}

/** Options of `createLoopEngine`. */
export interface LoopEngineOptions {
  /** The engine wanted. */
  engine: TrainingEngineName;
  /** The optimiser and its step size. */
  optimizer: FlatOptimizerName;
  learningRate: number;
  /** Rows per gradient call (the batch size). */
  maxRows: number;
}

/**
 * Tells whether the kernels can train `spec`'s network.
 *
 * @param spec the network
 * @returns `null` when they can, else what they do not cover
 * @example
 * ```ts
 * kernelsCannotTrain({ ...spec, activation: "elu" }); // 'hidden activation "elu" (they cover relu, tanh, sigmoid)'
 * ```
 */
export function kernelsCannotTrain(spec: DenseNetworkSpec): string | null {
  if (
    spec.hiddenUnits.length > 0 &&
    !(TRAIN_KERNEL_ACTIVATIONS as readonly string[]).includes(spec.activation)
  ) {
    return `hidden activation "${spec.activation}" (they cover ${
      TRAIN_KERNEL_ACTIVATIONS.join(", ")
    })`;
  }
  return null;
}

/**
 * Creates the engine of a training loop: the kernels when asked and they cover the network (and
 * WebAssembly can start them), tfjs ops otherwise.
 *
 * @param network the network, its variables holding the initial weights
 * @param options the engine wanted, the optimiser and the rows per call
 * @returns the engine, and why it is not the one asked for (`null` when it is)
 * @example
 * ```ts
 * const { engine, fallback } = await createLoopEngine(network, { engine: "kernels", optimizer: "adam", learningRate: 0.01, maxRows: 32 });
 * ```
 */
export async function createLoopEngine(
  network: TrainableNetwork,
  options: LoopEngineOptions,
): Promise<{ engine: LoopEngine; fallback: string | null }> {
  let fallback: string | null = null;
  if (options.engine === "kernels") {
    const spec = networkSpec(network);
    fallback = spec === null ? "a network without a replica spec" : kernelsCannotTrain(spec);
    if (fallback === null) {
      try {
        return { engine: await kernelLoopEngine(network, spec!, options), fallback };
      } catch (error) {
        fallback = `the kernels could not start (${(error as Error).message})`;
      }
    }
  }
  return { engine: tfjsLoopEngine(network, options), fallback };
}

/**
 * Creates a training thread's engine for `spec`'s network.
 *
 * @param name the loop's engine
 * @param spec the network
 * @param network the thread's tfjs copy of the network (`"tfjs"`), or `null`
 * @param maxRows rows per gradient call
 * @returns the share engine
 */
export async function createShareEngine(
  name: TrainingEngineName,
  spec: DenseNetworkSpec,
  network: () => TrainableNetwork,
  maxRows: number,
): Promise<ShareEngine> {
  if (name === "kernels") {
    const kernel = await DenseTrainKernel.create(kernelShape(spec), maxRows);
    return kernelShareEngine(kernel);
  }
  return tfjsShareEngine(network(), maxRows);
}

// ---------------------------------------------------------------- kernels

function kernelShape(spec: DenseNetworkSpec) {
  return {
    inputDim: spec.inputDim,
    hiddenUnits: spec.hiddenUnits,
    // A linear model has no hidden layer, so its activation is never used.
    activation: (spec.hiddenUnits.length === 0 ? "relu" : spec.activation) as TrainKernelActivation,
    outputUnits: spec.task === "classification" ? spec.classes.length : 1,
    classification: spec.task === "classification",
    dropout: spec.dropout > 0 && spec.hiddenUnits.length > 0,
    l2: spec.l2,
  };
}

function kernelShareEngine(kernel: DenseTrainKernel): ShareEngine {
  return {
    name: "kernels",
    size: kernel.size,
    weights: kernel.weights,
    gradients: kernel.gradients,
    batch: kernel.batch,
    shareGradients: (batch, share) => kernel.shareGradients(batch, share),
    loadWeights: (from) => kernel.weights.set(from),
  };
}

async function kernelLoopEngine(
  network: TrainableNetwork,
  spec: DenseNetworkSpec,
  options: LoopEngineOptions,
): Promise<LoopEngine> {
  const kernel = await DenseTrainKernel.create(kernelShape(spec), options.maxRows);
  const flat = new Float32Array(kernel.flatSize);
  readVariables(network.variables, flat);
  kernel.setWeights(flat);
  kernel.startOptimizer(options.optimizer, options.learningRate);
  return {
    ...kernelShareEngine(kernel),
    optimizerStep: () => kernel.optimizerStep(),
    evaluate(data) {
      const { lossSum, metricSum, rows } = sumInChunks(data, (x, targets, labels, m) => {
        const sums = kernel.evaluate(x, targets, labels, m);
        return { loss: sums.lossSum, metric: sums.metricSum };
      });
      return {
        loss: rows === 0 ? NaN : lossSum / rows + kernel.penalty(),
        metric: rows === 0 ? NaN : metricSum / rows,
      };
    },
    commit() {
      kernel.readWeights(flat);
      writeVariables(network.variables, flat);
    },
  };
}

// ---------------------------------------------------------------- tfjs

function tfjsShareEngine(network: TrainableNetwork, maxRows: number): ShareEngine {
  const size = network.variables.reduce((sum, variable) => sum + variable.size, 0);
  const weights = new Float32Array(size);
  readVariables(network.variables, weights);
  const gradients = new Float32Array(size);
  const d = network.layers[0]!.kernel.shape[0]!;
  const k = network.layers.at(-1)!.kernel.shape[1]!;
  return {
    name: "tfjs",
    size,
    weights,
    gradients,
    batch: {
      x: new Float32Array(maxRows * d),
      targets: new Float32Array(maxRows * k),
      labels: new Int32Array(network.task === "classification" ? maxRows : 0),
    },
    shareGradients: (batch, share) => shardGradients(network, batch, { ...share, d, k }, gradients),
    loadWeights(from) {
      weights.set(from);
      writeVariables(network.variables, weights);
    },
  };
}

function tfjsLoopEngine(network: TrainableNetwork, options: LoopEngineOptions): LoopEngine {
  const share = tfjsShareEngine(network, options.maxRows);
  const optimizer = createFlatOptimizer(options.optimizer, options.learningRate, share.size);
  return {
    ...share,
    optimizerStep() {
      optimizer.step(share.gradients, share.weights);
      writeVariables(network.variables, share.weights);
    },
    evaluate: (data) => evaluateNetwork(network, data),
    commit: () => writeVariables(network.variables, share.weights),
  };
}

/**
 * Computes the loss (unweighted, plus the penalty) and the metric of `network` on `x`, `y` with
 * tfjs ops.
 *
 * @param network the network, in inference mode (no dropout)
 * @param data the features `x` and targets `y`
 * @returns the mean loss and the accuracy or mean absolute error
 * @example
 * ```ts
 * const { loss, metric } = evaluateNetwork(network, { x: xVal, y: yVal });
 * ```
 */
export function evaluateNetwork(
  network: TrainableNetwork,
  data: { x: Matrix; y: Targets },
): { loss: number; metric: number } {
  const { lossSum, metricSum, rows } = sumInChunks(data, (x, targetValues, labelValues, m) => {
    const d = data.x.cols;
    const k = targetValues.length / m;
    const sums = { loss: 0, metric: 0 };
    tf.tidy(() => {
      const xs = tf.tensor2d(x, [m, d]);
      const targets = tf.tensor2d(targetValues, [m, k]);
      const labels = data.y.kind === "classification" ? tf.tensor1d(labelValues, "int32") : null;
      const terms = batchLoss(networkForward(network, xs), targets, labels);
      sums.loss = terms.lossSum.dataSync()[0]!;
      sums.metric = terms.metricSum.dataSync()[0]!;
    });
    return sums;
  });
  const penalty = tf.tidy(() => networkPenalty(network)?.dataSync()[0] ?? 0);
  return {
    loss: rows === 0 ? NaN : lossSum / rows + penalty,
    metric: rows === 0 ? NaN : metricSum / rows,
  };
}

// ---------------------------------------------------------------- internals

/** Rows per validation chunk: one-hot targets are built chunk by chunk. */
const EVAL_CHUNK_ROWS = 8192;

function sumInChunks(
  data: { x: Matrix; y: Targets },
  sum: (
    x: Float32Array,
    targets: Float32Array,
    labels: Int32Array,
    rows: number,
  ) => { loss: number; metric: number },
): { lossSum: number; metricSum: number; rows: number } {
  const { x, y } = data;
  const n = x.rows;
  const d = x.cols;
  const k = y.kind === "classification" ? y.classes.length : 1;
  let lossSum = 0;
  let metricSum = 0;
  const noLabels: Int32Array = new Int32Array(0);
  for (let start = 0; start < n; start += EVAL_CHUNK_ROWS) {
    const m = Math.min(n, start + EVAL_CHUNK_ROWS) - start;
    const targets = new Float32Array(m * k);
    let labels = noLabels;
    if (y.kind === "classification") {
      labels = y.labels.subarray(start, start + m);
      for (let i = 0; i < m; i++) targets[i * k + labels[i]!] = 1;
    } else {
      targets.set(y.values.subarray(start, start + m));
    }
    const sums = sum(x.data.subarray(start * d, (start + m) * d), targets, labels, m);
    lossSum += sums.loss;
    metricSum += sums.metric;
  }
  return { lossSum, metricSum, rows: n };
}

function networkSpec(network: TrainableNetwork): DenseNetworkSpec | null {
  return network.replica ?? null;
}
