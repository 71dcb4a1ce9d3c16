/**
 * Model files on disk: a tfjs IO handler on Deno file APIs (`model.json` + `weights.bin`) and
 * our own `params.json` beside them (family, task, classes, input width, config).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { ArtifactError } from "../errors.ts";
import { ModelConfigSchema } from "../config/schema.ts";
import type { ModelConfig } from "../config/schema.ts";
import type { ModelFamily, ModelTask } from "./_model_types.ts";
import { hasModelFamily, modelFamilyNames } from "./families/_registry.ts";

/** Version of the model folder layout written by this code. */
export const MODEL_ARTIFACT_VERSION = 1;

/** The file names inside a model folder. */
export const MODEL_FILES = {
  /** tfjs model topology and weights manifest. */
  topology: "model.json",
  /** tfjs weights, one binary file. */
  weights: "weights.bin",
  /** Our description of the model: see `ModelParams`. */
  params: "params.json",
} as const;

/** What `params.json` holds. */
export interface ModelParams {
  /** Always `"deno-mlops-model"`. */
  format: "deno-mlops-model";
  /** `MODEL_ARTIFACT_VERSION` at save time. */
  version: number;
  /** The family that reads the folder back. */
  family: ModelFamily;
  /** Classification or regression. */
  task: ModelTask;
  /** Number of feature columns. */
  inputDim: number;
  /** Class names in label order; empty for regression. */
  classes: string[];
  /** The seed the weights were initialised from. */
  seed: number;
  /** The `model` config the model was built from. */
  config: ModelConfig;
  /** Family-specific fitted state (the baseline's priors or mean), `null` for tfjs families. */
  state: unknown;
  /** tfjs version of the writer, for the record. */
  tfjsVersion: string;
}

const ModelParamsSchema = z.strictObject({
  format: z.literal("deno-mlops-model"),
  version: z.int().positive(),
  family: z.string().refine(hasModelFamily, {
    error: (issue) =>
      `unknown model family ${JSON.stringify(issue.input)} (known: ${
        JSON.stringify(modelFamilyNames())
      })`,
  }),
  task: z.enum(["classification", "regression"]),
  inputDim: z.int().positive(),
  classes: z.array(z.string()),
  seed: z.int(),
  config: ModelConfigSchema,
  state: z.unknown(),
  tfjsVersion: z.string(),
});

/**
 * Returns a tfjs IO handler that saves to and loads from `dir` with Deno file APIs.
 *
 * `save` writes `weights.bin` then `model.json` (topology and weights manifest) into `dir`,
 * creating it when missing. `load` reads them back and checks that each weights file holds
 * exactly the bytes its manifest describes.
 *
 * @param dir the model folder
 * @returns the handler, for `model.save(handler)` and `tf.loadLayersModel(handler)`
 * @example
 * ```ts
 * await model.save(fileSystemHandler("models/experiments/run-1/model"));
 * const loaded = await tf.loadLayersModel(fileSystemHandler("models/experiments/run-1/model"));
 * ```
 */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return { save, load };

  async function save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
      throw new ArtifactError(
        `Cannot save model to "${dir}": expected a JSON model topology, found ${
          artifacts.modelTopology === undefined ? "none" : "a binary one"
        }`,
      );
    }
    const weightData = artifacts.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.concatenateArrayBuffers(artifacts.weightData);
    const manifest: tf.io.WeightsManifestConfig = [{
      paths: [MODEL_FILES.weights],
      weights: artifacts.weightSpecs ?? [],
    }];
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology,
      weightsManifest: manifest,
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: artifacts.convertedBy ?? null,
    };
    if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
    if (artifacts.userDefinedMetadata !== undefined) {
      modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
    }
    await makeDirectory(dir);
    await writeBytes(join(dir, MODEL_FILES.weights), new Uint8Array(weightData), dir);
    await writeText(join(dir, MODEL_FILES.topology), `${JSON.stringify(modelJson)}\n`, dir);
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async function load(): Promise<tf.io.ModelArtifacts> {
    const modelJson = await readJson(dir, MODEL_FILES.topology) as Partial<tf.io.ModelJSON>;
    const topologyFile = join(dir, MODEL_FILES.topology);
    if (
      typeof modelJson !== "object" || modelJson === null ||
      typeof modelJson.modelTopology !== "object" || modelJson.modelTopology === null ||
      !Array.isArray(modelJson.weightsManifest)
    ) {
      throw new ArtifactError(
        `Cannot load model from "${dir}": "${topologyFile}" has no "modelTopology" object or ` +
          `no "weightsManifest" list; it is not a tfjs layers model, re-save the model`,
      );
    }
    const buffers: Uint8Array[] = [];
    const specs: tf.io.WeightsManifestEntry[] = [];
    for (const group of modelJson.weightsManifest) {
      if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
        throw new ArtifactError(
          `Cannot load model from "${dir}": a "weightsManifest" entry in "${topologyFile}" has no ` +
            `"paths" or "weights" list; re-save the model`,
        );
      }
      const expected = group.weights.reduce(
        (sum, spec) => sum + weightBytes(spec, topologyFile),
        0,
      );
      let found = 0;
      const files: string[] = [];
      for (const path of group.paths) {
        const file = join(dir, checkWeightPath(path, topologyFile));
        const bytes = await readBytes(file, dir);
        buffers.push(bytes);
        files.push(file);
        found += bytes.byteLength;
      }
      if (found !== expected) {
        throw new ArtifactError(
          `Cannot load model from "${dir}": ${files.map((f) => `"${f}"`).join(", ")} hold ` +
            `${found} bytes, the weights manifest in "${topologyFile}" expects ${expected}; ` +
            `the weights are truncated or belong to another model, re-save the model`,
        );
      }
      specs.push(...group.weights);
    }
    const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const weightData = new Uint8Array(total);
    let offset = 0;
    for (const bytes of buffers) {
      weightData.set(bytes, offset);
      offset += bytes.byteLength;
    }
    return tf.io.getModelArtifactsForJSONSync(
      modelJson as tf.io.ModelJSON,
      specs,
      weightData.buffer,
    );
  }
}

