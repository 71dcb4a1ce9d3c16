/**
 * The `random_forest` model: bagged impurity trees on binned features, each tree grown on a
 * bootstrap sample with a fresh random subset of the features at every split, Gini or entropy
 * for classification and squared error for regression, with the out-of-bag score recorded.
 * The trees share the binning, node table, tree file and flat prediction of `gbdt`.
 *
 * @module
 */
import { z } from "zod";
import { type Matrix, Random } from "../../utils/mod.ts";
import { ArtifactError } from "../../errors.ts";
import type { ModelConfig } from "../../config/schema.ts";
import {
  BaseModel,
  checkFeatureShape,
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
import {
  corruptModelState,
  decodeModelFile,
  MODEL_ARTIFACT_VERSION,
  modelFromParams,
  readModelFile,
  readModelParams,
  writeModelParams,
} from "../storage.ts";
import { binMatrix, learnBinEdges, MAX_VALUE_BINS, valueBinCounts } from "./binning.ts";
import type { Tree } from "./grow.ts";
import { ForestThreads } from "./_forest_threads.ts";
import { addForestRows, type FlatForest, flattenTrees } from "./forest.ts";
import { decodeTrees, encodeTrees, TREES_FILE } from "./tree_file.ts";
import { checkTreeFitInputs } from "./shape.ts";
import { BINNING_SAMPLE_ROWS } from "./gbdt.ts";
import { leafOfBinned } from "./impurity_tree.ts";
import type { ImpurityCriterion } from "./impurity.ts";
import { type TreeFeatureImportance, treeFeatureImportance } from "./importance.ts";

/** `model.params` of the `random_forest` family, with the `model_config.yaml` defaults. */
export const RANDOM_FOREST_PARAMS = z.strictObject({
  /** Trees in the forest. */
  n_estimators: z.int().min(1).default(100),
  /** Split criterion of classification trees; regression always uses squared error. */
  criterion: z.enum(["gini", "entropy"]).default("gini"),
  /**
   * Features tried at each split: `sqrt` or `log2` of the feature count, a fraction of it, or
   * `all`; null for scikit-learn's defaults (`sqrt` for classification, `all` for regression).
   */
  max_features: z.union([z.enum(["sqrt", "log2", "all"]), z.number().gt(0).max(1)]).nullable()
    .default(null),
  /** Most depth per tree (the root is depth 0); null for no limit. */
  max_depth: z.int().min(1).nullable().default(null),
  /** Fewest training rows (bootstrap draws) per leaf. */
  min_samples_leaf: z.int().min(1).default(1),
  /** Whether each tree draws a bootstrap sample; false grows every tree on every row. */
  bootstrap: z.boolean().default(true),
  /** Most value bins per feature (missing values get one more). */
  max_bins: z.int().min(2).max(MAX_VALUE_BINS).default(MAX_VALUE_BINS),
});

/** The checked `model.params` of the `random_forest` family. */
export type RandomForestParams = z.infer<typeof RANDOM_FOREST_PARAMS>;

/** Options of `RandomForestModel`: the model spec plus the `random_forest` params. */
export interface RandomForestOptions {
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
   * Seed of the bootstrap samples and feature draws; `fit` uses `FitOptions.seed` when given.
   * @default 42
   */
  seed?: number;
  /**
   * The `random_forest` params, snake_case as in YAML.
   * @default RANDOM_FOREST_PARAMS.parse({})
   */
  params?: Partial<RandomForestParams>;
}

/**
 * The out-of-bag score: accuracy (classification) or R² (regression) over the training rows
 * that at least one tree left out of its sample, each predicted by those trees only.
 */
export interface OutOfBagScore {
  /** `"accuracy"` or `"r2"`. */
  name: "accuracy" | "r2";
  /** The score. */
  value: number;
  /** Training rows that were out of bag for at least one tree. */
  rows: number;
}

/** What `params.json` keeps in `state` for a `random_forest` model. */
interface RandomForestState {
  criterion: ImpurityCriterion;
  outputs: number;
  trees: number;
  nodes: number[];
  oob: OutOfBagScore | null;
  file: string;
}

/**
 * The features tried at each split for a `max_features` setting.
 *
 * @param maxFeatures the param (null for the task's default)
 * @param features the feature count
 * @param task classification or regression
 * @returns at least 1, at most `features`
 * @example
 * ```ts
 * featuresPerSplit("sqrt", 10, "classification"); // 3
 * ```
 */
export function featuresPerSplit(
  maxFeatures: RandomForestParams["max_features"],
  features: number,
  task: ModelTask,
): number {
  const setting = maxFeatures ?? (task === "classification" ? "sqrt" : "all");
  const k = setting === "all"
    ? features
    : setting === "sqrt"
    ? Math.floor(Math.sqrt(features))
    : setting === "log2"
    ? Math.floor(Math.log2(Math.max(1, features)))
    : Math.floor(setting * features);
  return Math.min(features, Math.max(1, k));
}

/**
 * A random forest: every tree is grown on a bootstrap sample of the training rows (seeded per
 * tree from the training seed), trying a random subset of the features at each split, to pure
 * leaves unless `max_depth` or `min_samples_leaf` stop it. Classification predicts the mean of
 * the trees' leaf class shares; regression the mean of their leaf means. Missing feature values
 * (NaN) are routed to the side each split learned. Class weights weigh the impurity and the leaf
 * shares.
 *
 * A single-class training split and NaN or infinite targets are refused with
 * `DataValidationError`, as by every family.
 *
 * @example
 * ```ts
 * const model = new RandomForestModel({ task: "regression", inputDim: 3, params: { n_estimators: 50 } });
 * await model.fit(x, { kind: "regression", values }, { seed: 7 });
 * model.predict(x); // Float32Array, one value per row
 * model.oobScore; // { name: "r2", value: 0.8, rows: 200 }
 * ```
 */
export class RandomForestModel extends BaseModel {
  #task: ModelTask;
  #inputDim: number;
  #classes: readonly string[];
  #seed: number;
  #params: RandomForestParams;
  #criterion: ImpurityCriterion;
  #k: number;
  #trees: Tree[] = [];
  #forest: FlatForest | null = null;
  #oob: OutOfBagScore | null = null;

  /**
   * @param options the task, input width, classes, seed and params
   * @throws {TypeError} for an unknown task or bad classes
   * @throws {RangeError} for a non-positive input width
   * @throws {DataValidationError} when a classifier has fewer than two classes
   * @throws {z.ZodError} when a param is out of range
   */
  constructor(options: RandomForestOptions) {
    super();
    const { task, inputDim } = options;
    const classes = options.classes ?? [];
    checkModelSpec("random_forest", { task, inputDim, classes });
    this.#task = task;
    this.#inputDim = inputDim;
    this.#classes = [...classes];
    this.#seed = options.seed ?? 42;
    this.#params = RANDOM_FOREST_PARAMS.parse(options.params ?? {});
    this.#criterion = task === "regression" ? "squared_error" : this.#params.criterion;
    this.#k = task === "regression" ? 1 : classes.length;
  }

  /** Always `"random_forest"`. */
  get family(): "random_forest" {
    return "random_forest";
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
    return this.#forest !== null;
  }

  /** The checked params. */
  get params(): Readonly<RandomForestParams> {
    return this.#params;
  }

  /** The out-of-bag score of the last fit; null without bootstrap or before `fit`. */
  get oobScore(): OutOfBagScore | null {
    return this.#oob === null ? null : { ...this.#oob };
  }

  /**
   * Grows `n_estimators` trees. Each tree is one history entry: `loss` and `metric` are the
   * out-of-bag log-loss and accuracy (classification) or squared error and mean absolute error
   * (regression) of the trees so far, over the rows some tree left out of its sample (the
   * training rows when `bootstrap` is false or no row is out of bag yet); `val_loss` and
   * `val_metric` are those of the validation set when given. Every tree is kept: a forest does
   * not overfit by growing. `options.epochs`, `batchSize`, `learningRate`, `optimizer` and
   * early stopping are for networks and boosting and are ignored; the seed is `options.seed`
   * when given.
   *
   * @param x the training features; NaN marks a missing value
   * @param y the training targets
   * @param options validation set, class weights, seed, callbacks, abort signal
   * @returns the history, one entry per tree
   * @throws {DataValidationError} for no rows, one class, or NaN or infinite targets
   * @throws {SchemaMismatchError} when the column count differs from `inputDim`
   * @throws when `options.signal` aborts: its `reason`
   * @example
   * ```ts
   * const history = await model.fit(x, y, { seed: 1 });
   * ```
   */
  async fit(x: Matrix, y: Targets, options: FitOptions = {}): Promise<TrainingHistory> {
    const started = performance.now();
    const callbacks = options.callbacks ?? DEFAULT_FIT_OPTIONS.callbacks;
    const validation = checkTreeFitInputs(
      {
        family: "random_forest",
        task: this.#task,
        inputDim: this.#inputDim,
        classes: this.#classes,
      },
      x,
      y,
      options,
    );
    const p = this.#params;
    const seed = options.seed ?? this.#seed;
    this.#seed = seed;
    const k = this.#k;
    const n = x.rows;
    const labels = y.kind === "classification" ? y.labels : null;
    const values = y.kind === "regression" ? Float64Array.from(y.values) : null;
    const classWeights = options.classWeights ?? null;
    const rowWeight = labels === null || classWeights === null
      ? new Float64Array(n).fill(1)
      : Float64Array.from(labels, (label) => classWeights[label] ?? 1);
    const edges = learnBinEdges(
      x,
      p.max_bins,
      n > BINNING_SAMPLE_ROWS
        ? {
          rows: new Random(new Random(seed).derive("random-forest-bins")).permutation(n)
            .subarray(0, BINNING_SAMPLE_ROWS).sort(),
        }
        : {},
    );
    const binned = binMatrix(x, edges);
    const valueBins = valueBinCounts(edges);
    const valBinned = validation === undefined ? null : binMatrix(validation.x, edges);
    const treeOptions = {
      criterion: this.#criterion,
      classes: k,
      maxFeatures: featuresPerSplit(p.max_features, x.cols, this.#task),
      maxDepth: p.max_depth ?? Infinity,
      minSamplesLeaf: p.min_samples_leaf,
      valueBins,
      thresholds: edges.thresholds,
    };
    const metric = y.kind === "classification" ? "accuracy" as const : "mae" as const;
    // Sums of the trees' outputs: out of bag, on every training row, on the validation rows.
    const oobSum = new Float64Array(n * k);
    const oobVotes = new Uint32Array(n);
    const fitSum = new Float64Array(n * k);
    const valSum = valBinned === null ? null : new Float64Array(valBinned.rows * k);
    const trees: Tree[] = [];
    const epochs: EpochLogs[] = [];
    // Trees are grown on `threads` threads, each from its own seed: the same forest at any count.
    using grower = new ForestThreads(
      { binned, rowWeight, labels, values, bootstrap: p.bootstrap, seed, options: treeOptions },
      p.n_estimators,
      options.threads ?? DEFAULT_FIT_OPTIONS.threads,
    );

    await callbacks.onTrainBegin?.({
      epochs: p.n_estimators,
      batchesPerEpoch: 1,
      samples: n,
      metric,
      hasValidation: validation !== undefined,
    });
    for (let t = 0; t < p.n_estimators; t++) {
      options.signal?.throwIfAborted();
      const treeStarted = performance.now();
      await callbacks.onEpochBegin?.(t);
      const { trees: grown, counts } = await grower.tree(t);
      trees.push(...grown);
      for (let i = 0; i < n; i++) {
        const leaf = leafOfBinned(grown[0]!, binned, i);
        for (let c = 0; c < k; c++) fitSum[i * k + c]! += grown[c]!.value[leaf]!;
        if (p.bootstrap && counts[i] === 0) {
          for (let c = 0; c < k; c++) oobSum[i * k + c]! += grown[c]!.value[leaf]!;
          oobVotes[i]!++;
        }
      }
      let anyOob = false;
      for (let i = 0; i < n && !anyOob; i++) anyOob = oobVotes[i]! > 0;
      const train = anyOob
        ? scoreSums(oobSum, oobVotes, y)
        : scoreSums(fitSum, new Uint32Array(n).fill(t + 1), y);
      const logs: EpochLogs = { epoch: t, loss: train.loss, metric: train.metric, seconds: 0 };
      if (valBinned !== null && valSum !== null && validation !== undefined) {
        for (let i = 0; i < valBinned.rows; i++) {
          const leaf = leafOfBinned(grown[0]!, valBinned, i);
          for (let c = 0; c < k; c++) valSum[i * k + c]! += grown[c]!.value[leaf]!;
        }
        const val = scoreSums(valSum, new Uint32Array(valBinned.rows).fill(t + 1), validation.y);
        logs.val_loss = val.loss;
        logs.val_metric = val.metric;
      }
      logs.seconds = (performance.now() - treeStarted) / 1000;
      epochs.push(logs);
      await callbacks.onBatchEnd?.(0, { loss: logs.loss, size: n });
      await callbacks.onEpochEnd?.(t, logs);
    }
    this.#trees = trees;
    this.#forest = flattenTrees(trees);
    this.#oob = p.bootstrap ? outOfBagScore(oobSum, oobVotes, y) : null;
    let bestEpoch = 0;
    for (let e = 1; e < epochs.length; e++) {
      const loss = epochs[e]!.val_loss ?? epochs[e]!.loss;
      if (loss < (epochs[bestEpoch]!.val_loss ?? epochs[bestEpoch]!.loss)) bestEpoch = e;
    }
    const history: TrainingHistory = {
      epochs,
      bestEpoch,
      stoppedEarly: false,
      restoredBest: false,
      monitor: validation === undefined ? "loss" : "val_loss",
      metric,
      seconds: (performance.now() - started) / 1000,
    };
    await callbacks.onTrainEnd?.(history);
    return history;
  }

  /**
   * Predicts class probabilities (`rows × classes.length`, row-major: the mean of the trees'
   * leaf class shares) or values (`rows`: the mean of the trees' leaf means). NaN features
   * follow each split's learned side.
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
    checkFeatureShape(x, this.#inputDim, `predict with "random_forest"`);
    const k = this.#k;
    const forest = this.#forest!;
    const treeCount = forest.roots.length / k;
    const scores = new Float64Array(x.rows * k);
    addForestRows(forest, x, scores);
    return Float32Array.from(scores, (score) => score / treeCount);
  }

  /**
   * Writes `params.json` (family, task, params, tree sizes, out-of-bag score) and `trees.bin`
   * (the nodes of every tree, little-endian; a classification tree once per class, with that
   * class's leaf shares) into `dir`.
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
    const state: RandomForestState = {
      criterion: this.#criterion,
      outputs: this.#k,
      trees: this.#trees.length / this.#k,
      nodes: this.#trees.map((tree) => tree.feature.length),
      oob: this.#oob,
      file: TREES_FILE,
    };
    await writeModelParams(dir, {
      format: "deno-mlops-model",
      version: MODEL_ARTIFACT_VERSION,
      family: "random_forest",
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
   * @returns `{ family: "random_forest", params }`
   * @example
   * ```ts
   * model.toConfig(); // { family: "random_forest", params: { n_estimators: 100, ... } }
   * ```
   */
  toConfig(): ModelConfig {
    return { family: "random_forest", params: { ...this.#params } };
  }

  /**
   * Describes the model: task, criterion, trees, leaves and the out-of-bag score.
   *
   * @returns a multi-line text
   * @example
   * ```ts
   * console.log(model.summary());
   * ```
   */
  summary(): string {
    const head = `RandomForestModel (random_forest): ${this.#task}, ${this.#inputDim} inputs, ` +
      `criterion ${this.#criterion}`;
    if (!this.isFitted) return `${head}\nnot fitted`;
    const k = this.#k;
    let leaves = 0;
    for (let t = 0; t < this.#trees.length; t += k) {
      for (const f of this.#trees[t]!.feature) if (f < 0) leaves++;
    }
    const p = this.#params;
    const oob = this.#oob === null
      ? "no out-of-bag score (bootstrap off)"
      : `out-of-bag ${this.#oob.name} ${this.#oob.value.toFixed(4)} on ${this.#oob.rows} rows`;
    return `${head}\n${this.#trees.length / k} trees, ${leaves} leaves, ${oob}` +
      `\nmax_features ${p.max_features ?? "default"}, max_depth ${p.max_depth ?? "none"}, ` +
      `min_samples_leaf ${p.min_samples_leaf}, bootstrap ${p.bootstrap}`;
  }

  /**
   * Split gain and split count per input column, summed over the trees (each tree once, though
   * a classifier stores one copy of it per class); the run report shows them.
   *
   * @returns one entry per input column, in column order
   * @example
   * ```ts
   * model.featureImportance()[0]; // { feature: 0, gain: 8.1, splits: 40 }
   * ```
   */
  featureImportance(): TreeFeatureImportance[] {
    const k = this.#k;
    return treeFeatureImportance(this.#trees.filter((_tree, i) => i % k === 0), this.#inputDim);
  }

  /** Drops the trees; the model is no longer fitted afterwards. */
  dispose(): void {
    this.#trees = [];
    this.#forest = null;
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
   * const model = await RandomForestModel.load("models/production/model");
   * ```
   */
  static async load(dir: string): Promise<RandomForestModel> {
    const saved = await readModelParams(dir, "random_forest");
    const model = modelFromParams(dir, "random_forest", () =>
      new RandomForestModel({
        task: saved.task,
        inputDim: saved.inputDim,
        classes: saved.classes,
        seed: saved.seed,
        params: saved.config.params as Partial<RandomForestParams>,
      }));
    const state = parseState(dir, saved.state, model.#criterion, model.#k);
    const bytes = await readModelFile(dir, state.file);
    const trees = decodeModelFile(dir, state.file, () => {
      const trees = decodeTrees(bytes, state.nodes, saved.inputDim);
      return { trees, forest: flattenTrees(trees) };
    });
    model.#trees = trees.trees;
    model.#forest = trees.forest;
    model.#oob = state.oob;
    return model;
  }
}

function parseState(
  dir: string,
  raw: unknown,
  criterion: ImpurityCriterion,
  k: number,
): RandomForestState {
  const schema = z.strictObject({
    criterion: z.literal(criterion),
    outputs: z.literal(k),
    trees: z.int().min(1),
    nodes: z.array(z.int().min(1)),
    oob: z.strictObject({
      name: z.enum(["accuracy", "r2"]),
      value: z.number(),
      rows: z.int().min(0),
    }).nullable(),
    file: z.literal("trees.bin"),
  });
  const parsed = schema.safeParse(raw);
  if (!parsed.success || parsed.data.nodes.length !== parsed.data.trees * k) {
    const detail = parsed.success
      ? `${parsed.data.nodes.length} node counts, expected ${parsed.data.trees} trees × ${k}`
      : parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join(
        "; ",
      );
    throw corruptModelState(dir, detail);
  }
  return parsed.data as RandomForestState;
}

/**
 * Log-loss and accuracy, or squared error and mean absolute error, of the rows with votes,
 * each predicted by `sums / votes`.
 */
function scoreSums(
  sums: Float64Array,
  votes: Uint32Array,
  y: Targets,
): { loss: number; metric: number } {
  let loss = 0;
  let metric = 0;
  let rows = 0;
  if (y.kind === "classification") {
    const k = y.classes.length;
    for (let i = 0; i < votes.length; i++) {
      const v = votes[i]!;
      if (v === 0) continue;
      rows++;
      const label = y.labels[i]!;
      loss -= Math.log(Math.max(sums[i * k + label]! / v, 1e-15));
      if (argmax(sums, i * k, k) === label) metric++;
    }
  } else {
    for (let i = 0; i < votes.length; i++) {
      const v = votes[i]!;
      if (v === 0) continue;
      rows++;
      const error = sums[i]! / v - y.values[i]!;
      loss += error * error;
      metric += Math.abs(error);
    }
  }
  return rows === 0 ? { loss: 0, metric: 0 } : { loss: loss / rows, metric: metric / rows };
}

/** Accuracy or R² over the rows some tree left out, predicted by those trees only. */
function outOfBagScore(sums: Float64Array, votes: Uint32Array, y: Targets): OutOfBagScore | null {
  let rows = 0;
  for (let i = 0; i < votes.length; i++) if (votes[i]! > 0) rows++;
  if (rows === 0) return null;
  if (y.kind === "classification") {
    const k = y.classes.length;
    let correct = 0;
    for (let i = 0; i < votes.length; i++) {
      if (votes[i]! > 0 && argmax(sums, i * k, k) === y.labels[i]) correct++;
    }
    return { name: "accuracy", value: correct / rows, rows };
  }
  let mean = 0;
  for (let i = 0; i < votes.length; i++) if (votes[i]! > 0) mean += y.values[i]!;
  mean /= rows;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < votes.length; i++) {
    const v = votes[i]!;
    if (v === 0) continue;
    const target = y.values[i]!;
    residual += (sums[i]! / v - target) ** 2;
    total += (target - mean) ** 2;
  }
  return { name: "r2", value: total > 0 ? 1 - residual / total : 0, rows };
}

function argmax(values: Float64Array, at: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[at + c]! > values[at + best]!) best = c;
  return best;
}
