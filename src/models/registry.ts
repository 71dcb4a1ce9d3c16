/**
 * The model registry, a file store under `models/`: run ids, atomic run folders and run records
 * with the sha256 of every artifact under `experiments/`; listing and comparing runs; and the
 * production slot under `production/`, changed only through a promotion gate or a rollback,
 * swapped atomically, logged, and guarded by a lock.
 *
 * Production layout (`registry.production_dir`):
 *
 * ```text
 * current.json      the pointer: { run_id, promoted_at, action, previous, history }
 * runs/<id>/        a verified COPY of every run in `history` (the current run last), so
 *                   production and rollback keep working when experiments/ is cleaned
 * promotions.jsonl  append-only log: time, action, from, to, metric values, reason, user
 * .lock             held while a promotion or rollback runs
 * ```
 *
 * A promotion copies the run into a hidden `.partial-*` folder, verifies every checksum, renames
 * it into `runs/`, then renames a new `current.json` over the old one. A crash at any point leaves
 * the pointer at either the old or the new run, never at a half-written folder.
 *
 * Crash safety and integrity:
 * - `run.json` and `current.json` are sealed (`self_sha256`, see {@link writeRunRecord}), so a
 *   changed byte in either is found like a changed artifact;
 * - every `.partial-*` folder is owned through an OS file lock held until its rename; what a
 *   killed writer left is removed by the next `writeRunFolder`, promotion or rollback;
 * - the lock holder keeps an OS file lock on `.lock`, so a lock left by a killed process is
 *   found stale even where the task may not look at other processes;
 * - `current.json` carries the log line of its change, so the promotion log is completed when a
 *   promotion dies between the swap and the append;
 * - run folders and artifacts that resolve (through symbolic links) outside their folder are
 *   refused.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { RegistryConfig } from "../config/mod.ts";
import {
  ArtifactError,
  ConfigError,
  didYouMean,
  PromotionRefusedError,
  RegistryLockedError,
} from "../errors.ts";
import type { LockHolder } from "../errors.ts";
import {
  getProjectLogger,
  guardLeftover,
  isBetter,
  METRIC_DIRECTIONS,
  pathExists,
  removeLeftovers,
  sha256Hex,
} from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";

/** Version of the run folder layout. */
export const RUN_FORMAT_VERSION = 1;

/** Prefix of run folders still being written; they are never listed or read as runs. */
export const PARTIAL_PREFIX = ".partial-";

/**
 * The run report, a view derived from the other artifacts that `deno task report` can rebuild
 * at any time. It is written with the run but left out of the checksums in `run.json`, so a
 * rebuilt report never makes a run look altered; nothing loads it for inference.
 */
export const RUN_REPORT_FILE = "report.html";

const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `run.json`: what produced a run and what it holds. */
export interface RunRecord {
  /** Run folder format version. */
  format_version: number;
  /** The run id, also the folder name. */
  id: string;
  /** ISO time the run finished. */
  created: string;
  /** `project.name` of the config. */
  project: string;
  /** The profile file the run was trained with, root-relative, or `null`. */
  profile: string | null;
  /** `data.task`. */
  task: "classification" | "regression";
  /** `model.family`. */
  family: string;
  /** The git commit of the code, and whether the work tree had uncommitted changes. */
  git: { commit: string | null; dirty: boolean | null };
  /** Versions of the runtime and the libraries that shape results. */
  versions: Record<string, string>;
  /** Seeds of the split and of training. */
  seeds: { split: number; training: number };
  /** sha256 of the resolved config (root-relative paths). */
  config_hash: string;
  /** Fingerprints of every input file. */
  data: Array<{ path: string; sha256: string; bytes: number; rows: number }>;
  /** sha256 of the cleaned test split, so runs evaluated on the same test data can be compared. */
  test_fingerprint: string;
  /** Rows per split after cleaning. */
  rows: { raw: number; clean: number; train: number; val: number; test: number };
  /** The metric the registry ranks runs by, and its value on val and test. */
  primary: { metric: string; val: number | null; test: number | null };
  /** Seconds spent in each stage. */
  stages: Record<string, number>;
  /** sha256 of every other file in the run folder, by relative path. */
  artifacts: Record<string, string>;
}

/**
 * Returns a run id: UTC time, project name and the start of the config hash.
 *
 * @param date when the run started
 * @param project the project name (`project.name`), reduced to safe characters
 * @param configHash the resolved config's hash
 * @returns e.g. `20261127-074512-penguins-1a2b3c4d`
 * @example
 * ```ts
 * createRunId(new Date("2026-11-27T07:45:12Z"), "penguins", "1a2b3c4d99"); // "20261127-074512-penguins-1a2b3c4d"
 * ```
 */
export function createRunId(date: Date, project: string, configHash: string): string {
  const stamp = date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const name = project.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "run";
  return `${stamp}-${name.slice(0, 40)}-${configHash.slice(0, 8)}`;
}

/**
 * Checks that `id` is a plain run id, so it cannot name a path outside the experiments folder.
 *
 * @param id the id as given on a command line or in a request
 * @returns the id
 * @throws {ArtifactError} when the id holds a path separator, `..`, or other characters
 * @example
 * ```ts
 * assertRunId("20261127-074512-penguins-1a2b3c4d");
 * ```
 */
export function assertRunId(id: string): string {
  if (!RUN_ID_PATTERN.test(id) || id.includes("..")) {
    throw new ArtifactError(
      `Cannot use run id "${id}": a run id holds only letters, digits, ".", "_" and "-" and starts with a letter or digit; list runs with \`deno task runs\``,
    );
  }
  return id;
}

/**
 * Writes a run folder atomically: `write` fills a hidden temporary folder, the sha256 of every
 * file but {@link RUN_REPORT_FILE} goes into `run.json`, and the folder is renamed into place only
 * when all of it is written.
 *
 * A crash before the rename leaves only a hidden `.partial-*` folder, which is never listed.
 *
 * @param experimentsDir the experiments folder (created when missing)
 * @param record the run record without `id` and `artifacts`, which this function fills in
 * @param write writes the artifacts into the folder it is given
 * @returns the final run folder and the record as written
 * @throws {ArtifactError} when writing fails; the temporary folder is removed
 * @example
 * ```ts
 * await writeRunFolder("models/experiments", record, async (dir) => { await Deno.writeTextFile(`${dir}/metrics.json`, "{}"); });
 * ```
 */
export async function writeRunFolder(
  experimentsDir: string,
  record: Omit<RunRecord, "artifacts">,
  write: (dir: string) => Promise<void>,
): Promise<{ dir: string; record: RunRecord }> {
  await Deno.mkdir(experimentsDir, { recursive: true });
  let id = assertRunId(record.id);
  await removeLeftovers(experimentsDir, isPartialName, { logger: getProjectLogger("registry") });
  const temporary = `${experimentsDir}/${PARTIAL_PREFIX}${id}-${crypto.randomUUID().slice(0, 8)}`;
  let guard: Deno.FsFile | null = null;
  try {
    await Deno.mkdir(temporary);
    // Held until the rename: a folder whose guard is free was left by a writer that died.
    guard = await guardLeftover(temporary);
    await write(temporary);
    const artifacts = await hashFolder(temporary);
    for (let n = 2; await pathExists(`${experimentsDir}/${id}`); n++) id = `${record.id}-${n}`;
    const full: RunRecord = { ...record, id, artifacts };
    await writeRunRecord(temporary, full);
    await Deno.rename(temporary, `${experimentsDir}/${id}`);
    return { dir: `${experimentsDir}/${id}`, record: full };
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    if (cause instanceof ArtifactError) throw cause;
    throw new ArtifactError(
      `Cannot write run "${id}" under "${experimentsDir}": ${(cause as Error).message}`,
      { cause },
    );
  } finally {
    guard?.close();
  }
}

