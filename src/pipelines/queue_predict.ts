/**
 * Batch prediction on the work queue: the coordinator reads the input in partitions of rows,
 * workers score them with `scoreRows` (the code local predict runs on each batch), and the
 * coordinator writes the predictions in input order to a temporary file that is renamed into
 * place once every partition is in.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { openBatchWriter, readBatches } from "../data/mod.ts";
import { ConfigError, DataValidationError } from "../errors.ts";
import { QueueConnection, runJobs } from "../queue/mod.ts";
import type { QueuedJob, QueueSettings } from "../queue/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import { emptySummary, formatProblems, problemIssues, scoreRows } from "./inference_pipeline.ts";
import type { PredictFileOptions, PredictionSummary, RowProblem } from "./inference_pipeline.ts";
import { QUEUE_PROTOCOL_VERSION, queueCodeVersion } from "./queue_jobs.ts";
import type { PartitionJobData, PartitionResult } from "./queue_jobs.ts";
import { runArtifactsSha256 } from "./queue_worker.ts";
import type { RunArtifacts } from "./run_artifacts.ts";

/** Options of {@link predictOnQueue}: those of `predictFile`, the queue and the partitioning. */
export interface PredictOnQueueOptions extends PredictFileOptions {
  /** The work queue. */
  queue: QueueSettings;
  /**
   * Rows per partition (one job each).
   * @default 50000
   */
  partitionRows?: number;
  /**
   * Partitions on the queue at once: the coordinator's memory bound.
   * @default 16
   */
  window?: number;
  /**
   * Stops the job: partitions not started are taken off the queue and nothing is written.
   * @default undefined
   */
  signal?: AbortSignal;
}

/**
 * Scores `input` with `run` on the work queue and writes the predictions to `output`.
 *
 * The output holds the same rows and values as `predictFile` writes for the same input: kept
 * columns, `prediction` and (classification) one `proba_<class>` column per class, in input
 * order. With `onError: "fail"` (the only policy on the queue) a row that cannot be scored fails
 * the job with every row problem and nothing is written. No drift check is made (`drift` is
 * `null`); run `deno task drift` on the input for one. Workers must see the run folder at the
 * same location (a shared registry).
 *
 * @param run the opened run
 * @param options input, output, kept columns, the queue, partition size and window
 * @returns the summary
 * @throws {DataValidationError} with every row problem when a row cannot be scored
 * @throws {SchemaMismatchError} when the input lacks a column the run needs
 * @throws {QueueError} when Redis cannot be reached or is lost, or a worker refuses a partition
 * @throws {ConfigError} for `onError: "skip"`
 * @throws {ArtifactError} when the input cannot be read or the output written
 * @example
 * ```ts
 * await predictOnQueue(run, { input: "big.csv", output: "scored.csv", queue: { url: "redis://127.0.0.1:6379" } });
 * ```
 */
export async function predictOnQueue(
  run: RunArtifacts,
  options: PredictOnQueueOptions,
): Promise<PredictionSummary> {
  const started = performance.now();
  const logger = options.logger ?? getProjectLogger("inference");
  if ((options.onError ?? "fail") !== "fail") {
    throw new ConfigError(
      `Cannot predict on the work queue with onError "${options.onError}": only "fail" is supported there; predict without --queue to skip rows`,
    );
  }
  const partitionRows = options.partitionRows ?? 50_000;
  const window = options.window ?? 16;
  for (const [name, value] of [["partitionRows", partitionRows], ["window", window]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot predict on the queue: ${name} is ${value}, expected a positive integer`,
      );
    }
  }
  const { url, queueName, ...windows } = options.queue;
  const connection = await QueueConnection.open(url, { ...windows, logger });
  const summary = emptySummary(run.id, options.input);
  const writer = await openBatchWriter(options.output);
  const problems: RowProblem[] = [];
  try {
    const header = {
      protocol: QUEUE_PROTOCOL_VERSION,
      code_version: await queueCodeVersion(),
      run: { dir: run.dir, id: run.id, artifacts_sha256: await runArtifactsSha256(run) },
    };
    const prefix = `partition-${crypto.randomUUID().slice(0, 12)}`;
    let keep: string[] | null = null;
    let index = 0;
    let pending: QueuedJob<PartitionJobData>[] = [];
    const flush = async () => {
      const results = new Map<string, PartitionResult>();
      const outcome = await runJobs<PartitionJobData, PartitionResult>(pending, {
        connection,
        logger,
        ...(queueName === undefined ? {} : { queueName }),
        ...(options.signal ? { signal: options.signal } : {}),
        onResult: (id, result) => void results.set(id, result),
      });
      if (outcome === "aborted") throw options.signal?.reason ?? new Error("Prediction stopped");
      for (const job of pending) {
        const result = results.get(job.id)!;
        summary.rows_rejected += result.rejected;
        problems.push(...result.problems.slice(0, Math.max(0, 10_000 - problems.length)));
        countInto(summary.unseen_categories, result.unseen_categories);
        countInto(summary.out_of_range, result.out_of_range);
        if (result.predictions === null || summary.rows_rejected > 0) continue;
        const frame = pl.readIPC(Buffer.from(result.predictions, "base64"));
        await writer.write(frame);
        summary.rows_scored += frame.height;
      }
      pending = [];
    };
    const data = options.data ?? run.loaded.config.data;
    for await (const batch of readBatches(options.input, { batchRows: partitionRows, data })) {
      if (keep === null) {
        keep = options.keep ??
          run.loaded.config.data.id_columns.filter((c) => batch.frame.columns.includes(c));
        // The checks the workers make, on no rows: a missing column fails here, at once.
        summary.extra_columns = scoreRows(run, batch.frame.head(0), keep).extra_columns;
        if (summary.extra_columns.length > 0) {
          logger.info("Ignoring {count} column(s) the run does not use: {columns}", {
            count: summary.extra_columns.length,
            columns: summary.extra_columns,
          });
        }
      }
      summary.rows_read += batch.frame.height;
      pending.push({
        id: `${prefix}-${index++}`,
        name: "partition",
        data: { ...header, first_row: batch.firstRow, rows: toIpc(batch.frame), keep },
      });
      if (pending.length >= window) await flush();
    }
    if (pending.length > 0) await flush();
    if (summary.rows_rejected > 0) {
      summary.problems = problems.slice(0, 50);
      throw new DataValidationError(
        `Cannot score "${options.input}": ${summary.rows_rejected} row(s) cannot be scored, so nothing was written\n${
          formatProblems(problems)
        }\nfix the rows, or predict without --queue and pass --on-error skip to score the rest`,
        problemIssues(problems),
      );
    }
    await writer.commit();
    summary.output = options.output;
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    await connection.close();
  }
  logger.info("Scored {rows} rows in partitions of {partition} on the work queue", {
    rows: summary.rows_scored,
    partition: partitionRows,
  });
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function toIpc(frame: DataFrame): string {
  return Buffer.from(frame.writeIPC()).toString("base64");
}

function countInto(total: Record<string, number>, add: Record<string, number>): void {
  for (const [key, value] of Object.entries(add)) total[key] = (total[key] ?? 0) + value;
}
