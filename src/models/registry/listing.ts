/**
 * Listing, reading the metrics of, selecting and comparing recorded runs.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { ArtifactError } from "../../errors.ts";
import { isBetter, METRIC_DIRECTIONS } from "../../utils/mod.ts";
import { assertKnownMetric, isObject, numberOrNull } from "./_values.ts";
import { checkArtifact } from "./checksums.ts";
import { listRunIds, readRecord, readRunFolder, type RunRecord } from "./run_folder.ts";
import { isS3Url } from "../../storage/mod.ts";
import { registryMirrorDir } from "./remote_runs.ts";
import { runArtifactPath } from "../run_catalog.ts";

/** One run as listed: its record, or the problem that kept it from being read. */
export interface RunSummary {
  /** The run id (the folder name). */
  id: string;
  /** The run folder. */
  dir: string;
  /** `run.json`, or `null` when it could not be read. */
  record: RunRecord | null;
  /**
   * Why the run cannot be used, e.g. `corrupt: run.json (not valid JSON)` or
   * `corrupt: model/weights.bin`; `null` when nothing is known to be wrong.
   */
  problem: string | null;
}

/** Options of {@link listRuns}. */
export interface ListRunsOptions {
  /**
   * Keep only runs of this `project.name`; `null` keeps all.
   * @default null
   */
  project?: string | null;
  /**
   * Keep only runs trained with this profile (a name such as `cars` or a path such as
   * `config/profiles/cars.yaml`; `none` for runs trained without one); `null` keeps all.
   * @default null
   */
  profile?: string | null;
  /**
   * Keep only runs of this model family, e.g. `mlp`; `null` keeps all.
   * @default null
   */
  family?: string | null;
  /**
   * Also check the sha256 of every artifact (slower); a failing run gets a `problem` naming the
   * first bad file. Without it only `run.json` is read.
   * @default false
   */
  verify?: boolean;
}

/** Defaults of {@link ListRunsOptions}. */
export const DEFAULT_LIST_RUNS_OPTIONS: Readonly<Required<ListRunsOptions>> = {
  project: null,
  profile: null,
  family: null,
  verify: false,
};

/**
 * Lists runs newest first (by `created`), reading only each `run.json` (unless `verify` is set).
 *
 * A run whose `run.json` cannot be read is listed with a `problem` instead of failing the whole
 * listing; such runs are kept whatever the filters, since their fields are unknown. Hidden
 * `.partial-*` folders (runs still being written) are never listed.
 *
 * @param experimentsDir the experiments folder
 * @param options filters and whether to verify checksums
 * @returns the runs, newest first; empty when the folder does not exist
 * @throws {ArtifactError} when the folder cannot be read
 * @example
 * ```ts
 * const runs = await listRuns("models/experiments", { family: "mlp" });
 * runs[0]?.record?.primary; // { metric: "f1_macro", val: 1, test: 0.98 }
 * ```
 */
export async function listRuns(
  experimentsDir: string,
  options: ListRunsOptions = {},
): Promise<RunSummary[]> {
  const { project, profile, family, verify } = { ...DEFAULT_LIST_RUNS_OPTIONS, ...options };
  const wantedProfile = profile === null ? null : profileName(profile);
  const out: RunSummary[] = [];
  for (const id of await listRunIds(experimentsDir)) {
    // A published run is fetched into the local mirror (reused while unchanged) and read there.
    const dir = isS3Url(experimentsDir)
      ? (await readRunFolder(experimentsDir, id).catch(() => null))?.dir ??
        `${registryMirrorDir(experimentsDir)}/${id}`
      : `${experimentsDir}/${id}`;
    const read = await readRecord(dir, id);
    if (read.record === null) {
      out.push({ id, dir, record: null, problem: read.problem });
      continue;
    }
    const record = read.record;
    if (project !== null && record.project !== project) continue;
    if (wantedProfile !== null && profileName(record.profile) !== wantedProfile) continue;
    if (family !== null && record.family !== family) continue;
    let problem: string | null = null;
    if (verify) {
      for (const [path, expected] of Object.entries(record.artifacts)) {
        const check = await checkArtifact(dir, path, expected);
        if (check.state !== "ok") {
          problem = `corrupt: ${path} (${check.state})`;
          break;
        }
      }
    }
    out.push({ id, dir, record, problem });
  }
  // Ids start with the second a run started; `created` (ms) orders runs of the same second.
  return out.sort((a, b) => sortTime(b).localeCompare(sortTime(a)) || b.id.localeCompare(a.id));
}