/**
 * Writes `run.json` into a run folder, sealed: its last field, `self_sha256`, is the sha256 of
 * the file's own text with that value left empty, so a changed byte anywhere in the record is
 * found by {@link openRun}. The seal detects corruption, not tampering (it has no secret).
 *
 * @param dir the run folder
 * @param record the complete record (`artifacts` included)
 * @throws {Error} when the file cannot be written
 * @example
 * ```ts
 * await writeRunRecord(dir, { ...record, artifacts: { ...record.artifacts, "config.yaml": hash } });
 * ```
 */
export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  await Deno.writeTextFile(`${dir}/run.json`, await sealJson(record));
}

/**
 * Tells whether a folder name is a run folder still being written (or left by a crash).
 *
 * @param name a folder name
 * @returns true for `.partial-*` names
 * @example
 * ```ts
 * isPartialName(".partial-20261127-074512-penguins-1a2b3c4d-0f1e2d3c"); // true
 * ```
 */
export function isPartialName(name: string): boolean {
  return name.startsWith(PARTIAL_PREFIX);
}

/**
 * Lists the ids of complete runs, newest first (ids start with their UTC time).
 *
 * @param experimentsDir the experiments folder
 * @returns run ids; empty when the folder does not exist
 * @example
 * ```ts
 * const [latest] = await listRunIds("models/experiments");
 * ```
 */
export async function listRunIds(experimentsDir: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(experimentsDir)) {
      if (entry.isDirectory && RUN_ID_PATTERN.test(entry.name)) {
        if (await pathExists(`${experimentsDir}/${entry.name}/run.json`)) ids.push(entry.name);
      }
    }
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return [];
    throw new ArtifactError(`Cannot list runs in "${experimentsDir}"`, { cause });
  }
  return ids.sort().reverse();
}

/**
 * Reads a run's `run.json` and checks the sha256 of every artifact it lists.
 *
 * @param experimentsDir the experiments folder
 * @param id the run id
 * @returns the run folder and its record
 * @throws {ArtifactError} when the id is unknown (with the closest id), `run.json` is unreadable,
 *   or an artifact is missing or does not match its recorded sha256
 * @example
 * ```ts
 * const { dir, record } = await openRun("models/experiments", "20261127-074512-penguins-1a2b3c4d");
 * ```
 */
export async function openRun(
  experimentsDir: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  assertRunId(id);
  const dir = `${experimentsDir}/${id}`;
  if (!(await pathExists(`${dir}/run.json`))) {
    if (await pathExists(dir)) {
      throw new ArtifactError(
        `Cannot open run "${id}": "${dir}/run.json" is missing, so the run cannot be verified; retrain the run or restore its folder`,
      );
    }
    const ids = await listRunIds(experimentsDir);
    const hint = ids.length === 0
      ? "no runs exist yet; train one with `deno task train`"
      : `${
        didYouMean(id, ids).replace(/^: /, "") || `the newest is "${ids[0]}"`
      }; list runs with \`deno task runs\``;
    throw new ArtifactError(
      `Cannot open run "${id}" in "${experimentsDir}": it does not exist (${hint})`,
    );
  }
  await assertInside(experimentsDir, dir, `run "${id}"`);
  const record = await readSealedJson(`${dir}/run.json`, RUN_RECORD_KEYS) as unknown as RunRecord;
  if (typeof record?.artifacts !== "object" || record.artifacts === null) {
    throw new ArtifactError(`Cannot read "${dir}/run.json": it has no "artifacts" checksums`);
  }
  await verifyArtifacts(dir, record.artifacts);
  return { dir, record };
}

/**
 * Checks every file against its recorded sha256.
 *
 * @param dir the folder the paths are relative to
 * @param artifacts sha256 by relative path
 * @throws {ArtifactError} naming the first file that is missing or altered
 * @example
 * ```ts
 * await verifyArtifacts(dir, record.artifacts);
 * ```
 */
export async function verifyArtifacts(
  dir: string,
  artifacts: Record<string, string>,
): Promise<void> {
  for (const [path, expected] of Object.entries(artifacts)) {
    if (!isPlainRelativePath(path) || typeof expected !== "string") {
      throw new ArtifactError(
        `Cannot load "${dir}/run.json": artifact ${
          JSON.stringify(path)
        } is not a plain relative path with a sha256; the record was altered, so retrain or restore the run`,
      );
    }
    await assertInside(dir, `${dir}/${path}`, `artifact "${path}"`);
    const check = await checkArtifact(dir, path, expected);
    if (check.state === "missing") {
      throw new ArtifactError(`Cannot load "${dir}/${path}": the file is missing`, {
        cause: check.cause,
      });
    }
    if (check.state === "altered") {
      throw new ArtifactError(
        `Cannot load "${dir}/${path}": sha256 ${check.actual.slice(0, 12)}… does not match ${
          expected.slice(0, 12)
        }… recorded in run.json; the file was changed or corrupted, so retrain or restore the run`,
      );
    }
  }
}

type ArtifactCheck =
  | { state: "ok" }
  | { state: "missing"; cause: unknown }
  | { state: "altered"; actual: string };

async function checkArtifact(dir: string, path: string, expected: string): Promise<ArtifactCheck> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${dir}/${path}`);
  } catch (cause) {
    return { state: "missing", cause };
  }
  const actual = await sha256Hex(bytes);
  return actual === expected ? { state: "ok" } : { state: "altered", actual };
}

/** Field of `run.json` and `current.json` holding the file's own sha256 (see writeRunRecord). */
const SEAL_FIELD = "self_sha256";

/** Keys of a `run.json` written before records were sealed (format 1, no `self_sha256`). */
const RUN_RECORD_KEYS: ReadonlySet<string> = new Set([
  "format_version",
  "id",
  "created",
  "project",
  "profile",
  "task",
  "family",
  "git",
  "versions",
  "seeds",
  "config_hash",
  "data",
  "test_fingerprint",
  "rows",
  "primary",
  "stages",
  "artifacts",
]);

/** Keys of a `current.json` written before pointers were sealed. */
const POINTER_KEYS: ReadonlySet<string> = new Set([
  "format_version",
  "run_id",
  "promoted_at",
  "action",
  "previous",
  "history",
]);

/** JSON text of `value` with `self_sha256` last, holding the sha256 of the text without it. */
async function sealJson(value: object): Promise<string> {
  const { [SEAL_FIELD]: _old, ...rest } = value as Record<string, unknown>;
  const blank = JSON.stringify({ ...rest, [SEAL_FIELD]: "" }, null, 2) + "\n";
  const at = blank.lastIndexOf(`"${SEAL_FIELD}": ""`) + SEAL_FIELD.length + 5;
  return `${blank.slice(0, at)}${await sha256Hex(blank)}${blank.slice(at)}`;
}

/**
 * Reads a sealed JSON object file and checks its seal; the seal field is removed from the
 * result. A file without a seal is accepted only when it holds nothing but `legacyKeys` (written
 * before sealing), so a damaged seal key cannot pass as an old file.
 */
async function readSealedJson(
  path: string,
  legacyKeys: ReadonlySet<string>,
  remedy = "the file was changed or corrupted, so retrain or restore the run",
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path));
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound
      ? "the file is missing"
      : cause instanceof TypeError
      ? `the file is not valid UTF-8; ${remedy}`
      : (cause as Error).message;
    throw new ArtifactError(`Cannot read "${path}": ${why}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${path}": the file is not valid JSON; ${remedy}`, {
      cause,
    });
  }
  if (!isObject(value)) {
    throw new ArtifactError(`Cannot read "${path}": expected a JSON object; ${remedy}`);
  }
  const { [SEAL_FIELD]: seal, ...rest } = value;
  if (seal === undefined) {
    const unknown = Object.keys(rest).find((key) => !legacyKeys.has(key));
    if (unknown !== undefined) {
      throw new ArtifactError(
        `Cannot read "${path}": its self checksum "${SEAL_FIELD}" is missing and it holds the unknown key ${
          JSON.stringify(unknown)
        }; ${remedy}`,
      );
    }
    return rest;
  }
  const matches = [...text.matchAll(new RegExp(`"${SEAL_FIELD}"\\s*:\\s*"([^"\\\\]*)"`, "g"))];
  const last = matches.at(-1);
  if (typeof seal !== "string" || last === undefined || last[1] !== seal) {
    throw new ArtifactError(
      `Cannot read "${path}": its self checksum "${SEAL_FIELD}" is not a sha256 value; ${remedy}`,
    );
  }
  const start = last.index! + last[0].length - 1 - seal.length;
  const actual = await sha256Hex(text.slice(0, start) + text.slice(start + seal.length));
  if (actual !== seal) {
    throw new ArtifactError(
      `Cannot read "${path}": self checksum sha256 ${actual.slice(0, 12)}… does not match ${
        seal.slice(0, 12)
      }… recorded in the file; ${remedy}`,
    );
  }
  return rest;
}

