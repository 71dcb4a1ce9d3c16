/**
 * The multilayer perceptron family, and the dense-network base it shares with the linear
 * family: tfjs Dense layers with seeded weights, trained by the project's own loop.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Matrix, Random } from "../utils/mod.ts";
import { ArtifactError, DataValidationError } from "../errors.ts";
import { z } from "zod";
import type { ModelConfig } from "../config/schema.ts";
import {
  BaseModel,
  checkMatrix,
  checkModelSpec,
  checkTargets,
  checkTwoClassesPresent,
  DEFAULT_PREDICT_OPTIONS,
  type ModelFamily,
  type ModelTask,
  type PredictOptions,
  requireFitted,
  type Targets,
} from "./base_model.ts";
import { ensureBackend } from "./backend.ts";
import { getLogger } from "@logtape/logtape";
import { DenseForwardKernel } from "./kernels/dense_forward.ts";
import { planDenseNetwork } from "./kernels/dense_plan.ts";
import { predictOnThreads } from "./kernels/forward_threads.ts";
import {
  type Activation,
  ACTIVATIONS,
  type DenseNetworkSpec,
  type TrainableNetwork,
} from "./_network_types.ts";
import { networkForward } from "./_train_shard.ts";
import {
  type FitOptions,
  type NetworkFitOptions,
  type TrainingHistory,
  trainNetwork,
} from "./train.ts";
import type { RowSource } from "./row_source.ts";
import {
  fileSystemHandler,
  MODEL_ARTIFACT_VERSION,
  MODEL_FILES,
  modelFromParams,
  type ModelParams,
  readModelParams,
  writeModelParams,
} from "./storage.ts";

export { ACTIVATIONS } from "./_network_types.ts";
export type { Activation, DenseNetworkSpec } from "./_network_types.ts";

/** `model.params` of the `mlp` family, with the `model_config.yaml` defaults. */
export const MLP_PARAMS = z.strictObject({
  hidden_units: z.array(z.int().positive()).min(1).default([32, 16]),
  activation: z.enum(ACTIVATIONS).default("relu"),
  dropout: z.number().min(0).lt(1).default(0),
  l2: z.number().min(0).default(0),
});

/** The checked `model.params` of the `mlp` family. */
export type MlpParams = z.infer<typeof MLP_PARAMS>;

/**
 * A feed-forward network of tfjs Dense layers: the shared base of `MlpModel` and `LinearModel`.
 *
 * Weights are Glorot-uniform draws from `Random(seed)` (biases 0), written into the layers, so
 * the numbers are ours and stable across tfjs versions. Classifiers end in a linear Dense layer
 * of one unit per class followed by softmax, also for two classes, so `predict` always gives
 * `rows × classes` probabilities; regressors end in one linear unit. Dropout runs in the
 * training loop with masks drawn from the fit seed, and is not part of the saved model.
 */
export abstract class DenseNetworkModel extends BaseModel {
  #spec: DenseNetworkSpec;
  #model: tf.LayersModel | null = null;
  #dense: tf.layers.Layer[] = [];
  #fitted = false;
  /** The fitted weights packed into the WebAssembly forward kernels, or `null` on tfjs. */
  #forward: DenseForwardKernel | null = null;

  /**
   * @param family the subclass's family, for messages
   * @param spec the network's shape and seed
   * @throws {TypeError} for an unknown task or activation, or bad classes
   * @throws {RangeError} for a non-positive input width or units, or an out-of-range rate
   * @throws {DataValidationError} when a classifier has fewer than two classes
   */
  constructor(family: ModelFamily, spec: DenseNetworkSpec) {
    super();
    checkModelSpec(family, spec);
    checkNetworkSpec(family, spec);
    this.#spec = { ...spec, classes: [...spec.classes], hiddenUnits: [...spec.hiddenUnits] };
  }

  /** Classification or regression. */
  get task(): ModelTask {
    return this.#spec.task;
  }

  /** Number of feature columns. */
  get inputDim(): number {
    return this.#spec.inputDim;
  }

  /** Class names in label order; empty for regression. */
  get classes(): readonly string[] {
    return this.#spec.classes;
  }

