/**
 * The `gbdt` model: histogram-based gradient boosting on typed arrays, with shrinkage, seeded
 * row and column subsampling, early stopping on the validation split, class weights, and a
 * compact binary model file.
 *
 * @module
 */
import { z } from "zod";
import { type Matrix, Random } from "../../utils/mod.ts";
import { ArtifactError, ConfigError } from "../../errors.ts";
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
import {
  binMatrix,
  type BinnedMatrix,
  type CategoryBins,
  type CategoryLookup,
  categoryLookup,
  describeCategoryBins,
  learnBinEdges,
  MAX_CATEGORY_CODE,
  MAX_VALUE_BINS,
  valueBinCounts,
} from "./binning.ts";
import { growTree, type Tree, treeValueBinned } from "./grow.ts";
import { addForestRows, type FlatForest, flattenTrees } from "./forest.ts";
import {
  baseScores,
  gradients,
  huberDelta,
  lossAndMetric,
  type LossName,
  type LossTargets,
  refitLeaf,
  REGRESSION_LOSSES,
  rowProbabilities,
  scoresPerRow,
} from "./losses.ts";
import { HistogramThreads, PARALLEL_MIN_ROWS } from "./_histogram_threads.ts";
import { decodeTrees, encodeTrees, TREES_FILE } from "./tree_file.ts";
import { checkTreeFitInputs } from "./shape.ts";
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
  /**
   * The regression loss: `squared_error`, `absolute_error` (leaves re-fit to the median
   * residual) or `huber` (squared within `delta`, absolute beyond). Classification picks the
   * log-loss or softmax itself and refuses any other value.
   */
  loss: z.enum(REGRESSION_LOSSES).default("squared_error"),
  /**
   * For `huber`: each round's `delta` is this quantile of the absolute residuals (scikit-learn's
   * `alpha`).
   */
  huber_quantile: z.number().gt(0).lt(1).default(0.9),
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
   * The columns that hold category codes (an `OrdinalEncoder`'s output): each is split by sets
   * of categories, not by thresholds (see `learnBinEdges`).
   * @default []
   */
  categorical?: readonly number[];
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
  /** The category bins of each categorical column (absent in models saved before them). */
  categories?: SavedCategoryBins[];
}

/** One categorical column's bins as `params.json` keeps them. */
interface SavedCategoryBins {
  feature: number;
  codes: number[];
  other: boolean;
  seen: number;
}

/** A categorical input column of a fitted model, for reports. */
export interface CategoricalFeature {
  /** The input column. */
  feature: number;
  /** Distinct categories in the training rows. */
  categories: number;
  /** Categories with a bin of their own (the most frequent ones). */
  kept: number;
  /** Whether the rarer categories share one "other" bin. */
  other: boolean;
  /** One sentence, e.g. `312 categories: the 254 most frequent split on their own, …`. */
  description: string;
}