/** A relative path with no empty, `.` or `..` segment and no backslash. */
function isPlainRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith("/") && !path.includes("\\") &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/**
 * Refuses a path that resolves (through symbolic links) outside `root`, so a run folder or an
 * artifact linked elsewhere cannot make the registry read files outside its folders.
 */
async function assertInside(root: string, path: string, what: string): Promise<void> {
  let realRoot: string;
  let realPath: string;
  try {
    [realRoot, realPath] = await Promise.all([Deno.realPath(root), Deno.realPath(path)]);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return; // Reported as missing by the caller.
    throw new ArtifactError(`Cannot resolve ${what} at "${path}": ${(cause as Error).message}`, {
      cause,
    });
  }
  if (realPath !== realRoot && !realPath.startsWith(`${realRoot}/`)) {
    throw new ArtifactError(
      `Cannot open ${what}: "${path}" is a symbolic link to "${realPath}", outside "${root}"; the registry reads only files inside its folders, so replace the link with the files`,
    );
  }
}

// =============================================================================================
// Listing and comparing runs
// =============================================================================================

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
    const dir = `${experimentsDir}/${id}`;
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
 * {@link openRun}, not here).
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
  const path = `${dir}/metrics.json`;
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
   * Consider only runs of this project and profile (see {@link profileName}); `null` considers
   * every run.
   * @default null
   */
  match?: { project: string; profile: string | null } | null;
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
    profile: match === null ? null : profileName(match.profile),
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
      : ` of project "${match.project}" with profile "${profileName(match.profile)}"`;
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
 * Both runs are opened with {@link openRun}, so their checksums are verified.
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
  const [a, b] = await Promise.all(ids.map((id) => openRun(experimentsDir, id)));
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

// =============================================================================================
// The promotion gate
// =============================================================================================

/** What the gate needs to know about a run. */
export interface GateRun {
  /** The run id. */
  id: string;
  /** The fields of `run.json` the gate checks. */
  record: Pick<RunRecord, "project" | "family" | "test_fingerprint">;
  /** The run's `metrics.json`. */
  metrics: RunMetricsFile;
}

/** Options of {@link checkPromotionGate}. */
export interface GateOptions {
  /**
   * The metric compared on the test split (`registry.primary_metric`).
   * @default "f1_macro"
   */
  metric?: string;
  /**
   * How much better than production the candidate must be, in the metric's unit
   * (`registry.min_improvement`); the candidate must improve by MORE than this, so with 0 an
   * equal run is refused.
   * @default 0
   */
  minImprovement?: number;
}

/** Defaults of {@link GateOptions}. */
export const DEFAULT_GATE_OPTIONS: Readonly<Required<GateOptions>> = {
  metric: "f1_macro",
  minImprovement: 0,
};

/** The gate's verdict. */
export interface GateResult {
  /** Whether every check passed. */
  ok: boolean;
  /** Why the candidate was refused, one sentence per failed check; empty when `ok`. */
  reasons: string[];
  /** The checks that passed, for the promotion log. */
  passed: string[];
}

/**
 * Decides whether `candidate` may replace `production`.
 *
 * The candidate must have a test value for the metric and beat its own baseline family on it.
 * When production holds a run, the candidate must also belong to the same project, have been
 * evaluated on the same test data (equal `test_fingerprint`), and beat production's test value
 * by more than `minImprovement` in the metric's direction. An empty slot needs only the first
 * two checks.
 *
 * @param candidate the run to promote
 * @param production the run in production, or `null` when the slot is empty
 * @param options the metric and the margin
 * @returns `ok`, the reasons for a refusal, and the checks that passed
 * @throws {ConfigError} when the metric is unknown or the margin is negative
 * @example
 * ```ts
 * const verdict = checkPromotionGate(candidate, production, { metric: "f1_macro", minImprovement: 0.01 });
 * if (!verdict.ok) console.log(verdict.reasons.join("\n"));
 * ```
 */
export function checkPromotionGate(
  candidate: GateRun,
  production: GateRun | null,
  options: GateOptions = {},
): GateResult {
  const { metric, minImprovement } = { ...DEFAULT_GATE_OPTIONS, ...options };
  assertKnownMetric(metric);
  if (!Number.isFinite(minImprovement) || minImprovement < 0) {
    throw new ConfigError(
      `Cannot check the promotion gate: registry.min_improvement is ${minImprovement}, expected a finite number >= 0`,
    );
  }
  const reasons: string[] = [];
  const passed: string[] = [];
  const value = numberOrNull(candidate.metrics.model.test?.[metric]);
  if (value === null) {
    reasons.push(
      `run "${candidate.id}" has no test value for "${metric}" in metrics.json; set registry.primary_metric to a metric of its task`,
    );
    return { ok: false, reasons, passed };
  }

  const baseline = numberOrNull(candidate.metrics.baseline.test?.[metric]);
  if (baseline === null) {
    reasons.push(
      `run "${candidate.id}" has no baseline test value for "${metric}" in metrics.json; retrain it so the baseline is recorded`,
    );
  } else if (isBetter(metric, value, baseline)) {
    passed.push(`beats its baseline on test ${metric}: ${compared(value, baseline)}`);
  } else {
    reasons.push(
      `run "${candidate.id}" does not beat its baseline family on test ${metric}: ${
        compared(value, baseline)
      }; a model must beat the baseline before it can serve`,
    );
  }

  if (production === null) {
    passed.push("production is empty, so only the baseline check applies");
    return { ok: reasons.length === 0, reasons, passed };
  }
  if (candidate.record.project !== production.record.project) {
    reasons.push(
      `run "${candidate.id}" belongs to project "${candidate.record.project}" but production run "${production.id}" to "${production.record.project}"`,
    );
  }
  if (candidate.record.test_fingerprint !== production.record.test_fingerprint) {
    reasons.push(
      `run "${candidate.id}" was evaluated on different test data than production run "${production.id}" (test fingerprint ${
        short(candidate.record.test_fingerprint)
      } vs ${
        short(production.record.test_fingerprint)
      }): retrain both on the same data or use --force`,
    );
  }
  const current = numberOrNull(production.metrics.model.test?.[metric]);
  if (current === null) {
    reasons.push(
      `production run "${production.id}" has no test value for "${metric}", so they cannot be compared; use --force to replace it`,
    );
  } else if (isBetter(metric, value, current, minImprovement)) {
    passed.push(
      `beats production run "${production.id}" on test ${metric} by more than ${minImprovement}: ${
        compared(value, current)
      }`,
    );
  } else {
    reasons.push(
      `run "${candidate.id}" does not beat production run "${production.id}" on test ${metric} by more than ${minImprovement} (${
        METRIC_DIRECTIONS[metric as keyof typeof METRIC_DIRECTIONS] === "max" ? "higher" : "lower"
      } is better): ${compared(value, current)}`,
    );
  }
  return { ok: reasons.length === 0, reasons, passed };
}

