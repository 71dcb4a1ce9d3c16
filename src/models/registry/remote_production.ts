/**
 * The production slot of one project under an `s3://` prefix,
 * `<registry.production_dir>/<project>/`:
 *
 * ```text
 * current.json                     the sealed pointer, swapped by a conditional write
 * runs/<id>/                       published copies of the runs in `history` (run.json last)
 * promotions/<time>-<action>-<to>.json   one object per change (S3 has no append)
 * ```
 *
 * The pointer is read with its ETag and replaced with `If-Match: <that ETag>` (or
 * `If-None-Match: *` when there was none), so of two promoters that read the same pointer only
 * one can write: the other gets a `PromotionRefusedError` and production is what the winner
 * wrote. No lock is taken.
 *
 * @module
 */
import { join } from "node:path";
import { ArtifactError, PromotionRefusedError, StoragePreconditionError } from "../../errors.ts";
import { joinS3Url, type ObjectStore, readObjectText } from "../../storage/mod.ts";
import { writeFileAtomic } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { sealJson } from "./checksums.ts";
import {
  PRODUCTION_POINTER_FILE,
  PRODUCTION_RUNS_DIR,
  type ProductionPointer,
  type PromotionLogEntry,
  readLocalPointer,
} from "./production.ts";
import {
  fetchRunFolder,
  listPublishedRunIds,
  publishRunFolder,
  registryMirrorDir,
} from "./remote_runs.ts";
import type { RunRecord } from "./run_folder.ts";

/** The folder of promotion log objects in a remote production slot. */
export const PROMOTIONS_PREFIX = "promotions";

/** The last pointer read per URL in this process, with its ETag. */
const POINTERS = new Map<string, RemotePointer>();

/** A pointer as read, with the ETag a conditional swap must match (`null`: none existed). */
export interface RemotePointer {
  /** The pointer, or `null` when production is empty. */
  pointer: ProductionPointer | null;
  /** Its ETag, or `null` when it does not exist. */
  etag: string | null;
}

/**
 * Reads a remote production pointer and its ETag; it is checked exactly like a local one (seal,
 * fields, history), through a copy in the local mirror. When the pointer's ETag is the one this
 * process read last, only a HEAD request is made and the pointer read then is returned.
 *
 * @param store the object store
 * @param productionUrl the project's production prefix
 * @returns the pointer (or `null` when empty) and its ETag
 * @throws {ArtifactError} when the pointer is invalid, or missing although promotions are logged
 */
export async function readRemotePointer(
  store: ObjectStore,
  productionUrl: string,
): Promise<RemotePointer> {
  const url = joinS3Url(productionUrl, PRODUCTION_POINTER_FILE);
  const mirror = registryMirrorDir(productionUrl);
  // A poll that finds the ETag it saw last costs one HEAD: the pointer is not read again.
  const known = POINTERS.get(url);
  if (known !== undefined && (await store.head(url))?.etag === known.etag) return known;
  POINTERS.delete(url);
  const got = await readObjectText(store, url);
  if (got === null) {
    const logged = await store.list(`${joinS3Url(productionUrl, PROMOTIONS_PREFIX)}/`);
    if (logged.length > 0) {
      throw new ArtifactError(
        `Cannot read "${url}": the pointer is missing but ${logged.length} change(s) are logged under "${
          joinS3Url(productionUrl, PROMOTIONS_PREFIX)
        }/", so the production pointer was lost; promote again with \`deno task promote --run ID --force --reason "..."\``,
      );
    }
    return { pointer: null, etag: null };
  }
  await Deno.mkdir(mirror, { recursive: true });
  await writeFileAtomic(join(mirror, PRODUCTION_POINTER_FILE), got.text);
  try {
    const read = { pointer: await readLocalPointer(mirror), etag: got.info.etag };
    if (read.etag !== "") POINTERS.set(url, read);
    return read;
  } catch (cause) {
    throw new ArtifactError(
      `Cannot read "${url}": ${(cause as Error).message.replace(/^Cannot read "[^"]*": /, "")}`,
      { cause },
    );
  }
}

/**
 * Opens the production copy of a run, fetched into the mirror and verified. A pointer that
 * names a copy that is missing or fails its checksums is stale: the error says how to recover.
 *
 * @param store the object store
 * @param productionUrl the project's production prefix
 * @param id the run id
 * @returns the local mirror folder and the record
 * @throws {ArtifactError} when the copy is missing or altered
 */
export async function openRemoteCopy(
  store: ObjectStore,
  productionUrl: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  const runs = joinS3Url(productionUrl, PRODUCTION_RUNS_DIR);
  try {
    return await fetchRunFolder(store, runs, id);
  } catch (cause) {
    if (!(cause instanceof ArtifactError)) throw cause;
    const why = /not published/.test(cause.message)
      ? `its copy "${runs}/${id}" is missing`
      : `its copy "${runs}/${id}" is damaged: ${cause.message}`;
    throw new ArtifactError(
      `Cannot read production run "${id}" named by "${
        joinS3Url(productionUrl, PRODUCTION_POINTER_FILE)
      }": ${why}; the pointer is stale, roll back with \`deno task rollback\`, or promote a run with --force --reason "..."`,
      { cause },
    );
  }
}

/**
 * Publishes the production copy of a run under `runs/<id>/`, unless an intact copy is there.
 *
 * @param store the object store
 * @param productionUrl the project's production prefix
 * @param run the verified local run folder
 * @returns the copy's URL
 * @throws {StorageError} when an upload fails; the copy is not published
 */