/**
 * Writes `params.json` into `dir` (created when missing).
 *
 * @param dir the model folder
 * @param params what to write
 * @returns when the file is written
 * @throws {ArtifactError} when the file cannot be written
 * @example
 * ```ts
 * await writeModelParams(dir, { format: "deno-mlops-model", version: 1, family: "baseline", ... });
 * ```
 */
export async function writeModelParams(dir: string, params: ModelParams): Promise<void> {
  await makeDirectory(dir);
  await writeText(join(dir, MODEL_FILES.params), `${JSON.stringify(params, null, 2)}\n`, dir);
}

/**
 * Reads and checks `params.json` from `dir`.
 *
 * @param dir the model folder
 * @param family the family expected, or `null` to accept any
 * @returns the parameters
 * @throws {ArtifactError} when the file is missing, is not JSON, has the wrong shape, was
 *   written by a newer version, or describes another family
 * @example
 * ```ts
 * const params = await readModelParams("models/production/model"); // { family: "mlp", ... }
 * ```
 */
export async function readModelParams(
  dir: string,
  family: ModelFamily | null = null,
): Promise<ModelParams> {
  const file = join(dir, MODEL_FILES.params);
  const raw = await readJson(dir, MODEL_FILES.params);
  const parsed = ModelParamsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((issue) =>
      `${issue.path.join(".") || "(root)"}: ${issue.message}`
    );
    throw new ArtifactError(
      `Cannot load model from "${dir}": "${file}" is not a deno-mlops model description ` +
        `(${problems.join("; ")}); re-save the model`,
      { cause: parsed.error },
    );
  }
  const params = parsed.data as ModelParams;
  if (params.version > MODEL_ARTIFACT_VERSION) {
    throw new ArtifactError(
      `Cannot load model from "${dir}": "${file}" has version ${params.version}, this code reads ` +
        `up to ${MODEL_ARTIFACT_VERSION}; upgrade deno-mlops`,
    );
  }
  if (params.config.family !== params.family) {
    throw new ArtifactError(
      `Cannot load model from "${dir}": "${file}" says family "${params.family}" but its config ` +
        `says "${params.config.family}"; re-save the model`,
    );
  }
  if (family !== null && params.family !== family) {
    throw new ArtifactError(
      `Cannot load model from "${dir}" as "${family}": "${file}" holds a "${params.family}" model; ` +
        `use loadModel() to pick the family automatically`,
    );
  }
  return params;
}

/**
 * Builds a model from a checked `params.json`, turning what its constructor refuses (a bad task,
 * classes or params) into an `ArtifactError` that names the family and asks for a re-save; a
 * params schema's issues are named at their `config.params.*` path.
 *
 * @param dir the model folder, for messages
 * @param family the family being loaded
 * @param construct builds the model from the saved description
 * @returns the model
 * @throws {ArtifactError} when the constructor throws
 * @example
 * ```ts
 * const model = modelFromParams(dir, "gbdt", () => new GbdtModel({ task, inputDim, params }));
 * ```
 */