// =============================================================================================
// Production: pointer, log, promote, rollback
// =============================================================================================

/** The production pointer file in `registry.production_dir`. */
export const PRODUCTION_POINTER_FILE = "current.json";
/** The append-only promotion log in `registry.production_dir`. */
export const PROMOTION_LOG_FILE = "promotions.jsonl";
/** The folder of production run copies in `registry.production_dir`. */
export const PRODUCTION_RUNS_DIR = "runs";

/** How production last changed. */
export type PromotionAction = "promote" | "force" | "rollback";

/** `current.json`: which run is in production and which came before it. */
export interface ProductionPointer {
  /** Pointer format version. */
  format_version: number;
  /** The run in production. */
  run_id: string;
  /** ISO time of the change that put it there. */
  promoted_at: string;
  /** The change that put it there. */
  action: PromotionAction;
  /** The run a rollback would return to, or `null`. */
  previous: string | null;
  /** Runs that rollback can return to, oldest first, ending with `run_id`; each has a copy. */
  history: string[];
  /**
   * The log line of the change that wrote this pointer. It is appended to `promotions.jsonl`
   * right after the swap; if the process dies in between, {@link readPromotionLog} still shows
   * it and the next promotion or rollback writes it, so the log always agrees with the pointer.
   * Absent in pointers written before it existed.
   */
  log_entry?: PromotionLogEntry;
}

/** The production run, opened and verified. */
export interface ProductionRun {
  /** The run id. */
  runId: string;
  /** The production copy of the run folder. */
  dir: string;
  /** Its `run.json`. */
  record: RunRecord;
  /** `current.json`. */
  pointer: ProductionPointer;
}

/** A metric's value on val and test. */
export interface MetricValues {
  /** On the validation split, or `null`. */
  val: number | null;
  /** On the test split, or `null`. */
  test: number | null;
}

/** One line of `promotions.jsonl`. */
export interface PromotionLogEntry {
  /** ISO time of the change. */
  time: string;
  /** `promote` (passed the gate), `force` (gate overridden) or `rollback`. */
  action: PromotionAction;
  /** The run in production before, or `null` when the slot was empty. */
  from: string | null;
  /** The run in production after. */
  to: string;
  /** The primary metric. */
  metric: string;
  /** Its values for both runs (`from` is `null` when empty or unreadable). */
  metrics: { from: MetricValues | null; to: MetricValues };
  /** Why: the gate's passed checks, or the reason given. */
  reason: string;
  /** Gate checks that failed (overridden by `force`); empty otherwise. */
  overridden: string[];
  /** `USER` of whoever made the change, or `null`. */
  user: string | null;
}

/**
 * Reads `current.json` without touching the run copy (fast; for listings).
 *
 * @param productionDir the production folder
 * @returns the pointer, or `null` when production is empty
 * @throws {ArtifactError} naming the file when it is not a valid pointer
 * @example
 * ```ts
 * const pointer = await readProductionPointer("models/production");
 * pointer?.run_id;
 * ```
 */
export async function readProductionPointer(
  productionDir: string,
): Promise<ProductionPointer | null> {
  const path = `${productionDir}/${PRODUCTION_POINTER_FILE}`;
  const remedy =
    `restore it from ${PROMOTION_LOG_FILE}, or promote again with \`deno task promote --run ID --force --reason "..."\``;
  if (!(await pathExists(path))) {
    // No pointer is an empty slot, unless the log shows that runs were promoted into it.
    const changes = (await readPromotionLogFile(productionDir)).length;
    if (changes === 0) return null;
    throw new ArtifactError(
      `Cannot read "${path}": the file is missing but "${productionDir}/${PROMOTION_LOG_FILE}" records ${changes} change(s), so the production pointer was lost; ${remedy}`,
    );
  }
  const value: unknown = await readSealedJson(path, POINTER_KEYS, remedy);
  const history = isObject(value) ? value["history"] : undefined;
  const valid = isObject(value) && typeof value["run_id"] === "string" &&
    RUN_ID_PATTERN.test(value["run_id"]) && typeof value["promoted_at"] === "string" &&
    (value["previous"] === null || typeof value["previous"] === "string") &&
    Array.isArray(history) && history.length > 0 &&
    history.every((id) =>
      typeof id === "string" && RUN_ID_PATTERN.test(id) && !id.includes("..")
    ) &&
    history[history.length - 1] === value["run_id"];
  if (!valid) {
    throw new ArtifactError(
      `Cannot read "${path}": expected { run_id, promoted_at, previous, history } with history ending in run_id; ${remedy}`,
    );
  }
  return value as unknown as ProductionPointer;
}

/**
 * Opens the production run: reads `current.json` and verifies the sha256 of every file of the
 * production copy.
 *
 * @param productionDir the production folder
 * @returns the run id, its copy's folder, its record and the pointer; `null` when empty
 * @throws {ArtifactError} naming the file when the pointer is invalid, or the copy is missing or
 *   a file in it is missing or altered
 * @example
 * ```ts
 * const production = await readProduction("models/production");
 * if (production) console.log(production.runId, production.dir);
 * ```
 */
export async function readProduction(productionDir: string): Promise<ProductionRun | null> {
  const pointer = await readProductionPointer(productionDir);
  if (pointer === null) return null;
  const { dir, record } = await openProductionCopy(productionDir, pointer.run_id);
  return { runId: pointer.run_id, dir, record, pointer };
}

/**
 * Reads the promotion log, oldest first.
 *
 * When a promotion or rollback died after swapping the pointer but before appending its line,
 * the line kept in the pointer (`log_entry`) is listed last, so the log read here always ends
 * with the change that put the current run in production.
 *
 * @param productionDir the production folder
 * @returns every entry; empty when nothing was promoted yet
 * @throws {ArtifactError} naming the line when a line is not valid JSON
 * @example
 * ```ts
 * const last = (await readPromotionLog("models/production")).at(-1);
 * ```
 */
export async function readPromotionLog(productionDir: string): Promise<PromotionLogEntry[]> {
  const entries = await readPromotionLogFile(productionDir);
  const pending = await pendingLogEntry(productionDir, entries).catch(() => null);
  return pending === null ? entries : [...entries, pending];
}

/** The pointer's `log_entry` when `promotions.jsonl` lacks it, else `null`. */
async function pendingLogEntry(
  productionDir: string,
  entries: readonly PromotionLogEntry[],
): Promise<PromotionLogEntry | null> {
  const pointer = await readProductionPointer(productionDir);
  const pending = pointer?.log_entry;
  if (!isObject(pending)) return null;
  const logged = entries.some((e) =>
    e.time === pending.time && e.to === pending.to && e.action === pending.action
  );
  return logged ? null : pending;
}

/**
 * Appends the line of the last change to `promotions.jsonl` when a killed promotion or rollback
 * did not; called under the lock.
 */
