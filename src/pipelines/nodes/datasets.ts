/**
 * The data catalog: every dataset that flows between pipeline nodes, its type, what it is, and
 * how the stage cache stores it (`null`: never cached, such as a live model).
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import type {
  CleaningReport,
  CleaningState,
  DataProfile,
  InputSignature,
  RowRanges,
  StreamedSplit,
  ValidationReport,
} from "../../data/mod.ts";
import { FeaturePipeline, FeatureSelector } from "../../features/mod.ts";
import type { SelectionReport } from "../../features/mod.ts";
import type {
  BaseModel,
  RowFile,
  RunRecord,
  SplitMetrics,
  Targets,
  TrainingHistory,
} from "../../models/mod.ts";
import type { Matrix } from "../../utils/mod.ts";
import {
  FRAME_CODEC,
  jsonCodec,
  MATRIX_CODEC,
  readArray,
  SPLIT_FRAMES_CODEC,
  writeArray,
} from "../cache/mod.ts";
import type { Codec, SplitFrames } from "../cache/mod.ts";

/** The input file as loaded: where it is, its fingerprint and its size. */
export interface InputFingerprint {
  path: string;
  sha256: string;
  bytes: number;
  rows: number;
}

/** What row-level cleaning did, and the raw frame's shape it started from. */
export interface RowCleaning {
  report: CleaningReport;
  /** `[name, dtype]` of every raw column. */
  rawSchema: string[][];
  /** The raw row number of each row left (`rows`), in order, as `[start, length]` runs. */
  inputRows: RowRanges;
}

/** Each split's rows as positions in the row-cleaned frame (`rows`), as `[start, length]` runs. */
export interface SplitPositions {
  train: RowRanges;
  val: RowRanges;
  test: RowRanges;
}

/**
 * Which input rows (0-based row numbers of the file as loaded, before cleaning) each cleaned
 * split holds, in the split's order, as `[start, length]` runs; the run records it as
 * `split.json`.
 */
export interface SplitRows {
  /** Rows of the input as loaded. */
  input_rows: number;
  train: RowRanges;
  val: RowRanges;
  test: RowRanges;
}

/** Fitted feature state: the pipeline, the optional selector and the matrices of each split. */
export interface FittedFeatures {
  pipeline: FeaturePipeline;
  selector: FeatureSelector | null;
  /** Names of the model's input columns, in matrix order. */
  names: string[];
  x: { train: Matrix; val: Matrix; test: Matrix };
  y: { train: Targets; val: Targets; test: Targets };
  /** The selector's report, or `null` when no selection is configured. */
  selection: SelectionReport | null;
}

/** What a run records about its training data besides the model. */
export interface DataDescription {
  /** The raw columns a row must hold (`schema.json`). */
  signature: InputSignature;
  /** The training split's profile (`profile.json`), the reference for drift checks. */
  profile: DataProfile;
  /** Fingerprint of the test split, so `evaluate` can tell it recomputed the same rows. */
  testFingerprint: string;
  /** Rows of each split. */
  rows: { train: number; val: number; test: number };
}

/** Metrics of a model on each split. */
export interface RunMetrics {
  train: SplitMetrics;
  val: SplitMetrics | null;
  test: SplitMetrics;
}

/** The model's and the baseline's metrics on the same splits. */
export interface Evaluation {
  model: RunMetrics;
  baseline: RunMetrics;
}

/** A recorded run: its id, folder (`null` when not recorded) and `run.json` record. */
export interface RecordedRun {
  id: string;
  dir: string | null;
  record: RunRecord;
}

/** One cleaned batch on disk. */
export interface Shard {
  /** The Arrow IPC file. */
  path: string;
  /** Cleaned rows in it. */
  rows: number;
  /** The input row (0-based) of each of its rows, as `[start, length]` runs. */
  inputRows: RowRanges;
}

/** The cleaned input, shard by shard, and what the pass found. */
export interface CleanShards {
  dir: string;
  shards: Shard[];
  /** Cleaned rows in all shards. */
  rows: number;
  /** Rows of the input as read. */
  inputRows: number;
  input: { path: string; rows: number };
  validation: ValidationReport;
  cleaning: CleaningReport;
  cleaningState: CleaningState;
}

/** Each cleaned row's split. */
export interface ShardSplit {
  plan: StreamedSplit;
  /** Time split: rows with time ≤ `train` are train, ≤ `val` validation (`null`: none). */
  boundaries: { train: number; val: number | null } | null;
  /** Rows of each split. */
  rows: { train: number; val: number; test: number };
}

/** The split's row files and what the run records about them. */
export interface RowFiles {
  train: RowFile;
  val: RowFile;
  test: RowFile;
}

/** Every dataset of the training pipeline, by name. */
export interface Datasets {
  input: InputFingerprint;
  raw: DataFrame;
  validation: ValidationReport;
  rows: DataFrame;
  row_cleaning: RowCleaning;
  splits: SplitFrames;
  split_positions: SplitPositions;
  cleaned: SplitFrames;
  split_rows: SplitRows;
  cleaning_state: CleaningState;
  cleaning: CleaningReport;
  prepared: SplitFrames;
  features: FittedFeatures;
  description: DataDescription;
  model: BaseModel;
  history: TrainingHistory;
  evaluation: Evaluation;
  run: RecordedRun;
  shards: CleanShards;
  shard_split: ShardSplit;
  row_files: RowFiles;
}