/** An ISO time to sort by: `created`, else the time at the start of the id, else "". */
function sortTime(run: RunSummary): string {
  if (typeof run.record?.created === "string") return run.record.created;
  const m = run.id.match(/^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` : "";
}

/**
 * Reduces a profile as recorded or given (`cars`, `config/profiles/cars.yaml`, `null`) to its
 * name, so runs trained with `--config cars` and `--config config/profiles/cars.yaml` match.
 *
 * @param profile the profile, or `null` for none
 * @returns the bare name, or `"none"` when there is no profile
 * @example
 * ```ts
 * profileName("config/profiles/cars.yaml"); // "cars"
 * profileName(null); // "none"
 * ```
 */
export function profileName(profile: string | null): string {
  if (profile === null || profile.trim() === "") return "none";
  const base = profile.trim().replace(/\\/g, "/").split("/").pop() ?? profile;
  return base.replace(/\.ya?ml$/i, "");
}

/** `metrics.json` of a run: the model's and the baseline family's metrics on every split. */
export interface RunMetricsFile {
  /** The primary metric when the run was trained. */
  primary_metric: string;
  /** The model's metrics by split; `val` is `null` without a validation split. */
  model: SplitMetricValues;
  /** The baseline family's metrics on the same splits. */
  baseline: SplitMetricValues;
}

/** Metrics by split, each a map from metric name to value (plus non-numeric details). */
export interface SplitMetricValues {
  /** Metrics on the training split. */
  train: Record<string, unknown> | null;
  /** Metrics on the validation split, or `null` without one. */
  val: Record<string, unknown> | null;
  /** Metrics on the test split. */
  test: Record<string, unknown> | null;
}

/**
 * Reads and checks the shape of a run's `metrics.json` (checksums are checked by
 * {@link readRunFolder}, not here).
 *
 * @param dir the run folder
 * @returns the model's and the baseline's metrics
 * @throws {ArtifactError} naming the file when it is missing, not JSON, or lacks `model` or
 *   `baseline`
 * @example
 * ```ts
 * const metrics = await readRunMetrics(dir);
 * metrics.model.test?.["f1_macro"]; // 0.98
 * ```
 */
export async function readRunMetrics(dir: string): Promise<RunMetricsFile> {
  const path = runArtifactPath(dir, "metrics");
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound ? "the file is missing" : "not valid JSON";
    throw new ArtifactError(`Cannot read "${path}": ${why}; retrain the run`, { cause });
  }
  const splits = (v: unknown): v is SplitMetricValues =>
    isObject(v) && ["train", "val", "test"].every((k) => v[k] === null || isObject(v[k]));
  if (!isObject(value) || !splits(value["model"]) || !splits(value["baseline"])) {
    throw new ArtifactError(
      `Cannot read "${path}": expected { primary_metric, model: {train, val, test}, baseline: {train, val, test} }; retrain the run`,
    );
  }
  return {
    primary_metric: typeof value["primary_metric"] === "string" ? value["primary_metric"] : "",
    model: value["model"],
    baseline: value["baseline"],
  };
}

/** Options of {@link selectBestRun}. */
export interface SelectBestRunOptions {
  /**
   * The metric to rank by, on the validation split.
   * @default "f1_macro"
   */
  metric?: string;
  /**
   * Consider only runs of this project and, when `profile` is given, this profile (see
   * {@link profileName}; `null` means runs trained without one); `null` considers every run.
   * @default null
   */
  match?: { project: string; profile?: string | null } | null;
}

/** Defaults of {@link SelectBestRunOptions}. */
export const DEFAULT_SELECT_BEST_RUN_OPTIONS: Readonly<Required<SelectBestRunOptions>> = {
  metric: "f1_macro",
  match: null,
};

/**
 * Picks the run with the best validation value of `metric` (ties go to the newer run).
 *
 * Ranking uses validation, never test, so the test split stays an unbiased check for the gate.
 * Runs whose `run.json` cannot be read, or that have no validation value, are skipped.
 *
 * @param experimentsDir the experiments folder
 * @param options the metric and which project and profile compete
 * @returns the best run's id
 * @throws {ConfigError} when `metric` is not a known metric
 * @throws {ArtifactError} when no run qualifies
 * @example
 * ```ts
 * const id = await selectBestRun("models/experiments", {
 *   metric: "f1_macro",
 *   match: { project: "penguins", profile: null },
 * });
 * ```
 */
export async function selectBestRun(
  experimentsDir: string,
  options: SelectBestRunOptions = {},
): Promise<string> {
  const { metric, match } = { ...DEFAULT_SELECT_BEST_RUN_OPTIONS, ...options };
  assertKnownMetric(metric);
  const runs = await listRuns(experimentsDir, {
    project: match?.project ?? null,
    profile: match === null || match.profile === undefined ? null : profileName(match.profile),
  });
  let best: { id: string; value: number } | null = null;
  for (const run of runs) {
    if (run.record === null) continue;
    let value = run.record.primary?.metric === metric ? run.record.primary.val : null;
    if (value === null && run.record.primary?.metric !== metric) {
      try {
        value = numberOrNull((await readRunMetrics(run.dir)).model.val?.[metric]);
      } catch {
        continue; // A run without readable metrics cannot be ranked; `runs --verify` shows why.
      }
    }
    if (value === null) continue;
    // Newest first, and only a strictly better value replaces: ties keep the newer run.
    if (best === null || isBetter(metric, value, best.value)) best = { id: run.id, value };
  }
  if (best === null) {
    const scope = match === null
      ? ""
      : ` of project "${match.project}"${
        match.profile === undefined ? "" : ` with profile "${profileName(match.profile)}"`
      }`;
    throw new ArtifactError(
      `Cannot choose a run to promote: no run${scope} in "${experimentsDir}" has a validation value for "${metric}"; train one with \`deno task train\`, or name a run with --run ID`,
    );
  }
  return best.id;
}