async function completePromotionLog(productionDir: string, logger: Logger): Promise<void> {
  const pending = await pendingLogEntry(productionDir, await readPromotionLogFile(productionDir));
  if (pending === null) return;
  logger.warning("Completing the promotion log {path} with the change to {to} at {time}", {
    path: `${productionDir}/${PROMOTION_LOG_FILE}`,
    to: pending.to,
    time: pending.time,
  });
  await appendPromotionLog(productionDir, pending, logger);
}

async function readPromotionLogFile(productionDir: string): Promise<PromotionLogEntry[]> {
  const path = `${productionDir}/${PROMOTION_LOG_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return [];
    throw new ArtifactError(`Cannot read "${path}"`, { cause });
  }
  const entries: PromotionLogEntry[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      entries.push(JSON.parse(line) as PromotionLogEntry);
    } catch (cause) {
      throw new ArtifactError(`Cannot read "${path}" line ${i + 1}: not valid JSON`, { cause });
    }
  });
  return entries;
}

/** Options of {@link promoteRun}. */
export interface PromoteOptions {
  /**
   * The run to promote; `null` picks the best run by {@link selectBestRun} on the primary metric.
   * @default null
   */
  runId?: string | null;
  /**
   * Which runs compete when `runId` is `null`: those of this project and profile; `null` lets
   * every run compete.
   * @default null
   */
  match?: { project: string; profile: string | null } | null;
  /**
   * Promote even when the gate refuses (never when the candidate's files are corrupt).
   * @default false
   */
  force?: boolean;
  /**
   * Why: required with `force`; otherwise recorded instead of the gate summary.
   * @default null
   */
  reason?: string | null;
  /**
   * Check the gate and report what would happen without changing production.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Who promotes, for the log (the CLI passes `USER`).
   * @default null
   */
  user?: string | null;
  /**
   * Most runs kept in `history` (and as copies) for rollback, the current one included.
   * @default 10
   */
  keep?: number;
  /**
   * Where to log.
   * @default the "registry" project logger
   */
  logger?: Logger;
  /**
   * Lock timing.
   * @default DEFAULT_REGISTRY_LOCK_OPTIONS
   */
  lock?: RegistryLockOptions;
}

/** Defaults of {@link PromoteOptions} (the logger defaults to the "registry" project logger). */
export const DEFAULT_PROMOTE_OPTIONS: Readonly<Required<Omit<PromoteOptions, "logger">>> = {
  runId: null,
  match: null,
  force: false,
  reason: null,
  dryRun: false,
  user: null,
  keep: 10,
  lock: {},
};

/** The outcome of {@link promoteRun} and {@link rollbackProduction}. */
export interface PromotionResult {
  /** What was done (or, on a dry run, would be done). */
  action: PromotionAction;
  /** The run in production before, or `null`. */
  from: string | null;
  /** The run in production after. */
  to: string;
  /** The gate's verdict (always passing for a rollback). */
  gate: GateResult;
  /** The log line written, or `null` on a dry run. */
  entry: PromotionLogEntry | null;
  /** The production copy of `to`, or `null` on a dry run. */
  dir: string | null;
  /** Whether production was left unchanged on purpose. */
  dryRun: boolean;
}

/**
 * Promotes a run to production through the gate ({@link checkPromotionGate}), under the
 * registry lock.
 *
 * The candidate's checksums are verified first. The run folder is copied to
 * `production/runs/<id>/`, verified again, and `current.json` is renamed over the old pointer;
 * then a line is appended to `promotions.jsonl` and copies no longer in `history` are removed.
 * On any error before the rename, production is unchanged.
 *
 * @param registry the `registry` config slice (directories, primary metric, margin)
 * @param options the run (or how to pick one), force and reason, dry run, user, lock timing
 * @returns what changed and the log entry
 * @throws {PromotionRefusedError} when the gate refuses (listing every reason), the run is
 *   already in production, or `force` is given without a reason
 * @throws {ArtifactError} when the run is unknown (with the closest id), a file of it is missing
 *   or altered (naming the file), or the production copy is corrupt and `force` is not given
 * @throws {ConfigError} when the primary metric is unknown
 * @throws {RegistryLockedError} when another promotion holds the lock for too long
 * @example
 * ```ts
 * const result = await promoteRun(config.registry, { runId: "20261127-074512-penguins-1a2b3c4d" });
 * console.log(`${result.from} -> ${result.to}`);
 * ```
 */
export async function promoteRun(
  registry: RegistryConfig,
  options: PromoteOptions = {},
): Promise<PromotionResult> {
  const { runId, match, force, reason, dryRun, user, keep, lock } = {
    ...DEFAULT_PROMOTE_OPTIONS,
    ...options,
  };
  const logger = options.logger ?? getProjectLogger("registry");
  const metric = registry.primary_metric;
  assertKnownMetric(metric);
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(`Cannot promote: keep is ${keep}, expected an integer >= 1`);
  }
  const givenReason = reason?.trim() || null;
  if (force && givenReason === null) {
    throw new PromotionRefusedError(
      `Cannot force a promotion without a reason: pass --reason "why the gate may be skipped"`,
    );
  }
  if (runId !== null) assertRunId(runId);
  await removeLeftovers(registry.experiments_dir, isPartialName, { logger });

  // Run folders never change once written, so the candidate is checked before taking the lock:
  // an unknown or corrupt run fails without touching the production folder at all.
  const id = runId ?? await selectBestRun(registry.experiments_dir, { metric, match });
  const candidate = await openRun(registry.experiments_dir, id);
  const candidateMetrics = await readRunMetrics(candidate.dir);

  const work = async (): Promise<PromotionResult> => {
    await removeProductionLeftovers(registry.production_dir, logger);
    await completePromotionLog(registry.production_dir, logger).catch(() => {});
    const pointer = await readProductionPointer(registry.production_dir);
    let production: GateRun | null = null;
    let broken: string | null = null;
    if (pointer !== null) {
      try {
        const copy = await openProductionCopy(registry.production_dir, pointer.run_id);
        production = {
          id: pointer.run_id,
          record: copy.record,
          metrics: await readRunMetrics(copy.dir),
        };
      } catch (cause) {
        if (!(cause instanceof ArtifactError) || !force) {
          throw new ArtifactError(
            `${
              (cause as Error).message
            }; production was not changed (roll back with \`deno task rollback\`, or replace it with --force --reason "...")`,
            { cause },
          );
        }
        broken = `production run "${pointer.run_id}" is unreadable: ${cause.message}`;
        logger.warning("Production run {id} is unreadable and is replaced by force: {error}", {
          id: pointer.run_id,
          error: cause.message,
        });
      }
    }
    // Re-promoting the production run is pointless, unless by force to repair a broken copy.
    if (pointer?.run_id === id && broken === null) {
      throw new PromotionRefusedError(
        `Cannot promote run "${id}": it is already in production; train a better run, or return to the previous one with \`deno task rollback\``,
        [`run "${id}" is already in production`],
      );
    }

    const checked = checkPromotionGate(
      { id, record: candidate.record, metrics: candidateMetrics },
      production,
      { metric, minImprovement: registry.min_improvement },
    );
    const gate: GateResult = broken === null
      ? checked
      : { ok: false, reasons: [broken, ...checked.reasons], passed: checked.passed };
    if (!gate.ok && !force) {
      throw new PromotionRefusedError(
        `Cannot promote run "${id}": the gate refused it, production is unchanged:\n${
          gate.reasons.map((r) => `  - ${r}`).join("\n")
        }\nTrain a better run, or override with --force --reason "..."`,
        gate.reasons,
      );
    }
    const action: PromotionAction = gate.ok ? "promote" : "force";
    const from = pointer?.run_id ?? null;
    if (dryRun) return { action, from, to: id, gate, entry: null, dir: null, dryRun: true };

    const dir = await installProductionCopy(registry.production_dir, candidate);
    const history = [...(pointer?.history ?? []).filter((h) => h !== id), id].slice(-keep);
    const time = new Date().toISOString();
    const entry: PromotionLogEntry = {
      time,
      action,
      from,
      to: id,
      metric,
      metrics: {
        from: production === null ? null : metricValues(production.metrics, metric),
        to: metricValues(candidateMetrics, metric),
      },
      reason: givenReason ?? gate.passed.join("; "),
      overridden: gate.ok ? [] : gate.reasons,
      user,
    };
    await writeProductionPointer(registry.production_dir, {
      format_version: RUN_FORMAT_VERSION,
      run_id: id,
      promoted_at: time,
      action,
      previous: history.at(-2) ?? null,
      history,
      log_entry: entry,
    });
    await appendPromotionLog(registry.production_dir, entry, logger);
    if (action === "force") {
      logger.warning("Forced promotion of {to} over {from}: {reason} (gate: {gate})", {
        to: id,
        from: from ?? "(empty)",
        reason: entry.reason,
        gate: gate.reasons.join("; "),
      });
    } else {
      logger.info("Promoted {to} over {from}", { to: id, from: from ?? "(empty)" });
    }
    await pruneProduction(registry.production_dir, history, logger);
    return { action, from, to: id, gate, entry, dir, dryRun: false };
  };
  return await withRegistryLock(registry.production_dir, work, { ...lock, logger });
}

