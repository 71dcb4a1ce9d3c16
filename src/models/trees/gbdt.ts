/**
 * The `gbdt` model: histogram-based gradient boosting on typed arrays, with shrinkage, seeded
 * row and column subsampling, early stopping on the validation split, class weights, and a
 * compact binary model file.
 *
 * @module
 */
import { z } from "zod";
import { type Matrix, Random } from "../../utils/mod.ts";
import { ArtifactError } from "../../errors.ts";
import type { ModelConfig } from "../../config/schema.ts";
import {
  BaseModel,
  checkModelSpec,
  type ModelTask,
  type PredictOptions,
  requireFitted,
  type Targets,
} from "../base_model.ts";
import {
  DEFAULT_FIT_OPTIONS,
  type EpochLogs,
  type FitOptions,
  type TrainingHistory,
} from "../train.ts";
import { MODEL_ARTIFACT_VERSION, readModelParams, writeModelParams } from "../storage.ts";
import { binMatrix, type BinnedMatrix, learnBinEdges, MAX_VALUE_BINS } from "./binning.ts";
import { growTree, type Tree, treeValueBinned } from "./grow.ts";
import { addForest, type FlatForest, flattenTrees } from "./forest.ts";
import {
  baseScores,
  gradients,
  lossAndMetric,
  type LossName,
  type LossTargets,
  rowProbabilities,
  scoresPerRow,
} from "./losses.ts";
import { HistogramThreads, PARALLEL_MIN_ROWS } from "./_histogram_threads.ts";
import { decodeTrees, encodeTrees, TREES_FILE } from "./tree_file.ts";
import { checkFeatureShape, checkTreeFitInputs } from "./shape.ts";
import { type TreeFeatureImportance, treeFeatureImportance } from "./importance.ts";

/** `model.params` of the `gbdt` family, with the `model_config.yaml` defaults. */
export const GBDT_PARAMS = z.strictObject({
  /** Boosting rounds (trees per class). */
  rounds: z.int().min(1).default(200),
  /** Shrinkage applied to every leaf value. */
  learning_rate: z.number().gt(0).max(1).default(0.1),
  /** Most leaves per tree. */
  max_leaves: z.int().min(1).default(31),
  /** Most depth per tree (the root is depth 0); null for no limit. */
  max_depth: z.int().min(1).nullable().default(null),
  /** Fewest training rows per leaf. */
  min_samples_leaf: z.int().min(1).default(20),
  /** A split must gain strictly more than this. */
  min_gain: z.number().min(0).default(0),
  /** L2 penalty on leaf values. */
  l2: z.number().min(0).default(1),
  /** Share of the training rows each round samples (without replacement). */
  subsample: z.number().gt(0).max(1).default(1),
  /** Share of the features each tree may split on. */
  colsample: z.number().gt(0).max(1).default(1),
  /** Rounds without validation improvement before stopping; 0 turns early stopping off. */
  early_stopping_rounds: z.int().min(0).default(20),
  /** Most value bins per feature (missing values get one more). */
  max_bins: z.int().min(2).max(MAX_VALUE_BINS).default(MAX_VALUE_BINS),
});

/** The checked `model.params` of the `gbdt` family. */
export type GbdtParams = z.infer<typeof GBDT_PARAMS>;

/** Options of `GbdtModel`: the model spec plus the `gbdt` params. */
export interface GbdtOptions {
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
   * Seed of row and column subsampling; `fit` uses `FitOptions.seed` when given.
   * @default 42
   */
  seed?: number;
  /**
   * The `gbdt` params, snake_case as in YAML.
   * @default GBDT_PARAMS.parse({})
   */
  params?: Partial<GbdtParams>;
}

/** Training rows beyond which bin edges are learned on a sample of this many rows. */
export const BINNING_SAMPLE_ROWS = 200_000;

/** What `params.json` keeps in `state` for a `gbdt` model. */
interface GbdtState {
  loss: LossName;
  scoresPerRow: number;
  baseScores: number[];
  nodes: number[];
  bestRound: number;
  file: string;
}

/**
 * Gradient-boosted decision trees: leaf-wise trees on histograms of binned features. Missing
 * feature values (NaN) are routed to the side each split learned; infinities compare as
 * numbers. Classification with two classes uses the log-loss (one tree per round), with more
 * the softmax (one tree per class per round); regression uses the squared error.
 *
 * A single-class training split is refused with `DataValidationError`, as by every family.
 * `max_leaves` 1 is allowed: each tree is one leaf and the model stays near the class shares or
 * the mean.
 *
 * @example
 * ```ts
 * const model = new GbdtModel({ task: "regression", inputDim: 3, params: { rounds: 50 } });
 * await model.fit(x, { kind: "regression", values }, { seed: 7 });
 * model.predict(x); // Float32Array, one value per row
 * ```
 */
