/**
 * The coordinator's side of the work queue: put jobs on it, collect each job's result exactly
 * once, stop cleanly on a signal, and report a job a worker refused or failed.
 *
 * @module
 */
import type { Job, Queue } from "bullmq";
import { QueueError } from "../errors.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import type { QueueConnection } from "./connection.ts";

/** The BullMQ queue every coordinator and worker of the project uses by default. */
export const DEFAULT_QUEUE_NAME = "deno-mlops";

/** How long results and failures of jobs stay in Redis when no coordinator collects them. */
const KEEP_RESULTS_SECONDS = 7 * 24 * 3600;

/** One job to run: a unique id (the same id is run and counted once), its kind and its input. */
export interface QueuedJob<D = unknown> {
  /** Unique job id; letters, digits, `.`, `_` and `-`. */
  id: string;
  /** The kind of job, which picks the worker's handler (e.g. `trial`, `partition`). */
  name: string;
  /** The job's input, as JSON. */
  data: D;
}

/** Options of {@link runJobs}. */
export interface RunJobsOptions<R> {
  /** The open connection. */
  connection: QueueConnection;
  /**
   * Called once per job with its result, one call at a time, in the order results come in.
   */
  onResult: (id: string, result: R) => Promise<void> | void;
  /**
   * The BullMQ queue name.
   * @default DEFAULT_QUEUE_NAME
   */
  queueName?: string;
  /**
   * Stops waiting: jobs no worker has started are taken off the queue; running jobs finish and
   * their results stay in Redis, so running the same ids again collects them.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * How often outstanding jobs are checked directly, besides the completion events (results
   * that landed while the connection was down, jobs lost by a Redis restart).
   * @default 1000
   */
  sweepMs?: number;
  /**
   * Where queue messages go.
   * @default the "queue" project logger
   */
  logger?: Logger;
}

/**
 * Runs jobs on the work queue and hands each result to `onResult` exactly once.
 *
 * A job whose id is already on the queue is not added again: its result, when it is already
 * in, is collected at once (this is how a resumed study picks up trials that finished while its
 * coordinator was away); a failed one is put back. Results are taken from completion events and
 * from a sweep every `sweepMs`, and a job that vanished (Redis restarted without persistence) is
 * put back. When every job is in, their records are removed from Redis; results nobody collects
 * expire after a week.
 *
 * @param jobs the jobs, with unique ids
 * @param options connection, result callback, signal and queue name
 * @returns `"done"` when every result is in, `"aborted"` when `signal` stopped it
 * @throws {QueueError} when a worker refused or failed a job (with the worker's reason), or
 *   the connection was lost for longer than its reconnect window
 * @example
 * ```ts
 * await runJobs([{ id: "t-1", name: "trial", data }], { connection, onResult: (id, r) => save(id, r) });
 * ```
 */