/** Options of {@link rollbackProduction}. */
export interface RollbackOptions {
  /**
   * Why, for the log.
   * @default null
   */
  reason?: string | null;
  /**
   * Who rolls back, for the log (the CLI passes `USER`).
   * @default null
   */
  user?: string | null;
  /**
   * Where to log.
   * @default the "registry" project logger
   */
  logger?: Logger;
  /**
   * Lock timing.
   * @default DEFAULT_REGISTRY_LOCK_OPTIONS
   */
  lock?: RegistryLockOptions;
}

/** Defaults of {@link RollbackOptions} (the logger defaults to the "registry" project logger). */
export const DEFAULT_ROLLBACK_OPTIONS: Readonly<Required<Omit<RollbackOptions, "logger">>> = {
  reason: null,
  user: null,
  lock: {},
};

/**
 * Returns production to the run promoted before the current one, under the registry lock, and
 * logs it.
 *
 * The earlier run's production copy is verified before the pointer is swapped; the current run
 * may be corrupt (rolling back is the remedy for that).
 *
 * @param registry the `registry` config slice
 * @param options reason, user, lock timing
 * @returns the runs before and after and the log entry
 * @throws {ArtifactError} when production is empty, no earlier run is recorded, or the earlier
 *   run's copy is missing or altered (naming the file); production is then unchanged
 * @throws {RegistryLockedError} when another promotion holds the lock for too long
 * @example
 * ```ts
 * const { from, to } = await rollbackProduction(config.registry, { reason: "bad predictions" });
 * ```
 */
export async function rollbackProduction(
  registry: RegistryConfig,
  options: RollbackOptions = {},
): Promise<PromotionResult> {
  const { reason, user, lock } = { ...DEFAULT_ROLLBACK_OPTIONS, ...options };
  const logger = options.logger ?? getProjectLogger("registry");
  const empty = () =>
    new ArtifactError(
      `Cannot roll back: production in "${registry.production_dir}" is empty; promote a run first with \`deno task promote\``,
    );
  // Checked before the lock too, so an empty slot fails without creating the folder.
  if ((await readProductionPointer(registry.production_dir)) === null) throw empty();
  const work = async (): Promise<PromotionResult> => {
    await removeProductionLeftovers(registry.production_dir, logger);
    await completePromotionLog(registry.production_dir, logger).catch(() => {});
    const pointer = await readProductionPointer(registry.production_dir);
    if (pointer === null) throw empty();
    const previous = pointer.history.at(-2);
    if (previous === undefined) {
      throw new ArtifactError(
        `Cannot roll back production run "${pointer.run_id}": no earlier promoted run is recorded; promote another run with \`deno task promote --run ID\` instead`,
      );
    }
    const target = await openProductionCopy(registry.production_dir, previous);
    const targetMetrics = await readRunMetrics(target.dir);
    let fromMetrics: MetricValues | null = null;
    try {
      const current = `${registry.production_dir}/${PRODUCTION_RUNS_DIR}/${pointer.run_id}`;
      fromMetrics = metricValues(await readRunMetrics(current), registry.primary_metric);
    } catch {
      fromMetrics = null; // The run being rolled back may be the broken one.
    }
    const history = pointer.history.slice(0, -1);
    const time = new Date().toISOString();
    const entry: PromotionLogEntry = {
      time,
      action: "rollback",
      from: pointer.run_id,
      to: previous,
      metric: registry.primary_metric,
      metrics: {
        from: fromMetrics,
        to: metricValues(targetMetrics, registry.primary_metric),
      },
      reason: reason?.trim() || `rolled back from ${pointer.run_id}`,
      overridden: [],
      user,
    };
    await writeProductionPointer(registry.production_dir, {
      format_version: RUN_FORMAT_VERSION,
      run_id: previous,
      promoted_at: time,
      action: "rollback",
      previous: history.at(-2) ?? null,
      history,
      log_entry: entry,
    });
    await appendPromotionLog(registry.production_dir, entry, logger);
    logger.info("Rolled production back from {from} to {to}", {
      from: pointer.run_id,
      to: previous,
    });
    await pruneProduction(registry.production_dir, history, logger);
    const gate: GateResult = { ok: true, reasons: [], passed: [] };
    return {
      action: "rollback",
      from: pointer.run_id,
      to: previous,
      gate,
      entry,
      dir: target.dir,
      dryRun: false,
    };
  };
  return await withRegistryLock(registry.production_dir, work, { ...lock, logger });
}

// =============================================================================================
// The registry lock
// =============================================================================================

/** The lock file in `registry.production_dir`. */
export const LOCK_FILE = ".lock";

/** Options of {@link withRegistryLock}. */
export interface RegistryLockOptions {
  /**
   * How long to wait for another holder, in milliseconds, before failing.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * A lock older than this (ms) is stale even when its holder cannot be checked (another host)
   * or seems alive (its pid may have been reused). A lock whose process on this host is gone is
   * stale at once.
   * @default 600000
   */
  staleMs?: number;
  /**
   * Where to log the removal of a stale lock.
   * @default the "registry" project logger
   */
  logger?: Logger;
}

/** Defaults of {@link RegistryLockOptions} (the logger defaults to the "registry" logger). */
export const DEFAULT_REGISTRY_LOCK_OPTIONS: Readonly<
  Required<Omit<RegistryLockOptions, "logger">>
> = {
  timeoutMs: 10_000,
  staleMs: 600_000,
};

/** A lock file with no valid holder record is a crashed writer after this many ms. */
const INVALID_LOCK_GRACE_MS = 2_000;
/** A left-over `.lock.break` file is removed after this many ms. */
const BREAK_LOCK_STALE_MS = 30_000;