/**
 * Gradient-boosted decision trees: leaf-wise trees on histograms of binned features. Missing
 * feature values (NaN) are routed to the side each split learned; infinities compare as
 * numbers. Classification with two classes uses the log-loss (one tree per round), with more
 * the softmax (one tree per class per round); regression uses `params.loss`: the squared error
 * (from the mean), or, robust to outliers, the absolute error or the Huber loss (from the
 * median, each leaf re-fit to its rows' residuals).
 *
 * Columns named in `categorical` hold category codes and are split by sets of categories,
 * ordered by their gradient statistics, as LightGBM and scikit-learn do: no one-hot needed. A
 * category unseen in training (a NaN or negative code) goes where the split sends missing
 * values; beyond 255 categories the rarer ones share an "other" bin (`categoricalFeatures()`).
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
  #categorical: Uint8Array;
  #categories: (CategoryBins | null)[] = [];
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
   * @throws {RangeError} for a non-positive input width, or a categorical column out of range
   * @throws {DataValidationError} when a classifier has fewer than two classes
   * @throws {z.ZodError} when a param is out of range
   * @throws {ConfigError} when a classifier is given a `loss` other than `squared_error`
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
    this.#categorical = categoricalFlags(options.categorical ?? [], inputDim);
    this.#params = GBDT_PARAMS.parse(options.params ?? {});
    this.#loss = task === "regression"
      ? this.#params.loss
      : classificationLoss(this.#params.loss, classes.length);
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
   * are ignored; the seed is `options.seed` when given. The recorded loss is `params.loss` for a
   * regression; with `huber`, each round's training and validation losses use that round's
   * `delta` (taken from the training residuals), as scikit-learn's does.
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
    const edges = learnBinEdges(x, p.max_bins, {
      ...(n > BINNING_SAMPLE_ROWS
        ? {
          rows: new Random(root.derive("gbdt-bins")).permutation(n).subarray(0, BINNING_SAMPLE_ROWS)
            .sort(),
        }
        : {}),
      categorical: this.#categorical,
    });
    const binned = binMatrix(x, edges);
    const valueBins = valueBinCounts(edges);
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
      // Huber's delta follows the residuals of each round, as in scikit-learn.
      const extras = loss === "huber" && yTrain.kind === "regression"
        ? { delta: huberDelta(scores, yTrain.values, p.huber_quantile) }
        : {};
      for (let c = 0; c < k; c++) {
        gradients(loss, { scores, y: yTrain, weights, ...extras }, c, {
          grad: grads[c]!,
          hess: hessians[c]!,
        });
      }
      const refit = (loss === "absolute_error" || loss === "huber") && yTrain.kind === "regression"
        ? leafRefit(loss, { scores, values: yTrain.values, ...extras })
        : {};
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
          categorical: this.#categorical,
          ...(fullSample ? { onLeaf: leafUpdate(scores, k, c) } : {}),
          ...refit,
          ...(pool === null ? {} : { threads: pool }),
        }));
      }
      const roundTrees = trees.slice(trees.length - k);
      if (!fullSample) addTrees(scores, binned, roundTrees);
      const train = lossAndMetric(loss, { scores, y: yTrain, weights, ...extras });
      const logs: EpochLogs = { epoch: round, loss: train.loss, metric: train.metric, seconds: 0 };
      if (valBinned !== null && valScores !== null && yVal !== null) {
        addTrees(valScores, valBinned, roundTrees);
        const val = lossAndMetric(loss, { scores: valScores, y: yVal, ...extras });
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
    this.#categories = [...(edges.categories ?? [])];
    this.#forest = flattenTrees(this.#trees, this.#lookups());
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
    const scores = repeatRows(this.#base!, x.rows);
    addForestRows(this.#forest!, x, scores);
    if (this.#task === "regression") return Float32Array.from(scores);
    const outputs = this.#classes.length;
    const out = new Float32Array(x.rows * outputs);
    const probabilities = new Float64Array(outputs);
    for (let i = 0; i < x.rows; i++) {
      rowProbabilities(this.#loss, scores, i * k, probabilities);
      out.set(probabilities, i * outputs);
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
      categories: this.#categories.flatMap((bins, feature) =>
        bins === null
          ? []
          : [{ feature, codes: Array.from(bins.codes), other: bins.other, seen: bins.seen }]
      ),
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
    const huber = this.#loss === "huber" ? ` (quantile ${this.#params.huber_quantile})` : "";
    const head =
      `GbdtModel (gbdt): ${this.#task}, ${this.#inputDim} inputs, loss ${this.#loss}${huber}`;
    if (!this.isFitted) return `${head}\nnot fitted`;
    let leaves = 0;
    for (const tree of this.#trees) for (const f of tree.feature) if (f < 0) leaves++;
    const p = this.#params;
    const categorical = this.categoricalFeatures().map((c) =>
      `\ncategorical column ${c.feature}: ${c.description}`
    ).join("");
    return `${head}\n${this.#trees.length / this.#k} rounds × ${this.#k} trees, ${leaves} leaves` +
      `\nlearning_rate ${p.learning_rate}, max_leaves ${p.max_leaves}, max_depth ${
        p.max_depth ?? "none"
      }, min_samples_leaf ${p.min_samples_leaf}, l2 ${p.l2}${categorical}`;
  }

  /**
   * The categorical input columns and what training learned of each: how many categories, how
   * many split on their own, whether the rarer ones share "other".
   *
   * @returns one entry per categorical column; empty before `fit` or without categorical columns
   * @example
   * ```ts
   * model.categoricalFeatures()[0]?.description; // "312 categories: the 254 most frequent ..."
   * ```
   */
  categoricalFeatures(): CategoricalFeature[] {
    return this.#categories.flatMap((bins, feature) =>
      bins === null ? [] : [{
        feature,
        categories: bins.seen,
        kept: bins.codes.length,
        other: bins.other,
        description: describeCategoryBins(bins),
      }]
    );
  }

  #lookups(): (CategoryLookup | null)[] {
    return this.#categories.map((bins) => bins === null ? null : categoryLookup(bins));
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
    this.#categories = [];
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
    const model = modelFromParams(dir, "gbdt", () =>
      new GbdtModel({
        task: saved.task,
        inputDim: saved.inputDim,
        classes: saved.classes,
        seed: saved.seed,
        categorical: categoricalColumns(saved.state),
        params: saved.config.params as Partial<GbdtParams>,
      }));
    const state = parseState(dir, saved.state, model.#loss, model.#k);
    model.#categories = Array.from(
      { length: saved.inputDim },
      () => null as CategoryBins | null,
    );
    for (const c of state.categories ?? []) {
      model.#categories[c.feature] = {
        codes: Int32Array.from(c.codes),
        other: c.other,
        seen: c.seen,
      };
    }
    const bytes = await readModelFile(dir, state.file);
    const trees = decodeModelFile(dir, state.file, () => {
      const trees = decodeTrees(bytes, state.nodes, saved.inputDim);
      return { trees, forest: flattenTrees(trees, model.#lookups()) };
    });
    model.#trees = trees.trees;
    model.#forest = trees.forest;
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
    categories: z.array(z.strictObject({
      feature: z.int().min(0),
      codes: z.array(z.int().min(0).max(MAX_CATEGORY_CODE)).max(MAX_VALUE_BINS),
      other: z.boolean(),
      seen: z.int().min(0),
    })).optional(),
  });
  const parsed = schema.safeParse(raw);
  const problem = parsed.success ? stateProblem(parsed.data as GbdtState, k) : null;
  if (!parsed.success || problem !== null) {
    const detail = parsed.success
      ? problem!
      : parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join(
        "; ",
      );
    throw corruptModelState(dir, detail);
  }
  return parsed.data as GbdtState;
}