export async function installRemoteCopy(
  store: ObjectStore,
  productionUrl: string,
  run: { dir: string; record: RunRecord },
): Promise<string> {
  const target = joinS3Url(productionUrl, PRODUCTION_RUNS_DIR, run.record.id);
  if ((await store.head(joinS3Url(target, "run.json"))) !== null) {
    try {
      await openRemoteCopy(store, productionUrl, run.record.id);
      return target;
    } catch {
      // A damaged copy is unpublished first (run.json), then replaced.
      await store.delete(joinS3Url(target, "run.json"));
    }
  }
  try {
    await publishRunFolder(store, run.dir, target);
  } catch (cause) {
    // Published by a concurrent promotion of the same run: use its copy once verified.
    if (!(cause instanceof ArtifactError) || !/another writer/.test(cause.message)) throw cause;
    await openRemoteCopy(store, productionUrl, run.record.id);
  }
  return target;
}

/**
 * Replaces the pointer only when it is still the one read (`If-Match`), or creates it only when
 * none exists (`If-None-Match: *`).
 *
 * @param store the object store
 * @param productionUrl the project's production prefix
 * @param pointer the new pointer
 * @param etag the ETag of the pointer read, or `null` when none existed
 * @throws {PromotionRefusedError} when another promotion or rollback swapped it first;
 *   production is what that one wrote
 * @throws {StorageError} when the store fails; production is unchanged
 */
export async function swapRemotePointer(
  store: ObjectStore,
  productionUrl: string,
  pointer: ProductionPointer,
  etag: string | null,
): Promise<void> {
  const url = joinS3Url(productionUrl, PRODUCTION_POINTER_FILE);
  try {
    await store.put(url, await sealJson(pointer), {
      ...(etag === null ? { ifNoneMatch: true } : { ifMatch: etag }),
      contentType: "application/json",
    });
  } catch (cause) {
    if (!(cause instanceof StoragePreconditionError)) throw cause;
    const reason = `"${url}" changed after it was read: another promotion or rollback won`;
    throw new PromotionRefusedError(
      `Cannot ${pointer.action} run "${pointer.run_id}": ${reason}; this change was not made and production is what the other one wrote, run the command again to compare with the new production`,
      [reason],
      { cause },
    );
  }
}

/**
 * Writes the log object of a change; a failure is logged, not thrown (the pointer, which
 * carries the same entry, is already swapped).
 */
export async function appendRemoteLog(
  store: ObjectStore,
  productionUrl: string,
  entry: PromotionLogEntry,
  logger: Logger,
): Promise<void> {
  const name = `${entry.time.replace(/[:.]/g, "-")}-${entry.action}-${entry.to}.json`;
  const url = joinS3Url(productionUrl, PROMOTIONS_PREFIX, name);
  try {
    await store.put(url, JSON.stringify(entry) + "\n", { contentType: "application/json" });
  } catch (cause) {
    logger.error("Cannot write the promotion log object {url}: {error}; the change was {entry}", {
      url,
      error: (cause as Error).message,
      entry: JSON.stringify(entry),
    });
  }
}

/**
 * Reads the remote promotion log, oldest first, with the pointer's entry last when its log
 * object was never written.
 *
 * @param store the object store
 * @param productionUrl the project's production prefix
 * @returns every entry
 * @throws {ArtifactError} when a log object is not valid JSON
 */
export async function readRemoteLog(
  store: ObjectStore,
  productionUrl: string,
): Promise<PromotionLogEntry[]> {
  const entries: PromotionLogEntry[] = [];
  for (const object of await store.list(`${joinS3Url(productionUrl, PROMOTIONS_PREFIX)}/`)) {
    const got = await readObjectText(store, object.url);
    if (got === null) continue;
    try {
      entries.push(JSON.parse(got.text) as PromotionLogEntry);
    } catch (cause) {
      throw new ArtifactError(`Cannot read "${object.url}": not valid JSON`, { cause });
    }
  }
  const pending = (await readRemotePointer(store, productionUrl).catch(() => null))?.pointer
    ?.log_entry;
  if (
    pending && !entries.some((e) => e.time === pending.time && e.to === pending.to)
  ) entries.push(pending);
  return entries;
}

/**
 * Unpublishes production copies no longer in `history` (`run.json` first, then the rest);
 * failures are logged.
 */
export async function pruneRemoteCopies(
  store: ObjectStore,
  productionUrl: string,
  history: readonly string[],
  logger: Logger,
): Promise<void> {
  const runs = joinS3Url(productionUrl, PRODUCTION_RUNS_DIR);
  try {
    for (const id of await listPublishedRunIds(store, runs)) {
      if (history.includes(id)) continue;
      await store.delete(joinS3Url(runs, id, "run.json"));
      for (const object of await store.list(`${joinS3Url(runs, id)}/`)) {
        await store.delete(object.url);
      }
    }
  } catch (cause) {
    logger.warning("Cannot remove old production copies under {url}: {error}", {
      url: runs,
      error: (cause as Error).message,
    });
  }
}

/**
 * Lists the projects with a production slot under a remote production root.
 *
 * @param store the object store
 * @param productionRoot `registry.production_dir`, an `s3://` prefix
 * @returns the project names, sorted
 */
export async function listRemoteProjects(
  store: ObjectStore,
  productionRoot: string,
): Promise<string[]> {
  const base = `${productionRoot.replace(/\/+$/, "")}/`;
  const names = new Set<string>();
  for (const object of await store.list(base)) {
    const parts = object.url.slice(base.length).split("/");
    if (
      parts.length >= 2 &&
      (parts[1] === PRODUCTION_POINTER_FILE || parts[1] === PROMOTIONS_PREFIX)
    ) names.add(parts[0]!);
  }
  return [...names].sort();
}
