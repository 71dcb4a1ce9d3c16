/**
 * Out-of-core training data: the input read in batches, cleaned and split without ever being
 * held whole.
 *
 * 1. `writeCleanShards`: one pass over the input (`readTypedBatches`): derive the target,
 *    row-level cleaning, validation, derived features; each cleaned batch is written as an
 *    Arrow IPC shard under the run's temporary folder (`data/processed/out_of_core/<id>/`).
 * 2. `splitShards`: the split of the cleaned rows, the same rows as the in-memory split: a
 *    `random` split from the same seeded permutation (one byte per row), a `time` split from
 *    the exact order statistics of the time column (a few passes over that column only).
 * 3. `buildRowFiles`: the feature pipeline fitted in streaming passes over the training rows
 *    (`FeaturePipeline.fitBatches`), then each shard transformed once and its rows appended to
 *    the binary row files of its split, which training and evaluation read window by window.
 *
 * Peak memory is set by `data.batch_rows` and the model; what grows with the rows is one byte
 * per row for a random split, and the targets and predictions of a split while it is scored.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import type { CleaningConfig, Config } from "../../config/mod.ts";
import {
  applyCleaning,
  checkConfigColumns,
  datasetColumns,
  dataSourceFor,
  deriveTarget,
  EMPTY_MOMENTS,
  encodeRowRanges,
  fitCleaning,
  inputSignature,
  mergeMoments,
  momentsOf,
  orderStatistics,
  planStreamedSplit,
  profileFrame,
  readTypedBatches,
  timeSplitBoundaries,
  validate,
} from "../../data/mod.ts";
import type {
  CleaningReport,
  CleaningState,
  ColumnSignature,
  InputSignature,
  Moments,
  RowRanges,
  ValidationReport,
} from "../../data/mod.ts";
import { addDerivedFeatures, FeaturePipeline, treeFeatureSteps } from "../../features/mod.ts";
import type { FrameSource } from "../../features/mod.ts";
import { CATEGORY_SPLIT_FAMILIES, RowFileWriter, TREE_FAMILIES } from "../../models/mod.ts";
import type { RowFile, Targets } from "../../models/mod.ts";
import {
  ConfigError,
  DataValidationError,
  SchemaMismatchError,
  type ValidationIssue,
} from "../../errors.ts";
import { fingerprintFrame, isNumericDtype, isTemporalDtype, sha256Hex } from "../../utils/mod.ts";
import type { Logger, Matrix } from "../../utils/mod.ts";
import type {
  CleanShards,
  DataDescription,
  FittedFeatures,
  RowFiles,
  Shard,
  ShardSplit,
  SplitRows,
} from "./datasets.ts";
import { encodeTargets, rawInputColumns, settleNativeMemory } from "./feature_nodes.ts";

/** Where out-of-core runs keep their shards, relative to the project root. */
export const OUT_OF_CORE_DIR = "data/processed/out_of_core";

/** Rows of the test split kept in memory for the run report's charts. */
const REPORT_TEST_ROWS = 20_000;
/** Training rows sampled from each shard for the drift profile. */
const PROFILE_ROWS_PER_SHARD = 2_000;

/**
 * How an out-of-core run's test fingerprint begins: it hashes the test shards, not one test
 * frame, so it never equals an in-memory run's.
 */
export const SHARDS_FINGERPRINT = "shards:";

/**
 * Whether a run trains out of core: `data.out_of_core`, or with `auto`, whether the input holds
 * more than `data.out_of_core_rows` rows (Parquet and Arrow count them from the footer; a text
 * file counts bytes, at 100 bytes a row).
 *
 * @param config the resolved config
 * @returns `true` to train out of core
 * @example
 * ```ts
 * usesOutOfCore(config); // false for penguins
 * ```
 */
export function usesOutOfCore(config: Config): boolean {
  const setting = config.data.out_of_core;
  if (setting !== "auto") return setting;
  const location = config.data.path;
  const path = dataSourceFor(location).localPath(location);
  if (/\.(parquet|arrow|ipc|feather)$/i.test(location)) {
    try {
      const lazy = /\.parquet$/i.test(path) ? pl.scanParquet(path) : pl.scanIPC(path);
      const rows = Number(lazy.select(pl.len().alias("n")).collectSync().row(0)[0]);
      return rows > config.data.out_of_core_rows;
    } catch {
      return false; // the load node reports the unreadable file
    }
  }
  try {
    return Deno.statSync(path).size / 100 > config.data.out_of_core_rows;
  } catch {
    return false;
  }
}

