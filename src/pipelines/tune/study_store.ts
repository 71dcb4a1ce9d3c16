/**
 * The study folder: `study.json` (written atomically after every trial, so a study can be
 * resumed), study ids, reading studies back and ranking their trials.
 *
 * @module
 */
import { ArtifactError, didYouMean } from "../../errors.ts";
import type { SearchConfig } from "../../config/mod.ts";
import { PARTIAL_PREFIX } from "../../models/mod.ts";
import { pathExists, writeFileAtomic } from "../../utils/mod.ts";
import type { MetricDirection } from "../../utils/mod.ts";
import { directionOf } from "./cross_validation.ts";
import type { SearchStrategy } from "./search_space.ts";

/** Name of the study record inside a study folder. */
export const STUDY_FILE = "study.json";

/** Name of the best trial's full config inside a study folder (what the final run used). */
export const BEST_CONFIG_FILE = "best_config.yaml";

/** Version of the `study.json` layout. */
export const STUDY_FORMAT_VERSION = 1;

/** Where a study stands. */
export type StudyStatus = "running" | "interrupted" | "finished";

/** The outcome of one trial, as kept in `study.json`. */
export interface TrialResult {
  /** The trial index, from 0. */
  id: number;
  /** The values it set, keyed by dotted config path. */
  params: Record<string, unknown>;
  /** The trial's derived seed (see {@link TrialSpec}). */
  seed: number;
  /** `ok`, or `failed` when training diverged or the config could not be scored. */
  status: "ok" | "failed";
  /** The primary metric on each held-out fold, in fold order; empty when failed. */
  fold_scores: number[];
  /** Mean of `fold_scores`; `null` when failed. */
  mean: number | null;
  /** Sample standard deviation of `fold_scores`; `null` when failed. */
  std: number | null;
  /** Wall-clock seconds the trial took. */
  seconds: number;
  /** Why it failed: the error's name and message. */
  error?: string;
  /**
   * Search values the trial left out, with the reason, keyed by search key: with
   * `model.family` searched, the `model.params.*` values of another family's params.
   */
  ignored?: Record<string, string>;
}

/** `study.json`: everything a study did, rewritten after every trial. */
export interface StudyRecord {
  format_version: number;
  /** The study id, also its folder name under `registry.experiments_dir`. */
  id: string;
  /** ISO time the study started. */
  created: string;
  /** ISO time of the last write. */
  updated: string;
  status: StudyStatus;
  /** `project.name`. */
  project: string;
  /** sha256 of the base config (the `hash` of `loadConfig`); a resume must match it. */
  config_hash: string;
  /** The metric trials are ranked by and its direction. */
  primary_metric: string;
  direction: MetricDirection;
  /** The search space searched. */
  search: SearchConfig;
  strategy: SearchStrategy;
  /** Trials planned (after the grid cap). */
  trials_planned: number;
  /** Values per range in a grid search. */
  grid_points: number;
  folds: number;
  /** The study seed: trial seeds and the fold seed derive from it. */
  seed: number;
  /** `new Random(seed).derive("folds")`: the seed of the fold assignment. */
  fold_seed: number;
  /** Finished trials (ok and failed), by id. */
  trials: TrialResult[];
  /** Ids of the `ok` trials, best first (by mean in the metric's direction, ties by id). */
  leaderboard: number[];
  /** The best trial, or `null` while none succeeded. */
  best: { trial: number; params: Record<string, unknown>; mean: number; std: number } | null;
  /**
   * The run that refitted the best trial (its folder relative to the project root when inside
   * it), with its primary metric on validation and test; `null` before it is recorded.
   */
  final_run: { id: string; dir: string; val: number | null; test: number | null } | null;
}

/**
 * Reads a study's `study.json`.
 *
 * @param experimentsDir the experiments folder (`registry.experiments_dir`)
 * @param id the study id
 * @returns the study record
 * @throws {ArtifactError} when the id is not a plain name, the study does not exist (naming the
 *   closest study id), or its `study.json` cannot be read
 * @example
 * ```ts
 * const study = await readStudy("models/experiments", "study-20261127-074512-penguins-1a2b3c4d");
 * study.leaderboard[0]; // the best trial's id
 * ```
 */
