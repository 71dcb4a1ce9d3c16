/**
 * Recomputes a recorded run's metrics: on its own test split (rebuilt from its config snapshot
 * and checked against the recorded fingerprint) or on a labelled file.
 *
 * @module
 */
import { ensureLocalData, loadDataset } from "../data/mod.ts";
import { evaluateModel } from "../models/mod.ts";
import type { SplitMetrics } from "../models/mod.ts";
import { ArtifactError } from "../errors.ts";
import { fingerprintFrame, getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { featureMatrixForRun, openRun, targetsForRun, transformForRun } from "./run_artifacts.ts";
import type { RunLocations } from "./run_artifacts.ts";
import { SHARDS_FINGERPRINT } from "./nodes/mod.ts";
import { prepareData } from "./training_pipeline.ts";

/** Options of {@link evaluateRun}. */
export interface EvaluateRunOptions {
  /** A labelled file to score instead of the run's own test split. @default null */
  input?: string | null;
  /** Where logs go. @default the "pipeline" project logger */
  logger?: Logger;
}

/** The outcome of {@link evaluateRun}. */
export interface RunEvaluation {
  /** The run id. */
  id: string;
  /** `"test split"` or the input path. */
  source: string;
  /** Rows scored. */
  rows: number;
  /** The metrics. */
  metrics: SplitMetrics;
}

/**
 * Scores a run on its own test split, or on `options.input`.
 *
 * @param ref a run id, `"production"` or a run folder (see `openRun`)
 * @param where the project root and registry folders; a `LoadedConfig` will do
 * @param options an optional labelled input file
 * @returns the metrics and what they were computed on
 * @throws {ArtifactError} when the run is missing or altered, or the rebuilt test split differs
 *   from the one recorded
 * @example
 * ```ts
 * const { metrics } = await evaluateRun(id, await loadConfig());
 * ```
 */
export async function evaluateRun(
  ref: string,
  where: RunLocations,
  options: EvaluateRunOptions = {},
): Promise<RunEvaluation> {
  const logger = options.logger ?? getProjectLogger("pipeline");
  const run = await openRun(ref, where);
  const id = run.id;
  try {
    if (options.input) {
      await ensureLocalData(options.input); // an s3:// file is read from its local copy
      const { config } = run.loaded;
      const raw = loadDataset(options.input, { ...config.data, columns: null });
      const { frame, x } = transformForRun(run, raw);
      if (frame.height < raw.height) {
        logger.warn("Dropped {count} incomplete row(s) of {input} as training cleaning would", {
          count: raw.height - frame.height,
          input: options.input,
        });
      }
      const metrics = evaluateModel(run.model, x, targetsForRun(run, frame));
      return { id: run.id, source: options.input, rows: frame.height, metrics };
    }
    if (run.record.test_fingerprint.startsWith(SHARDS_FINGERPRINT)) {
      throw new ArtifactError(
        `Cannot evaluate run "${id}" on its test split: it was trained out of core, and its test rows are not rebuilt in memory; pass --input with a labelled file`,
      );
    }
    const data = await prepareData(run.loaded.config, logger);
    const fingerprint = await fingerprintFrame(data.test);
    if (fingerprint !== run.record.test_fingerprint) {
      throw new ArtifactError(
        `Cannot evaluate run "${id}" on its test split: the rebuilt split differs from the recorded one (fingerprint ${
          fingerprint.slice(0, 12)
        }… vs ${
          run.record.test_fingerprint.slice(0, 12)
        }…); the input data changed, so pass --input with a labelled file`,
      );
    }
    const x = featureMatrixForRun(run, data.test);
    const metrics = evaluateModel(run.model, x, targetsForRun(run, data.test));
    return { id: run.id, source: "test split", rows: data.test.height, metrics };
  } finally {
    run.model.dispose();
  }
}
