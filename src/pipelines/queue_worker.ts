/**
 * The queue worker behind `deno task worker`: it runs trial jobs with the same scoring code as a
 * local study (`scoreTrial`) and prediction partitions with the same code as local predict
 * (`scoreRows`), after checking each job's code version and a trial's data fingerprint.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { basename, dirname } from "node:path";
import pl from "nodejs-polars";
import { readRunFolder } from "../models/mod.ts";
import { QueueConnection, refuseJob, serveJobs } from "../queue/mod.ts";
import type { JobHandler } from "../queue/mod.ts";
import { canonicalJson, getProjectLogger, sha256Hex } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { scoreRows } from "./inference_pipeline.ts";
import { checkJobCode, checkJobData, queueCodeVersion } from "./queue_jobs.ts";
import type { PartitionJobData, PartitionResult, TrialJobData } from "./queue_jobs.ts";
import { loadRunArtifacts } from "./run_artifacts.ts";
import type { RunArtifacts } from "./run_artifacts.ts";
import { ensureLocalData } from "../data/mod.ts";
import { PreparedDataCache, scoreTrial } from "./tune/trial_pool.ts";
import type { TrialOutcome } from "./tune/trial_pool.ts";

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions {
  /**
   * Stops taking jobs; the running job finishes first.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Drops the running job at once (another worker runs it after the lock expires).
   * @default undefined
   */
  stopNow?: AbortSignal;
  /**
   * How long a job's lock lasts without renewal: how soon a killed worker's job runs elsewhere.
   * @default 30000
   */
  lockMs?: number;
  /**
   * Jobs run at once in this process (trials share the thread: 1 is right for trials).
   * @default 1
   */
  concurrency?: number;
  /**
   * How long to wait for Redis at start.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long Redis may stay away before the worker gives up.
   * @default 10000
   */
  reconnectMs?: number;
  /**
   * The BullMQ queue name.
   * @default "deno-mlops"
   */
  queueName?: string;
  /**
   * The code version this worker compares jobs with.
   * @default the sha256 of its own sources (`queueCodeVersion()`)
   */
  codeVersion?: string;
  /**
   * The project root a run's config snapshot resolves against.
   * @default the working directory
   */
  root?: string;
  /**
   * Where worker messages go.
   * @default the "worker" project logger
   */
  logger?: Logger;
}

/**
 * Runs trial and prediction-partition jobs from the work queue at `url` until `signal` aborts.
 *
 * A trial job is refused when it was made by another code version or when this worker's copy
 * of its data has another sha256; otherwise it is scored by `scoreTrial`, exactly as a local
 * study scores it. A partition job is refused for another code version or another run content,
 * and scored by `scoreRows`, exactly as local predict scores each batch.
 *
 * @param url `redis://HOST:PORT[/DB]`
 * @param options stop signals, lock duration, connection windows and logger
 * @returns when stopped
 * @throws {QueueError} when Redis cannot be reached at start or is lost for longer than the
 *   reconnect window
 * @example
 * ```ts
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGTERM", () => stop.abort());
 * await runQueueWorker("redis://127.0.0.1:6379", { signal: stop.signal });
 * ```
 */
export async function runQueueWorker(url: string, options: QueueWorkerOptions = {}): Promise<void> {
  const logger = options.logger ?? getProjectLogger("worker");
  const connection = await QueueConnection.open(url, {
    logger,
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.reconnectMs === undefined ? {} : { reconnectMs: options.reconnectMs }),
  });
  const mine = options.codeVersion ?? await queueCodeVersion();
  const root = options.root ?? Deno.cwd();
  const cache = new PreparedDataCache(logger);
  const runs = new RunCache(root);
  const trial: JobHandler = async (data, context) => {
    const job = data as TrialJobData;
    checkJobCode(job, mine);
    await checkJobData(job.data);
    await ensureLocalData(job.data.path); // an s3:// input is scored from its local copy
    logger.info("Trial {trial} of study {study}", { trial: job.trial.id, study: job.study });
    const outcome: TrialOutcome = await scoreTrial(job.config, job.job, cache, {
      logger,
      signal: context.signal,
    });
    return outcome;
  };
  const partition: JobHandler = async (data) => {
    const job = data as PartitionJobData;
    checkJobCode(job, mine);
    const run = await runs.get(job.run);
    return scorePartition(run, job);
  };
  try {
    logger.info("Code version {version}", { version: mine.slice(0, 12) });
    await serveJobs({
      connection,
      handlers: { trial, partition },
      logger,
      ...pick(options, ["signal", "stopNow", "lockMs", "concurrency", "queueName"]),
    });
  } finally {
    runs.dispose();
    await connection.close();
  }
}

/** Scores a partition's rows with `scoreRows`, numbering problems by input row. */
function scorePartition(run: RunArtifacts, job: PartitionJobData): PartitionResult {
  const rows = pl.readIPC(Buffer.from(job.rows, "base64"));
  const scored = scoreRows(run, rows, job.keep);
  const offset = job.first_row - 1;
  return {
    predictions: scored.predictions === null
      ? null
      : Buffer.from(scored.predictions.writeIPC()).toString("base64"),
    problems: scored.problems.map((p) => ({ ...p, row: p.row + offset })),
    rejected: scored.rejected.length,
    unseen_categories: scored.unseen_categories,
    out_of_range: scored.out_of_range,
    extra_columns: scored.extra_columns,
  };
}

/**
 * The sha256 a partition job carries for its run: of the run's artifact checksums, so a worker
 * whose copy of the run differs refuses.
 *
 * @param run the opened run
 * @returns the hex sha256
 * @example
 * ```ts
 * await runArtifactsSha256(run);
 * ```
 */
export function runArtifactsSha256(run: RunArtifacts): Promise<string> {
  return sha256Hex(canonicalJson(run.record.artifacts ?? {}));
}

/** The last run a worker opened, kept for the next partitions of the same job. */
class RunCache {
  readonly #root: string;
  #key = "";
  #run: RunArtifacts | null = null;

  constructor(root: string) {
    this.#root = root;
  }

  async get(wanted: PartitionJobData["run"]): Promise<RunArtifacts> {
    const key = `${wanted.dir}\u0000${wanted.artifacts_sha256}`;
    if (this.#run !== null && this.#key === key) return this.#run;
    this.dispose();
    let run: RunArtifacts;
    try {
      const { dir, record } = await readRunFolder(dirname(wanted.dir), basename(wanted.dir));
      run = await loadRunArtifacts(dir, record, this.#root);
    } catch (error) {
      refuseJob(
        `cannot open run "${wanted.id}" at "${wanted.dir}" here (${
          error instanceof Error ? error.message : String(error)
        }); give workers the registry at the same location`,
      );
    }
    if (run.id !== wanted.id || await runArtifactsSha256(run) !== wanted.artifacts_sha256) {
      run.model.dispose();
      refuseJob(
        `the run at "${wanted.dir}" here is not the coordinator's run "${wanted.id}" (its files differ); give workers the same registry`,
      );
    }
    this.#run = run;
    this.#key = key;
    return run;
  }

  dispose(): void {
    this.#run?.model.dispose();
    this.#run = null;
    this.#key = "";
  }
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(
    keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]]),
  ) as Pick<T, K>;
}