/**
 * Refuses the settings that need every row at once, naming the key and the fix.
 *
 * @param config the resolved config
 * @throws {ConfigError} for `cleaning.drop_duplicates`, learned fills or clips, `unique`
 *   validation rules or feature selection
 * @example
 * ```ts
 * checkOutOfCoreConfig(config); // throws for cleaning.drop_duplicates: true
 * ```
 */
export function checkOutOfCoreConfig(config: Config): void {
  const refuse = (key: string, why: string) => {
    throw new ConfigError(
      `Cannot train out of core: "${key}" ${why}; change it, or set data.out_of_core to false to train in memory`,
    );
  };
  if (config.cleaning.drop_duplicates) refuse("cleaning.drop_duplicates", "compares every row");
  for (const [column, strategy] of Object.entries(config.cleaning.nulls)) {
    if (strategy.strategy !== "drop") {
      refuse(`cleaning.nulls.${column}`, "learns its fill from the whole training split");
    }
  }
  for (const column of Object.keys(config.cleaning.clip)) {
    refuse(`cleaning.clip.${column}`, "learns its bounds from the whole training split");
  }
  for (const [column, rules] of Object.entries(config.validation.columns)) {
    if (rules.unique) refuse(`validation.columns.${column}.unique`, "compares every row");
  }
  if (config.features.selection.length > 0) {
    refuse("features.selection", "scores features on the whole training matrix");
  }
}

/**
 * Reads the input in batches, cleans and validates each, adds the derived features and writes
 * each cleaned batch as a shard.
 *
 * @param config the resolved config
 * @param dir the run's shard folder (created)
 * @param logger where to log
 * @returns the shards, the validation and cleaning reports, and the input's row count
 * @throws {ConfigError} as `checkOutOfCoreConfig`
 * @throws {SchemaMismatchError} when the target is missing
 * @throws {DataValidationError} when cleaned rows break the schema (strict), or the target is
 *   constant or missing after cleaning
 * @example
 * ```ts
 * const shards = await writeCleanShards(config, "data/processed/out_of_core/run-x", logger);
 * ```
 */
