/**
 * Builds a model from the `model` config, and loads a saved model of any family, through the
 * model family registry (`families/`).
 *
 * Kept apart from `base_model.ts` so that the families can import the base class without an
 * import cycle.
 *
 * @module
 */
import type { z } from "zod";
import type { ModelConfig } from "../config/schema.ts";
import { ConfigError } from "../errors.ts";
import type { ConfigIssue } from "../errors.ts";
import type { BaseModel, ModelTask } from "./base_model.ts";
import { modelFamily } from "./families/mod.ts";
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
  /**
   * The feature columns that hold category codes (`FeaturePipeline.categoryCodeFeatures()`, as
   * indexes); `gbdt` splits them by sets of categories, the other families read them as numbers.
   * @default []
   */
  categorical?: readonly number[];
}

/** Defaults of `CreateModelOptions`. */
export const DEFAULT_CREATE_MODEL_OPTIONS = {
  classes: [] as readonly string[],
  seed: 42,
  categorical: [] as readonly number[],
};

/**
 * Builds an unfitted model of the family that `config.family` names, checking and defaulting
 * `config.params` with that family's params schema.
 *
 * @param config `config.model`
 * @param options the task, input width, classes and seed
 * @returns a model of the registered family (`MlpModel`, `LinearModel`, `BaselineModel`, ...)
 * @throws {ConfigError} for an unknown family (with the closest known name) or params the
 *   family's schema refuses; each issue names its key path, e.g. `model.params.dropout`
 * @throws {TypeError} for an unknown task or bad classes
 * @throws {RangeError} for a non-positive input width or out-of-range parameters
 * @throws {DataValidationError} when a classifier has fewer than two classes
 * @example
 * ```ts
 * const model = createModel(config.model, { task: "classification", inputDim: x.cols, classes, seed: config.training.seed });
 * ```
 */
export function createModel(config: ModelConfig, options: CreateModelOptions): BaseModel {
  const { task, inputDim, classes, seed, categorical } = {
    ...DEFAULT_CREATE_MODEL_OPTIONS,
    ...options,
  };
  const family = modelFamily(config.family);
  const result = family.params.safeParse(config.params ?? {});
  if (!result.success) throw paramsError(config.family, result.error.issues);
  return family.create(result.data, { task, inputDim, classes, seed, categorical });
}

/**
 * Loads a model saved with `save`, of whichever family its `params.json` names.
 *
 * @param dir the model folder
 * @returns the fitted model
 * @throws {ArtifactError} when a file is missing, unreadable or corrupt, or names a family that
 *   is not registered
 * @example
 * ```ts
 * const model = await loadModel("models/production/model");
 * model.predict(x);
 * ```
 */
export async function loadModel(dir: string): Promise<BaseModel> {
  const params = await readModelParams(dir);
  return await modelFamily(params.family).load(dir);
}

function paramsError(family: string, zodIssues: readonly z.core.$ZodIssue[]): ConfigError {
  const issues: ConfigIssue[] = zodIssues.map((issue) => {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [null];
    return keys.map((key) => ({
      file: "",
      line: 0,
      column: 0,
      path: paramsPath(key === null ? issue.path : [...issue.path, key]),
      message: key === null ? lowerFirst(issue.message) : `unknown key ${JSON.stringify(key)}`,
    }));
  }).flat();
  return new ConfigError(
    `Cannot create "${family}" model: ${
      issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
    }; fix model.params`,
    issues,
  );
}

function paramsPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) => typeof key === "number" ? `${at}[${key}]` : `${at}.${String(key)}`,
    "model.params",
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
