/**
 * Where a project's production lives, behind one interface: a local folder (changed under the
 * registry lock, the pointer renamed over the old one) or an `s3://` prefix (the pointer swapped
 * by a conditional write, no lock). Promotion and rollback run the same steps on either; the
 * public readers (`readProduction`, `readProductionPointer`, `readPromotionLog`) choose by the
 * location's scheme.
 *
 * @module
 */
import { ArtifactError } from "../../errors.ts";
import { isS3Url } from "../../storage/mod.ts";
import { getProjectLogger, guardLeftover, pathExists, removeLeftovers } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { verifyArtifacts } from "./checksums.ts";
import { type RegistryLockOptions, withRegistryLock } from "./lock.ts";
import {
  appendPromotionLog,
  completePromotionLog,
  openProductionCopy,
  PRODUCTION_POINTER_FILE,
  PRODUCTION_RUNS_DIR,
  type ProductionPointer,
  type ProductionRun,
  type PromotionLogEntry,
  readLocalPointer,
  readLocalPromotionLog,
  writeProductionPointer,
} from "./production.ts";
import {
  appendRemoteLog,
  installRemoteCopy,
  openRemoteCopy,
  pruneRemoteCopies,
  readRemoteLog,
  readRemotePointer,
  swapRemotePointer,
} from "./remote_production.ts";
import { registryStore } from "./remote_runs.ts";
import { isPartialName, PARTIAL_PREFIX, readRunFolder, type RunRecord } from "./run_folder.ts";

/** One project's production, local or remote; one slot serves one promotion or rollback. */
export interface ProductionSlot {
  /** The project's production folder or prefix. */
  readonly location: string;
  /** Runs `work` with the slot guarded: under the lock (local) or as is (remote). */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** Clears what a killed change left and completes its log line. */
  tidy(): Promise<void>;
  /** Reads the pointer; a remote slot remembers its ETag for {@link swapPointer}. */
  readPointer(): Promise<ProductionPointer | null>;
  /** Opens the verified production copy of a run (a local folder). */
  openCopy(id: string): Promise<{ dir: string; record: RunRecord }>;
  /** Installs a verified copy of a run; returns where it is. */
  installCopy(run: { dir: string; record: RunRecord }): Promise<string>;
  /** Swaps the pointer: atomically (local) or only if unchanged since read (remote). */
  swapPointer(pointer: ProductionPointer): Promise<void>;
  /** Logs the change; failures are logged, not thrown. */
  appendLog(entry: PromotionLogEntry): Promise<void>;
  /** Removes copies no longer in `history`; failures are logged. */
  prune(history: readonly string[]): Promise<void>;
}

/**
 * Opens the production slot of a project's folder or prefix.
 *
 * @param productionDir the project's production folder or `s3://` prefix
 * @param options the logger and the lock timing (local slots)
 * @returns the slot
 * @example
 * ```ts
 * const slot = openProductionSlot("s3://models/production/penguins", { logger });
 * ```
 */
export function openProductionSlot(
  productionDir: string,
  options: { logger: Logger; lock?: RegistryLockOptions },
): ProductionSlot {
  return isS3Url(productionDir)
    ? remoteSlot(productionDir, options.logger)
    : localSlot(productionDir, options.logger, options.lock ?? {});
}

function localSlot(dir: string, logger: Logger, lock: RegistryLockOptions): ProductionSlot {
  return {
    location: dir,
    guard: (work) => withRegistryLock(dir, work, { ...lock, logger }),
    async tidy() {
      await removeProductionLeftovers(dir, logger);
      await completePromotionLog(dir, logger).catch(() => {});
    },
    readPointer: () => readLocalPointer(dir),
    openCopy: (id) => openProductionCopy(dir, id),
    installCopy: (run) => installProductionCopy(dir, run),
    swapPointer: (pointer) => writeProductionPointer(dir, pointer),
    appendLog: (entry) => appendPromotionLog(dir, entry, logger),
    prune: (history) => pruneProduction(dir, history, logger),
  };
}

function remoteSlot(url: string, logger: Logger): ProductionSlot {
  const store = registryStore();
  let etag: string | null = null;
  let read = false;
  return {
    location: url,
    guard: (work) => work(),
    tidy: () => Promise.resolve(),
    async readPointer() {
      const got = await readRemotePointer(store, url);
      etag = got.etag;
      read = true;
      return got.pointer;
    },
    openCopy: (id) => openRemoteCopy(store, url, id),
    installCopy: (run) => installRemoteCopy(store, url, run),
    swapPointer(pointer) {
      if (!read) throw new TypeError("Cannot swap the production pointer before reading it");
      return swapRemotePointer(store, url, pointer, etag);
    },
    appendLog: (entry) => appendRemoteLog(store, url, entry, logger),
    prune: (history) => pruneRemoteCopies(store, url, history, logger),
  };
}

/**
 * Reads `current.json` without opening the run copy (fast; for listings and polling). Under an
 * `s3://` prefix the pointer object is read.
 *
 * @param productionDir the project's production folder or prefix (see `projectProductionDir`)
 * @returns the pointer, or `null` when production is empty
 * @throws {ArtifactError} naming the file when it is not a valid pointer
 * @throws {StorageError} when the object store fails
 * @example
 * ```ts
 * const pointer = await readProductionPointer("models/production/penguins");
 * pointer?.run_id;
 * ```
 */
export async function readProductionPointer(
  productionDir: string,
): Promise<ProductionPointer | null> {
  if (!isS3Url(productionDir)) return await readLocalPointer(productionDir);
  return (await readRemotePointer(registryStore(), productionDir)).pointer;
}

/**
 * Opens the production run: reads the pointer and verifies the sha256 of every file of the
 * production copy. Under an `s3://` prefix the copy is fetched into the local mirror (reused
 * while unchanged) and `dir` is the mirror's folder.
 *
 * @param productionDir the project's production folder or prefix (see `projectProductionDir`)
 * @returns the run id, its copy's folder, its record and the pointer; `null` when empty
 * @throws {ArtifactError} naming the file when the pointer is invalid, or the copy is missing or
 *   a file in it is missing or altered (a stale pointer)
 * @throws {StorageError} when the object store fails
 * @example
 * ```ts
 * const production = await readProduction("models/production/penguins");
 * if (production) console.log(production.runId, production.dir);
 * ```
 */
export async function readProduction(productionDir: string): Promise<ProductionRun | null> {
  const slot = openProductionSlot(productionDir, { logger: getProjectLogger("registry") });
  const pointer = await slot.readPointer();
  if (pointer === null) return null;
  const { dir, record } = await slot.openCopy(pointer.run_id);
  return { runId: pointer.run_id, dir, record, pointer };
}

/**
 * Reads the promotion log, oldest first, ending with the change that put the current run in
 * production (also when its line was never appended).
 *
 * @param productionDir the project's production folder or prefix (see `projectProductionDir`)
 * @returns every entry; empty when nothing was promoted yet
 * @throws {ArtifactError} naming the line when a line is not valid JSON
 * @example
 * ```ts
 * const last = (await readPromotionLog("models/production/penguins")).at(-1);
 * ```
 */
export async function readPromotionLog(productionDir: string): Promise<PromotionLogEntry[]> {
  if (!isS3Url(productionDir)) return await readLocalPromotionLog(productionDir);
  return await readRemoteLog(registryStore(), productionDir);
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
        await readRunFolder(runs, run.record.id);
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
