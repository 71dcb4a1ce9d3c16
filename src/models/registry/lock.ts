/**
 * The registry lock: one promotion or rollback at a time, with stale-lock detection.
 *
 * @module
 */
import { ArtifactError, RegistryLockedError } from "../../errors.ts";
import type { LockHolder } from "../../errors.ts";
import { getProjectLogger, pathExists } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { isObject } from "./_values.ts";

/** The lock file in a project's production folder (`<registry.production_dir>/<project>/`). */
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
 * @param productionDir the project's production folder (created when missing)
 * @param fn the work to do under the lock
 * @param options wait and staleness limits, logger
 * @returns what `fn` returns
 * @throws {RegistryLockedError} when the lock is still held after `timeoutMs`
 * @throws {ArtifactError} when the lock file cannot be created for another reason
 * @example
 * ```ts
 * await withRegistryLock("models/production/penguins", async () => { ... });
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