export async function writeCleanShards(
  config: Config,
  dir: string,
  logger: Logger,
): Promise<CleanShards> {
  checkOutOfCoreConfig(config);
  const { data } = config;
  const { path, target, task } = data;
  checkConfigColumns(config, datasetColumns(path, data), { source: path });
  await Deno.mkdir(dir, { recursive: true });
  const rowLevel = rowLevelCleaning(config.cleaning);
  const issues = new Map<string, ValidationIssue>();
  const steps = new Map<string, CleaningReport["steps"][number]>();
  const shards: Shard[] = [];
  const targets = new Set<string>();
  let inputRows = 0;
  let rows = 0;
  let cleaningState: CleaningState | null = null;
  let columns = 0;
  for await (const batch of readTypedBatches(path, { ...data, batchRows: data.batch_rows })) {
    const offset = batch.firstRow - 1;
    const raw = data.derive_target
      ? deriveTarget(batch.frame, data.derive_target, target)
      : batch.frame;
    if (!raw.columns.includes(target)) {
      throw new SchemaMismatchError(
        `Cannot train on "${path}": the target column "${target}" (data.target) is missing; found ${
          JSON.stringify(raw.columns)
        }`,
      );
    }
    inputRows += raw.height;
    columns = raw.width;
    const report = validate(raw, { ...config.validation, min_rows: 0 }, { target, strict: false });
    for (const issue of report.issues) mergeIssue(issues, issue, offset);
    const cleaned = applyCleaning(raw, rowLevel, fitCleaning(raw, rowLevel), {
      dropRows: true,
      trackRows: true,
    });
    for (const step of cleaned.report.steps) {
      const key = `${step.step}|${step.column}|${step.action}`;
      const before = steps.get(key);
      steps.set(key, before ? { ...before, rows: before.rows + step.rows } : { ...step });
    }
    let frame = cleaned.frame;
    let positions = cleaned.rowPositions!;
    const targetNulls = frame.getColumn(target).nullCount();
    if (targetNulls > 0) {
      const present = frame.getColumn(target).isNotNull().toArray() as boolean[];
      frame = frame.filter(pl.col(target).isNotNull());
      positions = positions.filter((_, i) => present[i]);
      const key = `target|${target}|drop`;
      const before = steps.get(key);
      steps.set(key, {
        step: "nulls",
        column: target,
        action: "drop",
        rows: (before?.rows ?? 0) + targetNulls,
      });
    }
    const changedValues = cleaned.report.steps.some((step) =>
      step.rows > 0 && step.step !== "drop_duplicates" &&
      !(step.step === "nulls" && step.action === "drop")
    );
    if (config.validation.strict && frame.height > 0 && (!report.ok || changedValues)) {
      const after = validate(frame, { ...config.validation, min_rows: 0 }, {
        target,
        strict: false,
      });
      if (!after.ok) {
        throw new DataValidationError(
          `Cannot train: the cleaned rows ${batch.firstRow}–${
            batch.firstRow + batch.frame.height - 1
          } still break ${after.issues.length} validation rule(s) (${
            after.issues.map((i) => `${i.column ?? "table"} ${i.rule}: ${i.count}`).join(", ")
          }); add cleaning for them in the profile's "cleaning" or relax its "validation.columns"`,
          after.issues,
        );
      }
    }
    if (frame.height === 0) continue;
    cleaningState ??= fitCleaning(frame, config.cleaning);
    if (targets.size < 2) {
      for (const value of frame.getColumn(target).unique().toArray()) {
        targets.add(String(value));
      }
    }
    if (task === "regression" && !isNumericDtype(frame.getColumn(target).dtype)) {
      throw new SchemaMismatchError(
        `Cannot train a regression: the target "${target}" is ${
          frame.getColumn(target).dtype.variant
        }, expected a numeric column; set data.task to "classification" or pick a numeric target`,
      );
    }
    const derived = config.features.derived.length > 0
      ? addDerivedFeatures(frame, config.features.derived)
      : frame;
    const shardPath = `${dir}/clean-${String(shards.length).padStart(5, "0")}.arrow`;
    derived.writeIPC(shardPath);
    shards.push({
      path: shardPath,
      rows: derived.height,
      inputRows: encodeRowRanges(positions.map((p) => p + offset)),
    });
    rows += derived.height;
    await settleNativeMemory();
  }
  if (inputRows < config.validation.min_rows) {
    mergeIssue(issues, {
      column: null,
      rule: "min_rows",
      count: inputRows,
      message: `${inputRows} rows, expected at least ${config.validation.min_rows}`,
      examples: [],
      rows: [],
    }, 0);
  }
  if (rows === 0) {
    throw new DataValidationError(
      `Cannot train: no rows are left after cleaning; check the "cleaning" section of the config`,
    );
  }
  if (targets.size < 2) {
    throw new DataValidationError(
      `Cannot train: the target "${target}" is constant (${targets.size} distinct value) after cleaning; choose another data.target or check the data`,
    );
  }
  logger.info("Read {rows} rows in {shards} batches of {batch} from {path} (out of core)", {
    rows: inputRows,
    shards: shards.length,
    batch: data.batch_rows,
    path,
  });
  const validation: ValidationReport = {
    ok: issues.size === 0,
    rows: inputRows,
    columns,
    issues: [...issues.values()],
  };
  return {
    dir,
    shards,
    rows,
    inputRows,
    input: { path, rows: inputRows },
    validation,
    cleaning: { rowsIn: inputRows, rowsOut: rows, steps: [...steps.values()] },
    cleaningState: cleaningState ?? { version: 1, fills: {}, clip: {} },
  };
}

/**
 * Splits the cleaned rows as `splitIndices` splits the whole frame (random and time splits).
 *
 * @param shards the cleaned shards
 * @param config the resolved config
 * @returns the split plan, the time boundaries and the rows of each split
 * @throws {ConfigError} for a method that cannot stream
 * @throws {SchemaMismatchError} when the time column is missing
 * @throws {DataValidationError} when the time column holds nulls or a split comes out empty
 * @example
 * ```ts
 * const split = await splitShards(shards, config); // split.rows.train
 * ```
 */
