/**
 * The feature nodes: fit_features (the feature pipeline and selector fitted on train, every
 * split's matrix and targets) and describe (the input signature and training profile a run
 * records).
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import pl from "nodejs-polars";
import type { Config } from "../../config/mod.ts";
import { inputSignature, profileFrame } from "../../data/mod.ts";
import { FeaturePipeline, FeatureSelector, treeFeatureSteps } from "../../features/mod.ts";
import { CATEGORY_SPLIT_FAMILIES, type Targets, TREE_FAMILIES } from "../../models/mod.ts";
import { ConfigError, DataValidationError } from "../../errors.ts";
import { fingerprintFrame, frameToMatrix, isDateDtype } from "../../utils/mod.ts";
import type { Matrix } from "../../utils/mod.ts";
import type { SplitFrames } from "../cache/mod.ts";
import type { FittedFeatures } from "./datasets.ts";
import { configSlice, defineNode } from "./node.ts";

const FEATURE_CODE = ["features", "data", "utils", "config"] as const;

/** Fits the feature pipeline (and selector) on train and builds every split's matrix. */
export const FIT_FEATURES_NODE = defineNode({
  name: "fit_features",
  description: "fit transformers and selector on train; build matrices and targets",
  stage: "features",
  inputs: ["prepared"],
  outputs: ["features"],
  code: FEATURE_CODE,
  cached: true,
  config: (config) => ({
    ...configSlice(config, [
      "data.target",
      "data.task",
      "data.id_columns",
      "features.steps",
      "features.selection",
      // The selector's permutations are seeded by training.seed; without one it is not read.
      ...(config.features.selection.length > 0 ? ["training.seed"] : []),
    ]),
    // Tree families train on rewritten steps (treeFeatureSteps); the other families share one.
    "features for trees": isTreeFamily(config),
    "category codes": CATEGORY_SPLIT_FAMILIES.includes(config.model.family),
  }),
  run: ({ prepared }, { config }) => ({ features: fitFeatures(prepared, config) }),
});

/** Describes the training data for the run: the input signature, profile and test fingerprint. */
export const DESCRIBE_NODE = defineNode({
  name: "describe",
  description: "input signature, training-data profile and test fingerprint for the run",
  stage: "record",
  inputs: ["prepared", "features"],
  outputs: ["description"],
  code: FEATURE_CODE,
  cached: true,
  config: (config) =>
    configSlice(config, ["data.target", "data.id_columns", "features.derived", "split.seed"]),
  async run({ prepared, features }, { config }) {
    const inputColumns = rawInputColumns(features.pipeline.inputColumns(), config.features.derived);
    // Dates feed derived features only; drift is checked on the other inputs.
    const profiledColumns = inputColumns.filter((name) =>
      !isDateDtype(prepared.train.getColumn(name).dtype)
    );
    return {
      description: {
        signature: inputSignature(
          prepared.train,
          inputColumns,
          config.data.target,
          config.data.id_columns,
        ),
        profile: profileFrame(prepared.train, profiledColumns, { seed: config.split.seed }),
        testFingerprint: await fingerprintFrame(prepared.test),
        rows: {
          train: prepared.train.height,
          val: prepared.val.height,
          test: prepared.test.height,
        },
      },
    };
  },
});

/**
 * Fits the feature pipeline (and selector) on the training split and builds every matrix. A
 * tree family (`model.family` gbdt or random_forest) trains on `treeFeatureSteps` of the
 * configured steps: raw numbers, and category codes for `gbdt`.
 *
 * @param data the prepared splits
 * @param config the resolved config
 * @returns the fitted features with train, val and test matrices and targets
 * @throws {ConfigError} when no feature steps are configured
 * @throws {DataValidationError} when val or test hold a class that train lacks
 * @example
 * ```ts
 * const features = fitFeatures(await prepareData(config), config);
 * features.names; // ["Beak Length (mm)", ..., "Sex_MALE"]
 * ```
 */
