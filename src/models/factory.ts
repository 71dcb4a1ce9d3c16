/**
 * Builds a model from the `model` config, and loads a saved model of any family.
 *
 * Kept apart from `base_model.ts` so that the families can import the base class without an
 * import cycle.
 *
 * @module
 */
import type { ModelConfig } from "../config/schema.ts";
import type { BaseModel, ModelTask } from "./base_model.ts";
import { BaselineModel } from "./baseline.ts";
import { LinearModel } from "./linear.ts";
import { MlpModel } from "./mlp.ts";
import { readModelParams } from "./storage.ts";

/** What `createModel` needs besides the config. */
export interface CreateModelOptions {
  /** Classification or regression (`data.task`). */
  task: ModelTask;
  /** Number of feature columns after the feature pipeline. */
  inputDim: number;
  /**
   * Class names in label order (classification).
   * @default []
   */
  classes?: readonly string[];
  /**
   * Seed of the initial weights (`training.seed`).
   * @default 42
   */
  seed?: number;
}

/** Defaults of `CreateModelOptions`. */
export const DEFAULT_CREATE_MODEL_OPTIONS = { classes: [] as readonly string[], seed: 42 };

/**
 * Builds an unfitted model of the family that `config.family` names.
 *
 * @param config `config.model`
 * @param options the task, input width, classes and seed
 * @returns an `MlpModel`, `LinearModel` or `BaselineModel`
 * @throws {TypeError} for an unknown family or task, or bad classes
 * @throws {RangeError} for a non-positive input width or out-of-range parameters
 * @throws {DataValidationError} when a classifier has fewer than two classes
 * @example
 * ```ts
 * const model = createModel(config.model, { task: "classification", inputDim: x.cols, classes, seed: config.training.seed });
 * ```
 */
export function createModel(config: ModelConfig, options: CreateModelOptions): BaseModel {
  const { task, inputDim, classes, seed } = { ...DEFAULT_CREATE_MODEL_OPTIONS, ...options };
  switch (config.family) {
    case "mlp":
      return new MlpModel({
        task,
        inputDim,
        classes,
        seed,
        hiddenUnits: config.params.hidden_units,
        activation: config.params.activation,
        dropout: config.params.dropout,
        l2: config.params.l2,
      });
    case "linear":
      return new LinearModel({ task, inputDim, classes, seed, l2: config.params.l2 });
    case "baseline":
      return new BaselineModel({ task, inputDim, classes });
    default:
      throw new TypeError(
        `Cannot create model: unknown family "${(config as { family: unknown }).family}", ` +
          `expected "mlp", "linear" or "baseline"; set model.family`,
      );
  }
}

/**
 * Loads a model saved with `save`, of whichever family its `params.json` names.
 *
 * @param dir the model folder
 * @returns the fitted model
 * @throws {ArtifactError} when a file is missing, unreadable or corrupt
 * @example
 * ```ts
 * const model = await loadModel("models/production/model");
 * model.predict(x);
 * ```
 */
export async function loadModel(dir: string): Promise<BaseModel> {
  const params = await readModelParams(dir);
  switch (params.family) {
    case "mlp":
      return await MlpModel.load(dir);
    case "linear":
      return await LinearModel.load(dir);
    case "baseline":
      return await BaselineModel.load(dir);
  }
}