export async function splitShards(shards: CleanShards, config: Config): Promise<ShardSplit> {
  const plan = planStreamedSplit(shards.rows, config.split);
  if (plan.method === "random") {
    return { plan, boundaries: null, rows: plan.sizes };
  }
  const column = plan.column;
  const times = timeValues(shards.shards, column);
  let moments: Moments = { ...EMPTY_MOMENTS };
  let missing = 0;
  for await (const values of times()) {
    const m = momentsOf(values);
    missing += values.length - m.count;
    moments = mergeMoments(moments, m);
  }
  if (missing > 0) {
    throw new DataValidationError(
      `Cannot split with method "time": column "${column}" has ${missing} null or NaN values; drop or fill them first (cleaning.nulls)`,
    );
  }
  const bounds = await timeSplitBoundaries(
    plan.sizes,
    async (rank) => (await orderStatistics(times, [rank], moments))[0]!,
    async (time) => {
      let count = 0;
      for await (const values of times()) {
        for (let i = 0; i < values.length; i++) if (values[i]! <= time) count++;
      }
      return count;
    },
    column,
  );
  const rows = {
    train: bounds.counts.train,
    val: bounds.counts.val,
    test: shards.rows - bounds.counts.train - bounds.counts.val,
  };
  return { plan, boundaries: { train: bounds.train, val: bounds.val }, rows };
}

/**
 * Fits the feature pipeline on the training rows in streaming passes, then transforms every
 * shard once into the row files of its split; also describes the training data for the run.
 *
 * @param shards the cleaned shards
 * @param split their split
 * @param config the resolved config
 * @param logger where to log
 * @returns the fitted features (the matrices in memory hold only a test sample for the
 *   report), the row files, the description and the input rows of each split
 * @throws {ConfigError} when no feature steps are configured or a transformer has no batch fit
 * @throws {DataValidationError} when val or test hold a class train lacks
 * @example
 * ```ts
 * const { features, rowFiles } = await buildRowFiles(shards, split, config, logger);
 * ```
 */
export async function buildRowFiles(
  shards: CleanShards,
  split: ShardSplit,
  config: Config,
  logger: Logger,
): Promise<{
  features: FittedFeatures;
  rowFiles: RowFiles;
  description: DataDescription;
  splitRows: SplitRows;
}> {
  if (config.features.steps.length === 0) {
    throw new ConfigError(
      `Cannot build features: "features.steps" is empty; list the columns to use and their transformers in the profile`,
    );
  }
  const { target, task, id_columns } = config.data;
  const steps = TREE_FAMILIES.includes(config.model.family)
    ? treeFeatureSteps(config.features.steps, {
      categorySplits: CATEGORY_SPLIT_FAMILIES.includes(config.model.family),
    })
    : config.features.steps;
  const pipeline = FeaturePipeline.fromConfig({ steps }, { target, idColumns: id_columns });
  const codesOf = shardCodes(shards, split);
  const trainRows: FrameSource = async function* () {
    for (const [i, shard] of shards.shards.entries()) {
      const frame = readShard(shard.path);
      const codes = codesOf(i, frame);
      yield codes.every((c) => c === 0)
        ? frame
        : frame.filter(pl.Series(Array.from(codes, (c) => c === 0)));
      await settleNativeMemory();
    }
  };
  let classes: string[] | null = null;
  if (task === "classification") {
    const seen = new Set<string>();
    for await (const frame of trainRows()) {
      for (const value of frame.getColumn(target).cast(pl.Utf8).unique().toArray()) {
        if (value !== null) seen.add(value as string);
      }
    }
    classes = [...seen].sort();
    if (classes.length < 2) {
      throw new DataValidationError(
        `Cannot train a classifier: the training split holds ${classes.length} class(es) ${
          JSON.stringify(classes)
        } of "${target}"; a classifier needs at least 2, so check data.target and the split`,
      );
    }
  }
  await pipeline.fitBatches(trainRows);
  const names = pipeline.featureNamesOut();
  logger.info("Fitted {steps} feature step(s) in streaming passes: {cols} features", {
    steps: steps.length,
    cols: names.length,
  });
  const stem = `${shards.dir}/rows`;
  const writers = [0, 1, 2].map((k) =>
    new RowFileWriter(`${stem}-${["train", "val", "test"][k]}`, names.length, classes)
  );
  const ranges: [number, number][][] = [[], [], []];
  const inputColumns = rawInputColumns(pipeline.inputColumns(), config.features.derived);
  let signature: InputSignature | null = null;
  const profileSample: DataFrame[] = [];
  const testHashes: string[] = [];
  let testSample: { x: Matrix; y: Targets } | null = null;
  for (const [i, shard] of shards.shards.entries()) {
    const frame = readShard(shard.path);
    const codes = codesOf(i, frame);
    const x = pipeline.transformToMatrix(frame);
    const encoded = encodeTargets(frame, target, classes);
    const inputRows = decodeRanges(shard.inputRows);
    for (const k of [0, 1, 2] as const) {
      const keep: number[] = [];
      for (let r = 0; r < codes.length; r++) if (codes[r] === k) keep.push(r);
      if (keep.length === 0) continue;
      if ("unseen" in encoded) {
        throw new DataValidationError(
          `Cannot evaluate on the ${["train", "val", "test"][k]} split: class(es) ${
            JSON.stringify(encoded.unseen)
          } of "${target}" are absent from the training split; use split.method "stratified" or collect more rows of them`,
        );
      }
      const part = takeRows(x, encoded, keep);
      writers[k]!.append(part.x, part.y);
      for (const r of keep) appendRange(ranges[k]!, inputRows[r]!);
      const rowsOfSplit = keep.length === frame.height
        ? frame
        : frame.filter(pl.Series(Array.from(codes, (c) => c === k)));
      if (k === 0) {
        const shardSignature = inputSignature(rowsOfSplit, inputColumns, target, id_columns);
        signature = signature === null
          ? shardSignature
          : mergeSignatures(signature, shardSignature);
        profileSample.push(
          rowsOfSplit.sample(Math.min(rowsOfSplit.height, PROFILE_ROWS_PER_SHARD), {
            seed: config.split.seed + i,
          } as never),
        );
      }
      if (k === 2) {
        testHashes.push(await fingerprintFrame(rowsOfSplit));
        if (testSample === null || testSample.x.rows < REPORT_TEST_ROWS) {
          testSample = appendSample(testSample, part, REPORT_TEST_ROWS);
        }
      }
    }
    await settleNativeMemory();
  }
  const [train, val, test] = writers.map((w) => w.close()) as [RowFile, RowFile, RowFile];
  const sample = pl.concat(profileSample, { how: "vertical" });
  const profiled = inputColumns.filter((name) => !isTemporalDtype(sample.getColumn(name).dtype));
  const profile = {
    ...profileFrame(sample, profiled, { seed: config.split.seed }),
    rows: train.rows,
  };
  const empty: Matrix = { data: new Float32Array(0), rows: 0, cols: names.length };
  const noTargets: Targets = classes === null
    ? { kind: "regression", values: new Float32Array(0) }
    : { kind: "classification", labels: new Int32Array(0), classes };
  const features: FittedFeatures = {
    pipeline,
    selector: null,
    names,
    x: { train: empty, val: empty, test: testSample?.x ?? empty },
    y: { train: noTargets, val: noTargets, test: testSample?.y ?? noTargets },
    selection: null,
  };
  return {
    features,
    rowFiles: { train, val, test },
    description: {
      signature: signature!,
      profile,
      testFingerprint: `${SHARDS_FINGERPRINT}${await sha256Hex(
        new TextEncoder().encode(testHashes.join("\n")),
      )}`,
      rows: { train: train.rows, val: val.rows, test: test.rows },
    },
    splitRows: {
      input_rows: shards.inputRows,
      train: ranges[0]!,
      val: ranges[1]!,
      test: ranges[2]!,
    },
  };
}

