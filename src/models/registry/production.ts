/**
 * The production slot of one project: the sealed pointer `current.json`, the production copies
 * of runs and the append-only promotion log. Every function here takes the project's folder,
 * `projectProductionDir(registry.production_dir, project.name)`.
 *
 * @module
 */
import { ArtifactError } from "../../errors.ts";
import { pathExists, writeFileAtomic } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { isObject } from "./_values.ts";
import { readSealedJson, sealJson } from "./checksums.ts";
import { readRunFolder, RUN_ID_PATTERN, type RunRecord } from "./run_folder.ts";

/** Keys of a `current.json` written before pointers were sealed. */
const POINTER_KEYS: ReadonlySet<string> = new Set([
  "format_version",
  "run_id",
  "promoted_at",
  "action",
  "previous",
  "history",
]);

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
   * right after the swap; if the process dies in between, {@link readLocalPromotionLog} still shows
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
 * @param productionDir the project's production folder (see `projectProductionDir`)
 * @returns the pointer, or `null` when production is empty
 * @throws {ArtifactError} naming the file when it is not a valid pointer
 * @example
 * ```ts
 * const pointer = await readLocalPointer("models/production/penguins");
 * pointer?.run_id;
 * ```
 */
export async function readLocalPointer(
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
 * @param productionDir the project's production folder (see `projectProductionDir`)
 * @returns the run id, its copy's folder, its record and the pointer; `null` when empty
 * @throws {ArtifactError} naming the file when the pointer is invalid, or the copy is missing or
 *   a file in it is missing or altered
 * @example
 * ```ts
 * const production = await readLocalProduction("models/production/penguins");
 * if (production) console.log(production.runId, production.dir);
 * ```
 */
export async function readLocalProduction(productionDir: string): Promise<ProductionRun | null> {
  const pointer = await readLocalPointer(productionDir);
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
 * @param productionDir the project's production folder (see `projectProductionDir`)
 * @returns every entry; empty when nothing was promoted yet
 * @throws {ArtifactError} naming the line when a line is not valid JSON
 * @example
 * ```ts
 * const last = (await readLocalPromotionLog("models/production/penguins")).at(-1);
 * ```
 */
export async function readLocalPromotionLog(productionDir: string): Promise<PromotionLogEntry[]> {
  const entries = await readPromotionLogFile(productionDir);
  const pending = await pendingLogEntry(productionDir, entries).catch(() => null);
  return pending === null ? entries : [...entries, pending];
}

/** The pointer's `log_entry` when `promotions.jsonl` lacks it, else `null`. */
async function pendingLogEntry(
  productionDir: string,
  entries: readonly PromotionLogEntry[],
): Promise<PromotionLogEntry | null> {
  const pointer = await readLocalPointer(productionDir);
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
export async function completePromotionLog(productionDir: string, logger: Logger): Promise<void> {
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

/** Opens the production copy of run `id` under `runs/`, verified like any run. */
export async function openProductionCopy(
  productionDir: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  const runs = `${productionDir}/${PRODUCTION_RUNS_DIR}`;
  if (!(await pathExists(`${runs}/${id}`))) {
    throw new ArtifactError(
      `Cannot read production run "${id}": its copy "${runs}/${id}" is missing; roll back with \`deno task rollback\`, or promote the run again`,
    );
  }
  return await readRunFolder(runs, id);
}

/** Writes the sealed pointer `current.json` atomically and synced; readers see the old or the new one. */
export async function writeProductionPointer(
  productionDir: string,
  pointer: ProductionPointer,
): Promise<void> {
  const path = `${productionDir}/${PRODUCTION_POINTER_FILE}`;
  try {
    // Synced, then renamed over the old pointer atomically: readers see the old or the new one.
    await writeFileAtomic(path, await sealJson(pointer), { sync: true });
  } catch (cause) {
    throw new ArtifactError(
      `Cannot write "${path}": ${(cause as Error).message}; production was not changed`,
      { cause },
    );
  }
}

/** Appends one line to the promotion log; a failure is logged, not thrown (the pointer is already swapped). */
export async function appendPromotionLog(
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