export function modelFromParams<M>(dir: string, family: ModelFamily, construct: () => M): M {
  try {
    return construct();
  } catch (cause) {
    // A constructor's ZodError is about its params: name each one at its params.json path.
    const detail = cause instanceof z.ZodError
      ? cause.issues.slice(0, 3).map((issue) =>
        `config.params.${issue.path.join(".")}: ${issue.message}`
      ).join("; ")
      : (cause as Error).message;
    throw new ArtifactError(
      `Cannot load model from "${dir}": "${MODEL_FILES.params}" does not describe a valid ` +
        `${family} model (${detail}); re-save the model`,
      { cause },
    );
  }
}

/**
 * Returns the error for a family's fitted `state` in `params.json` that does not pass its check.
 *
 * @param dir the model folder
 * @param detail what is wrong, e.g. `"priors" must list 3 probabilities`
 * @returns the error to throw
 * @example
 * ```ts
 * throw corruptModelState(dir, `"mean" must be a finite number`);
 * ```
 */
export function corruptModelState(dir: string, detail: string): ArtifactError {
  return new ArtifactError(
    `Cannot load model from "${dir}": the "state" in "${MODEL_FILES.params}" is corrupt: ${detail}; ` +
      `re-save the model`,
  );
}

/**
 * Reads a family's own binary file (such as `trees.bin`) from a model folder.
 *
 * @param dir the model folder
 * @param name the file name inside it
 * @returns the bytes
 * @throws {ArtifactError} when the file does not exist or cannot be read
 * @example
 * ```ts
 * const bytes = await readModelFile(dir, "trees.bin");
 * ```
 */
export async function readModelFile(dir: string, name: string): Promise<Uint8Array> {
  return await readBytes(join(dir, name), dir);
}

/**
 * Decodes a family's own file, turning what the decoder refuses into an `ArtifactError` that
 * names the file and asks for a re-save.
 *
 * @param dir the model folder
 * @param name the file name inside it, for messages
 * @param decode decodes the bytes already read, throwing on anything invalid
 * @returns what `decode` returns
 * @throws {ArtifactError} when `decode` throws
 * @example
 * ```ts
 * const trees = decodeModelFile(dir, "trees.bin", () => decodeTrees(bytes, nodes, inputDim));
 * ```
 */
export function decodeModelFile<T>(dir: string, name: string, decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw new ArtifactError(
      `Cannot load model from "${dir}": "${name}" is corrupt: ${
        (cause as Error).message
      }; re-save the model`,
      { cause },
    );
  }
}

// ---------------------------------------------------------------- file helpers

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

function checkWeightPath(path: string, topologyFile: string): string {
  if (path === "" || path.includes("/") || path.includes("\\") || path === "." || path === "..") {
    throw new ArtifactError(
      `Cannot load model: "${topologyFile}" lists weights file "${path}"; expected a file name ` +
        `inside the model folder, re-save the model`,
    );
  }
  return path;
}

function weightBytes(spec: tf.io.WeightsManifestEntry, topologyFile: string): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const perValue = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 }[
    dtype as string
  ];
  if (perValue === undefined) {
    throw new ArtifactError(
      `Cannot load model: "${topologyFile}" lists weight "${spec.name}" of dtype "${dtype}"; ` +
        `expected float32, int32 or bool`,
    );
  }
  return size * perValue;
}

async function makeDirectory(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new ArtifactError(`Cannot save model to "${dir}": the folder cannot be created`, {
      cause,
    });
  }
}

async function writeBytes(file: string, bytes: Uint8Array, dir: string): Promise<void> {
  try {
    await Deno.writeFile(file, bytes);
  } catch (cause) {
    throw new ArtifactError(`Cannot save model to "${dir}": "${file}" cannot be written`, {
      cause,
    });
  }
}

async function writeText(file: string, text: string, dir: string): Promise<void> {
  await writeBytes(file, new TextEncoder().encode(text), dir);
}

async function readBytes(file: string, dir: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new ArtifactError(
        `Cannot load model from "${dir}": "${file}" does not exist; check the path or re-save the model`,
        { cause },
      );
    }
    throw new ArtifactError(`Cannot load model from "${dir}": "${file}" cannot be read`, {
      cause,
    });
  }
}

async function readJson(dir: string, name: string): Promise<unknown> {
  const file = join(dir, name);
  const text = new TextDecoder().decode(await readBytes(file, dir));
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(
      `Cannot load model from "${dir}": "${file}" is not valid JSON (${
        (cause as Error).message
      }); re-save the model`,
      { cause },
    );
  }
}