/** One config key whose value differs between two runs. */
export interface ConfigDifference {
  /** Dotted key path as `--set` accepts it, e.g. `features.steps[0].columns`. */
  path: string;
  /** The value in run A as JSON text, or `null` when A lacks the key. */
  a: string | null;
  /** The value in run B as JSON text, or `null` when B lacks the key. */
  b: string | null;
}

/** One metric of two runs on one split. */
export interface MetricDifference {
  /** The metric name, e.g. `f1_macro`. */
  metric: string;
  /** The split. */
  split: "val" | "test";
  /** Run A's value, or `null` when it has none. */
  a: number | null;
  /** Run B's value, or `null` when it has none. */
  b: number | null;
  /** `b - a`, or `null` when either is missing. */
  delta: number | null;
  /** Whether B is better than A in the metric's direction; `null` when unknown. */
  better: boolean | null;
}

/** The result of {@link compareRuns}. */
export interface RunComparison {
  /** Run A's record. */
  a: RunRecord;
  /** Run B's record. */
  b: RunRecord;
  /** Config keys that differ, in path order. */
  config: ConfigDifference[];
  /** Every metric of either run on val and test. */
  metrics: MetricDifference[];
}

/**
 * Compares two runs: the keys of their `config.yaml` snapshots that differ, and every metric on
 * val and test with B's change against A.
 *
 * Both runs are opened with {@link readRunFolder}, so their checksums are verified.
 *
 * @param experimentsDir the experiments folder
 * @param ids the two run ids, A then B
 * @returns both records, the config differences and the metric differences
 * @throws {ArtifactError} when a run is unknown or altered, or its config snapshot is unreadable
 * @example
 * ```ts
 * const diff = await compareRuns("models/experiments", [idA, idB]);
 * diff.config.map((d) => d.path); // ["features.steps[0].columns", "model.family"]
 * ```
 */
