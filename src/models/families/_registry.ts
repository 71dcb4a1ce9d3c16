/**
 * The model family registry: maps each `model.family` name to its params schema, its
 * constructor and its loader, so a config or a saved model folder turns into a model.
 *
 * Registering a family also registers its params schema with the config layer, so config
 * loading checks `model.params.*` by family and reports each problem at its key path.
 *
 * @module
 */
import type { z } from "zod";
import { ConfigError, didYouMean } from "../../errors.ts";
import { registerModelParams } from "../../config/schema.ts";
import type { BaseModel, ModelTask } from "../base_model.ts";

/** What a family's `create` receives besides its params; every field resolved. */
export interface ModelFamilyOptions {
  /** Classification or regression (`data.task`). */
  task: ModelTask;
  /** Number of feature columns after the feature pipeline. */
  inputDim: number;
  /** Class names in label order (classification); empty for regression. */
  classes: readonly string[];
  /** Seed of the initial weights (`training.seed`). */
  seed: number;
  /** The columns that hold category codes; families without categorical splits ignore it. */
  categorical: readonly number[];
}

/**
 * A model family: its name, the schema of its `model.params`, how to build an unfitted model
 * from checked params, and how to load a saved one.
 *
 * @typeParam P the checked params, as the schema outputs them
 */
export interface ModelFamilyEntry<P = unknown> {
  /** The name written as `model.family` and in `params.json`, e.g. `"mlp"`. */
  readonly name: string;
  /** Checks and defaults `model.params`; keys are snake_case as in YAML. */
  readonly params: z.ZodType<P>;
  /**
   * Builds an unfitted model.
   *
   * @param params the params, already checked by `params`
   * @param options the task, input width, classes and seed
   */
  create(params: P, options: ModelFamilyOptions): BaseModel;
  /**
   * Loads a model of this family saved with `save`.
   *
   * @param dir the model folder
   */
  load(dir: string): Promise<BaseModel>;
}

/** A registered family, with its params type erased. */
// deno-lint-ignore no-explicit-any
type AnyModelFamily = ModelFamilyEntry<any>;

const FAMILIES = new Map<string, AnyModelFamily>();

/**
 * Adds a model family, so `createModel`, `loadModel` and config loading know it. A family is
 * one file exporting its entry plus one call of this function.
 *
 * @param family the family entry
 * @throws {TypeError} when the name is empty or a family of that name is already registered
 * @example
 * ```ts
 * registerModelFamily({
 *   name: "constant",
 *   params: z.strictObject({ value: z.number().default(0) }),
 *   create: (params, options) => new ConstantModel({ ...options, ...params }),
 *   load: (dir) => ConstantModel.load(dir),
 * });
 * ```
 */
export function registerModelFamily<P>(family: ModelFamilyEntry<P>): void {
  const name = family.name;
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(
      `Cannot register model family: its name is ${
        JSON.stringify(name)
      }, expected a non-empty string`,
    );
  }
  if (FAMILIES.has(name)) {
    throw new TypeError(
      `Cannot register model family "${name}": a family of that name is already registered ` +
        `(known: ${JSON.stringify(modelFamilyNames())}); choose another name`,
    );
  }
  registerModelParams(name, family.params);
  FAMILIES.set(name, family);
}

/**
 * Returns the registered family of that name.
 *
 * @param name the family name, as in `model.family`
 * @returns the family entry
 * @throws {ConfigError} for an unknown name, with the closest known name and the full list
 * @example
 * ```ts
 * const entry = modelFamily("mlp");
 * const model = entry.create(entry.params.parse({}), { task: "regression", inputDim: 3, classes: [], seed: 42 });
 * ```
 */
export function modelFamily(name: string): AnyModelFamily {
  const family = FAMILIES.get(name);
  if (family === undefined) {
    const known = modelFamilyNames();
    const message = `unknown family ${JSON.stringify(name)}${
      didYouMean(String(name), known)
    } (known: ${JSON.stringify(known)})`;
    throw new ConfigError(`Cannot create model: model.family: ${message}; set model.family`, [
      { file: "", line: 0, column: 0, path: "model.family", message },
    ]);
  }
  return family;
}

/**
 * Whether a family of that name is registered.
 *
 * @param name the family name
 * @returns true when `modelFamily(name)` would succeed
 * @example
 * ```ts
 * hasModelFamily("mlp"); // true
 * ```
 */
export function hasModelFamily(name: string): boolean {
  return FAMILIES.has(name);
}

/**
 * The registered family names, in registration order.
 *
 * @returns the names
 * @example
 * ```ts
 * modelFamilyNames(); // ["mlp", "linear", "baseline"]
 * ```
 */
export function modelFamilyNames(): string[] {
  return [...FAMILIES.keys()];
}
