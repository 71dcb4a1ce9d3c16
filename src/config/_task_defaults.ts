/**
 * Defaults that follow the task: the split method and the primary metric a profile gets when no
 * layer sets them, and the check that the primary metric fits the task.
 *
 * @module
 */
import { didYouMean } from "../errors.ts";
import { METRICS_BY_TASK } from "../utils/mod.ts";
import { DataConfigSchema } from "./schema.ts";
import type { Config } from "./schema.ts";
import {
  getAt,
  issueAt,
  isTreeMap,
  type LocatedIssue,
  type Origin,
  type TreeMap,
} from "./_tree.ts";

/**
 * Fills `split.method` and `registry.primary_metric` where no layer set them: a time column
 * means a time split; classification is stratified and scored by macro-F1 (ROC AUC when the
 * target has exactly two classes); regression is split at random and scored by RMSE.
 *
 * Values that are not what the schema expects are left alone, so validation reports them.
 */
export function applyTaskDefaults(tree: TreeMap): void {
  const data = tree["data"] ?? Object.create(null);
  if (!isTreeMap(data)) return;
  const task = data["task"] ?? DataConfigSchema.shape.task.parse(undefined);
  if (task !== "classification" && task !== "regression") return;

  const split = sectionOf(tree, "split");
  if (split !== undefined && split["method"] === undefined) {
    const timeColumn = split["time_column"];
    split["method"] = typeof timeColumn === "string"
      ? "time"
      : task === "regression"
      ? "random"
      : "stratified";
  }
  const registry = sectionOf(tree, "registry");
  if (registry !== undefined && registry["primary_metric"] === undefined) {
    registry["primary_metric"] = task === "regression"
      ? "rmse"
      : isBinaryTarget(tree, data)
      ? "roc_auc"
      : "f1_macro";
  }
}

/** The map of a section, created when absent; `undefined` when it is not a map. */
function sectionOf(tree: TreeMap, name: string): TreeMap | undefined {
  const section = tree[name];
  if (section === undefined) {
    const created: TreeMap = Object.create(null);
    tree[name] = created;
    return created;
  }
  return isTreeMap(section) ? section : undefined;
}

/** Two classes: a derived target (always two labels), or exactly two allowed target values. */
function isBinaryTarget(tree: TreeMap, data: TreeMap): boolean {
  if (isTreeMap(data["derive_target"])) return true;
  const target = data["target"] ?? DataConfigSchema.shape.target.parse(undefined);
  if (typeof target !== "string") return false;
  const allowed = getAt(tree, ["validation", "columns", target, "allowed"]);
  return Array.isArray(allowed) && allowed.length === 2;
}

/**
 * Reports a `registry.primary_metric` that the task does not compute, listing the ones it does.
 *
 * @param config the validated config
 * @param origin where the metric was set
 * @param issues where the issue is pushed
 */
export function checkMetricFitsTask(
  config: Pick<Config, "data" | "registry">,
  origin: Origin,
  issues: LocatedIssue[],
): void {
  const metric = config.registry.primary_metric;
  const task = config.data.task;
  const valid: readonly string[] = METRICS_BY_TASK[task];
  if (valid.includes(metric)) return;
  const other = task === "regression" ? "classification" : "regression";
  const otherValid: readonly string[] = METRICS_BY_TASK[other];
  const reason = otherValid.includes(metric)
    ? `"${metric}" is a ${other} metric but data.task is "${task}"`
    : `unknown metric "${metric}"`;
  issues.push(
    issueAt(
      origin,
      "registry.primary_metric",
      `${reason}, set one of the ${task} metrics: ${valid.map((m) => `"${m}"`).join(", ")}${
        otherValid.includes(metric) ? "" : didYouMean(metric, valid)
      }`,
    ),
  );
}