  /** Whether the network has trained or loaded weights. */
  get isFitted(): boolean {
    return this.#fitted;
  }

  /** The seed of the initial weights. */
  get seed(): number {
    return this.#spec.seed;
  }

  /**
   * The fitted tfjs model behind this one, for code that reads its layers and weights (the
   * WebAssembly prediction kernels). It stays owned by this model: do not dispose or train it.
   *
   * @returns the tfjs model
   * @throws {NotFittedError} before `fit` or `load`
   * @example
   * ```ts
   * const kernel = model.layersModel().layers[0]!.getWeights()[0]!; // inputDim × units
   * ```
   */
  layersModel(): tf.LayersModel {
    requireFitted(this, "read the layers");
    return this.#model!;
  }

  /** The network's shape and seed, for subclasses. */
  protected get spec(): Readonly<DenseNetworkSpec> {
    return this.#spec;
  }

  /**
   * Returns the `model` config that rebuilds this network.
   *
   * @returns the config written to `params.json`
   */
  abstract toConfig(): ModelConfig;

  /**
   * Trains the network from freshly seeded weights with the project's training loop.
   *
   * @param x training features, `inputDim` finite columns
   * @param y training targets of the model's task and classes
   * @param options the loop settings (see `FitOptions`)
   * @returns the per-epoch history
   * @throws {SchemaMismatchError} when the column count or the classes differ from the model's
   * @throws {DataValidationError} on empty, non-finite or single-class training data
   * @throws {TrainingDivergedError} when the loss becomes NaN; the model is then not fitted
   * @example
   * ```ts
   * const history = await model.fit(x, y, { epochs: 50, batchSize: 32, validation: { x: xVal, y: yVal } });
   * ```
   */
  async fit(x: Matrix, y: Targets, options: FitOptions = {}): Promise<TrainingHistory> {
    const action = `fit "${this.family}"`;
    const { inputDim, task, classes } = this;
    checkMatrix(x, { inputDim, action });
    checkTargets(y, { rows: x.rows, task, classes, action });
    if (x.rows === 0) throw emptyTrainingError(this.family);
    if (y.kind === "classification") checkTwoClassesPresent(this.family, y);
    if (options.validation !== undefined) {
      const { x: vx, y: vy } = options.validation;
      const inValidation = `${action} (validation set)`;
      checkMatrix(vx, { inputDim, action: inValidation });
      checkTargets(vy, { rows: vx.rows, task, classes, action: inValidation });
    }
    await ensureBackend();
    this.#release();
    this.#build();
    this.#initialiseWeights();
    try {
      const history = await trainNetwork(this.#network(), { x, y }, options);
      this.#fitted = true;
      await this.#loadForwardKernels();
      return history;
    } catch (error) {
      this.#release();
      throw error;
    }
  }

  /**
   * Trains from scratch on rows read window by window (out-of-core training): as `fit`, but the
   * training and validation rows come from row sources, so memory is set by the window, not by
   * the number of rows. Each epoch shuffles the windows, then the rows within each window.
   *
   * @param train the training rows
   * @param options as `fit`; `validation` may be a row source
   * @returns the per-epoch history
   * @throws {SchemaMismatchError} when the column count or the classes differ from the model's
   * @throws {DataValidationError} when there are no training rows
   * @throws {TrainingDivergedError} when the loss becomes NaN; the model is then not fitted
   * @example
   * ```ts
   * await model.fitRows(rowFileSource(trainFile), { epochs: 2, validation: rowFileSource(valFile) });
   * ```
   */
  async fitRows(train: RowSource, options: NetworkFitOptions = {}): Promise<TrainingHistory> {
    const action = `fit "${this.family}"`;
    const { inputDim } = this;
    for (
      const [rows, where] of [[train, action], [
        options.validation,
        `${action} (validation set)`,
      ]] as const
    ) {
      if (rows === undefined) continue;
      const cols = "read" in rows ? rows.cols : rows.x.cols;
      if (cols !== inputDim) {
        checkMatrix({ data: new Float32Array(0), rows: 0, cols }, { inputDim, action: where });
      }
    }
    if (train.rows === 0) throw emptyTrainingError(this.family);
    await ensureBackend();
    this.#release();
    this.#build();
    this.#initialiseWeights();
    try {
      const history = await trainNetwork(this.#network(), train, options);
      this.#fitted = true;
      await this.#loadForwardKernels();
      return history;
    } catch (error) {
      this.#release();
      throw error;
    }
  }

  /**
   * Predicts probabilities (`rows × classes`, row-major) or values (`rows`): on the WebAssembly
   * forward kernels in blocks of rows (see `predictionEngine`), else on tfjs ops chunk by chunk.
   *
   * @param x features, `inputDim` finite columns
   * @param options rows per tensor (tfjs ops), threads (kernels)
   * @returns the predictions
   * @throws {NotFittedError} before `fit` or `load`
   * @throws {SchemaMismatchError} when the column count differs from `inputDim`
   * @throws {DataValidationError} when a feature is NaN or infinite
   * @example
   * ```ts
   * const p = model.predict(x); // p[i * 3 + c] = P(class c | row i)
   * ```
   */
  predict(x: Matrix, options: PredictOptions = {}): Float32Array {
    const { chunkRows, threads } = { ...DEFAULT_PREDICT_OPTIONS, ...options };
    requireFitted(this, "predict");
    checkMatrix(x, { inputDim: this.inputDim, action: `predict with "${this.family}"` });
    if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) {
      throw new RangeError(
        `Cannot predict with "${this.family}": chunkRows is ${chunkRows}, expected a positive integer`,
      );
    }
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new RangeError(
        `Cannot predict with "${this.family}": threads is ${threads}, expected a positive integer`,
      );
    }
    if (this.#forward !== null) {
      return predictOnThreads(this.#forward, x.data.subarray(0, x.rows * x.cols), x.rows, threads);
    }
    const network = this.#network();
    const classification = this.task === "classification";
    const width = this.#outputUnits();
    const d = x.cols;
    const out = new Float32Array(x.rows * width);
    // One tensor per chunk through the layers' forward pass and softmax: the kernels
    // `LayersModel.predict` runs, byte for byte, without its per-batch slice and concat, which
    // copy the chunk twice more (0.32 s against 0.47 s for 450k rows × 45 here). Small chunks
    // over one big tensor would be quadratic on wasm: every slice copies the whole input.
    for (let start = 0; start < x.rows; start += chunkRows) {
      const m = Math.min(x.rows, start + chunkRows) - start;
      tf.tidy(() => {
        const input = tf.tensor2d(x.data.subarray(start * d, (start + m) * d), [m, d]);
        const logits = networkForward(network, input);
        out.set((classification ? tf.softmax(logits) : logits).dataSync(), start * width);
      });
    }
    return out;
  }

  /**
   * Writes `model.json`, `weights.bin` and `params.json` into `dir` (created when missing).
   *
   * @param dir the model folder
   * @returns when all files are written
   * @throws {NotFittedError} before `fit` or `load`
   * @throws {ArtifactError} when a file cannot be written
   * @example
   * ```ts
   * await model.save(`${runDir}/model`);
   * ```
   */
  async save(dir: string): Promise<void> {
    requireFitted(this, "save");
    try {
      await this.#model!.save(fileSystemHandler(dir));
    } catch (cause) {
      if (cause instanceof ArtifactError) throw cause;
      throw new ArtifactError(`Cannot save model to "${dir}": tfjs failed to serialise it`, {
        cause,
      });
    }
    await writeModelParams(dir, this.#params());
  }

  /**
   * Returns a copy of the weights, layer by layer (kernel then bias).
   *
   * @returns one row-major array per weight
   * @throws {NotFittedError} before `fit` or `load`
   * @example
   * ```ts
   * const [kernel, bias] = model.getWeights(); // first layer
   * ```
   */
  getWeights(): Float32Array[] {
    requireFitted(this, "read the weights");
    return this.#variables().map((v) => v.dataSync().slice() as Float32Array);
  }

  /**
   * Describes the layers, their activations and parameter counts.
   *
   * @returns a multi-line text
   * @example
   * ```ts
   * console.log(model.summary());
   * ```
   */
  summary(): string {
    const { task, inputDim, classes, hiddenUnits, activation, dropout, l2 } = this.#spec;
    const target = task === "classification"
      ? `classification of ${classes.length} classes ${JSON.stringify(classes)}`
      : "regression";
    const lines = [
      `${this.constructor.name} (${this.family}): ${target}, ${inputDim} inputs, ` +
      `${this.#fitted ? "fitted" : "not fitted"}`,
      `${"layer".padEnd(12)}${"units".padStart(8)}  ${"activation".padEnd(12)}${
        "params".padStart(10)
      }`,
    ];
    let fanIn = inputDim;
    let total = 0;
    const layers = [
      ...hiddenUnits.map((units, i) => ({ name: `hidden_${i + 1}`, units, activation })),
      {
        name: "output",
        units: this.#outputUnits(),
        activation: task === "classification" ? "softmax" : "linear",
      },
    ];
    for (const layer of layers) {
      const params = fanIn * layer.units + layer.units;
      total += params;
      lines.push(
        `${layer.name.padEnd(12)}${String(layer.units).padStart(8)}  ${
          layer.activation.padEnd(12)
        }${String(params).padStart(10)}`,
      );
      fanIn = layer.units;
    }
    lines.push(`total params: ${total}; dropout ${dropout}; l2 ${l2}; seed ${this.#spec.seed}`);
    return lines.join("\n");
  }

  /**
   * Frees the network's tensors; the model is no longer fitted afterwards.
   *
   * @example
   * ```ts
   * model.dispose();
   * ```
   */
  dispose(): void {
    this.#release();
  }

  /**
   * Reads the tfjs files of `dir` into this (unfitted) model; used by each family's `load`.
   *
   * @param dir the model folder
   * @returns when the weights are loaded
   * @throws {ArtifactError} when a file is missing or corrupt, or does not match the spec
   */
  protected async restore(dir: string): Promise<void> {
    await ensureBackend();
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(fileSystemHandler(dir), { strict: true });
    } catch (cause) {
      if (cause instanceof ArtifactError) throw cause;
      throw new ArtifactError(
        `Cannot load model from "${dir}": tfjs could not rebuild it from "${dir}/${MODEL_FILES.topology}" ` +
          `(${(cause as Error).message}); re-save the model`,
        { cause },
      );
    }
    const dense = model.layers.filter((layer) => layer.getClassName() === "Dense");
    const expectedUnits = [...this.#spec.hiddenUnits, this.#outputUnits()];
    const foundUnits = dense.map((layer) => (layer.getConfig()["units"] as number));
    const inputShape = model.inputs[0]?.shape;
    if (
      inputShape?.[1] !== this.inputDim || foundUnits.length !== expectedUnits.length ||
      foundUnits.some((units, i) => units !== expectedUnits[i])
    ) {
      model.dispose();
      throw new ArtifactError(
        `Cannot load model from "${dir}": "${MODEL_FILES.topology}" has ${
          inputShape?.[1]
        } inputs and ` +
          `Dense units ${JSON.stringify(foundUnits)}, but "${MODEL_FILES.params}" describes ` +
          `${this.inputDim} inputs and units ${JSON.stringify(expectedUnits)}; re-save the model`,
      );
    }
    this.#release();
    this.#model = model;
    this.#dense = dense;
    this.#fitted = true;
    await this.#loadForwardKernels();
  }

  /**
   * What `predict` runs on: `"kernels"` (the WebAssembly forward kernels, weights packed once
   * after `fit` or `load`) or `"tfjs"` (tfjs ops, for activations the kernels do not cover:
   * elu, selu, softplus, swish).
   */
  get predictionEngine(): "kernels" | "tfjs" {
    return this.#forward === null ? "tfjs" : "kernels";
  }

  async #loadForwardKernels(): Promise<void> {
    const log = getLogger(["deno-mlops", "models"]);
    const { plan, unsupported } = planDenseNetwork(this.#model!);
    if (plan === null) {
      log.info(
        "The prediction kernels cannot run this model ({reason}); predicting with tfjs ops",
        {
          reason: unsupported,
        },
      );
      return;
    }
    try {
      this.#forward = await DenseForwardKernel.load(plan);
    } catch (error) {
      log.warn("The prediction kernels cannot start ({reason}); predicting with tfjs ops", {
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #outputUnits(): number {
    return this.#spec.task === "classification" ? this.#spec.classes.length : 1;
  }

  #build(): void {
    const { model, dense } = buildDenseLayers(this.family, this.#spec);
    this.#model = model;
    this.#dense = dense;
  }

  #initialiseWeights(): void {
    const rng = new Random(new Random(this.#spec.seed).derive("weights"));
    let fanIn = this.#spec.inputDim;
    for (const layer of this.#dense) {
      const units = layer.getConfig()["units"] as number;
      const limit = Math.sqrt(6 / (fanIn + units));
      const kernel = new Float32Array(fanIn * units);
      for (let i = 0; i < kernel.length; i++) kernel[i] = (2 * rng.next() - 1) * limit;
      const values = [tf.tensor2d(kernel, [fanIn, units]), tf.zeros([units])];
      layer.setWeights(values);
      tf.dispose(values);
      fanIn = units;
    }
  }

  #variables(): tf.Variable[] {
    return this.#dense.flatMap((layer) =>
      layer.trainableWeights.map((weight) => weight.read() as tf.Variable)
    );
  }

  #network(): TrainableNetwork {
    return denseTrainableNetwork(this.#spec, this.#dense);
  }

  #params(): ModelParams {
    return {
      format: "deno-mlops-model",
      version: MODEL_ARTIFACT_VERSION,
      family: this.family,
      task: this.task,
      inputDim: this.inputDim,
      classes: [...this.classes],
      seed: this.#spec.seed,
      config: this.toConfig(),
      state: null,
      tfjsVersion: tf.version.tfjs,
    };
  }

  #release(): void {
    this.#model?.dispose();
    this.#model = null;
    this.#dense = [];
    this.#fitted = false;
    this.#forward = null;
  }
}

/** Options of `MlpModel`. */
export interface MlpOptions {
  /** Classification or regression. */
  task: ModelTask;
  /** Number of feature columns. */
  inputDim: number;
  /**
   * Class names in label order (classification).
   * @default []
   */
  classes?: readonly string[];
  /**
   * Seed of the initial weights.
   * @default 42
   */
  seed?: number;
  /**
   * Units of each hidden layer.
   * @default [32, 16]
   */
  hiddenUnits?: readonly number[];
  /**
   * Activation of the hidden layers.
   * @default "relu"
   */
  activation?: Activation;
  /**
   * Dropout rate after each hidden layer (training only).
   * @default 0
   */
  dropout?: number;
  /**
   * L2 penalty on every kernel.
   * @default 0
   */
  l2?: number;
}

/** Defaults of `MlpOptions`, equal to the `model_config.yaml` defaults. */
export const DEFAULT_MLP_OPTIONS = {
  classes: [] as readonly string[],
  seed: 42,
  hiddenUnits: [32, 16] as readonly number[],
  activation: "relu" as Activation,
  dropout: 0,
  l2: 0,
};

/**
 * A multilayer perceptron: Dense hidden layers with an activation, dropout and L2, then a
 * softmax (classification) or linear (regression) output.
 *
 * @example
 * ```ts
 * const model = new MlpModel({ task: "classification", inputDim: 4, classes: ["a", "b", "c"], hiddenUnits: [16] });
 * await model.fit(x, y, { epochs: 20 });
 * ```
 */
export class MlpModel extends DenseNetworkModel {
  /**
   * @param options the network's shape, regularisation and seed
   * @throws {TypeError} for an unknown task or activation, or bad classes
   * @throws {RangeError} for a non-positive input width or units, or an out-of-range rate
   * @throws {DataValidationError} when a classifier has fewer than two classes
   */
  constructor(options: MlpOptions) {
    super("mlp", { ...DEFAULT_MLP_OPTIONS, ...options });
  }

  /** Always `"mlp"`. */
  get family(): "mlp" {
    return "mlp";
  }

  /**
   * Returns the `model` config that rebuilds this network.
   *
   * @returns `{ family: "mlp", params: { hidden_units, activation, dropout, l2 } }`
   * @example
   * ```ts
   * model.toConfig(); // { family: "mlp", params: { hidden_units: [32, 16], ... } }
   * ```
   */
  toConfig(): ModelConfig {
    const spec = this.spec;
    return {
      family: "mlp",
      params: {
        hidden_units: [...spec.hiddenUnits],
        activation: spec.activation,
        dropout: spec.dropout,
        l2: spec.l2,
      },
    };
  }

  /**
   * Loads an MLP saved with `save`.
   *
   * @param dir the model folder
   * @returns the fitted model, predicting exactly what the saved one did
   * @throws {ArtifactError} when a file is missing or corrupt, or the folder holds another family
   * @example
   * ```ts
   * const model = await MlpModel.load("models/production/model");
   * ```
   */
  static async load(dir: string): Promise<MlpModel> {
    const params = await readModelParams(dir, "mlp");
    const config = params.config;
    if (config.family !== "mlp") {
      throw familyMismatch(dir, { expected: "mlp", found: config.family });
    }
    const p = savedParams(dir, MLP_PARAMS, config.params);
    const model = modelFromParams(dir, "mlp", () =>
      new MlpModel({
        task: params.task,
        inputDim: params.inputDim,
        classes: params.classes,
        seed: params.seed,
        hiddenUnits: p.hidden_units,
        activation: p.activation,
        dropout: p.dropout,
        l2: p.l2,
      }));
    await model.restore(dir);
    return model;
  }
}
/**
 * Checks the `model.params` saved in `params.json` against the family's params schema.
 *
 * @param dir the model folder, for messages
 * @param schema the family's params schema
 * @param params the saved `config.params`
 * @returns the typed params
 * @throws {ArtifactError} when the saved params do not pass the schema
 * @example
 * ```ts
 * const p = savedParams(dir, MLP_PARAMS, params.config.params); // p.hidden_units: number[]
 * ```
 */
export function savedParams<T>(dir: string, schema: z.ZodType<T>, params: unknown): T {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) =>
    `config.params.${issue.path.join(".")}: ${issue.message}`
  );
  throw new ArtifactError(
    `Cannot load model from "${dir}": "${MODEL_FILES.params}" does not describe a valid model ` +
      `(${problems.join("; ")}); re-save the model`,
    { cause: result.error },
  );
}