export function fitFeatures(data: SplitFrames, config: Config): FittedFeatures {
  if (config.features.steps.length === 0) {
    throw new ConfigError(
      `Cannot build features: "features.steps" is empty; list the columns to use and their transformers in the profile`,
    );
  }
  const { target, task, id_columns } = config.data;
  const steps = isTreeFamily(config)
    ? treeFeatureSteps(config.features.steps, {
      categorySplits: CATEGORY_SPLIT_FAMILIES.includes(config.model.family),
    })
    : config.features.steps;
  const pipeline = FeaturePipeline.fromConfig({ steps }, { target, idColumns: id_columns });
  if (config.features.selection.length === 0) {
    // Without a selector no feature frame is needed: each split goes straight to its matrix
    // (indicators read from Boolean columns), never through a full-size Float64 frame.
    const train = pipeline.fitTransformToMatrix(data.train);
    const y = buildTargets(data, target, task);
    const x = {
      train,
      val: pipeline.transformToMatrix(data.val),
      test: pipeline.transformToMatrix(data.test),
    };
    return { pipeline, selector: null, names: pipeline.featureNamesOut(), x, y, selection: null };
  }
  // fitTransform: the training features come out of fitting, not from a second transform.
  let trainFrame: DataFrame | null = pipeline.fitTransform(data.train);
  const y = buildTargets(data, target, task);
  const yTrainIndex = y.train.kind === "classification"
    ? y.train.labels
    : Float64Array.from(y.train.values);
  const selector = new FeatureSelector({
    selectors: config.features.selection,
    seed: config.training.seed,
  })
    .fit(trainFrame, yTrainIndex);
  trainFrame = selector.transform(trainFrame);
  const names = trainFrame.columns;
  // One split at a time: a transformed frame holds Float64 columns (twice the matrix's bytes,
  // plus each transformer's intermediate frames), so each is dropped as soon as its matrix
  // exists instead of all three living until the end. With fitTransform above, the flights
  // profile's peak RSS after this stage fell from 3.1–3.5 GB to 2.4 GB (bench/RESULTS.md).
  const train = frameToMatrix(trainFrame, names);
  trainFrame = null;
  releaseNativeMemory();
  const matrixOf = (df: DataFrame): Matrix => {
    const matrix = frameToMatrix(selector.transform(pipeline.transform(df)), names);
    releaseNativeMemory();
    return matrix;
  };
  const val = matrixOf(data.val);
  const test = matrixOf(data.test);
  return {
    pipeline,
    selector,
    names,
    x: { train, val, test },
    y,
    selection: selector.report(),
  };
}

/** Whether the configured family is a tree family, which trains on `treeFeatureSteps`. */
function isTreeFamily(config: Config): boolean {
  return TREE_FAMILIES.includes(config.model.family);
}

/**
 * `releaseNativeMemory`, then a turn of the event loop: a collected polars frame returns its
 * native memory from a finalizer, and finalizers run only between tasks. A loop over batches
 * that never yields to the event loop keeps every batch's memory until it ends (reading 12
 * shards of 262,144 flights six times grew RSS by 1 GB; with this after each batch, by 2 MB).
 *
 * @returns when the finalizers have run
 * @example
 * ```ts
 * for (const shard of shards) { work(readShard(shard)); await settleNativeMemory(); }
 * ```
 */
