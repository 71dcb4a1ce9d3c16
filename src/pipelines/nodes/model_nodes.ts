/**
 * The model nodes: train (create the configured model and fit it on train, early stopping on
 * validation) and evaluate (the model and the baseline on every split). `fitModel` and
 * `evaluateSplits` are the one "create → fit → evaluate" that training, cross-validation and
 * the notebooks share.
 *
 * @module
 */
import type { Config } from "../../config/mod.ts";
import { createModel, evaluateModel, fitOptionsFromConfig, initBackend } from "../../models/mod.ts";
import type { BaseModel, TrainingCallbacks, TrainingHistory } from "../../models/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import type { FittedFeatures, RunMetrics } from "./datasets.ts";
import { configSlice, defineNode } from "./node.ts";

/** Options of {@link fitModel}. */
export interface FitModelOptions {
  /** Hooks into the training loop. @default none */
  callbacks?: TrainingCallbacks;
  /** Stops training between batches. @default none */
  signal?: AbortSignal;
  /** Where the backend choice is logged. @default none */
  logger?: Logger;
}

/**
 * Creates a model of `model.family` for the features and fits it on their training split,
 * early stopping on the validation split when it has rows.
 *
 * @param features the fitted features (matrices and targets)
 * @param config the resolved config (`model`, `training`, `data.task`)
 * @param options hooks, abort signal and logger
 * @returns the fitted model (the caller disposes it) and its history
 * @throws {TrainingDivergedError} when the loss becomes NaN or infinite
 * @example
 * ```ts
 * const { model, history } = await fitModel(fitFeatures(data, config), config);
 * ```
 */
export async function fitModel(
  features: FittedFeatures,
  config: Pick<Config, "model" | "training" | "data">,
  options: FitModelOptions = {},
): Promise<{ model: BaseModel; history: TrainingHistory }> {
  await initBackend(config.training.backend, options.logger ? { logger: options.logger } : {});
  const model = createFittableModel(features, config.model, config);
  try {
    const history = await model.fit(features.x.train, features.y.train, {
      ...fitOptionsFromConfig(config.training, features.y.train),
      ...(features.x.val.rows > 0 ? { validation: { x: features.x.val, y: features.y.val } } : {}),
      ...(options.callbacks ? { callbacks: options.callbacks } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { model, history };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Scores a fitted model on every split of the features (validation only when it has rows).
 *
 * @param model a fitted model
 * @param features the fitted features
 * @returns train, validation and test metrics
 * @example
 * ```ts
 * const metrics = evaluateSplits(model, features); // metrics.test.accuracy
 * ```
 */
export function evaluateSplits(model: BaseModel, features: FittedFeatures): RunMetrics {
  return {
    train: evaluateModel(model, features.x.train, features.y.train),
    val: features.x.val.rows > 0 ? evaluateModel(model, features.x.val, features.y.val) : null,
    test: evaluateModel(model, features.x.test, features.y.test),
  };
}

function createFittableModel(
  features: FittedFeatures,
  model: Config["model"],
  config: Pick<Config, "training" | "data">,
): BaseModel {
  const classes = features.y.train.kind === "classification" ? features.y.train.classes : [];
  const codes = new Set(features.pipeline.categoryCodeFeatures());
  return createModel(model, {
    task: config.data.task,
    inputDim: features.names.length,
    classes,
    seed: config.training.seed,
    categorical: features.names.flatMap((name, i) => codes.has(name) ? [i] : []),
  });
}

/** Trains the configured model on the training matrix. */
export const TRAIN_NODE = defineNode({
  name: "train",
  description: "create the configured model and fit it (early stopping on validation)",
  stage: "train",
  inputs: ["features"],
  outputs: ["model", "history"],
  code: ["models", "utils", "config"],
  cached: false,
  config: (config) => configSlice(config, ["data.task", "model", "training"]),
  async run({ features }, { config, logger, callbacks, signal }) {
    logger.info("Training {family} on {rows} rows × {cols} features", {
      family: config.model.family,
      rows: features.x.train.rows,
      cols: features.names.length,
    });
    return await fitModel(features, config, {
      logger,
      ...(callbacks ? { callbacks } : {}),
      ...(signal ? { signal } : {}),
    });
  },
});

/** Scores the model and a baseline fitted on the same training split. */
export const EVALUATE_NODE = defineNode({
  name: "evaluate",
  description: "metrics of the model and of the baseline on every split",
  stage: "evaluate",
  inputs: ["model", "features"],
  outputs: ["evaluation"],
  code: ["models", "utils"],
  cached: false,
  config: (config) => configSlice(config, ["data.task", "training"]),
  async run({ model, features }, { config }) {
    const metrics = evaluateSplits(model, features);
    const baselineModel = createFittableModel(features, { family: "baseline", params: {} }, config);
    try {
      await baselineModel.fit(
        features.x.train,
        features.y.train,
        fitOptionsFromConfig(config.training, features.y.train),
      );
      return { evaluation: { model: metrics, baseline: evaluateSplits(baselineModel, features) } };
    } finally {
      baselineModel.dispose();
    }
  },
});
