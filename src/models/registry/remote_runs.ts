/**
 * Run folders under an `s3://` prefix. A run is written locally first (the same atomic folder
 * write as a local registry), then published: every file is uploaded under `<prefix>/<id>/`
 * and the sealed `run.json` goes last, with `If-None-Match: *`, so a run prefix without
 * `run.json` is never listed or read, and an existing run is never overwritten. Reading fetches
 * the run into a local mirror (`<cache>/registry/<bucket>/<key>/<id>/`), verifies every
 * checksum, and reuses the mirror while the remote `run.json` is unchanged.
 *
 * @module
 */
import { join, relative } from "node:path";
import { remoteCacheDir } from "../../data/mod.ts";
import { ArtifactError, didYouMean, StorageError, StoragePreconditionError } from "../../errors.ts";
import {
  downloadObject,
  joinS3Url,
  type ObjectStore,
  openObjectStore,
  parseS3Url,
  readObjectText,
} from "../../storage/mod.ts";
import { getProjectLogger, guardLeftover, pathExists } from "../../utils/mod.ts";
import { runArtifactPath } from "../run_catalog.ts";
import {
  PARTIAL_PREFIX,
  readLocalRunFolder,
  RUN_ID_PATTERN,
  type RunRecord,
} from "./local_runs.ts";

/** The file that publishes a run: uploaded last. */
const RECORD_FILE = "run.json";

/** Files uploaded at once while publishing a run. */
const UPLOAD_CONCURRENCY = 4;

/**
 * The local mirror folder of a registry prefix: where its runs are fetched to and, for the
 * experiments prefix, where new runs are written before they are published.
 *
 * @param url an `s3://bucket/prefix` URL
 * @returns `<cache>/registry/<bucket>/<prefix>`
 * @example
 * ```ts
 * registryMirrorDir("s3://models/experiments"); // ".../data/processed/remote/registry/models/experiments"
 * ```
 */
export function registryMirrorDir(url: string): string {
  const { bucket, key } = parseS3Url(url);
  const parts = key.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === ".")) {
    throw new ArtifactError(`Cannot use the registry prefix "${url}": it holds "." or ".."`);
  }
  return join(remoteCacheDir(), "registry", bucket, ...parts);
}

/**
 * Uploads a local run folder under `runUrl` (`<prefix>/<id>`), `run.json` last. When any upload
 * fails, what was uploaded is deleted (best effort) and, since `run.json` was never written,
 * the run is not published.
 *
 * @param store the object store
 * @param dir the local run folder (complete, with its sealed `run.json`)
 * @param runUrl where the run goes, `s3://bucket/prefix/<id>`
 * @returns nothing; the run is listed once this resolves
 * @throws {ArtifactError} when a run with this id is already published (nothing is changed)
 * @throws {StorageError} when an upload fails; the run is not published
 * @example
 * ```ts
 * await publishRunFolder(openObjectStore(), "models/experiments/20261127-074512-penguins-1a2b3c4d", "s3://models/experiments/20261127-074512-penguins-1a2b3c4d");
 * ```
 */
export async function publishRunFolder(
  store: ObjectStore,
  dir: string,
  runUrl: string,
): Promise<void> {
  const recordUrl = joinS3Url(runUrl, RECORD_FILE);
  if ((await store.head(recordUrl)) !== null) {
    throw new ArtifactError(
      `Cannot publish run "${dir}" to "${runUrl}": a run is already published there; runs are never overwritten, train again for a new id`,
    );
  }
  const files = (await listFiles(dir)).filter((f) => f !== RECORD_FILE);
  const uploaded: string[] = [];
  try {
    for (let i = 0; i < files.length; i += UPLOAD_CONCURRENCY) {
      await Promise.all(
        files.slice(i, i + UPLOAD_CONCURRENCY).map(async (file) => {
          const url = joinS3Url(runUrl, file);
          await store.upload(url, join(dir, file));
          uploaded.push(url);
        }),
      );
    }
    await store.put(recordUrl, await Deno.readFile(join(dir, RECORD_FILE)), {
      ifNoneMatch: true,
      contentType: "application/json",
    });
  } catch (cause) {
    if (cause instanceof StoragePreconditionError) {
      // Another writer published the same run first (a production copy promoted twice at
      // once): the files are its files now, so nothing is deleted.
      throw new ArtifactError(
        `Cannot publish run to "${runUrl}": it was published by another writer at the same time; use that copy`,
        { cause },
      );
    }
    await Promise.all(uploaded.map((url) => store.delete(url).catch(() => {})));
    const message = (cause as Error).message;
    throw new StorageError(
      `Cannot publish run to "${runUrl}": ${message}; the run is not published (its run.json was not written), train or promote again`,
      { cause, status: cause instanceof StorageError ? cause.status : null },
    );
  }
}