/**
 * Runs `fn` while holding the registry's exclusive lock file `<productionDir>/.lock`.
 *
 * The lock is a file created with `createNew`, holding `{ pid, hostname, started, token }`. A
 * second caller waits with backoff up to `timeoutMs`, then fails naming the holder. A stale lock
 * (its process on this host is gone, or it is older than `staleMs`) is removed with a warning
 * log line. The lock is always released, also when `fn` throws.
 *
 * @param productionDir the production folder (created when missing)
 * @param fn the work to do under the lock
 * @param options wait and staleness limits, logger
 * @returns what `fn` returns
 * @throws {RegistryLockedError} when the lock is still held after `timeoutMs`
 * @throws {ArtifactError} when the lock file cannot be created for another reason
 * @example
 * ```ts
 * await withRegistryLock("models/production", async () => { ... });
 * ```
 */
export async function withRegistryLock<T>(
  productionDir: string,
  fn: () => Promise<T>,
  options: RegistryLockOptions = {},
): Promise<T> {
  const { timeoutMs, staleMs } = { ...DEFAULT_REGISTRY_LOCK_OPTIONS, ...options };
  for (const [name, value] of [["timeoutMs", timeoutMs], ["staleMs", staleMs]] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`Cannot lock the registry: ${name} is ${value}, expected a number >= 0`);
    }
  }
  const logger = options.logger ?? getProjectLogger("registry");
  const path = `${productionDir}/${LOCK_FILE}`;
  try {
    await Deno.mkdir(productionDir, { recursive: true });
  } catch (cause) {
    throw new ArtifactError(`Cannot create the production folder "${productionDir}"`, { cause });
  }
  const holder: LockHolder = {
    pid: Deno.pid,
    hostname: hostName(),
    started: new Date().toISOString(),
    token: crypto.randomUUID(),
  };
  const deadline = performance.now() + timeoutMs;
  let delay = 20;
  let handle: Deno.FsFile | null = null;
  for (;;) {
    handle = await tryCreateLock(path, holder);
    if (handle !== null) break;
    const held = await readLockFile(path);
    if (held === null) continue; // Released between our attempt and the read.
    const stale = await staleReason(path, held, staleMs);
    if (stale !== null && await breakStaleLock(path, held.text)) {
      logger.warning("Removed a stale registry lock {path}: {why}", { path, why: stale });
      continue;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      const who = held.holder === null
        ? "an unknown holder (the file has no valid owner record)"
        : `pid ${held.holder.pid} on "${held.holder.hostname}" since ${held.holder.started}`;
      throw new RegistryLockedError(
        `Cannot lock the registry "${path}": another promotion or rollback holds it (${who}) and did not release it within ${
          timeoutMs / 1000
        } s; try again when it finishes, or delete "${path}" if that process is gone`,
        held.holder,
      );
    }
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 500);
  }
  try {
    return await fn();
  } finally {
    await releaseLock(path, holder, logger);
    handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Private helpers of the listing, the gate, production and the lock
// ---------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function short(hash: string | undefined): string {
  return typeof hash === "string" && hash.length > 0 ? `${hash.slice(0, 12)}…` : "(none)";
}

function compared(value: number, other: number): string {
  const delta = value - other;
  return `${value.toFixed(4)} vs ${other.toFixed(4)} (${delta >= 0 ? "+" : ""}${delta.toFixed(4)})`;
}

function assertKnownMetric(metric: string): void {
  if (!Object.hasOwn(METRIC_DIRECTIONS, metric)) {
    const names = Object.keys(METRIC_DIRECTIONS);
    throw new ConfigError(
      `Cannot use registry.primary_metric "${metric}": it is not a known metric${
        didYouMean(metric, names)
      } (expected one of ${JSON.stringify(names)})`,
    );
  }
}

function metricValues(metrics: RunMetricsFile, metric: string): MetricValues {
  return {
    val: numberOrNull(metrics.model.val?.[metric]),
    test: numberOrNull(metrics.model.test?.[metric]),
  };
}

async function readRecord(
  dir: string,
  id: string,
): Promise<{ record: RunRecord; problem: null } | { record: null; problem: string }> {
  let value: unknown;
  try {
    value = await readSealedJson(`${dir}/run.json`, RUN_RECORD_KEYS);
  } catch (cause) {
    const message = (cause as Error).message;
    return {
      record: null,
      problem: /self checksum/.test(message)
        ? "corrupt: run.json (self checksum does not match)"
        : "corrupt: run.json (not valid JSON)",
    };
  }
  const ok = isObject(value) && value["id"] === id && typeof value["created"] === "string" &&
    typeof value["family"] === "string" && isObject(value["primary"]) &&
    isObject(value["artifacts"]) && isObject(value["git"]) && Array.isArray(value["data"]);
  if (!ok) return { record: null, problem: "corrupt: run.json (fields missing or id differs)" };
  return { record: value as unknown as RunRecord, problem: null };
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

async function openProductionCopy(
  productionDir: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  const runs = `${productionDir}/${PRODUCTION_RUNS_DIR}`;
  if (!(await pathExists(`${runs}/${id}`))) {
    throw new ArtifactError(
      `Cannot read production run "${id}": its copy "${runs}/${id}" is missing; roll back with \`deno task rollback\`, or promote the run again`,
    );
  }
  return await openRun(runs, id);
}

async function installProductionCopy(
  productionDir: string,
  run: { dir: string; record: RunRecord },
): Promise<string> {
  const runs = `${productionDir}/${PRODUCTION_RUNS_DIR}`;
  const target = `${runs}/${run.record.id}`;
  const temporary = `${productionDir}/${PARTIAL_PREFIX}${run.record.id}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  let guard: Deno.FsFile | null = null;
  try {
    await Deno.mkdir(runs, { recursive: true });
    if (await pathExists(target)) {
      try {
        // A copy left from an earlier promotion of the same run can be reused when intact.
        await openRun(runs, run.record.id);
        return target;
      } catch {
        await Deno.rename(target, `${temporary}-old`);
      }
    }
    await Deno.mkdir(temporary);
    guard = await guardLeftover(temporary);
    await copyTree(run.dir, temporary);
    await verifyArtifacts(temporary, run.record.artifacts);
    await Deno.rename(temporary, target);
    await Deno.remove(`${temporary}-old`, { recursive: true }).catch(() => {});
    return target;
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    if (cause instanceof ArtifactError) throw cause;
    throw new ArtifactError(
      `Cannot copy run "${run.record.id}" into "${runs}": ${
        (cause as Error).message
      }; production was not changed`,
      { cause },
    );
  } finally {
    guard?.close();
  }
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

async function writeProductionPointer(
  productionDir: string,
  pointer: ProductionPointer,
): Promise<void> {
  const path = `${productionDir}/${PRODUCTION_POINTER_FILE}`;
  const temporary = `${productionDir}/.${PRODUCTION_POINTER_FILE}.${
    crypto.randomUUID().slice(0, 8)
  }.tmp`;
  try {
    const file = await Deno.open(temporary, { createNew: true, write: true });
    try {
      const bytes = new TextEncoder().encode(await sealJson(pointer));
      for (let n = 0; n < bytes.byteLength;) n += await file.write(bytes.subarray(n));
      await file.syncData();
    } finally {
      file.close();
    }
    // rename() replaces the old pointer atomically: readers see the old or the new one.
    await Deno.rename(temporary, path);
  } catch (cause) {
    await Deno.remove(temporary).catch(() => {});
    throw new ArtifactError(
      `Cannot write "${path}": ${(cause as Error).message}; production was not changed`,
      { cause },
    );
  }
}

async function appendPromotionLog(
  productionDir: string,
  entry: PromotionLogEntry,
  logger: Logger,
): Promise<void> {
  const path = `${productionDir}/${PROMOTION_LOG_FILE}`;
  try {
    await Deno.writeTextFile(path, JSON.stringify(entry) + "\n", { append: true, create: true });
  } catch (cause) {
    // The pointer is already swapped; failing now would report a change as not made.
    logger.error("Cannot append to the promotion log {path}: {error}; the change was {entry}", {
      path,
      error: (cause as Error).message,
      entry: JSON.stringify(entry),
    });
  }
}

/**
 * Removes what a promotion or rollback killed mid-way left in the production folder: `.partial-*`
 * copies and pointer temporaries. Only lock holders write there and the caller holds the lock,
 * so no grace period is needed.
 */
async function removeProductionLeftovers(productionDir: string, logger: Logger): Promise<void> {
  const pointerTemporary = `.${PRODUCTION_POINTER_FILE}.`;
  await removeLeftovers(
    productionDir,
    (name) => isPartialName(name) || (name.startsWith(pointerTemporary) && name.endsWith(".tmp")),
    { logger, graceMs: 0 },
  );
}

async function pruneProduction(
  productionDir: string,
  history: readonly string[],
  logger: Logger,
): Promise<void> {
  const keep = new Set(history);
  const targets: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${productionDir}/${PRODUCTION_RUNS_DIR}`)) {
      if (!keep.has(entry.name)) {
        targets.push(`${productionDir}/${PRODUCTION_RUNS_DIR}/${entry.name}`);
      }
    }
    for await (const entry of Deno.readDir(productionDir)) {
      if (entry.name.startsWith(PARTIAL_PREFIX)) targets.push(`${productionDir}/${entry.name}`);
    }
  } catch (cause) {
    logger.warning("Cannot list {dir} to remove old copies: {error}", {
      dir: productionDir,
      error: (cause as Error).message,
    });
    return;
  }
  for (const target of targets) {
    await Deno.remove(target, { recursive: true }).catch((cause) =>
      logger.warning("Cannot remove the old production copy {path}: {error}", {
        path: target,
        error: (cause as Error).message,
      })
    );
  }
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Creates the lock file and takes an OS file lock (flock) on it, held until the returned handle
 * is closed: the OS drops it when the process dies, so a lock file whose flock is free and whose
 * owner record is complete was left by a dead holder.
 */
