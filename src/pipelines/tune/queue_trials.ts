/**
 * A study's trials on the work queue: each trial becomes a job carrying its config, the code
 * version and the data fingerprint; workers score it with `scoreTrial`, as a local study does.
 *
 * @module
 */
import type { Config } from "../../config/mod.ts";
import { QueueError } from "../../errors.ts";
import { runJobs } from "../../queue/mod.ts";
import type { QueueConnection, QueuedJob } from "../../queue/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { jobDataFingerprint, QUEUE_PROTOCOL_VERSION, queueCodeVersion } from "../queue_jobs.ts";
import type { TrialJobData } from "../queue_jobs.ts";
import type { TrialSpec } from "./search_space.ts";
import type { TrialResult } from "./study_store.ts";
import type { TrialJob, TrialOutcome } from "./trial_pool.ts";

/**
 * The job id of a study's trial: the same on every resume, so a trial runs and counts once.
 *
 * @param studyId the study id
 * @param trial the trial id
 * @returns e.g. `trial-study-20261207-081500-penguins-1a2b3c4d-3`
 * @example
 * ```ts
 * trialJobId("mine", 3); // "trial-mine-3"
 * ```
 */
export function trialJobId(studyId: string, trial: number): string {
  return `trial-${studyId}-${trial}`;
}

/**
 * Scores trials on the work queue: one job per trial with its config, the folds, the code
 * version and the data fingerprint; each result goes to `onResult` once.
 *
 * @param queue the trials to run
 * @param configs each trial's config, by trial id
 * @param job folds and fold seed
 * @param options connection, study id, signal, logger and the result callback
 * @returns `"done"`, or `"aborted"` when `signal` stopped it
 * @throws {QueueError} when a worker refuses a trial or Redis is lost
 * @throws {ArtifactError} when the data cannot be fingerprinted
 * @example
 * ```ts
 * await runOnQueue(specs, configs, { folds: 5, foldSeed: 1 }, { connection, studyId, logger, onResult });
 * ```
 */
export async function runOnQueue(
  queue: TrialSpec[],
  configs: Map<number, Config>,
  job: TrialJob,
  options: {
    connection: QueueConnection;
    studyId: string;
    queueName?: string;
    signal?: AbortSignal;
    logger: Logger;
    onResult: (result: TrialResult) => Promise<void>;
  },
): Promise<"done" | "aborted"> {
  const codeVersion = await queueCodeVersion();
  const prints = new Map<string, TrialJobData["data"]>();
  const jobs: QueuedJob<TrialJobData>[] = [];
  for (const spec of queue) {
    const config = configs.get(spec.id)!;
    let data = prints.get(config.data.path);
    if (data === undefined) {
      data = await jobDataFingerprint(config);
      prints.set(config.data.path, data);
    }
    jobs.push({
      id: trialJobId(options.studyId, spec.id),
      name: "trial",
      data: {
        protocol: QUEUE_PROTOCOL_VERSION,
        code_version: codeVersion,
        study: options.studyId,
        trial: spec,
        config,
        job,
        data,
      },
    });
  }
  const specs = new Map(jobs.map((j) => [j.id, j.data.trial]));
  return await runJobs<TrialJobData, TrialOutcome>(jobs, {
    connection: options.connection,
    logger: options.logger,
    ...(options.queueName === undefined ? {} : { queueName: options.queueName }),
    ...(options.signal ? { signal: options.signal } : {}),
    onResult: async (id, outcome) => {
      const spec = specs.get(id)!;
      if (
        outcome === null || typeof outcome !== "object" ||
        (outcome.status !== "ok" && outcome.status !== "failed") ||
        typeof outcome.seconds !== "number"
      ) {
        throw new QueueError(
          `Cannot read the result of trial ${spec.id} from the work queue: expected a trial outcome, got ${
            JSON.stringify(outcome)?.slice(0, 80)
          }; run the same version of deno-mlops on the coordinator and every worker`,
        );
      }
      await options.onResult({ id: spec.id, params: spec.params, seed: spec.seed, ...outcome });
    },
  });
}