/**
 * Lists the ids of the published runs under a prefix (those with a `run.json`), newest first.
 *
 * @param store the object store
 * @param prefixUrl the experiments prefix, `s3://bucket/prefix`
 * @returns run ids
 * @throws {StorageError} when the store fails
 * @example
 * ```ts
 * const [latest] = await listPublishedRunIds(openObjectStore(), "s3://models/experiments");
 * ```
 */
export async function listPublishedRunIds(
  store: ObjectStore,
  prefixUrl: string,
): Promise<string[]> {
  const base = `${prefixUrl.replace(/\/+$/, "")}/`;
  const ids: string[] = [];
  for (const object of await store.list(base)) {
    const rest = object.url.slice(base.length).split("/");
    if (rest.length === 2 && rest[1] === RECORD_FILE && RUN_ID_PATTERN.test(rest[0]!)) {
      ids.push(rest[0]!);
    }
  }
  return ids.sort().reverse();
}

/**
 * Fetches a published run into the local mirror and verifies it like any run folder. The
 * mirror is reused while the remote `run.json` is byte for byte the one mirrored (runs never
 * change once published), after its checksums pass.
 *
 * @param store the object store
 * @param prefixUrl the prefix holding the run (experiments, or a project's production `runs`)
 * @param id the run id
 * @returns the local folder and the record
 * @throws {ArtifactError} when the run is not published (with the closest id), or a file is
 *   missing or altered (naming it)
 * @throws {StorageError} when the store fails
 * @example
 * ```ts
 * const { dir } = await fetchRunFolder(openObjectStore(), "s3://models/experiments", id);
 * ```
 */
export function fetchRunFolder(
  store: ObjectStore,
  prefixUrl: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  // One fetch per mirrored run at a time in this process: a second caller waits, then finds
  // the mirror current instead of replacing the folder the first one is reading.
  const key = join(registryMirrorDir(prefixUrl), id);
  const previous = FETCHES.get(key) ?? Promise.resolve();
  const turn = previous.then(() => fetchOnce(store, prefixUrl, id));
  const settled = turn.then(() => {}, () => {});
  FETCHES.set(key, settled);
  settled.then(() => {
    if (FETCHES.get(key) === settled) FETCHES.delete(key);
  });
  return turn;
}

const FETCHES = new Map<string, Promise<void>>();

async function fetchOnce(
  store: ObjectStore,
  prefixUrl: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  const mirror = registryMirrorDir(prefixUrl);
  const runUrl = joinS3Url(prefixUrl, id);
  const remote = await readObjectText(store, joinS3Url(runUrl, RECORD_FILE));
  if (remote === null) {
    const ids = await listPublishedRunIds(store, prefixUrl);
    const hint = ids.length === 0
      ? "no runs are published there yet"
      : didYouMean(id, ids).replace(/^: /, "") || `the newest is "${ids[0]}"`;
    throw new ArtifactError(
      `Cannot open run "${id}" in "${prefixUrl}": it is not published (no ${RECORD_FILE}; ${hint}); list runs with \`deno task runs\``,
    );
  }
  const local = join(mirror, id);
  const mirrored = await Deno.readTextFile(runArtifactPath(local, "record")).catch(() => null);
  if (mirrored === remote.text) {
    try {
      return await readLocalRunFolder(mirror, id);
    } catch (error) {
      getProjectLogger("registry").warning("Refetching run {id}: its mirror failed: {error}", {
        id,
        error: (error as Error).message,
      });
    }
  }
  await Deno.mkdir(mirror, { recursive: true });
  const temporary = join(mirror, `${PARTIAL_PREFIX}${id}-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.mkdir(temporary);
  const guard = await guardLeftover(temporary);
  try {
    const base = `${runUrl}/`;
    for (const object of await store.list(base)) {
      const file = object.url.slice(base.length);
      if (file === RECORD_FILE || file.split("/").some((p) => p === ".." || p === "")) continue;
      const got = await downloadObject(store, object.url, join(temporary, ...file.split("/")));
      if (got === null) {
        throw new ArtifactError(`Cannot fetch run "${id}": "${object.url}" disappeared`);
      }
    }
    await Deno.writeTextFile(join(temporary, RECORD_FILE), remote.text);
    if (await pathExists(local)) await Deno.remove(local, { recursive: true });
    await Deno.rename(temporary, local);
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw cause;
  } finally {
    guard.close();
  }
  // Verified after the rename so the error names the run folder, not a temporary one.
  return await readLocalRunFolder(mirror, id);
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) out.push(relative(root, path).split("\\").join("/"));
    }
  }
  await walk(root);
  return out.sort();
}

/**
 * The object store for registry prefixes (one per environment, see `openObjectStore`).
 *
 * @returns the store
 * @throws {ConfigError} when the credentials are missing
 */
export function registryStore(): ObjectStore {
  return openObjectStore();
}
