/**
 * The run-artifact catalog: every file of a run folder, with its writer, its reader and how its
 * integrity is checked. It is the only place run-folder files are named; the training pipeline
 * writes through it, and opening, evaluating, reproducing, reporting and serving a run read
 * through it.
 *
 * @module
 */
import type { CleaningState, DataProfile, InputSignature, RowRanges } from "../data/mod.ts";
import { ArtifactError } from "../errors.ts";
import type { BaseModel } from "./base_model.ts";
import { loadModel } from "./factory.ts";
import type { TrainingHistory } from "./train.ts";

/**
 * How a file's integrity is checked: `sealed` (it carries its own checksum: `run.json`),
 * `listed` (its sha256 is listed in `run.json`, every file of a folder for a folder), or
 * `derived` (rebuilt from the others, so not checksummed: the report).
 */
export type ChecksumRule = "sealed" | "listed" | "derived";

/** One file (or folder) of a run folder. */
export interface RunArtifact<T> {
  /** Its path within the run folder; a folder ends in `/`. */
  readonly file: string;
  /** What it holds. */
  readonly description: string;
  /** How its integrity is checked. */
  readonly checksum: ChecksumRule;
  /**
   * Writes the value into a run folder.
   *
   * @param dir the run folder
   * @param value the value
   */
  write(dir: string, value: T): Promise<void>;
  /**
   * Reads the value from a run folder (checksums are checked by whoever opens the run).
   *
   * @param dir the run folder
   * @returns the value
   * @throws {ArtifactError} naming the file when it is missing or unreadable
   */
  read(dir: string): Promise<T>;
}

/** `features.json`: the fitted feature pipeline and selector, and the model's input columns. */
export interface FeaturesFile {
  /** `FeaturePipeline.toJSON()`. */
  pipeline: unknown;
  /** `FeatureSelector.toJSON()`, or `null`. */
  selector: unknown;
  /** The model's input columns, in matrix order. */
  names: string[];
}

/** `metrics.json`: the metrics the run was trained with. */
export interface MetricsFile {
  /** The primary metric when the run was trained. */
  primary_metric: string;
  /** The model's metrics by split (`val` is `null` without a validation split). */
  model: { train: unknown; val: unknown; test: unknown };
  /** The baseline family's metrics on the same splits. */
  baseline: { train: unknown; val: unknown; test: unknown };
}

/**
 * `split.json`: which input rows went to train, val and test. Rows are the 0-based row numbers
 * of the input file as loaded (before cleaning; the header is not a row), each split's in the
 * order the run used them, as `[start, length]` runs of consecutive row numbers. Rows dropped
 * by cleaning are in no split.
 */
export interface SplitFile {
  /** Format version of this file; currently 1. */
  format_version: 1;
  /** The input file: its path (root-relative), sha256 and rows as loaded. */
  data: { path: string; sha256: string; rows: number };
  /** Rows in each split after cleaning. */
  rows: { train: number; val: number; test: number };
  /** The training split's input rows. */
  train: RowRanges;
  /** The validation split's input rows (empty when `split.ratios.val` is 0). */
  val: RowRanges;
  /** The test split's input rows. */
  test: RowRanges;
}

/** `reports.json`: what validation, cleaning and selection found while training. */
export interface ReportsFile {
  validation: unknown;
  cleaning: unknown;
  selection: unknown;
}

async function readText(dir: string, file: string): Promise<string> {
  try {
    return await Deno.readTextFile(`${dir}/${file}`);
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound ? "the file is missing" : "it is unreadable";
    throw new ArtifactError(`Cannot read "${dir}/${file}": ${why}; retrain the run`, { cause });
  }
}

function textArtifact(file: string, description: string, checksum: ChecksumRule) {
  return {
    file,
    description,
    checksum,
    write: (dir: string, text: string) => Deno.writeTextFile(`${dir}/${file}`, text),
    read: (dir: string) => readText(dir, file),
  } satisfies RunArtifact<string>;
}