async function tryCreateLock(path: string, holder: LockHolder): Promise<Deno.FsFile | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { createNew: true, write: true });
  } catch (cause) {
    if (cause instanceof Deno.errors.AlreadyExists) return null;
    throw new ArtifactError(`Cannot create the registry lock "${path}"`, { cause });
  }
  try {
    await file.tryLock(true).catch(() => false); // Unsupported: pid and age checks remain.
    const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
    for (let n = 0; n < bytes.byteLength;) n += await file.write(bytes.subarray(n));
  } catch (cause) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw new ArtifactError(`Cannot write the registry lock "${path}"`, { cause });
  }
  return file;
}

interface HeldLock {
  text: string;
  holder: LockHolder | null;
  ageMs: number;
}

async function readLockFile(path: string): Promise<HeldLock | null> {
  let text: string;
  let mtime: Date | null;
  try {
    [text, mtime] = await Promise.all([
      Deno.readTextFile(path),
      Deno.stat(path).then((s) => s.mtime),
    ]);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return null;
    throw new ArtifactError(`Cannot read the registry lock "${path}"`, { cause });
  }
  let holder: LockHolder | null = null;
  try {
    const value: unknown = JSON.parse(text);
    if (
      isObject(value) && Number.isInteger(value["pid"]) && typeof value["hostname"] === "string" &&
      typeof value["started"] === "string" && typeof value["token"] === "string"
    ) holder = value as unknown as LockHolder;
  } catch {
    holder = null; // Being written, or left half-written by a crash: judged by age below.
  }
  return { text, holder, ageMs: mtime === null ? 0 : Date.now() - mtime.getTime() };
}

async function staleReason(
  path: string,
  held: HeldLock,
  staleMs: number,
): Promise<string | null> {
  if (held.holder === null) {
    return held.ageMs > INVALID_LOCK_GRACE_MS
      ? `it has no valid owner record and is ${Math.round(held.ageMs / 1000)} s old`
      : null;
  }
  if (held.holder.hostname === hostName()) {
    const alive = await processAlive(held.holder.pid);
    if (alive === false) {
      return `its process ${held.holder.pid} on "${held.holder.hostname}" is no longer running`;
    }
    // Without leave to look at processes (tasks read only the project), the file lock tells:
    // the holder took it before writing its record, and the OS released it when it died.
    if (alive === null && await fileLockFree(path)) {
      return `its process ${held.holder.pid} on "${held.holder.hostname}" no longer holds it (the process is gone)`;
    }
  }
  if (held.ageMs > staleMs) {
    return `it is ${Math.round(held.ageMs / 1000)} s old, older than the ${
      Math.round(staleMs / 1000)
    } s limit`;
  }
  return null;
}

/** Whether process `pid` on this host runs: `null` when this process may not look. */
async function processAlive(pid: number): Promise<boolean | null> {
  if (pid === Deno.pid) return true;
  if (Deno.build.os === "linux") {
    const proc = `/proc/${pid}`;
    const leave = await Deno.permissions.query({ name: "read", path: proc }).catch(() => null);
    if (leave?.state !== "granted") return null;
    return await pathExists(proc).catch(() => null);
  }
  if (Deno.build.os === "windows") return null;
  const leave = await Deno.permissions.query({ name: "run", command: "kill" }).catch(() => null);
  if (leave?.state !== "granted") return null;
  try {
    const probe = await new Deno.Command("kill", {
      args: ["-0", String(pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return probe.success;
  } catch {
    return null;
  }
}

/** Whether nobody holds the OS file lock of `path`; `false` when unknown or the file is gone. */
async function fileLockFree(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return false;
  }
  try {
    return await file.tryLock(true);
  } catch {
    return false;
  } finally {
    file.close();
  }
}

async function breakStaleLock(path: string, staleText: string): Promise<boolean> {
  // Breakers take a second lock so that two of them cannot remove a fresh lock that a third
  // process created after the first breaker removed the stale one.
  const breaker = `${path}.break`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(breaker, { createNew: true, write: true });
  } catch (cause) {
    if (!(cause instanceof Deno.errors.AlreadyExists)) {
      throw new ArtifactError(`Cannot create "${breaker}"`, { cause });
    }
    const age = await Deno.stat(breaker).then((s) => Date.now() - (s.mtime?.getTime() ?? 0))
      .catch(() => 0);
    if (age > BREAK_LOCK_STALE_MS) await Deno.remove(breaker).catch(() => {});
    return false;
  }
  file.close();
  try {
    const current = await Deno.readTextFile(path).catch(() => null);
    if (current !== staleText) return false;
    await Deno.remove(path);
    return true;
  } finally {
    await Deno.remove(breaker).catch(() => {});
  }
}

async function releaseLock(path: string, holder: LockHolder, logger: Logger): Promise<void> {
  const held = await readLockFile(path).catch(() => null);
  if (held?.holder?.token === holder.token) {
    await Deno.remove(path).catch((cause) =>
      logger.error("Cannot remove the registry lock {path}: {error}; delete it by hand", {
        path,
        error: (cause as Error).message,
      })
    );
    return;
  }
  logger.warning(
    "The registry lock {path} was no longer ours when released (removed as stale by another process?)",
    { path },
  );
}

async function hashFolder(root: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = [];
  for await (const entry of Deno.readDir(`${root}/${prefix}`)) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(out, await hashFolder(root, relative));
    else if (entry.isFile && relative !== "run.json" && relative !== RUN_REPORT_FILE) {
      out[relative] = await sha256Hex(await Deno.readFile(`${root}/${relative}`));
    }
  }
  return out;
}