/**
 * Returns the error for a `params.json` whose config names another family.
 *
 * @param dir the model folder
 * @param families the family being loaded and the one the config names
 * @returns the error to throw
 * @example
 * ```ts
 * if (config.family !== "mlp") throw familyMismatch(dir, { expected: "mlp", found: config.family });
 * ```
 */
export function familyMismatch(
  dir: string,
  families: { expected: string; found: string },
): ArtifactError {
  const { expected, found } = families;
  return new ArtifactError(
    `Cannot load model from "${dir}" as "${expected}": "${MODEL_FILES.params}" holds a "${found}" model; ` +
      `use loadModel() to pick the family automatically`,
  );
}

/**
 * Returns the dropout mask of one batch: `0` with probability `rate`, else `1 / (1 - rate)`.
 *
 * @param rng the fit's dropout stream
 * @param shape `[rows, units]`
 * @param rate the dropout rate
 * @returns a mask tensor (owned by the caller's `tf.tidy`)
 */
/**
 * Builds the tfjs layers of a dense network, weights zeroed: hidden Dense layers, a linear
 * output layer, and softmax for classifiers. The model classes and the training threads of
 * `trainNetwork` build their copies with it.
 *
 * @param name the model's name in tfjs (the family)
 * @param spec the network's shape
 * @returns the sequential model and its Dense layers in order
 * @example
 * ```ts
 * const { model, dense } = buildDenseLayers("mlp", spec);
 * ```
 */
