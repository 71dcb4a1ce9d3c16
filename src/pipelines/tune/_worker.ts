/**
 * The Web Worker behind `runStudy`: it scores the trials sent to it, one at a time, and answers
 * each with its outcome. Each worker keeps one tfjs backend and the prepared data of the last
 * config it saw, so trials that only change the model or training share one load of the data.
 *
 * Messages in: `{ type: "trial", id, config, job }`. Messages out:
 * `{ type: "result", id, outcome }`, where a failed trial (diverged, bad config) is an outcome
 * with `status: "failed"`, never an uncaught error.
 *
 * @module
 */
import { getProjectLogger } from "../../utils/mod.ts";
import type { Config } from "../../config/mod.ts";
import { PreparedDataCache, scoreTrial } from "./trial_pool.ts";
import type { TrialJob } from "./trial_pool.ts";

interface TrialRequest {
  type: "trial";
  id: number;
  config: Config;
  job: TrialJob;
}

const logger = getProjectLogger("tune.worker");
const cache = new PreparedDataCache(logger);
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<TrialRequest>) => void) | null;
  postMessage(message: unknown): void;
};

// Requests are answered strictly in order: the parent sends the next one after each answer.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event) => {
  const request = event.data;
  if (request?.type !== "trial") return;
  queue = queue.then(async () => {
    const outcome = await scoreTrial(request.config, request.job, cache, { logger });
    scope.postMessage({ type: "result", id: request.id, outcome });
  });
};
