/**
 * The baseline family: the class priors of the training split (sklearn's `DummyClassifier`
 * with `strategy="prior"`) or the training mean. Every real model must beat it.
 *
 * @module
 */
import type { Matrix } from "../utils/mod.ts";
import { DataValidationError } from "../errors.ts";
import { z } from "zod";
import type { ModelConfig } from "../config/schema.ts";
import * as tf from "@tensorflow/tfjs";
import {
  BaseModel,
  checkMatrix,
  checkModelSpec,
  checkTargets,
  checkTwoClassesPresent,
  type ModelTask,
  type PredictOptions,
  requireFitted,
  type Targets,
} from "./base_model.ts";
import {
  DEFAULT_FIT_OPTIONS,
  type EpochLogs,
  type FitOptions,
  type TrainingHistory,
} from "./train.ts";
import {
  corruptModelState,
  MODEL_ARTIFACT_VERSION,
  modelFromParams,
  readModelParams,
  writeModelParams,
} from "./storage.ts";

/** `model.params` of the `baseline` family: it has none. */
export const BASELINE_PARAMS = z.strictObject({});

/** The checked `model.params` of the `baseline` family. */
export type BaselineParams = z.infer<typeof BASELINE_PARAMS>;

/** Options of `BaselineModel`. */
export interface BaselineOptions {
  /** Classification or regression. */
  task: ModelTask;
  /** Number of feature columns (checked, then ignored). */
  inputDim: number;
  /**
   * Class names in label order (classification).
   * @default []
   */
  classes?: readonly string[];
}

/** Defaults of `BaselineOptions`. */
export const DEFAULT_BASELINE_OPTIONS = { classes: [] as readonly string[] };

/** Probabilities are clipped to [ε, 1 − ε] in the log loss, as Keras does. */
const EPSILON = 1e-7;

/**
 * Predicts the training class frequencies for every row (classification) or the training mean
 * (regression), ignoring the features. No tfjs: fitting is one pass over the labels, and the
 * model saves as `params.json` alone.
 *
 * Class weights are ignored: the priors are the plain training frequencies.
 *
 * @example
 * ```ts
 * const baseline = new BaselineModel({ task: "classification", inputDim: 4, classes });
 * await baseline.fit(x, y);
 * baseline.predict(x); // every row: [0.44, 0.2, 0.36]
 * ```
 */
export class BaselineModel extends BaseModel {
  #task: ModelTask;
  #inputDim: number;
  #classes: readonly string[];
  #priors: number[] | null = null;
  #mean: number | null = null;

  /**
   * @param options the task, input width and classes
   * @throws {TypeError} for an unknown task or bad classes
   * @throws {RangeError} for a non-positive input width
   * @throws {DataValidationError} when a classifier has fewer than two classes
   */
  constructor(options: BaselineOptions) {
    super();
    const { task, inputDim, classes } = { ...DEFAULT_BASELINE_OPTIONS, ...options };
    checkModelSpec("baseline", { task, inputDim, classes });
    this.#task = task;
    this.#inputDim = inputDim;
    this.#classes = [...classes];
  }

  /** Always `"baseline"`. */
  get family(): "baseline" {
    return "baseline";
  }

  /** Classification or regression. */
  get task(): ModelTask {
    return this.#task;
  }

  /** Number of feature columns. */
  get inputDim(): number {
    return this.#inputDim;
  }

  /** Class names in label order; empty for regression. */
  get classes(): readonly string[] {
    return this.#classes;
  }

  /** Whether the priors or the mean are known. */
  get isFitted(): boolean {
    return this.#priors !== null || this.#mean !== null;
  }