export async function readStudy(experimentsDir: string, id: string): Promise<StudyRecord> {
  checkStudyId(id);
  const path = `${experimentsDir}/${id}/${STUDY_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      const known = await listStudyIds(experimentsDir);
      throw new ArtifactError(
        `Cannot open study "${id}": no "${STUDY_FILE}" in "${experimentsDir}/${id}"${
          didYouMean(id, known)
        }; ${
          known.length > 0
            ? `studies there: ${known.slice(0, 5).map((s) => `"${s}"`).join(", ")}`
            : "no study exists there yet"
        }`,
        { cause },
      );
    }
    throw new ArtifactError(`Cannot open study "${id}": "${path}" cannot be read`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(`Cannot open study "${id}": "${path}" is not valid JSON`, { cause });
  }
  const study = parsed as Partial<StudyRecord> | null;
  if (
    study === null || typeof study !== "object" || study.format_version !== STUDY_FORMAT_VERSION ||
    study.id !== id || !Array.isArray(study.trials)
  ) {
    throw new ArtifactError(
      `Cannot open study "${id}": "${path}" is not a study record of format ${STUDY_FORMAT_VERSION}`,
    );
  }
  return parsed as StudyRecord;
}

/**
 * Lists the ids of the studies in an experiments folder (folders holding a `study.json`), newest
 * first.
 *
 * @param experimentsDir the experiments folder
 * @returns study ids; empty when the folder does not exist
 * @throws {ArtifactError} when the folder exists but cannot be read
 * @example
 * ```ts
 * const [latest] = await listStudyIds("models/experiments");
 * ```
 */
export async function listStudyIds(experimentsDir: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(experimentsDir)) {
      if (!entry.isDirectory || !STUDY_ID_PATTERN.test(entry.name)) continue;
      try {
        await Deno.stat(`${experimentsDir}/${entry.name}/${STUDY_FILE}`);
        ids.push(entry.name);
      } catch {
        // Not a study folder (a run, or a study that never wrote its record).
      }
    }
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return [];
    throw new ArtifactError(`Cannot list studies in "${experimentsDir}"`, { cause });
  }
  return ids.sort().reverse();
}

/**
 * Returns a study id: `study-`, the UTC time, the project name and the start of the config hash.
 *
 * @param date when the study started
 * @param project the project name, reduced to safe characters
 * @param configHash the base config's hash
 * @returns e.g. `study-20261127-074512-penguins-1a2b3c4d`
 * @example
 * ```ts
 * createStudyId(new Date("2026-11-27T07:45:12Z"), "penguins", "1a2b3c4d99"); // "study-20261127-074512-penguins-1a2b3c4d"
 * ```
 */
export function createStudyId(date: Date, project: string, configHash: string): string {
  const stamp = date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const name = project.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "study";
  return `study-${stamp}-${name.slice(0, 40)}-${configHash.slice(0, 8)}`;
}

/**
 * Orders trials as the leaderboard does: `ok` trials by mean score in the metric's direction,
 * ties by trial id; failed trials are left out.
 *
 * @param trials finished trials
 * @param metric the metric they were scored with (a key of `METRIC_DIRECTIONS`)
 * @returns the `ok` trials, best first
 * @throws {ConfigError} when the metric is unknown
 * @example
 * ```ts
 * rankTrials(study.trials, "f1_macro")[0]?.params;
 * ```
 */
export function rankTrials(trials: readonly TrialResult[], metric: string): TrialResult[] {
  const direction = directionOf(metric);
  return trials.filter((t) => t.status === "ok" && t.mean !== null).sort((a, b) => {
    const difference = direction === "max" ? b.mean! - a.mean! : a.mean! - b.mean!;
    return difference !== 0 ? difference : a.id - b.id;
  });
}

const STUDY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Refuses a study id that is not a safe folder name. */
export function checkStudyId(id: string): void {
  if (!STUDY_ID_PATTERN.test(id) || id.includes("..")) {
    throw new ArtifactError(
      `Cannot use study id "${id}": a study id holds only letters, digits, ".", "_" and "-" and starts with a letter or digit`,
    );
  }
}

/**
 * Creates the study folder holding its first `study.json`: written in a hidden `.partial-*`
 * folder and renamed into place, so no study folder ever lacks its record. An automatic id gets
 * a `-2`, `-3`, ... suffix when taken. Returns the id used.
 */
export async function createStudyFolder(
  experimentsDir: string,
  record: StudyRecord,
  automatic: boolean,
): Promise<string> {
  const id = record.id;
  const temporary = `${experimentsDir}/${PARTIAL_PREFIX}${id}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.mkdir(experimentsDir, { recursive: true });
    await Deno.mkdir(temporary);
  } catch (cause) {
    throw new ArtifactError(`Cannot create a study folder in "${experimentsDir}"`, { cause });
  }
  try {
    for (let n = 1;; n++) {
      const candidate = n === 1 ? id : `${id}-${n}`;
      const dir = `${experimentsDir}/${candidate}`;
      if (await pathExists(dir, { followLinks: false })) {
        if (automatic && n < 100) continue;
        throw new ArtifactError(
          `Cannot start study "${id}": "${dir}" already exists; continue it with --resume ${id} or choose another id`,
        );
      }
      record.id = candidate;
      record.updated = new Date().toISOString();
      await Deno.writeTextFile(
        `${temporary}/${STUDY_FILE}`,
        JSON.stringify(record, null, 2) + "\n",
      );
      await Deno.rename(temporary, dir);
      return candidate;
    }
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    if (cause instanceof ArtifactError) throw cause;
    throw new ArtifactError(`Cannot create the study folder of "${id}" in "${experimentsDir}"`, {
      cause,
    });
  }
}

/** Sets the study's leaderboard and best trial from its trials. */
export function rankStudy(record: StudyRecord): void {
  const ranked = rankTrials(record.trials, record.primary_metric);
  record.leaderboard = ranked.map((t) => t.id);
  const best = ranked[0];
  record.best = best === undefined
    ? null
    : { trial: best.id, params: best.params, mean: best.mean!, std: best.std! };
}

/** Serialises atomic rewrites of `study.json`, so a later state never lands before an earlier one. */
export class StudyWriter {
  readonly #path: string;
  #last: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#path = `${dir}/${STUDY_FILE}`;
  }

  write(record: StudyRecord): Promise<void> {
    record.updated = new Date().toISOString();
    const text = JSON.stringify(record, null, 2) + "\n";
    const next = this.#last.then(() => writeStudyFile(this.#path, text));
    this.#last = next.catch(() => {});
    return next;
  }
}

/** Writes a study file atomically (see {@link writeFileAtomic}); failures are ArtifactErrors. */
export async function writeStudyFile(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (cause) {
    throw new ArtifactError(`Cannot write "${path}"`, { cause });
  }
}
