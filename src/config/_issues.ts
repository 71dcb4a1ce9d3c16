/**
 * Issue reporting: validating the merged tree against the schemas and turning every zod issue
 * into a located `ConfigIssue` with its key path and a did-you-mean hint, then one ConfigError.
 *
 * @module
 */
import type { z } from "zod";
import { ConfigError, type ConfigIssue, didYouMean } from "../errors.ts";
import { type Config, LoggingFileSchema, MainConfigSchema, modelFileSchema } from "./schema.ts";
import { overrideOrigin } from "./_overrides.ts";
import { allowedKeys, describeSchema, schemaAtPath } from "./_schema_paths.ts";
import {
  describeValue,
  formatIssue,
  getAt,
  issueAt,
  isTreeMap,
  type Layer,
  LAYER_ORDER,
  type LocatedIssue,
  LOGGING_SECTIONS,
  MAIN_FILE,
  MODEL_SECTIONS,
  type Origin,
  pathKey,
  plural,
  type TreeMap,
} from "./_tree.ts";
import { formatKeyPath, type KeyPathSegment, parseKeyPath } from "./key_path.ts";
import { HIDDEN_VALUE, isSecretKeyPath } from "./secrets.ts";
import { applyTaskDefaults, checkMetricFitsTask } from "./_task_defaults.ts";

/**
 * Fills the task defaults, then validates the merged tree section by section; pushes every issue
 * and returns the config.
 */
export function validateTree(layer: Layer, issues: LocatedIssue[]): Config | undefined {
  applyTaskDefaults(layer.tree);
  const main: TreeMap = Object.create(null);
  const model: TreeMap = Object.create(null);
  const logging: TreeMap = Object.create(null);
  for (const [key, value] of Object.entries(layer.tree)) {
    if (MODEL_SECTIONS.includes(key)) model[key] = value;
    else if (LOGGING_SECTIONS.includes(key)) logging[key] = value;
    else main[key] = value;
  }
  const results = [
    MainConfigSchema.safeParse(main),
    modelFileSchema().safeParse(model),
    LoggingFileSchema.safeParse(logging),
  ] as const;
  for (const result of results) {
    if (!result.success) {
      for (const issue of result.error.issues) convertIssue(issue, [], layer, issues);
    }
  }
  checkSearchPaths(layer, issues);
  const [mainResult, modelResult, loggingResult] = results;
  if (!mainResult.success) return undefined;

  const ratios = mainResult.data.split.ratios;
  const total = ratios.train + ratios.val + ratios.test;
  if (Math.abs(total - 1) > 1e-9) {
    const path = ["split", "ratios"];
    issues.push(
      issueAt(
        findOrigin(layer, path, false),
        formatKeyPath(path),
        `expected train + val + test to add up to 1, got ${
          Number(total.toFixed(6))
        } (${ratios.train} + ${ratios.val} + ${ratios.test})`,
      ),
    );
    return undefined;
  }
  const metricIssues: LocatedIssue[] = [];
  checkMetricFitsTask(
    mainResult.data,
    findOrigin(layer, ["registry", "primary_metric"], false),
    metricIssues,
  );
  issues.push(...metricIssues);
  if (!modelResult.success || !loggingResult.success || metricIssues.length > 0) return undefined;
  return { ...mainResult.data, ...modelResult.data, ...loggingResult.data };
}

/**
 * Every key of `search` must name a config value, e.g. `training.learning_rate`. When the search
 * lists `model.family`, a `model.params.*` key may name a param of any searched family: a trial
 * of another family leaves it out (see `familyTrialParams` in the tune pipeline).
 */
