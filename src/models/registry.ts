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
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { RegistryConfig } from "../config/mod.ts";
import { ArtifactError, ConfigError, didYouMean } from "../errors.ts";
import type { ErrorOptions } from "../errors.ts";
import { getProjectLogger, isBetter, METRIC_DIRECTIONS, sha256Hex } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";

/** Version of the run folder layout. */
export const RUN_FORMAT_VERSION = 1;

/** Prefix of run folders still being written; they are never listed or read as runs. */
export const PARTIAL_PREFIX = ".partial-";

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
 * file goes into `run.json`, and the folder is renamed into place only when all of it is written.
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
  const temporary = `${experimentsDir}/${PARTIAL_PREFIX}${id}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.mkdir(temporary);
    await write(temporary);
    const artifacts = await hashFolder(temporary);
    for (let n = 2; await exists(`${experimentsDir}/${id}`); n++) id = `${record.id}-${n}`;
    const full: RunRecord = { ...record, id, artifacts };
    await Deno.writeTextFile(`${temporary}/run.json`, JSON.stringify(full, null, 2) + "\n");
    await Deno.rename(temporary, `${experimentsDir}/${id}`);
    return { dir: `${experimentsDir}/${id}`, record: full };
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    if (cause instanceof ArtifactError) throw cause;
    throw new ArtifactError(
      `Cannot write run "${id}" under "${experimentsDir}": ${(cause as Error).message}`,
      { cause },
    );
  }
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
        if (await exists(`${experimentsDir}/${entry.name}/run.json`)) ids.push(entry.name);
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
  if (!(await exists(`${dir}/run.json`))) {
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
  let record: RunRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as RunRecord;
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${dir}/run.json": the file is not valid JSON`, { cause });
  }
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

async function hashFolder(root: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = [];
  for await (const entry of Deno.readDir(`${root}/${prefix}`)) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(out, await hashFolder(root, relative));
    else if (entry.isFile && relative !== "run.json") {
      out[relative] = await sha256Hex(await Deno.readFile(`${root}/${relative}`));
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return false;
    throw cause;
  }
}