export async function runJobs<D, R>(
  jobs: readonly QueuedJob<D>[],
  options: RunJobsOptions<R>,
): Promise<"done" | "aborted"> {
  const { connection, signal } = options;
  const logger = options.logger ?? getProjectLogger("queue");
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  if (jobs.length === 0) return "done";
  const ids = new Set<string>();
  for (const job of jobs) {
    if (ids.has(job.id)) throw new RangeError(`Cannot queue job "${job.id}" twice in one call`);
    ids.add(job.id);
  }
  const { Queue, QueueEvents } = await import("bullmq");
  const queue = new Queue(name, { connection: connection.client() });
  const events = new QueueEvents(name, { connection: connection.client() });
  queue.on("error", () => {}); // connection errors surface through connection.signal
  events.on("error", () => {});
  const pending = new Map(jobs.map((job) => [job.id, job]));
  let chain: Promise<void> = Promise.resolve();
  let settled = false;
  let resolveFinished: (outcome: "done" | "aborted" | Error) => void = () => {};
  const finished = new Promise<"done" | "aborted" | Error>((resolve) => resolveFinished = resolve);
  const settle = (outcome: "done" | "aborted" | Error) => {
    settled = true;
    resolveFinished(outcome);
  };

  const deliver = (job: Job) => {
    const id = job.id!;
    if (!pending.has(id)) return; // already counted: a result is taken once
    pending.delete(id);
    chain = chain.then(async () => {
      await options.onResult(id, job.returnvalue as R);
      if (pending.size === 0) settle("done");
    }).catch((error) => settle(error instanceof Error ? error : new Error(String(error))));
  };
  const refuse = (id: string, reason: string) => {
    if (!pending.has(id)) return;
    settle(new QueueError(`Cannot run job "${id}" on the work queue: ${reason}`));
  };
  // The state first, then the job: a job read before its state may predate its result.
  const lookUp = async (id: string) => {
    const state = await queue.getJobState(id);
    const job = state === "completed" || state === "failed" ? await queue.getJob(id) : undefined;
    return { state, job };
  };
  const check = async (id: string, requeueMissing: boolean) => {
    const { state, job } = await lookUp(id);
    if (!pending.has(id)) return;
    if (state === "unknown") {
      if (requeueMissing) {
        logger.warn("Job {id} vanished from the queue (Redis restarted?); putting it back", { id });
        await add(pending.get(id)!);
      }
      return;
    }
    if (state === "completed" && job !== undefined) deliver(job);
    else if (state === "failed") refuse(id, job?.failedReason || "it failed on a worker");
  };
  const add = async (job: QueuedJob<D>) => {
    await queue.add(job.name, job.data, {
      jobId: job.id,
      attempts: 1,
      // Kept for a resumed coordinator to collect; a coordinator that never comes back leaves
      // them to expire.
      removeOnComplete: { age: KEEP_RESULTS_SECONDS },
      removeOnFail: { age: KEEP_RESULTS_SECONDS },
    });
  };

  const onAbort = () => settle("aborted");
  const onLost = () => settle(connection.signal.reason as Error);
  signal?.addEventListener("abort", onAbort, { once: true });
  connection.signal.addEventListener("abort", onLost, { once: true });
  if (signal?.aborted) onAbort();
  if (connection.signal.aborted) onLost();
  let sweeper: ReturnType<typeof setInterval> | undefined;
  try {
    events.on("completed", ({ jobId }) => {
      if (pending.has(jobId)) check(jobId, false).catch(() => {});
    });
    events.on("failed", ({ jobId, failedReason }) => refuse(jobId, failedReason));
    await Promise.race([Promise.all([events.waitUntilReady(), queue.waitUntilReady()]), finished]);
    // Jobs of an earlier session with the same ids: collect, retry or leave running.
    // Raced with the outcome: commands wait while Redis is away, the outcome does not.
    const enqueue = async (job: QueuedJob<D>) => {
      const { state, job: existing } = await lookUp(job.id);
      if (state === "completed" && existing !== undefined) deliver(existing);
      else if (state === "failed") {
        await queue.remove(job.id);
        await add(job);
      } else if (state === "unknown") await add(job);
    };
    for (const job of jobs) {
      if (settled) break;
      if (pending.has(job.id)) await Promise.race([enqueue(job), finished]);
    }
    logger.debug("Queued {count} job(s) on {queue}", { count: jobs.length, queue: name });
    const sweepMs = options.sweepMs ?? 1_000;
    const sweep = async () => {
      for (const id of [...pending.keys()]) await check(id, true);
    };
    let sweeping = false; // one sweep at a time: while Redis is away, a sweep waits
    sweeper = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      sweep().catch(() => {}).finally(() => sweeping = false);
    }, sweepMs);
    const outcome = await finished;
    if (outcome instanceof Error) throw outcome;
    if (outcome === "aborted") {
      await closeWithin([withdraw(queue, [...pending.keys()])], CLOSE_WAIT_MS);
      return "aborted";
    }
    await chain;
    await closeWithin([...ids].map((id) => queue.remove(id)), CLOSE_WAIT_MS);
    return "done";
  } finally {
    clearInterval(sweeper);
    signal?.removeEventListener("abort", onAbort);
    connection.signal.removeEventListener("abort", onLost);
    await closeWithin([events.close(), queue.close()], CLOSE_WAIT_MS);
  }
}

/** How long closing waits for BullMQ objects whose connection is gone. */
const CLOSE_WAIT_MS = 2_000;

/**
 * Waits for closing promises, at most `ms` (a dead connection can keep them pending).
 *
 * @param closing the promises
 * @param ms the longest wait
 * @returns when all settled or the time is up
 * @example
 * ```ts
 * await closeWithin([queue.close(), events.close()], 2000);
 * ```
 */
export async function closeWithin(closing: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(closing),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

/** Takes jobs that no worker has started off the queue; running ones are left to finish. */
async function withdraw(queue: Queue, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const state = await queue.getJobState(id);
    if (state !== "waiting" && state !== "delayed" && state !== "prioritized") continue;
    // A worker may take it meanwhile: a locked job is not removed, and its result stays.
    await queue.remove(id).catch(() => 0);
  }
}