export async function compareRuns(
  experimentsDir: string,
  ids: readonly [string, string],
): Promise<RunComparison> {
  const [a, b] = await Promise.all(ids.map((id) => readRunFolder(experimentsDir, id)));
  if (a === undefined || b === undefined) {
    throw new TypeError(`Cannot compare runs: expected two run ids, got ${ids.length}`);
  }
  const [configA, configB] = await Promise.all([readSnapshot(a.dir), readSnapshot(b.dir)]);
  const [metricsA, metricsB] = await Promise.all([readRunMetrics(a.dir), readRunMetrics(b.dir)]);
  const flatA = flattenConfig(configA);
  const flatB = flattenConfig(configB);
  const paths = [...new Set([...flatA.keys(), ...flatB.keys()])].sort();
  const config: ConfigDifference[] = [];
  for (const path of paths) {
    const textA = flatA.has(path) ? JSON.stringify(flatA.get(path)) : null;
    const textB = flatB.has(path) ? JSON.stringify(flatB.get(path)) : null;
    if (textA !== textB) config.push({ path, a: textA, b: textB });
  }
  const metrics: MetricDifference[] = [];
  for (const split of ["val", "test"] as const) {
    const valuesA = metricsA.model[split] ?? {};
    const valuesB = metricsB.model[split] ?? {};
    const names = [...new Set([...Object.keys(valuesA), ...Object.keys(valuesB)])]
      .filter((name) => Object.hasOwn(METRIC_DIRECTIONS, name));
    for (const metric of names) {
      const va = numberOrNull(valuesA[metric]);
      const vb = numberOrNull(valuesB[metric]);
      const both = va !== null && vb !== null;
      metrics.push({
        metric,
        split,
        a: va,
        b: vb,
        delta: both ? vb - va : null,
        better: both ? isBetter(metric, vb, va) : null,
      });
    }
  }
  return { a: a.record, b: b.record, config, metrics };
}

/**
 * Flattens a config tree into dotted key paths as `--set` writes them: nested maps join with
 * `.`, keys that are not plain words are quoted, lists of maps are indexed (`steps[0]`), and
 * lists of plain values stay whole.
 *
 * @param value the parsed config
 * @param prefix the path of `value` itself
 * @returns the leaf values by path
 * @example
 * ```ts
 * flattenConfig({ a: { "B c": 1, d: [1, 2] } }); // Map { 'a."B c"' => 1, "a.d" => [1, 2] }
 * ```
 */
export function flattenConfig(value: unknown, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (node: unknown, path: string) => {
    if (Array.isArray(node) && node.some((item) => isObject(item) || Array.isArray(item))) {
      if (node.length === 0) out.set(path, node);
      node.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (isObject(node) && Object.keys(node).length > 0) {
      for (const [key, child] of Object.entries(node)) {
        const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
        visit(child, path === "" ? part : `${path}.${part}`);
      }
    } else {
      out.set(path, node);
    }
  };
  visit(value, prefix);
  return out;
}

async function readSnapshot(dir: string): Promise<unknown> {
  try {
    return parseYaml(await Deno.readTextFile(`${dir}/config.yaml`));
  } catch (cause) {
    throw new ArtifactError(
      `Cannot read "${dir}/config.yaml": the config snapshot is not valid YAML`,
      {
        cause,
      },
    );
  }
}
