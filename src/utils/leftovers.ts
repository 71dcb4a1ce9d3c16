/**
 * Ownership of temporary files and folders, so a crashed writer's leftovers can be told from a
 * live writer's work and removed on the next start.
 *
 * A writer takes an exclusive advisory lock (`flock`) on its temporary file or folder with
 * {@link guardLeftover} and holds it until the result is renamed into place. The operating
 * system releases the lock when the process dies, however it dies (SIGKILL included), so a
 * temporary path whose lock is free belongs to nobody. This needs no permission beyond reading
 * the path: unlike a pid check it works under `--allow-read=.` (no `/proc`), and it cannot be
 * fooled by a reused pid.
 *
 * @module
 */
import type { Logger } from "./logger.ts";

/** Options of {@link leftoverReason} and {@link removeLeftovers}. */
export interface LeftoverOptions {
  /**
   * A path younger than this (ms) is never removed: its writer may have created it a moment ago
   * and not have taken the lock yet.
   * @default 2000
   */
  graceMs?: number;
  /**
   * When ownership cannot be checked (the path cannot be opened or locked on this system), a
   * path older than this (ms) is taken as left over.
   * @default 3600000
   */
  maxAgeMs?: number;
  /**
   * Where to log each removal and each failure to remove.
   * @default no logging
   */
  logger?: Logger | null;
}

/** Defaults of {@link LeftoverOptions}. */
export const DEFAULT_LEFTOVER_OPTIONS: Readonly<Required<Omit<LeftoverOptions, "logger">>> = {
  graceMs: 2_000,
  maxAgeMs: 3_600_000,
};

/**
 * Takes the ownership lock of a temporary file or folder the caller has just created; closing
 * the returned handle (or the process ending) releases it.
 *
 * @param path the temporary file or folder
 * @returns the open handle holding the lock
 * @throws {Deno.errors.NotFound} when the path does not exist
 * @throws {Error} when another process holds the lock (the path is not the caller's)
 * @example
 * ```ts
 * await Deno.mkdir(".partial-x");
 * const guard = await guardLeftover(".partial-x");
 * try { ... await Deno.rename(".partial-x", "x"); } finally { guard.close(); }
 * ```
 */
export async function guardLeftover(path: string): Promise<Deno.FsFile> {
  const handle = await Deno.open(path, { read: true });
  let locked = false;
  try {
    locked = await handle.tryLock(true);
  } catch {
    // Locks are unsupported here: the age limit alone applies to this path.
    return handle;
  }
  if (!locked) {
    handle.close();
    throw new Error(`Cannot own "${path}": another process holds its lock`);
  }
  return handle;
}

/**
 * Tells whether a temporary path was left by a writer that is gone, and why.
 *
 * @param path the temporary file or folder
 * @param options grace period and age limit
 * @returns the reason it is left over, or `null` when it is (or may be) in use or is gone
 * @example
 * ```ts
 * const why = await leftoverReason("models/experiments/.partial-x");
 * ```
 */
export async function leftoverReason(
  path: string,
  options: LeftoverOptions = {},
): Promise<string | null> {
  const { graceMs, maxAgeMs } = { ...DEFAULT_LEFTOVER_OPTIONS, ...options };
  let ageMs: number;
  try {
    const info = await Deno.stat(path);
    ageMs = Date.now() - (info.mtime?.getTime() ?? Date.now());
  } catch {
    return null;
  }
  if (ageMs < graceMs) return null;
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(path, { read: true });
  } catch {
    return ageMs > maxAgeMs ? `it is ${Math.round(ageMs / 1000)} s old` : null;
  }
  try {
    const free = await handle.tryLock(true);
    return free ? "its writer is gone (its ownership lock is free)" : null;
  } catch {
    return ageMs > maxAgeMs ? `it is ${Math.round(ageMs / 1000)} s old` : null;
  } finally {
    handle.close();
  }
}

/**
 * Removes the entries of `dir` that `match` selects and whose writer is gone
 * ({@link leftoverReason}). Failures are logged, never thrown: cleaning must not stop the work
 * that triggered it.
 *
 * @param dir the folder to clean; a missing folder is nothing to clean
 * @param match selects entry names that are temporary paths
 * @param options grace period, age limit and logger
 * @returns the names removed
 * @example
 * ```ts
 * await removeLeftovers("models/experiments", (name) => name.startsWith(".partial-"));
 * ```
 */
export async function removeLeftovers(
  dir: string,
  match: (name: string) => boolean,
  options: LeftoverOptions = {},
): Promise<string[]> {
  const logger = options.logger ?? null;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (match(entry.name)) names.push(entry.name);
    }
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const path = `${dir}/${name}`;
    const why = await leftoverReason(path, options);
    if (why === null) continue;
    try {
      await Deno.remove(path, { recursive: true });
      removed.push(name);
      logger?.warning("Removed {path}, left by an interrupted writer: {why}", { path, why });
    } catch (cause) {
      if (cause instanceof Deno.errors.NotFound) continue;
      logger?.warning("Cannot remove the leftover {path}: {error}", {
        path,
        error: (cause as Error).message,
      });
    }
  }
  return removed;
}