/** What is wrong with a parsed state beyond its shape, or null. */
function stateProblem(state: GbdtState, k: number): string | null {
  if (state.nodes.length % k !== 0) return `${state.nodes.length} trees is not a multiple of ${k}`;
  for (const c of state.categories ?? []) {
    const ascending = c.codes.every((code, i) => i === 0 || c.codes[i - 1]! < code);
    if (!ascending || c.seen < c.codes.length || c.other !== c.seen > c.codes.length) {
      return `the category bins of column ${c.feature} are inconsistent`;
    }
  }
  return null;
}

/** The categorical columns a saved state names, for the constructor to check. */
function categoricalColumns(state: unknown): number[] {
  const categories = (state as { categories?: unknown } | null)?.categories;
  if (!Array.isArray(categories)) return [];
  return categories.map((c) => (c as { feature?: unknown })?.feature).filter((f): f is number =>
    typeof f === "number"
  );
}

/** One flag per input column from the categorical column indexes. */
function categoricalFlags(columns: readonly number[], inputDim: number): Uint8Array {
  const flags = new Uint8Array(inputDim);
  for (const c of columns) {
    if (!Number.isInteger(c) || c < 0 || c >= inputDim || flags[c] === 1) {
      throw new RangeError(
        `Cannot create "gbdt" model: categorical column ${c} is out of range or repeated, expected distinct integers in [0, ${inputDim})`,
      );
    }
    flags[c] = 1;
  }
  return flags;
}

/** The classification loss for a class count, refusing a regression loss asked for. */
function classificationLoss(asked: GbdtParams["loss"], classes: number): LossName {
  if (asked !== "squared_error") {
    throw new ConfigError(
      `Cannot create "gbdt" classifier: model.params.loss is "${asked}", but classification ` +
        `picks its loss itself (log_loss for two classes, softmax for more); remove ` +
        `model.params.loss, or set data.task to regression to use "${asked}"`,
      [{
        file: "",
        line: 0,
        column: 0,
        path: "model.params.loss",
        message: `"${asked}" is a regression loss; classification uses log_loss or softmax`,
      }],
    );
  }
  return classes === 2 ? "log_loss" : "softmax";
}

/** The `leafValue` hook of a loss that re-fits leaves: residuals before the round's tree. */
function leafRefit(
  loss: "absolute_error" | "huber",
  data: { scores: Float64Array; values: Float32Array; delta?: number },
): { leafValue: (rows: Uint32Array) => number } {
  return { leafValue: (rows) => refitLeaf(loss, data, rows) };
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