/** Each shard's split codes (0 train, 1 val, 2 test), from the plan. */
function shardCodes(
  shards: CleanShards,
  split: ShardSplit,
): (index: number, frame: DataFrame) => Uint8Array {
  const offsets: number[] = [];
  let offset = 0;
  for (const shard of shards.shards) {
    offsets.push(offset);
    offset += shard.rows;
  }
  const { plan, boundaries } = split;
  return (index, frame) => {
    if (plan.method === "random") {
      return plan.codes.subarray(offsets[index]!, offsets[index]! + frame.height);
    }
    const values = timeArray(frame, plan.column);
    const codes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const t = values[i]!;
      codes[i] = t <= boundaries!.train
        ? 0
        : boundaries!.val !== null && t <= boundaries!.val
        ? 1
        : 2;
    }
    return codes;
  };
}

/** The time column of each shard as numbers (temporal types by their physical integer). */
function timeValues(shards: readonly Shard[], column: string) {
  return async function* (): AsyncGenerator<Float64Array> {
    for (const shard of shards) {
      yield timeArray(readShard(shard.path, [column]), column);
      await settleNativeMemory();
    }
  };
}

/** Reads a shard, or some of its columns (Arrow IPC is read lazily: only those columns). */
function readShard(path: string, columns?: string[]): DataFrame {
  const lazy = pl.scanIPC(path) as unknown as ReturnType<DataFrame["lazy"]>;
  return (columns === undefined ? lazy : lazy.select(columns)).collectSync();
}

