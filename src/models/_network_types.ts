/**
 * The dense networks the training loop trains: the spec a network is built from, its hidden
 * activations, and the variables the loop updates. These sit apart from `mlp.ts` and `train.ts`
 * so the loop, its shard arithmetic and its threads can name them without importing the model
 * classes.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelTask } from "./_model_types.ts";

/** Activations the MLP accepts (names as tfjs spells them). */
export const ACTIVATIONS = ["relu", "elu", "selu", "tanh", "sigmoid", "softplus", "swish"] as const;

/** The hidden-layer activations, as tfjs names them. */
export type Activation = (typeof ACTIVATIONS)[number];

/** Everything a dense network is built from. */
export interface DenseNetworkSpec {
  /** Classification or regression. */
  task: ModelTask;
  /** Number of feature columns. */
  inputDim: number;
  /** Class names in label order; empty for regression. */
  classes: readonly string[];
  /** Seed of the initial weights. */
  seed: number;
  /** Units of each hidden layer; empty for a linear model. */
  hiddenUnits: readonly number[];
  /** Activation of the hidden layers. */
  activation: Activation;
  /** Dropout rate after each hidden layer, in [0, 1). */
  dropout: number;
  /** L2 penalty on every kernel: `l2 · Σ w²` is added to the loss. */
  l2: number;
}

/**
 * Returns the dropout mask of hidden layer `layer` (from 0) for `rows` rows of `units` values:
 * 0 for a dropped value and `1 / (1 − rate)` for a kept one.
 */
export type DropoutMasks = (layer: number, rows: number, units: number) => Float32Array;

/** The variables of one Dense layer. */
export interface DenseLayerVariables {
  /** `inputs × units` weights. */
  readonly kernel: tf.Variable;
  /** `units` biases. */
  readonly bias: tf.Variable;
}

/**
 * What the loop trains: a stack of Dense layers, hidden layers with one activation and dropout
 * after each, then a linear output layer, with an L2 penalty on every kernel. The output is
 * logits (`rows × classes`) for classification and predictions (`rows × 1`) for regression.
 */
export interface TrainableNetwork {
  /** What the network predicts. */
  readonly task: ModelTask;
  /** The Dense layers, input side first; the last is the linear output layer. */
  readonly layers: readonly DenseLayerVariables[];
  /** Activation of the hidden layers. */
  readonly activation: Activation;
  /** L2 penalty on every kernel: `l2 · Σ w²` is added to the loss. */
  readonly l2: number;
  /** The variables the optimiser updates: each layer's kernel, then its bias. */
  readonly variables: readonly tf.Variable[];
  /** The dropout rate and the units of each hidden layer it applies to. */
  readonly dropout: { readonly rate: number; readonly units: readonly number[] };
  /** How training threads build their copy of the network (`training.threads` > 1). */
  readonly replica?: DenseNetworkSpec;
}