export async function settleNativeMemory(): Promise<void> {
  releaseNativeMemory();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Polars frames hold native memory that V8 does not see, so dead frames are only freed when a
 * full collection happens for other reasons. When the process runs with
 * `--v8-flags=--expose-gc`, collect now so that a finished stage's frames are returned.
 *
 * @example
 * ```ts
 * releaseNativeMemory(); // after a batch's frames are dropped
 * ```
 */
export function releaseNativeMemory(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Builds the targets of each split: class indexes over the training split's sorted classes, or
 * values.
 *
 * @param data the three splits
 * @param target the target column
 * @param task classification or regression
 * @returns the targets of train, val and test
 * @throws {DataValidationError} when val or test hold a class absent from train, or train holds
 *   a single class
 * @example
 * ```ts
 * const y = buildTargets(data, "Species", "classification");
 * y.train.kind === "classification" && y.train.classes; // ["Adelie", "Chinstrap", "Gentoo"]
 * ```
 */
export function buildTargets(
  data: SplitFrames,
  target: string,
  task: "classification" | "regression",
): FittedFeatures["y"] {
  let classes: string[] | null = null;
  if (task === "classification") {
    const column = data.train.getColumn(target).cast(pl.Utf8);
    // Without nulls the classes come from polars: no JS string per row.
    classes = column.nullCount() === 0
      ? (column.unique().toArray() as string[]).sort()
      : [...new Set(column.toArray() as string[])].sort();
    if (classes.length < 2) {
      throw new DataValidationError(
        `Cannot train a classifier: the training split holds ${classes.length} class(es) ${
          JSON.stringify(classes)
        } of "${target}"; a classifier needs at least 2, so check data.target and the split`,
      );
    }
  }
  const encodeSplit = (df: DataFrame, split: string): Targets => {
    const encoded = encodeTargets(df, target, classes);
    if ("unseen" in encoded) {
      throw new DataValidationError(
        `Cannot evaluate on the ${split} split: class(es) ${
          JSON.stringify(encoded.unseen)
        } of "${target}" are absent from the training split; use split.method "stratified" or collect more rows of them`,
      );
    }
    return encoded;
  };
  return {
    train: encodeSplit(data.train, "train"),
    val: encodeSplit(data.val, "val"),
    test: encodeSplit(data.test, "test"),
  };
}

/**
 * Encodes a frame's target for a model: its values for regression (`classes` is `null`), or
 * each label's index in `classes` for classification. Training and evaluating a recorded run on
 * a labelled file both encode through it.
 *
 * @param df the frame
 * @param target the target column
 * @param classes the class names in label order, or `null` for regression
 * @returns the targets, or `{ unseen }`: the labels `classes` lacks, in order of appearance
 * @example
 * ```ts
 * encodeTargets(df, "Species", ["Adelie", "Chinstrap", "Gentoo"]); // { kind: "classification", labels, classes }
 * ```
 */
export function encodeTargets(
  df: DataFrame,
  target: string,
  classes: readonly string[] | null,
): Targets | { unseen: string[] } {
  const column = df.getColumn(target);
  if (classes === null) {
    return {
      kind: "regression",
      values: Float32Array.from(column.cast(pl.Float64).toArray() as number[]),
    };
  }
  const names = [...classes];
  if (column.nullCount() === 0) {
    const label = pl.col(target).cast(pl.Utf8);
    // Up to 8 classes (the usual case) are told apart by comparisons, 3x cheaper than a hash
    // lookup per row; -1 marks a class `classes` lacks. No JS string per row (3M rows: seconds
    // and hundreds of MB less).
    const code = names.length <= 8
      ? names.reduceRight(
        (otherwise, name, i) =>
          pl.when(label.eq(pl.lit(name))).then(pl.lit(i)).otherwise(otherwise),
        pl.lit(-1),
      )
      : label.replaceStrict(names, names.map((_, i) => i), -1, pl.Int32);
    // toTypedArray copies out of polars: the array is this frame's own.
    const labels = df.select(code.cast(pl.Int32).alias("code")).getColumn("code")
      .toTypedArray() as Int32Array;
    // An unseen class: the per-row path below names it.
    if (!labels.includes(-1)) return { kind: "classification", labels, classes: names };
  }
  const index = new Map(names.map((c, i) => [c, i]));
  const texts = column.cast(pl.Utf8).toArray() as string[];
  const labels = new Int32Array(texts.length);
  const unseen = new Set<string>();
  texts.forEach((text, i) => {
    const k = index.get(text);
    if (k === undefined) unseen.add(text);
    else labels[i] = k;
  });
  return unseen.size > 0
    ? { unseen: [...unseen] }
    : { kind: "classification", labels, classes: names };
}

/**
 * Returns the raw columns a row must hold: the pipeline's inputs with each derived feature
 * replaced by the columns it is computed from (in order, without repeats).
 *
 * @param pipelineInputs the feature pipeline's input columns
 * @param derived the configured derived features
 * @returns the raw input columns
 * @example
 * ```ts
 * rawInputColumns(["distance", "hour"], [{ name: "hour", kind: "date_part", column: "date", part: "hour" }]);
 * // ["distance", "date"]
 * ```
 */
export function rawInputColumns(
  pipelineInputs: readonly string[],
  derived: Config["features"]["derived"],
): string[] {
  const sources = new Map(
    derived.map((d) => [d.name, "columns" in d ? [...d.columns] : [d.column]] as const),
  );
  const out: string[] = [];
  const visit = (name: string, depth: number) => {
    const from = sources.get(name);
    if (from && depth < 64) { for (const source of from) visit(source, depth + 1); }
    else if (!out.includes(name)) out.push(name);
  };
  for (const name of pipelineInputs) visit(name, 0);
  return out;
}
