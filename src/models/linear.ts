/**
 * The linear family: softmax (multinomial logistic) regression for classification and linear
 * regression, as one tfjs Dense layer with an L2 penalty.
 *
 * @module
 */
import { z } from "zod";
import type { ModelConfig } from "../config/schema.ts";
import type { ModelTask } from "./base_model.ts";
import { modelFromParams, readModelParams } from "./storage.ts";
import { DenseNetworkModel, familyMismatch, savedParams } from "./mlp.ts";

/** `model.params` of the `linear` family, with the `model_config.yaml` defaults. */
export const LINEAR_PARAMS = z.strictObject({ l2: z.number().min(0).default(0) });

/** The checked `model.params` of the `linear` family. */
export type LinearParams = z.infer<typeof LINEAR_PARAMS>;

/** Options of `LinearModel`. */
export interface LinearOptions {
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
   * L2 penalty on the weights: `l2 · Σ w²` is added to the loss.
   * @default 0
   */
  l2?: number;
}

/** Defaults of `LinearOptions`, equal to the `model_config.yaml` defaults. */
export const DEFAULT_LINEAR_OPTIONS = {
  classes: [] as readonly string[],
  seed: 42,
  l2: 0,
};

/**
 * Softmax regression (classification; two softmax outputs for a binary task) or linear
 * regression: a single Dense layer trained by the project's loop.
 *
 * @example
 * ```ts
 * const model = new LinearModel({ task: "regression", inputDim: 3, l2: 0.001 });
 * await model.fit(x, { kind: "regression", values }, { epochs: 100, learningRate: 0.05 });
 * ```
 */
export class LinearModel extends DenseNetworkModel {
  /**
   * @param options the input width, classes, L2 penalty and seed
   * @throws {TypeError} for an unknown task or bad classes
   * @throws {RangeError} for a non-positive input width or a negative `l2`
   * @throws {DataValidationError} when a classifier has fewer than two classes
   */
  constructor(options: LinearOptions) {
    const { task, inputDim, classes, seed, l2 } = { ...DEFAULT_LINEAR_OPTIONS, ...options };
    super("linear", {
      task,
      inputDim,
      classes,
      seed,
      l2,
      hiddenUnits: [],
      activation: "relu",
      dropout: 0,
    });
  }

  /** Always `"linear"`. */
  get family(): "linear" {
    return "linear";
  }

  /**
   * Returns the `model` config that rebuilds this model.
   *
   * @returns `{ family: "linear", params: { l2 } }`
   * @example
   * ```ts
   * model.toConfig(); // { family: "linear", params: { l2: 0.001 } }
   * ```
   */
  toConfig(): ModelConfig {
    return { family: "linear", params: { l2: this.spec.l2 } };
  }

  /**
   * Loads a linear model saved with `save`.
   *
   * @param dir the model folder
   * @returns the fitted model, predicting exactly what the saved one did
   * @throws {ArtifactError} when a file is missing or corrupt, or the folder holds another family
   * @example
   * ```ts
   * const model = await LinearModel.load("models/production/model");
   * ```
   */
  static async load(dir: string): Promise<LinearModel> {
    const params = await readModelParams(dir, "linear");
    const config = params.config;
    if (config.family !== "linear") {
      throw familyMismatch(dir, { expected: "linear", found: config.family });
    }
    const model = modelFromParams(dir, "linear", () =>
      new LinearModel({
        task: params.task,
        inputDim: params.inputDim,
        classes: params.classes,
        seed: params.seed,
        l2: savedParams(dir, LINEAR_PARAMS, config.params).l2,
      }));
    await model.restore(dir);
    return model;
  }
}
