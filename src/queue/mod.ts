/**
 * The work queue: Redis through BullMQ, so trials of a study and partitions of a prediction job
 * run on worker processes on any number of machines. A coordinator puts jobs on the queue with
 * {@link runJobs} and gets each result once; `deno task worker` runs {@link serveJobs} with a
 * handler per job kind. This folder knows nothing of what the jobs do: the pipelines define
 * the trial and partition jobs and their checks (code version, data fingerprint).
 *
 * The connection waits a bounded time for Redis at start and gives up when Redis stays away
 * longer than its reconnect window, so a study stops with a clear error instead of hanging.
 *
 * @module
 */
export { DEFAULT_REDIS_PORT, parseQueueUrl, redactQueueUrl } from "./url.ts";
export type { QueueLocation } from "./url.ts";
export { DEFAULT_QUEUE_CONNECTION_OPTIONS, QueueConnection } from "./connection.ts";
export type { QueueConnectionOptions, QueueSettings } from "./connection.ts";
export { DEFAULT_QUEUE_NAME, runJobs } from "./jobs.ts";
export type { QueuedJob, RunJobsOptions } from "./jobs.ts";
export { DEFAULT_SERVE_JOBS_OPTIONS, refuseJob, serveJobs, workerName } from "./worker.ts";
export type { JobContext, JobHandler, ServeJobsOptions } from "./worker.ts";