  /**
   * Learns the class priors or the mean from the training targets alone: the baseline never
   * reads features, so out-of-core training fits it without its feature rows in memory.
   *
   * @param y training targets
   * @returns this model, fitted
   * @throws {SchemaMismatchError} when the classes differ from the model's
   * @throws {DataValidationError} on empty or single-class targets
   * @example
   * ```ts
   * new BaselineModel({ task: "classification", inputDim: 4, classes: ["a", "b"] }).fitTargets(y);
   * ```
   */
  fitTargets(y: Targets): this {
    const action = `fit "baseline"`;
    const rows = y.kind === "classification" ? y.labels.length : y.values.length;
    checkTargets(y, { rows, task: this.#task, classes: this.#classes, action });
    if (rows === 0) {
      throw new DataValidationError(
        `Cannot fit "baseline": the training split has no rows; check the data and split.ratios`,
      );
    }
    if (y.kind === "classification") checkTwoClassesPresent("baseline", y);
    this.#learn(y);
    return this;
  }

  /**
   * Learns the class priors or the mean; reports one epoch of loss and metric.
   *
   * @param x training features (checked, not used)
   * @param y training targets
   * @param options only `validation` and `callbacks` are used
   * @returns a one-epoch history
   * @throws {SchemaMismatchError} when the column count or the classes differ from the model's
   * @throws {DataValidationError} on empty, non-finite or single-class training data
   * @example
   * ```ts
   * const history = await baseline.fit(x, y, { validation: { x: xVal, y: yVal } });
   * history.epochs[0]!.val_metric; // accuracy of always predicting the majority class
   * ```
   */
  async fit(x: Matrix, y: Targets, options: FitOptions = {}): Promise<TrainingHistory> {
    const started = performance.now();
    const action = `fit "baseline"`;
    const callbacks = options.callbacks ?? DEFAULT_FIT_OPTIONS.callbacks;
    checkMatrix(x, { inputDim: this.#inputDim, action });
    checkTargets(y, { rows: x.rows, task: this.#task, classes: this.#classes, action });
    if (x.rows === 0) {
      throw new DataValidationError(
        `Cannot fit "baseline": the training split has no rows; check the data and split.ratios`,
      );
    }
    if (y.kind === "classification") checkTwoClassesPresent("baseline", y);
    const validation = options.validation;
    if (validation !== undefined) {
      const inValidation = `${action} (validation set)`;
      checkMatrix(validation.x, { inputDim: this.#inputDim, action: inValidation });
      checkTargets(validation.y, {
        rows: validation.x.rows,
        task: this.#task,
        classes: this.#classes,
        action: inValidation,
      });
    }
    await callbacks.onTrainBegin?.({
      epochs: 1,
      batchesPerEpoch: 1,
      samples: x.rows,
      metric: y.kind === "classification" ? "accuracy" : "mae",
      hasValidation: validation !== undefined,
    });
    await callbacks.onEpochBegin?.(0);
    this.#learn(y);
    const train = this.#score(y);
    const logs: EpochLogs = { epoch: 0, loss: train.loss, metric: train.metric, seconds: 0 };
    if (validation !== undefined && validation.x.rows > 0) {
      const val = this.#score(validation.y);
      logs.val_loss = val.loss;
      logs.val_metric = val.metric;
    }
    logs.seconds = (performance.now() - started) / 1000;
    await callbacks.onBatchEnd?.(0, { loss: logs.loss, size: x.rows });
    await callbacks.onEpochEnd?.(0, logs);
    const history: TrainingHistory = {
      epochs: [logs],
      bestEpoch: 0,
      stoppedEarly: false,
      restoredBest: false,
      monitor: validation === undefined ? "loss" : "val_loss",
      metric: y.kind === "classification" ? "accuracy" : "mae",
      seconds: (performance.now() - started) / 1000,
    };
    await callbacks.onTrainEnd?.(history);
    return history;
  }

  /**
   * Predicts the priors (`rows × classes`) or the mean (`rows`) for every row.
   *
   * @param x features, `inputDim` finite columns
   * @param _options accepted for interface compatibility; the baseline needs no chunking
   * @returns the predictions
   * @throws {NotFittedError} before `fit` or `load`
   * @throws {SchemaMismatchError} when the column count differs from `inputDim`
   * @example
   * ```ts
   * baseline.predict(x); // Float32Array [0.44, 0.2, 0.36, 0.44, 0.2, 0.36, ...]
   * ```
   */
  predict(x: Matrix, _options: PredictOptions = {}): Float32Array {
    requireFitted(this, "predict");
    checkMatrix(x, { inputDim: this.#inputDim, action: `predict with "baseline"` });
    if (this.#priors !== null) {
      const k = this.#priors.length;
      const row = Float32Array.from(this.#priors);
      const out = new Float32Array(x.rows * k);
      for (let i = 0; i < x.rows; i++) out.set(row, i * k);
      return out;
    }
    return new Float32Array(x.rows).fill(this.#mean!);
  }

  /**
   * Writes `params.json` (with the priors or the mean) into `dir`.
   *
   * @param dir the model folder, created when missing
   * @returns when the file is written
   * @throws {NotFittedError} before `fit` or `load`
   * @throws {ArtifactError} when the file cannot be written
   * @example
   * ```ts
   * await baseline.save(`${runDir}/model`);
   * ```
   */
  async save(dir: string): Promise<void> {
    requireFitted(this, "save");
    await writeModelParams(dir, {
      format: "deno-mlops-model",
      version: MODEL_ARTIFACT_VERSION,
      family: "baseline",
      task: this.#task,
      inputDim: this.#inputDim,
      classes: [...this.#classes],
      seed: 0,
      config: this.toConfig(),
      state: this.#priors !== null ? { priors: this.#priors } : { mean: this.#mean },
      tfjsVersion: tf.version.tfjs,
    });
  }

  /**
   * Returns the `model` config that rebuilds this model.
   *
   * @returns `{ family: "baseline", params: {} }`
   * @example
   * ```ts
   * baseline.toConfig(); // { family: "baseline", params: {} }
   * ```
   */
  toConfig(): ModelConfig {
    return { family: "baseline", params: {} };
  }

  /**
   * Describes the priors or the mean.
   *
   * @returns a short text
   * @example
   * ```ts
   * baseline.summary(); // "BaselineModel (baseline): class priors Adelie 0.44, ..."
   * ```
   */
  summary(): string {
    const head = `BaselineModel (baseline): ${this.#task}, ${this.#inputDim} inputs (ignored)`;
    if (this.#priors !== null) {
      const priors = this.#priors.map((p, i) => `${this.#classes[i]} ${p.toFixed(4)}`);
      return `${head}\nclass priors: ${priors.join(", ")}`;
    }
    if (this.#mean !== null) return `${head}\nmean: ${this.#mean}`;
    return `${head}\nnot fitted`;
  }

  /**
   * Forgets the priors or the mean (the baseline holds no tensors).
   *
   * @example
   * ```ts
   * baseline.dispose(); // baseline.isFitted === false
   * ```
   */
  dispose(): void {
    this.#priors = null;
    this.#mean = null;
  }

  /**
   * Loads a baseline saved with `save`.
   *
   * @param dir the model folder
   * @returns the fitted baseline
   * @throws {ArtifactError} when `params.json` is missing, corrupt, or holds another family
   * @example
   * ```ts
   * const baseline = await BaselineModel.load(`${runDir}/model`);
   * ```
   */
  static async load(dir: string): Promise<BaselineModel> {
    const params = await readModelParams(dir, "baseline");
    const model = modelFromParams(dir, "baseline", () =>
      new BaselineModel({
        task: params.task,
        inputDim: params.inputDim,
        classes: params.classes,
      }));
    const state = params.state as { priors?: unknown; mean?: unknown } | null;
    const priors = state?.priors;
    const mean = state?.mean;
    if (params.task === "classification") {
      if (
        !Array.isArray(priors) || priors.length !== params.classes.length ||
        priors.some((p) => typeof p !== "number" || !(p >= 0 && p <= 1))
      ) {
        throw corruptModelState(dir, `"priors" must list ${params.classes.length} probabilities`);
      }
      model.#priors = [...priors as number[]];
    } else {
      if (typeof mean !== "number" || !Number.isFinite(mean)) {
        throw corruptModelState(dir, `"mean" must be a finite number`);
      }
      model.#mean = mean;
    }
    return model;
  }

  #learn(y: Targets): void {
    if (y.kind === "classification") {
      const counts = new Array<number>(this.#classes.length).fill(0);
      for (const label of y.labels) counts[label]! += 1;
      this.#priors = counts.map((count) => count / y.labels.length);
      this.#mean = null;
    } else {
      let sum = 0;
      for (const v of y.values) sum += v;
      this.#mean = sum / y.values.length;
      this.#priors = null;
    }
  }

  #score(y: Targets): { loss: number; metric: number } {
    if (y.kind === "classification") {
      const priors = this.#priors!;
      let best = 0;
      for (let c = 1; c < priors.length; c++) if (priors[c]! > priors[best]!) best = c;
      let loss = 0;
      let correct = 0;
      for (const label of y.labels) {
        const p = Math.min(1 - EPSILON, Math.max(EPSILON, priors[label]!));
        loss -= Math.log(p);
        if (label === best) correct++;
      }
      const n = y.labels.length;
      return { loss: loss / n, metric: correct / n };
    }
    const mean = Math.fround(this.#mean!);
    let squares = 0;
    let absolute = 0;
    for (const v of y.values) {
      squares += (v - mean) ** 2;
      absolute += Math.abs(v - mean);
    }
    const n = y.values.length;
    return { loss: squares / n, metric: absolute / n };
  }
}
