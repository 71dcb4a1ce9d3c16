/**
 * Showing a recorded training run in a notebook, with the run part the notebook runner reads
 * the run id from.
 *
 * @module
 */
import type { TrainingResult } from "../pipelines/mod.ts";
import { describeValue, escapeHtml } from "./_util.ts";
import {
  display,
  type DisplayBundle,
  type DisplayOptions,
  HTML_MIME,
  RUN_MIME,
  TEXT_MIME,
} from "./display.ts";

/**
 * Builds the display bundle of a recorded training run: its id, folder and primary metric, and
 * an `application/vnd.deno-mlops.run+json` part `{ run_id, dir }` for the notebook runner.
 *
 * @param result what `runTraining` returned
 * @returns the bundle with the run part, `text/html` and `text/plain`
 * @throws {TypeError} when the run was not recorded (`record: false`) or has no id
 * @example
 * ```ts
 * runBundle(result)["application/vnd.deno-mlops.run+json"]; // { run_id: "2026…", dir: "…" }
 * ```
 */
export function runBundle(result: Pick<TrainingResult, "id" | "dir" | "record">): DisplayBundle {
  if (typeof result !== "object" || result === null || typeof result.id !== "string") {
    throw new TypeError(
      `Cannot show run: expected the result of runTraining, got ${describeValue(result)}`,
    );
  }
  if (result.dir === null) {
    throw new TypeError(
      `Cannot show run "${result.id}": it was not recorded (runTraining ran with record: false); train with record: true to get a run folder`,
    );
  }
  const { metric, val, test } = result.record.primary;
  const value = (x: number | null) => (x === null ? "n/a" : x.toFixed(4));
  const lines = [
    `run: ${result.id}`,
    `folder: ${result.dir}`,
    `${result.record.family} ${metric}: val ${value(val)}, test ${value(test)}`,
  ];
  return {
    [RUN_MIME]: { run_id: result.id, dir: result.dir },
    [HTML_MIME]: `<div><b>run</b> <code>${escapeHtml(result.id)}</code><br><b>folder</b> <code>${
      escapeHtml(result.dir)
    }</code><br><b>${escapeHtml(result.record.family)}</b> ${escapeHtml(metric)}: val ${
      value(val)
    }, test ${value(test)}</div>`,
    [TEXT_MIME]: lines.join("\n"),
  };
}

/**
 * Shows a recorded training run: its id, folder and primary metric. The notebook runner collects
 * the run id from the bundle's `application/vnd.deno-mlops.run+json` part.
 *
 * @param result what `runTraining` returned
 * @param options the sink
 * @returns nothing, once the run was shown
 * @throws {TypeError} when the run was not recorded (`record: false`) or has no id
 * @example
 * ```ts
 * const result = await runTraining(loaded, { callbacks: liveTrainingDisplay() });
 * await showRun(result);
 * ```
 */
export async function showRun(
  result: Pick<TrainingResult, "id" | "dir" | "record">,
  options: DisplayOptions = {},
): Promise<void> {
  await display(runBundle(result), options);
}
