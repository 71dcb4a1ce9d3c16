/**
 * The job protocol of the work queue: what a trial job and a prediction-partition job carry, and
 * the checks a worker makes before it runs one. Every job carries the code version of its
 * coordinator (the sha256 of the sources that score it); a worker running other code refuses
 * it, because its results would differ. A trial job also carries the fingerprint of its data;
 * the worker fingerprints its own copy and refuses on a mismatch.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { fingerprintData } from "../data/mod.ts";
import { refuseJob } from "../queue/mod.ts";
import { codeVersion } from "./nodes/mod.ts";
import type { TrialJob } from "./tune/trial_pool.ts";
import type { TrialSpec } from "./tune/search_space.ts";
import type { RowProblem } from "./inference_pipeline.ts";

/** Version of the job layout; a worker refuses jobs of another layout. */
export const QUEUE_PROTOCOL_VERSION = 1;

/** The `src/` folders whose code decides a job's result: their sha256 is the code version. */
export const QUEUE_CODE_FOLDERS: readonly string[] = [
  "config",
  "data",
  "features",
  "models",
  "pipelines",
  "queue",
  "utils",
];

/**
 * The code version jobs carry and workers compare: the sha256 of the TypeScript sources under
 * {@link QUEUE_CODE_FOLDERS}, so an edit anywhere in the scoring code (committed or not)
 * changes it.
 *
 * @returns the hex sha256, memoised per process
 * @example
 * ```ts
 * const version = await queueCodeVersion(); // "3f2a…"
 * ```
 */
export function queueCodeVersion(): Promise<string> {
  return codeVersion(QUEUE_CODE_FOLDERS);
}

/** What every job carries: the layout and the code version of its coordinator. */
export interface JobHeader {
  /** {@link QUEUE_PROTOCOL_VERSION} of the coordinator. */
  protocol: number;
  /** {@link queueCodeVersion} of the coordinator. */
  code_version: string;
}

/** A trial job: score one trial of a study by cross-validation. */
export interface TrialJobData extends JobHeader {
  /** The study id. */
  study: string;
  /** The trial: id, seed and values. */
  trial: TrialSpec;
  /** The trial's full config. */
  config: Config;
  /** Folds and fold seed of the study. */
  job: TrialJob;
  /** The fingerprint of `config.data.path` as the coordinator read it. */
  data: { path: string; sha256: string; bytes: number };
}

/** A prediction-partition job: score one slice of rows with a run. */
export interface PartitionJobData extends JobHeader {
  /** The run: its folder (as the coordinator sees it), id and the sha256 of its artifact list. */
  run: { dir: string; id: string; artifacts_sha256: string };
  /** 1-based input row of the partition's first row. */
  first_row: number;
  /** The rows, as an Arrow IPC file in base64. */
  rows: string;
  /** Input columns copied into the predictions. */
  keep: string[];
}

/** A partition's answer. */
export interface PartitionResult {
  /** Kept columns and predictions of the rows that could be scored, Arrow IPC in base64; `null` when none. */
  predictions: string | null;
  /** Problems, numbered by input row. */
  problems: RowProblem[];
  /** Rows that could not be scored. */
  rejected: number;
  /** Per categorical column: values never seen in training. */
  unseen_categories: Record<string, number>;
  /** Per numeric column: values outside the training range. */
  out_of_range: Record<string, number>;
  /** Input columns the run does not use. */
  extra_columns: string[];
}

/**
 * Refuses a job made by other code: another protocol or another code version.
 *
 * @param job the job's header
 * @param mine this worker's code version
 * @throws {QueueError} (through `refuseJob`) naming both versions and the fix
 * @example
 * ```ts
 * checkJobCode(job, await queueCodeVersion());
 * ```
 */
export function checkJobCode(job: JobHeader, mine: string): void {
  if (job.protocol !== QUEUE_PROTOCOL_VERSION) {
    refuseJob(
      `the job has protocol ${job.protocol}, this worker speaks ${QUEUE_PROTOCOL_VERSION}; run the same version of deno-mlops on the coordinator and every worker`,
    );
  }
  if (job.code_version !== mine) {
    refuseJob(
      `the job was made by code version ${job.code_version.slice(0, 12)} and this worker runs ${
        mine.slice(0, 12)
      }, so its results would differ; deploy the coordinator's commit (and uncommitted changes) to this worker, or stop it`,
    );
  }
}

/** Fingerprints of the data files this worker has seen, by path, size and time. */
const fingerprints = new Map<string, { key: string; sha256: string; bytes: number }>();

/**
 * Refuses a trial job whose data differs from this worker's copy. A local file's fingerprint is
 * kept while its size and modification time stay the same.
 *
 * @param data the fingerprint the job carries
 * @throws {QueueError} (through `refuseJob`) when the file is missing or differs
 * @example
 * ```ts
 * await checkJobData(job.data);
 * ```
 */
export async function checkJobData(data: TrialJobData["data"]): Promise<void> {
  let key = "";
  try {
    const stat = await Deno.stat(data.path);
    key = `${stat.size}:${stat.mtime?.getTime() ?? 0}`;
  } catch {
    key = ""; // a URL (s3://) or a missing file: fingerprinted below, which reports it
  }
  let mine = key === "" ? undefined : fingerprints.get(data.path);
  if (mine === undefined || mine.key !== key) {
    let print;
    try {
      print = await fingerprintData(data.path);
    } catch (error) {
      refuseJob(
        `cannot read the study's data "${data.path}" here (${
          error instanceof Error ? error.message : String(error)
        }); give this worker the same data at the same location`,
      );
    }
    mine = { key, sha256: print.sha256, bytes: print.bytes };
    if (key !== "") fingerprints.set(data.path, mine);
  }
  if (mine.sha256 !== data.sha256) {
    refuseJob(
      `its data "${data.path}" has sha256 ${
        mine.sha256.slice(0, 12)
      } (${mine.bytes} bytes) here, the study's has ${
        data.sha256.slice(0, 12)
      } (${data.bytes} bytes); give every machine the same data file`,
    );
  }
}

/**
 * The fingerprint a trial job carries for its config's data.
 *
 * @param config the trial's config
 * @returns path, sha256 and size of `config.data.path`
 * @throws {ArtifactError} when the data cannot be read
 * @example
 * ```ts
 * const data = await jobDataFingerprint(config);
 * ```
 */
export async function jobDataFingerprint(config: Config): Promise<TrialJobData["data"]> {
  const { sha256, bytes } = await fingerprintData(config.data.path);
  return { path: config.data.path, sha256, bytes };
}