function jsonArtifact<T>(file: string, description: string): RunArtifact<T> {
  return {
    file,
    description,
    checksum: "listed",
    write: (dir, value) =>
      Deno.writeTextFile(`${dir}/${file}`, JSON.stringify(value, null, 2) + "\n"),
    async read(dir) {
      const text = await readText(dir, file);
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new ArtifactError(
          `Cannot read "${dir}/${file}": the file is not valid JSON; retrain the run`,
          {
            cause,
          },
        );
      }
    },
  };
}

/** Every file of a run folder, by name. `run.json` is written and read by the registry. */
export const RUN_ARTIFACTS = {
  record: {
    file: "run.json",
    description: "id, time, versions, seeds, data fingerprints, lineage, sha256 of every file",
    checksum: "sealed",
  },
  config: textArtifact("config.yaml", "the fully resolved config", "listed"),
  schema: jsonArtifact<InputSignature>("schema.json", "the input signature"),
  features: jsonArtifact<FeaturesFile>("features.json", "the fitted feature pipeline"),
  cleaning: jsonArtifact<{ state: CleaningState }>(
    "cleaning.json",
    "fill values and clip bounds from train",
  ),
  model: {
    file: "model/",
    description: "the model (tfjs model.json, weights, params.json)",
    checksum: "listed",
    write: (dir: string, model: BaseModel) => model.save(`${dir}/model`),
    read: (dir: string) => loadModel(`${dir}/model`),
  } satisfies RunArtifact<BaseModel>,
  metrics: jsonArtifact<MetricsFile>("metrics.json", "model and baseline metrics per split"),
  history: jsonArtifact<TrainingHistory>("history.json", "per-epoch losses and metrics"),
  profile: jsonArtifact<DataProfile>("profile.json", "the training data's profile, for drift"),
  reports: jsonArtifact<ReportsFile>("reports.json", "validation, cleaning, selection reports"),
  split: {
    ...jsonArtifact<SplitFile>("split.json", "the input rows of train, val and test"),
    // One line per split: a random split has a run per few rows, and a pair per line would
    // make the file tens of times longer than the rows it lists.
    write: (dir: string, value: SplitFile) => {
      const { format_version, data, rows } = value;
      const head = JSON.stringify({ format_version, data, rows }, null, 2).replace(/\n}$/, "");
      const splits = (["train", "val", "test"] as const)
        .map((name) => `  "${name}": ${JSON.stringify(value[name])}`);
      return Deno.writeTextFile(`${dir}/split.json`, `${head},\n${splits.join(",\n")}\n}\n`);
    },
  } satisfies RunArtifact<SplitFile>,
  report: textArtifact("report.html", "the self-contained run report", "derived"),
} as const;

/** The name of a run artifact. */
export type RunArtifactName = keyof typeof RUN_ARTIFACTS;

/**
 * The path of an artifact in a run folder.
 *
 * @param dir the run folder
 * @param name the artifact
 * @returns its path (a folder's without the trailing `/`)
 * @example
 * ```ts
 * runArtifactPath(dir, "config"); // "<dir>/config.yaml"
 * ```
 */
export function runArtifactPath(dir: string, name: RunArtifactName): string {
  return `${dir}/${RUN_ARTIFACTS[name].file.replace(/\/$/, "")}`;
}

/**
 * Tells whether a file of a run folder is left out of `run.json`'s checksums (the record itself
 * and derived files).
 *
 * @param relative the file's path within the run folder
 * @returns true for `run.json` and `report.html`
 * @example
 * ```ts
 * isUnlistedArtifact("report.html"); // true
 * ```
 */
export function isUnlistedArtifact(relative: string): boolean {
  return Object.values(RUN_ARTIFACTS).some((a) => a.checksum !== "listed" && a.file === relative);
}