export function buildDenseLayers(
  name: string,
  spec: DenseNetworkSpec,
): { model: tf.LayersModel; dense: tf.layers.Layer[] } {
  const { inputDim, hiddenUnits, activation, l2, task } = spec;
  const outputUnits = task === "classification" ? spec.classes.length : 1;
  const layers: tf.layers.Layer[] = [];
  const regularizer = l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {};
  hiddenUnits.forEach((units, i) => {
    layers.push(tf.layers.dense({
      units,
      activation,
      name: `hidden_${i + 1}`,
      kernelInitializer: "zeros",
      ...(i === 0 ? { inputShape: [inputDim] } : {}),
      ...regularizer,
    }));
  });
  layers.push(tf.layers.dense({
    units: outputUnits,
    activation: "linear",
    name: "output",
    kernelInitializer: "zeros",
    ...(hiddenUnits.length === 0 ? { inputShape: [inputDim] } : {}),
    ...regularizer,
  }));
  const dense = [...layers];
  if (task === "classification") {
    layers.push(tf.layers.activation({ activation: "softmax", name: "probabilities" }));
  }
  return { model: tf.sequential({ layers, name }), dense };
}

/**
 * Describes Dense layers built by `buildDenseLayers` as the network `trainNetwork` trains.
 *
 * @param spec the network's shape (its `activation`, `dropout` and `l2` are used here)
 * @param dense the Dense layers, hidden then output
 * @returns the trainable network, with `spec` as its replica for training threads
 * @example
 * ```ts
 * await trainNetwork(denseTrainableNetwork(spec, dense), { x, y });
 * ```
 */
