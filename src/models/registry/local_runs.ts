/**
 * Run folders on the local disk: run ids, the atomic `.partial-*` folder write, the sealed run
 * record and opening a run by id. `run_folder.ts` puts the same operations over local folders
 * and `s3://` prefixes.
 *
 * @module
 */
import { ArtifactError, didYouMean } from "../../errors.ts";
import {
  getProjectLogger,
  guardLeftover,
  pathExists,
  removeLeftovers,
  sha256Hex,
} from "../../utils/mod.ts";
import { isObject } from "./_values.ts";
import { assertInside, readSealedJson, sealJson, verifyArtifacts } from "./checksums.ts";
import { isUnlistedArtifact, runArtifactPath } from "../run_catalog.ts";

/** Version of the run folder layout. */
export const RUN_FORMAT_VERSION = 1;

/** Prefix of run folders still being written; they are never listed or read as runs. */
export const PARTIAL_PREFIX = ".partial-";

/** What a run id may look like: letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

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
  /**
   * Lineage: each pipeline node's cache key and whether it ran or came from the stage cache.
   * Absent in runs recorded before the pipeline had declared nodes.
   */
  lineage?: Array<{ node: string; key: string; status: string; seconds: number }>;
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
 * listed artifact (every file but `run.json` and the derived report) goes into `run.json`, and the folder is renamed into place only
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
 * await writeLocalRunFolder("models/experiments", record, async (dir) => { await Deno.writeTextFile(`${dir}/metrics.json`, "{}"); });
 * ```
 */
export async function writeLocalRunFolder(
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
 * found by {@link readRunFolder}. The seal detects corruption, not tampering (it has no secret).
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
  await Deno.writeTextFile(runArtifactPath(dir, "record"), await sealJson(record));
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
 * Lists the ids of the complete runs in a local folder, newest first.
 *
 * @param experimentsDir the experiments folder
 * @returns run ids; empty when the folder does not exist
 * @example
 * ```ts
 * const [latest] = await listLocalRunIds("models/experiments");
 * ```
 */
export async function listLocalRunIds(experimentsDir: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(experimentsDir)) {
      if (entry.isDirectory && RUN_ID_PATTERN.test(entry.name)) {
        if (await pathExists(runArtifactPath(`${experimentsDir}/${entry.name}`, "record"))) {
          ids.push(entry.name);
        }
      }
    }
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return [];
    throw new ArtifactError(`Cannot list runs in "${experimentsDir}"`, { cause });
  }
  return ids.sort().reverse();
}

/**
 * Reads a local run's `run.json` and checks the sha256 of every artifact it lists.
 *
 * @param experimentsDir the experiments folder
 * @param id the run id
 * @returns the run folder and its record
 * @throws {ArtifactError} when the id is unknown (with the closest id), `run.json` is unreadable,
 *   or an artifact is missing or does not match its recorded sha256
 * @example
 * ```ts
 * const { dir, record } = await readLocalRunFolder("models/experiments", "20261127-074512-penguins-1a2b3c4d");
 * ```
 */
export async function readLocalRunFolder(
  experimentsDir: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  assertRunId(id);
  const dir = `${experimentsDir}/${id}`;
  if (!(await pathExists(runArtifactPath(dir, "record")))) {
    if (await pathExists(dir)) {
      throw new ArtifactError(
        `Cannot open run "${id}": "${
          runArtifactPath(dir, "record")
        }" is missing, so the run cannot be verified; retrain the run or restore its folder`,
      );
    }
    const ids = await listLocalRunIds(experimentsDir);
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
  const record = await readSealedJson(
    runArtifactPath(dir, "record"),
    RUN_RECORD_KEYS,
  ) as unknown as RunRecord;
  if (typeof record?.artifacts !== "object" || record.artifacts === null) {
    throw new ArtifactError(
      `Cannot read "${runArtifactPath(dir, "record")}": it has no "artifacts" checksums`,
    );
  }
  await verifyArtifacts(dir, record.artifacts);
  return { dir, record };
}

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
  "lineage",
  "artifacts",
]);

/** Reads and checks the sealed `run.json` of a run folder; a problem is returned, not thrown. */
export async function readRecord(
  dir: string,
  id: string,
): Promise<{ record: RunRecord; problem: null } | { record: null; problem: string }> {
  let value: unknown;
  try {
    value = await readSealedJson(runArtifactPath(dir, "record"), RUN_RECORD_KEYS);
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

async function hashFolder(root: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = [];
  for await (const entry of Deno.readDir(`${root}/${prefix}`)) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(out, await hashFolder(root, relative));
    else if (entry.isFile && !isUnlistedArtifact(relative)) {
      out[relative] = await sha256Hex(await Deno.readFile(`${root}/${relative}`));
    }
  }
  return out;
}