function timeArray(frame: DataFrame, column: string): Float64Array {
  if (!frame.columns.includes(column)) {
    throw new SchemaMismatchError(
      `Cannot split with method "time": column "${column}" (split.time_column) is missing; found ${
        JSON.stringify(frame.columns)
      }`,
    );
  }
  const time = isTemporalDtype(frame.getColumn(column).dtype)
    ? pl.col(column).cast(pl.Int64)
    : pl.col(column);
  return frame.select(time.cast(pl.Float64).fillNull(NaN).alias("t")).getColumn("t")
    .toTypedArray() as Float64Array;
}

function takeRows(x: Matrix, y: Targets, keep: number[]): { x: Matrix; y: Targets } {
  if (keep.length === x.rows) return { x, y };
  const data = new Float32Array(keep.length * x.cols);
  keep.forEach((r, i) => data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols));
  const targets: Targets = y.kind === "classification"
    ? {
      kind: "classification",
      labels: Int32Array.from(keep, (r) => y.labels[r]!),
      classes: y.classes,
    }
    : { kind: "regression", values: Float32Array.from(keep, (r) => y.values[r]!) };
  return { x: { data, rows: keep.length, cols: x.cols }, y: targets };
}

function appendSample(
  sample: { x: Matrix; y: Targets } | null,
  part: { x: Matrix; y: Targets },
  limit: number,
): { x: Matrix; y: Targets } {
  const have = sample?.x.rows ?? 0;
  const add = Math.min(limit - have, part.x.rows);
  const cols = part.x.cols;
  const data = new Float32Array((have + add) * cols);
  if (sample) data.set(sample.x.data);
  data.set(part.x.data.subarray(0, add * cols), have * cols);
  const y: Targets = part.y.kind === "classification"
    ? {
      kind: "classification",
      labels: Int32Array.from([
        ...(sample?.y.kind === "classification" ? sample.y.labels : []),
        ...part.y.labels.subarray(0, add),
      ]),
      classes: part.y.classes,
    }
    : {
      kind: "regression",
      values: Float32Array.from([
        ...(sample?.y.kind === "regression" ? sample.y.values : []),
        ...part.y.values.subarray(0, add),
      ]),
    };
  return { x: { data, rows: have + add, cols }, y };
}

function decodeRanges(ranges: RowRanges): number[] {
  const out: number[] = [];
  for (const [start, length] of ranges) for (let i = 0; i < length; i++) out.push(start + i);
  return out;
}

function appendRange(ranges: [number, number][], row: number): void {
  const last = ranges.at(-1);
  if (last !== undefined && last[0] + last[1] === row) last[1]++;
  else ranges.push([row, 1]);
}

function mergeIssue(issues: Map<string, ValidationIssue>, issue: ValidationIssue, offset: number) {
  const key = `${issue.column}|${issue.rule}`;
  const before = issues.get(key);
  if (before === undefined) {
    issues.set(key, { ...issue, rows: issue.rows.map((r) => r + offset) });
    return;
  }
  before.count += issue.count;
  before.examples = [...before.examples, ...issue.examples].slice(0, 5);
  before.rows = [...before.rows, ...issue.rows.map((r) => r + offset)].slice(0, 5);
}

/** The signature of two parts of a split: widest ranges, union of categories, nullable if either. */
function mergeSignatures(a: InputSignature, b: InputSignature): InputSignature {
  const merge = (x: ColumnSignature, y: ColumnSignature): ColumnSignature => {
    const nullable = x.nullable || y.nullable;
    if (x.kind === "numeric" && y.kind === "numeric") {
      return { ...x, min: Math.min(x.min, y.min), max: Math.max(x.max, y.max), nullable };
    }
    if (x.kind === "temporal" && y.kind === "temporal") {
      return {
        ...x,
        min: x.min < y.min ? x.min : y.min,
        max: x.max > y.max ? x.max : y.max,
        nullable,
      };
    }
    if (x.kind === "categorical" && y.kind === "categorical") {
      return {
        ...x,
        categories: [...new Set([...x.categories, ...y.categories])].sort(),
        nullable,
      };
    }
    return { ...x, nullable };
  };
  return {
    ...a,
    columns: a.columns.map((column, i) => merge(column, b.columns[i]!)),
    target: merge(a.target, b.target),
  };
}

/** The cleaning steps that act on rows and values, without learned statistics. */
function rowLevelCleaning(cleaning: CleaningConfig): CleaningConfig {
  return {
    ...cleaning,
    nulls: Object.fromEntries(
      Object.entries(cleaning.nulls).filter(([, strategy]) => strategy.strategy === "drop"),
    ),
    clip: {},
  };
}
