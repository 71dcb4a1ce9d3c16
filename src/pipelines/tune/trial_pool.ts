/**
 * The trial pool: scoring trials in this thread or on Web Workers (`_worker.ts`), sharing the
 * prepared data between trials of the same data config.
 *
 * @module
 */
import type { Config } from "../../config/mod.ts";
import { canonicalJson } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { prepareData } from "../training_pipeline.ts";
import type { PreparedData } from "../training_pipeline.ts";
import { crossValidate } from "./cross_validation.ts";
import type { TrialSpec } from "./search_space.ts";
import type { TrialResult } from "./study_store.ts";

/** What every trial of a study shares: the fold count and the fold seed. */
export interface TrialJob {
  /** Cross-validation folds. */
  folds: number;
  /** Seed of the fold assignment. */
  foldSeed: number;
}

/** A trial's scores or its failure, without its id and params (see {@link TrialResult}). */
export type TrialOutcome = Omit<TrialResult, "id" | "params" | "seed">;

/**
 * Prepared data by the config sections that shape it, so trials that only change the model or
 * training share one load of the data.
 *
 * @example
 * ```ts
 * const cache = new PreparedDataCache(getProjectLogger("tune"));
 * const data = await cache.get(trialConfig); // loaded once for every trial with the same data config
 * ```
 */
export class PreparedDataCache {
  readonly #logger: Logger;
  #key: string | null = null;
  #data: PreparedData | null = null;

  /** @param logger where data messages go */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Returns the prepared data of `config`, loading it when its data sections differ from the
   * last config's.
   *
   * @param config the config
   * @returns the prepared splits
   * @throws {ArtifactError | DataValidationError | SchemaMismatchError} as `prepareData`
   */
  async get(config: Config): Promise<PreparedData> {
    const key = canonicalJson({
      data: config.data,
      validation: config.validation,
      cleaning: config.cleaning,
      split: config.split,
      derived: config.features.derived,
    });
    if (this.#key !== key || this.#data === null) {
      this.#data = null;
      this.#data = await prepareData(config, this.#logger);
      this.#key = key;
    }
    return this.#data;
  }
}

/**
 * Scores one trial's config and turns any failure into a `failed` outcome with its reason.
 *
 * @param config the trial's config
 * @param job the folds and fold seed
 * @param cache prepared data shared between trials
 * @param options abort signal and logger
 * @returns the outcome; a failure when training diverged or the config could not be scored
 * @throws when `signal` aborts: its `reason`
 * @example
 * ```ts
 * const outcome = await scoreTrial(config, { folds: 5, foldSeed: 1 }, new PreparedDataCache(logger), {});
 * ```
 */
export async function scoreTrial(
  config: Config,
  job: TrialJob,
  cache: PreparedDataCache,
  options: { signal?: AbortSignal; logger?: Logger },
): Promise<TrialOutcome> {
  const started = performance.now();
  const seconds = () => Number(((performance.now() - started) / 1000).toFixed(3));
  try {
    const data = await cache.get(config);
    const cv = await crossValidate(config, {
      folds: job.folds,
      seed: job.foldSeed,
      data,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return {
      status: "ok",
      fold_scores: cv.fold_scores,
      mean: cv.mean,
      std: cv.std,
      seconds: seconds(),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      status: "failed",
      fold_scores: [],
      mean: null,
      std: null,
      seconds: seconds(),
      error: reason,
    };
  }
}

/** A message to a worker: score one trial. */
interface TrialRequest {
  type: "trial";
  id: number;
  config: Config;
  job: TrialJob;
}

/** A worker's answer. */
interface TrialReply {
  type: "result";
  id: number;
  outcome: TrialOutcome;
}

/** Scores one trial in this thread. */
export async function runTrialInline(
  spec: TrialSpec,
  config: Config,
  job: TrialJob,
  cache: PreparedDataCache,
  options: { signal?: AbortSignal; logger: Logger },
): Promise<TrialResult | null> {
  try {
    const outcome = await scoreTrial(config, job, cache, options);
    return { id: spec.id, params: spec.params, seed: spec.seed, ...outcome };
  } catch (error) {
    if (options.signal?.aborted) return null;
    throw error;
  }
}

/** The worker module's URL, or `null` when its file is gone (src/ reloaded from a temporary copy). */
export function workerModuleUrl(): string | null {
  const url = new URL("./_worker.ts", import.meta.url);
  if (url.protocol !== "file:") return url.href;
  try {
    Deno.statSync(url);
    return url.href;
  } catch {
    return null;
  }
}

/** Scores the queued trials on a pool of Web Workers, each trial on the next free worker. */
export async function runOnWorkers(
  queue: TrialSpec[],
  configs: Map<number, Config>,
  job: TrialJob,
  options: {
    workers: number;
    url: string;
    signal?: AbortSignal;
    onResult: (result: TrialResult) => Promise<void>;
  },
): Promise<void> {
  const pending = [...queue];
  const { signal } = options;
  const live = new Set<Worker>();
  let onAbort = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const spawn = () => {
    const worker = new Worker(options.url, { type: "module" });
    live.add(worker);
    return worker;
  };
  const retire = (worker: Worker) => {
    worker.terminate();
    live.delete(worker);
  };

  // One loop per worker: it takes the next trial whenever its worker is free.
  const loop = async () => {
    let worker = spawn();
    try {
      while (pending.length > 0 && !signal?.aborted) {
        const spec = pending.shift()!;
        const started = performance.now();
        const answer = await Promise.race([ask(worker, spec, configs.get(spec.id)!, job), aborted]);
        if (answer === "aborted") return;
        let outcome: TrialOutcome;
        if ("crashed" in answer) {
          // A crashed worker cannot be trusted with the next trial: replace it.
          retire(worker);
          worker = spawn();
          outcome = {
            status: "failed",
            fold_scores: [],
            mean: null,
            std: null,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
            error: `WorkerCrashed: the trial's worker stopped with "${answer.crashed}"`,
          };
        } else {
          outcome = answer.outcome;
        }
        if (signal?.aborted) return;
        await options.onResult({ id: spec.id, params: spec.params, seed: spec.seed, ...outcome });
      }
    } finally {
      retire(worker);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.workers }, () => loop()));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    for (const worker of live) worker.terminate();
  }
}

function ask(
  worker: Worker,
  spec: TrialSpec,
  config: Config,
  job: TrialJob,
): Promise<TrialReply | { crashed: string }> {
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<TrialReply>) => {
      if (event.data?.type === "result" && event.data.id === spec.id) resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      resolve({ crashed: event.message || "unknown error" });
    };
    worker.onmessageerror = () => resolve({ crashed: "a message could not be read" });
    const request: TrialRequest = { type: "trial", id: spec.id, config, job };
    worker.postMessage(request);
  });
}
