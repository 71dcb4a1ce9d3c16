/**
 * The worker's side of the work queue: take jobs one at a time (or `concurrency` at a time),
 * run the handler their kind names, and stop cleanly on a signal. A worker that dies mid-job
 * stops renewing its lock, and another worker runs the job again once the lock expires.
 *
 * @module
 */
import { hostname } from "node:os";
import type { Job } from "bullmq";
import { MlopsError, QueueError } from "../errors.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import type { QueueConnection } from "./connection.ts";
import { closeWithin, DEFAULT_QUEUE_NAME } from "./jobs.ts";

/** What a handler learns about the job it runs. */
export interface JobContext {
  /** The job id. */
  id: string;
  /** The job kind. */
  name: string;
  /** Aborts when the worker is told to stop at once. */
  signal: AbortSignal;
}

/** Runs one kind of job: takes its data, returns its result (JSON). */
export type JobHandler = (data: unknown, context: JobContext) => Promise<unknown>;

/** Options of {@link serveJobs}. */
export interface ServeJobsOptions {
  /** The open connection. */
  connection: QueueConnection;
  /** A handler per job kind; a job of another kind is refused. */
  handlers: Record<string, JobHandler>;
  /**
   * Stops taking jobs; the running job finishes first. A second abort of `stopNow` drops it.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Drops the running job at once: it stays locked until `lockMs` passes, then another worker
   * runs it.
   * @default undefined
   */
  stopNow?: AbortSignal;
  /**
   * The BullMQ queue name.
   * @default DEFAULT_QUEUE_NAME
   */
  queueName?: string;
  /**
   * Jobs this worker runs at once.
   * @default 1
   */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal (renewed every half of it while the job runs):
   * a killed worker's job is run again by another worker this long after it died. Also how
   * often this worker looks for such stalled jobs.
   * @default 30000
   */
  lockMs?: number;
  /**
   * Where worker messages go.
   * @default the "worker" project logger
   */
  logger?: Logger;
}

/** Defaults of {@link ServeJobsOptions}. */
export const DEFAULT_SERVE_JOBS_OPTIONS = { concurrency: 1, lockMs: 30_000 } as const;

/** How many times a job may lose its worker before it counts as failed. */
const MAX_STALLED = 3;

/**
 * Refuses a job: the coordinator gets `reason` and stops, and no other attempt is made (jobs
 * run once: a refusal or failure does not depend on which worker would try).
 *
 * @param reason why, and what to do about it
 * @returns never; it throws
 * @throws {QueueError} always, with the worker's host and process in the message
 * @example
 * ```ts
 * if (job.code_version !== mine) refuseJob(`it needs code version ${job.code_version}, this worker runs ${mine}`);
 * ```
 */
export function refuseJob(reason: string): never {
  throw new QueueError(`Refused by worker ${workerName()}: ${reason}`);
}

/**
 * `host#pid` of this process, as refusals and logs name the worker.
 *
 * @returns e.g. `worker-3#4127`
 * @example
 * ```ts
 * logger.info("Worker {name}", { name: workerName() });
 * ```
 */
export function workerName(): string {
  return `${hostname()}#${Deno.pid}`;
}

/**
 * Takes jobs from the work queue and runs them until `signal` aborts or the connection is lost.
 *
 * @param options connection, handlers, stop signals, concurrency and lock duration
 * @returns when stopped by `signal` (after the running job finished, or at once on `stopNow`)
 * @throws {QueueError} when the connection to Redis is lost for longer than its window
 * @example
 * ```ts
 * await serveJobs({ connection, handlers: { trial: runTrialJob }, signal: controller.signal });
 * ```
 */
export async function serveJobs(options: ServeJobsOptions): Promise<void> {
  const { connection, handlers } = options;
  const logger = options.logger ?? getProjectLogger("worker");
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  const lockMs = options.lockMs ?? DEFAULT_SERVE_JOBS_OPTIONS.lockMs;
  const concurrency = options.concurrency ?? DEFAULT_SERVE_JOBS_OPTIONS.concurrency;
  if (!Number.isSafeInteger(lockMs) || lockMs < 100) {
    throw new RangeError(`Cannot serve jobs with a lock of ${lockMs} ms: expected at least 100`);
  }
  const stopNow = options.stopNow ?? new AbortController().signal;
  const runJob = async (job: Job) => {
    const handler = Object.hasOwn(handlers, job.name) ? handlers[job.name] : undefined;
    if (handler === undefined) {
      refuseJob(
        `no handler for jobs of kind "${job.name}" (it runs ${
          Object.keys(handlers).join(", ")
        }); run the same version of deno-mlops on every machine`,
      );
    }
    const started = performance.now();
    logger.info("Running job {id} ({kind})", { id: job.id, kind: job.name });
    try {
      const result = await handler(job.data, { id: job.id!, name: job.name, signal: stopNow });
      logger.info("Finished job {id} in {seconds}s", {
        id: job.id,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      });
      return result;
    } catch (error) {
      if (error instanceof QueueError) {
        logger.error("Refused job {id}: {reason}", { id: job.id, reason: error.message });
        throw error;
      }
      const reason = error instanceof MlopsError
        ? `${error.name}: ${error.message}`
        : `unexpected ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
      logger.error("Job {id} failed: {reason}", { id: job.id, reason });
      throw new QueueError(`Failed on worker ${workerName()}: ${reason}`);
    }
  };
  const { Worker } = await import("bullmq");
  const worker = new Worker(name, runJob, {
    connection: connection.client(),
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: MAX_STALLED,
    autorun: false,
  });
  worker.on("error", () => {}); // connection errors surface through connection.signal
  const stopped = new Promise<"stop" | "now" | "lost">((resolve) => {
    const on = (signal: AbortSignal | undefined, value: "stop" | "now" | "lost") => {
      if (signal?.aborted) resolve(value);
      signal?.addEventListener("abort", () => resolve(value), { once: true });
    };
    on(options.signal, "stop");
    on(options.stopNow, "now");
    on(connection.signal, "lost");
  });
  const running = worker.run();
  running.catch(() => {});
  logger.info("Worker {worker} takes jobs from {url} (queue {queue}, lock {lock}s)", {
    worker: workerName(),
    url: connection.location.shown,
    queue: name,
    lock: lockMs / 1000,
  });
  const why = await stopped;
  if (why === "stop") {
    logger.info("Stopping: the running job finishes first (signal again to drop it)");
    const closing = worker.close();
    const now = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((resolve) => {
        stopNow.addEventListener("abort", () => resolve(true), { once: true });
        connection.signal.addEventListener("abort", () => resolve(true), { once: true });
      }),
    ]);
    if (!now) return;
  }
  await closeWithin([worker.close(true)], 2_000);
  if (connection.signal.aborted) {
    const reason = connection.signal.reason;
    throw reason instanceof QueueError ? reason : new QueueError(String(reason));
  }
  logger.warn("Stopped at once: a running job is run again by another worker after {seconds}s", {
    seconds: lockMs / 1000,
  });
}