/** The name of a dataset of the training pipeline. */
export type DatasetName = keyof Datasets;

/** A catalog entry: what a dataset is and how it is cached. */
export interface DatasetEntry<T> {
  description: string;
  codec: Codec<T> | null;
}

const SPLITS = ["train", "val", "test"] as const;

const TARGETS_CODEC: Codec<Targets> = {
  async write(out, name, y) {
    if (y.kind === "classification") {
      await writeArray(out, `${name}.i32`, y.labels);
      return { kind: y.kind, file: `${name}.i32`, length: y.labels.length, classes: y.classes };
    }
    await writeArray(out, `${name}.f32`, y.values);
    return { kind: y.kind, file: `${name}.f32`, length: y.values.length };
  },
  async read(read, _name, description) {
    const d = description as { kind: string; file: string; length: number; classes?: string[] };
    return d.kind === "classification"
      ? {
        kind: "classification",
        labels: await readArray(read, d.file, Int32Array, d.length),
        classes: d.classes ?? [],
      }
      : { kind: "regression", values: await readArray(read, d.file, Float32Array, d.length) };
  },
};

const STATE_CODEC = jsonCodec<{
  pipeline: unknown;
  selector: unknown;
  names: string[];
  selection: SelectionReport | null;
}>();

const FITTED_FEATURES_CODEC: Codec<FittedFeatures> = {
  async write(out, name, features) {
    const state = await STATE_CODEC.write(out, `${name}.state`, {
      pipeline: features.pipeline.toJSON(),
      selector: features.selector?.toJSON() ?? null,
      names: features.names,
      selection: features.selection,
    });
    const x: Record<string, unknown> = {};
    const y: Record<string, unknown> = {};
    for (const split of SPLITS) {
      x[split] = await MATRIX_CODEC.write(out, `${name}.x.${split}`, features.x[split]);
      y[split] = await TARGETS_CODEC.write(out, `${name}.y.${split}`, features.y[split]);
    }
    return { state, x, y };
  },
  async read(read, name, description) {
    const d = description as {
      state: unknown;
      x: Record<string, unknown>;
      y: Record<string, unknown>;
    };
    const state = await STATE_CODEC.read(read, `${name}.state`, d.state);
    const matrix = (split: (typeof SPLITS)[number]) =>
      MATRIX_CODEC.read(read, `${name}.x.${split}`, d.x[split]);
    const target = (split: (typeof SPLITS)[number]) =>
      TARGETS_CODEC.read(read, `${name}.y.${split}`, d.y[split]);
    return {
      pipeline: FeaturePipeline.fromJSON(state.pipeline),
      selector: state.selector === null ? null : FeatureSelector.fromJSON(state.selector),
      names: state.names,
      selection: state.selection,
      x: { train: await matrix("train"), val: await matrix("val"), test: await matrix("test") },
      y: { train: await target("train"), val: await target("val"), test: await target("test") },
    };
  },
};

/** The data catalog: one entry per dataset. */
export const DATASETS: { readonly [K in DatasetName]: DatasetEntry<Datasets[K]> } = {
  input: { description: "the input file's path, sha256, size and rows", codec: jsonCodec() },
  raw: { description: "the input as loaded, target derived", codec: FRAME_CODEC },
  validation: { description: "the raw data checked against validation rules", codec: jsonCodec() },
  rows: { description: "rows after row-level cleaning, target present", codec: FRAME_CODEC },
  row_cleaning: { description: "what row-level cleaning did", codec: jsonCodec() },
  splits: { description: "train, validation and test rows", codec: SPLIT_FRAMES_CODEC },
  split_positions: {
    description: "each split's positions among the row-cleaned rows",
    codec: jsonCodec(),
  },
  cleaned: {
    description: "splits with fills and clips learned on train",
    codec: SPLIT_FRAMES_CODEC,
  },
  split_rows: {
    description: "the input row numbers of each cleaned split (split.json)",
    codec: jsonCodec(),
  },
  cleaning_state: { description: "fill values and clip bounds from train", codec: jsonCodec() },
  cleaning: { description: "the whole cleaning report", codec: jsonCodec() },
  prepared: { description: "cleaned splits with derived features", codec: SPLIT_FRAMES_CODEC },
  features: {
    description: "fitted feature pipeline and selector, matrices and targets",
    codec: FITTED_FEATURES_CODEC,
  },
  description: {
    description: "input signature, training profile, test fingerprint",
    codec: jsonCodec(),
  },
  model: { description: "the fitted model", codec: null },
  history: { description: "per-epoch losses and metrics", codec: null },
  evaluation: { description: "model and baseline metrics on every split", codec: null },
  run: { description: "the recorded run folder", codec: null },
  shards: { description: "cleaned input batches on disk (out of core)", codec: null },
  shard_split: { description: "each cleaned row's split (out of core)", codec: null },
  row_files: {
    description: "each split's feature matrix and targets on disk (out of core)",
    codec: null,
  },
};