export class GbdtModel extends BaseModel {
  #task: ModelTask;
  #inputDim: number;
  #classes: readonly string[];
  #seed: number;
  #params: GbdtParams;
  #loss: LossName;
  #k: number;
  #base: Float64Array | null = null;
  #trees: Tree[] = [];
  #forest: FlatForest | null = null;
  #bestRound = -1;

  /**
   * @param options the task, input width, classes, seed and params
   * @throws {TypeError} for an unknown task or bad classes
   * @throws {RangeError} for a non-positive input width
   * @throws {DataValidationError} when a classifier has fewer than two classes
   * @throws {z.ZodError} when a param is out of range
   */
  constructor(options: GbdtOptions) {
    super();
    const { task, inputDim } = options;
    const classes = options.classes ?? [];
    checkModelSpec("gbdt", { task, inputDim, classes });
    this.#task = task;
    this.#inputDim = inputDim;
    this.#classes = [...classes];
    this.#seed = options.seed ?? 42;
    this.#params = GBDT_PARAMS.parse(options.params ?? {});
    this.#loss = task === "regression"
      ? "squared_error"
      : classes.length === 2
      ? "log_loss"
      : "softmax";
    this.#k = scoresPerRow(this.#loss, classes.length);
  }

  /** Always `"gbdt"`. */
  get family(): "gbdt" {
    return "gbdt";
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

  /** Whether the model has its trees. */
  get isFitted(): boolean {
    return this.#base !== null;
  }

  /** The checked params. */
  get params(): Readonly<GbdtParams> {
    return this.#params;
  }

  /**
   * Boosts trees on the training rows. Each round records the training loss (class-weighted)
   * and metric, and the validation ones when `options.validation` is given; with a validation
   * set and `early_stopping_rounds` > 0 (and `options.earlyStopping.enabled` not false),
   * training stops after that many rounds without improvement and keeps the trees of the best
   * round. `options.epochs`, `batchSize`, `learningRate` and `optimizer` are for networks and
   * are ignored; the seed is `options.seed` when given.
   *
   * @param x the training features; NaN marks a missing value
   * @param y the training targets
   * @param options validation set, class weights, seed, callbacks, abort signal
   * @returns the history, one entry per round
   * @throws {DataValidationError} for no rows, one class, or NaN or infinite targets
   * @throws {SchemaMismatchError} when the column count differs from `inputDim`
   * @throws when `options.signal` aborts: its `reason`
   * @example
   * ```ts
   * const history = await model.fit(x, y, { validation: { x: xVal, y: yVal }, seed: 1 });
   * ```
   */
  async fit(x: Matrix, y: Targets, options: FitOptions = {}): Promise<TrainingHistory> {
    const started = performance.now();
    const callbacks = options.callbacks ?? DEFAULT_FIT_OPTIONS.callbacks;
    const validation = checkTreeFitInputs(
      { family: "gbdt", task: this.#task, inputDim: this.#inputDim, classes: this.#classes },
      x,
      y,
      options,
    );
    const p = this.#params;
    const seed = options.seed ?? this.#seed;
    this.#seed = seed;
    const loss = this.#loss;
    const k = this.#k;
    const n = x.rows;
    const yTrain = lossTargets(y);
    const weights = rowWeights(y, options.classWeights ?? null);
    const root = new Random(seed);
    // As scikit-learn does, bins of a large split are learned on a seeded sample of its rows.
    const edges = learnBinEdges(
      x,
      p.max_bins,
      n > BINNING_SAMPLE_ROWS
        ? {
          rows: new Random(root.derive("gbdt-bins")).permutation(n).subarray(0, BINNING_SAMPLE_ROWS)
            .sort(),
        }
        : {},
    );
    const binned = binMatrix(x, edges);
    const valueBins = Int32Array.from(edges.thresholds, (t) => t.length + 1);
    const yVal = validation === undefined ? null : lossTargets(validation.y);
    const valBinned = validation === undefined ? null : binMatrix(validation.x, edges);
    const base = baseScores(loss, yTrain, weights);
    const scores = repeatRows(base, n);
    const valScores = validation === undefined ? null : repeatRows(base, validation.x.rows);

    const rowRandom = new Random(root.derive("gbdt-rows"));
    const columnRandom = new Random(root.derive("gbdt-columns"));
    const sampleRows = Math.max(1, Math.round(p.subsample * n));
    const sampleColumns = Math.max(1, Math.round(p.colsample * x.cols));
    const allColumns = Int32Array.from({ length: x.cols }, (_, i) => i);
    const allRows = Uint32Array.from({ length: n }, (_, i) => i);
    // With every row sampled, the leaves' row ranges update the training scores directly.
    const fullSample = sampleRows === n;
    // With threads, large nodes' histograms and partitions run in parallel over shared rows;
    // the pool's workers end with this call, however it ends.
    const threads = options.threads ?? DEFAULT_FIT_OPTIONS.threads;
    using pool = threads > 1 && n >= PARALLEL_MIN_ROWS
      ? await HistogramThreads.start({ threads, binned })
      : null;
    const grads = Array.from({ length: k }, () => new Float64Array(n));
    const hessians = Array.from({ length: k }, () => new Float64Array(n));
    const es = options.earlyStopping;
    const earlyStopping = validation !== undefined && p.early_stopping_rounds > 0 &&
      es?.enabled !== false;
    const minDelta = es?.minDelta ?? 0;
    const metric = y.kind === "classification" ? "accuracy" as const : "mae" as const;
    const trees: Tree[] = [];
    const epochs: EpochLogs[] = [];
    let best = Infinity;
    let bestRound = 0;
    let wait = 0;
    let stoppedEarly = false;

    await callbacks.onTrainBegin?.({
      epochs: p.rounds,
      batchesPerEpoch: 1,
      samples: n,
      metric,
      hasValidation: validation !== undefined,
    });
    for (let round = 0; round < p.rounds; round++) {
      options.signal?.throwIfAborted();
      const roundStarted = performance.now();
      await callbacks.onEpochBegin?.(round);
      for (let c = 0; c < k; c++) {
        gradients(loss, { scores, y: yTrain, weights }, c, { grad: grads[c]!, hess: hessians[c]! });
      }
      for (let c = 0; c < k; c++) {
        const rows = sampleRows < n
          ? rowRandom.permutation(n).subarray(0, sampleRows).sort()
          : allRows.slice();
        const features = sampleColumns < x.cols
          ? Int32Array.from(columnRandom.permutation(x.cols).subarray(0, sampleColumns)).sort()
          : allColumns;
        const treeRows = pool === null ? rows : pool.shareRows(rows);
        trees.push(growTree(binned, { grad: grads[c]!, hess: hessians[c]!, rows: treeRows }, {
          maxLeaves: p.max_leaves,
          maxDepth: p.max_depth ?? Infinity,
          learningRate: p.learning_rate,
          l2: p.l2,
          minSamplesLeaf: p.min_samples_leaf,
          minGain: p.min_gain,
          features,
          valueBins,
          thresholds: edges.thresholds,
          ...(fullSample ? { onLeaf: leafUpdate(scores, k, c) } : {}),
          ...(pool === null ? {} : { threads: pool }),
        }));
      }
      const roundTrees = trees.slice(trees.length - k);
      if (!fullSample) addTrees(scores, binned, roundTrees);
      const train = lossAndMetric(loss, { scores, y: yTrain, weights });
      const logs: EpochLogs = { epoch: round, loss: train.loss, metric: train.metric, seconds: 0 };
      if (valBinned !== null && valScores !== null && yVal !== null) {
        addTrees(valScores, valBinned, roundTrees);
        const val = lossAndMetric(loss, { scores: valScores, y: yVal });
        logs.val_loss = val.loss;
        logs.val_metric = val.metric;
      }
      logs.seconds = (performance.now() - roundStarted) / 1000;
      epochs.push(logs);
      await callbacks.onBatchEnd?.(0, { loss: logs.loss, size: n });
      await callbacks.onEpochEnd?.(round, logs);
      const monitored = logs.val_loss ?? logs.loss;
      if (monitored < best - minDelta) {
        best = monitored;
        bestRound = round;
        wait = 0;
      } else {
        wait++;
        if (earlyStopping && wait >= p.early_stopping_rounds) {
          stoppedEarly = true;
          break;
        }
      }
    }
    const restoredBest = earlyStopping && bestRound < epochs.length - 1;
    const kept = earlyStopping ? bestRound + 1 : epochs.length;
    this.#trees = trees.slice(0, kept * k);
    this.#forest = flattenTrees(this.#trees);
    this.#base = base;
    this.#bestRound = kept - 1;
    const history: TrainingHistory = {
      epochs,
      bestEpoch: bestRound,
      stoppedEarly,
      restoredBest,
      monitor: validation === undefined ? "loss" : "val_loss",
      metric,
      seconds: (performance.now() - started) / 1000,
    };
    await callbacks.onTrainEnd?.(history);
    return history;
  }

  /**
   * Predicts class probabilities (`rows × classes.length`, row-major) or values (`rows`) by
   * walking every tree for every row. NaN features follow each split's learned side.
   *
   * @param x the features, `inputDim` columns
   * @param _options unused: trees need no chunking
   * @returns the predictions
   * @throws {NotFittedError} before `fit` or `load`
   * @throws {SchemaMismatchError} when the column count differs from `inputDim`
   * @example
   * ```ts
   * const probabilities = model.predict(x); // Float32Array, rows × classes
   * ```
   */
  predict(x: Matrix, _options: PredictOptions = {}): Float32Array {
    requireFitted(this, "predict");
    checkFeatureShape(x, this.#inputDim, `predict with "gbdt"`);
    const k = this.#k;
    const base = this.#base!;
    const forest = this.#forest!;
    const scores = new Float64Array(k);
    const outputs = this.#task === "regression" ? 1 : this.#classes.length;
    const out = new Float32Array(x.rows * outputs);
    const probabilities = new Float64Array(outputs);
    for (let i = 0; i < x.rows; i++) {
      scores.set(base);
      addForest(forest, { data: x.data, offset: i * x.cols }, scores);
      if (this.#task === "regression") {
        out[i] = scores[0]!;
      } else {
        rowProbabilities(this.#loss, scores, 0, probabilities);
        out.set(probabilities, i * outputs);
      }
    }
    return out;
  }

  /**
   * Writes `params.json` (family, task, params, base scores, tree sizes) and `trees.bin` (the
   * nodes of every tree, little-endian) into `dir`.
   *
   * @param dir the model folder (created when missing)
   * @throws {NotFittedError} before `fit`
   * @throws {ArtifactError} when a file cannot be written
   * @example
   * ```ts
   * await model.save("models/experiments/run-1/model");
   * ```
   */
  async save(dir: string): Promise<void> {
    requireFitted(this, "save");
    const bytes = encodeTrees(this.#trees);
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeFile(`${dir}/${TREES_FILE}`, bytes);
    } catch (cause) {
      throw new ArtifactError(`Cannot save model to "${dir}": "${TREES_FILE}" cannot be written`, {
        cause,
      });
    }
    const state: GbdtState = {
      loss: this.#loss,
      scoresPerRow: this.#k,
      baseScores: Array.from(this.#base!),
      nodes: this.#trees.map((tree) => tree.feature.length),
      bestRound: this.#bestRound,
      file: TREES_FILE,
    };
    await writeModelParams(dir, {
      format: "deno-mlops-model",
      version: MODEL_ARTIFACT_VERSION,
      family: "gbdt",
      task: this.#task,
      inputDim: this.#inputDim,
      classes: [...this.#classes],
      seed: this.#seed,
      config: this.toConfig(),
      state,
      tfjsVersion: "none",
    });
  }

  /**
   * Returns the `model` config that rebuilds this model.
   *
   * @returns `{ family: "gbdt", params }`
   * @example
   * ```ts
   * model.toConfig(); // { family: "gbdt", params: { rounds: 200, ... } }
   * ```
   */
  toConfig(): ModelConfig {
    return { family: "gbdt", params: { ...this.#params } };
  }

  /**
   * Describes the model: task, loss, rounds kept, trees and leaves.
   *
   * @returns a multi-line text
   * @example
   * ```ts
   * console.log(model.summary());
   * ```
   */
  summary(): string {
    const head = `GbdtModel (gbdt): ${this.#task}, ${this.#inputDim} inputs, loss ${this.#loss}`;
    if (!this.isFitted) return `${head}\nnot fitted`;
    let leaves = 0;
    for (const tree of this.#trees) for (const f of tree.feature) if (f < 0) leaves++;
    const p = this.#params;
    return `${head}\n${this.#trees.length / this.#k} rounds × ${this.#k} trees, ${leaves} leaves` +
      `\nlearning_rate ${p.learning_rate}, max_leaves ${p.max_leaves}, max_depth ${
        p.max_depth ?? "none"
      }, min_samples_leaf ${p.min_samples_leaf}, l2 ${p.l2}`;
  }

  /**
   * Feature importance from the kept trees: total split gain and split count per input column,
   * in column order (see `treeFeatureImportance`).
   *
   * @returns one entry per input column; all zero when the model is not fitted
   * @example
   * ```ts
   * model.featureImportance()[0]; // { feature: 0, gain: 12.5, splits: 3 }
   * ```
   */
  featureImportance(): TreeFeatureImportance[] {
    return treeFeatureImportance(this.#trees, this.#inputDim);
  }

  /** Drops the trees; the model is no longer fitted afterwards. */
  dispose(): void {
    this.#trees = [];
    this.#forest = null;
    this.#base = null;
  }

  /**
   * Loads a model saved with `save`, checking every node of `trees.bin`.
   *
   * @param dir the model folder
   * @returns the fitted model, predicting exactly what the saved one did
   * @throws {ArtifactError} when a file is missing, truncated or edited into an invalid tree, or
   *   the folder holds another family
   * @example
   * ```ts
   * const model = await GbdtModel.load("models/production/model");
   * ```
   */
  static async load(dir: string): Promise<GbdtModel> {
    const saved = await readModelParams(dir, "gbdt");
    let model: GbdtModel;
    try {
      model = new GbdtModel({
        task: saved.task,
        inputDim: saved.inputDim,
        classes: saved.classes,
        seed: saved.seed,
        params: saved.config.params as Partial<GbdtParams>,
      });
    } catch (cause) {
      throw new ArtifactError(
        `Cannot load model from "${dir}": "params.json" does not describe a valid gbdt model ` +
          `(${(cause as Error).message}); re-save the model`,
        { cause },
      );
    }
    const state = parseState(dir, saved.state, model.#loss, model.#k);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${dir}/${state.file}`);
    } catch (cause) {
      throw new ArtifactError(
        `Cannot load model from "${dir}": "${state.file}" cannot be read; check the path or re-save the model`,
        { cause },
      );
    }
    try {
      model.#trees = decodeTrees(bytes, state.nodes, saved.inputDim);
      model.#forest = flattenTrees(model.#trees);
    } catch (cause) {
      throw new ArtifactError(
        `Cannot load model from "${dir}": "${state.file}" is corrupt: ${
          (cause as Error).message
        }; re-save the model`,
        { cause },
      );
    }
    model.#base = Float64Array.from(state.baseScores);
    model.#bestRound = state.bestRound;
    return model;
  }
}

function parseState(dir: string, raw: unknown, loss: LossName, k: number): GbdtState {
  const schema = z.strictObject({
    loss: z.literal(loss),
    scoresPerRow: z.literal(k),
    baseScores: z.array(z.number()).length(k),
    nodes: z.array(z.int().min(1)),
    bestRound: z.int().min(-1),
    file: z.literal("trees.bin"),
  });
  const parsed = schema.safeParse(raw);
  if (!parsed.success || parsed.data.nodes.length % k !== 0) {
    const detail = parsed.success
      ? `${parsed.data.nodes.length} trees is not a multiple of ${k}`
      : parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join(
        "; ",
      );
    throw new ArtifactError(
      `Cannot load model from "${dir}": the "state" in "params.json" is corrupt: ${detail}; re-save the model`,
    );
  }
  return parsed.data as GbdtState;
}

function lossTargets(y: Targets): LossTargets {
  return y.kind === "classification"
    ? { kind: "classification", labels: y.labels, classes: y.classes.length }
    : { kind: "regression", values: y.values };
}

function rowWeights(y: Targets, classWeights: Float32Array | null): Float64Array {
  if (y.kind === "regression" || classWeights === null) {
    return new Float64Array(y.kind === "regression" ? y.values.length : y.labels.length).fill(1);
  }
  return Float64Array.from(y.labels, (label) => classWeights[label] ?? 1);
}

function leafUpdate(
  scores: Float64Array,
  k: number,
  c: number,
): (value: number, rows: Uint32Array) => void {
  return (value, rows) => {
    for (let j = 0; j < rows.length; j++) scores[rows[j]! * k + c]! += value;
  };
}

function repeatRows(base: Float64Array, rows: number): Float64Array {
  const out = new Float64Array(rows * base.length);
  for (let i = 0; i < rows; i++) out.set(base, i * base.length);
  return out;
}

function addTrees(
  scores: Float64Array,
  binned: BinnedMatrix,
  trees: Tree[],
): void {
  const k = trees.length;
  for (let i = 0; i < binned.rows; i++) {
    for (let c = 0; c < k; c++) scores[i * k + c]! += treeValueBinned(trees[c]!, binned, i);
  }
}