export function denseTrainableNetwork(
  spec: DenseNetworkSpec,
  dense: readonly tf.layers.Layer[],
): TrainableNetwork {
  const layers = dense.map((layer) => {
    const [kernel, bias] = layer.trainableWeights.map((weight) => weight.read() as tf.Variable);
    return { kernel: kernel!, bias: bias! };
  });
  return {
    task: spec.task,
    layers,
    activation: spec.activation,
    l2: spec.l2,
    variables: layers.flatMap(({ kernel, bias }) => [kernel, bias]),
    dropout: { rate: spec.dropout, units: [...spec.hiddenUnits] },
    replica: { ...spec, classes: [...spec.classes], hiddenUnits: [...spec.hiddenUnits] },
  };
}

function checkNetworkSpec(family: ModelFamily, spec: DenseNetworkSpec): void {
  if (!Number.isSafeInteger(spec.seed)) {
    throw new RangeError(
      `Cannot create "${family}" model: seed is ${spec.seed}, expected an integer; set training.seed`,
    );
  }
  spec.hiddenUnits.forEach((units, i) => {
    if (!Number.isSafeInteger(units) || units < 1) {
      throw new RangeError(
        `Cannot create "${family}" model: hidden_units[${i}] is ${units}, expected a positive integer; ` +
          `set model.params.hidden_units`,
      );
    }
  });
  if (!ACTIVATIONS.includes(spec.activation)) {
    throw new TypeError(
      `Cannot create "${family}" model: unknown activation "${spec.activation}", expected one of ` +
        `${JSON.stringify(ACTIVATIONS)}; set model.params.activation`,
    );
  }
  if (!(spec.dropout >= 0 && spec.dropout < 1)) {
    throw new RangeError(
      `Cannot create "${family}" model: dropout is ${spec.dropout}, expected a rate in [0, 1); ` +
        `set model.params.dropout`,
    );
  }
  if (!(spec.l2 >= 0) || !Number.isFinite(spec.l2)) {
    throw new RangeError(
      `Cannot create "${family}" model: l2 is ${spec.l2}, expected a number >= 0; set model.params.l2`,
    );
  }
}

function emptyTrainingError(family: string): DataValidationError {
  return new DataValidationError(
    `Cannot fit "${family}": the training split has no rows; check the data and split.ratios`,
    [{
      column: null,
      rule: "min_rows",
      count: 0,
      message: "expected at least 1 training row",
      examples: [],
      rows: [],
    }],
  );
}