function checkSearchPaths(layer: Layer, issues: LocatedIssue[]): void {
  const search = layer.tree["search"];
  if (!isTreeMap(search)) return;
  const familySpace = search["model.family"];
  const families = Array.isArray(familySpace)
    ? familySpace.filter((f): f is string => typeof f === "string")
    : [];
  for (const key of Object.keys(search)) {
    const where = ["search", key];
    const origin = findOrigin(layer, where, true);
    let segments: KeyPathSegment[];
    try {
      segments = parseKeyPath(key);
    } catch {
      issues.push(
        issueAt(
          origin,
          formatKeyPath(where),
          `"${key}" is not a key path such as "training.learning_rate"`,
        ),
      );
      continue;
    }
    if (schemaAtPath(segments, layer.tree) !== undefined) continue;
    if (
      segments[0] === "model" &&
      families.some((family) =>
        schemaAtPath(segments, { ...layer.tree, model: { family } }) !== undefined
      )
    ) continue;
    let known = 0;
    while (known < segments.length && schemaAtPath(segments.slice(0, known + 1), layer.tree)) {
      known++;
    }
    const missing = segments[known];
    const candidates = allowedKeys(segments.slice(0, known), layer.tree);
    const hint = typeof missing === "string" ? didYouMean(missing, candidates) : "";
    issues.push(
      issueAt(origin, formatKeyPath(where), `unknown config path "${key}"${hint}`),
    );
  }
}

/** Turns one zod issue into located, human-readable issues. */
function convertIssue(
  issue: z.core.$ZodIssue,
  base: KeyPathSegment[],
  layer: Layer,
  issues: LocatedIssue[],
): void {
  const path: KeyPathSegment[] = [
    ...base,
    ...issue.path.map((p) => (typeof p === "number" ? p : String(p))),
  ];
  if (issue.code === "unrecognized_keys") {
    const candidates = allowedKeys(path, layer.tree);
    for (const key of issue.keys) {
      const keyPath = [...path, key];
      issues.push(
        issueAt(
          findOrigin(layer, keyPath, true),
          formatKeyPath(keyPath),
          `unknown key "${key}"${didYouMean(key, candidates)}`,
        ),
      );
    }
    return;
  }
  if (issue.code === "invalid_union") {
    const details = issue as z.core.$ZodIssueInvalidUnion & {
      discriminator?: string;
      options?: unknown[];
    };
    if (details.options !== undefined && details.discriminator !== undefined) {
      const expected = `one of ${details.options.map((o) => JSON.stringify(o)).join(" | ")}`;
      issues.push(valueIssue(layer, path, expected));
      return;
    }
    const matching = details.errors.filter((branch) =>
      !branch.some((e) => e.code === "invalid_type" && e.path.length === 0)
    );
    if (matching.length === 1) {
      for (const nested of matching[0]!) convertIssue(nested, path, layer, issues);
      return;
    }
  }
  const schema = schemaAtPath(path, layer.tree);
  // A rule across keys (a refine) says what it expects in `params.expected`: the key's own
  // schema, which the value satisfies, would not.
  const stated = issue.code === "custom" ? issue.params?.["expected"] : undefined;
  const expected = typeof stated === "string"
    ? stated
    : schema === undefined
    ? describeIssue(issue)
    : describeSchema(schema);
  issues.push(valueIssue(layer, path, expected));
}

function valueIssue(layer: Layer, path: KeyPathSegment[], expected: string): LocatedIssue {
  const value = getAt(layer.tree, path);
  const got = value === undefined
    ? "nothing (the key is required)"
    : isSecretKeyPath(formatKeyPath(path))
    ? HIDDEN_VALUE
    : describeValue(value);
  return issueAt(
    findOrigin(layer, path, false),
    formatKeyPath(path),
    `expected ${expected}, got ${got}`,
  );
}

function findOrigin(layer: Layer, path: KeyPathSegment[], atKey: boolean): Origin {
  for (let n = path.length; n > 0; n--) {
    const origin = layer.origins.get(pathKey(path.slice(0, n)));
    if (origin === undefined) continue;
    if (n === path.length && atKey) {
      return { ...origin, line: origin.keyLine, column: origin.keyColumn };
    }
    return origin;
  }
  return layer.fallback ?? overrideOrigin(MAIN_FILE, LAYER_ORDER.main, "");
}

export function configErrorFrom(located: LocatedIssue[]): ConfigError {
  const sorted = [...located].sort((a, b) =>
    a.order - b.order || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column
  );
  const issues: ConfigIssue[] = sorted.map(({ file, line, column, path, message }) => ({
    file,
    line,
    column,
    path,
    message,
  }));
  return new ConfigError(
    `Cannot load config: ${plural(issues.length, "problem")} found, fix them and try again\n${
      issues.map(formatIssue).join("\n")
    }`,
    issues,
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `a value of type ${issue.expected}`;
  return issue.message;
}
