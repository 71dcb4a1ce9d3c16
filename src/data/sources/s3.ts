/**
 * Objects in S3-compatible storage as a data source: `s3://bucket/key`. Readers open local
 * files, so `prepare` streams the object into a local cache, hashing as it writes, under
 * `<cache>/<bucket>/<key>` with a `.etag.json` beside it; the copy is reused while the object's
 * ETag is unchanged and replaced when it changes. Outputs are written to a local file and
 * uploaded whole (multipart when large) by `publish`.
 *
 * The cache folder is `DENO_MLOPS_S3_CACHE` when set, else `data/processed/remote/` of the
 * project (the folder holding `deno.json` at or above the working directory).
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { findProjectRoot } from "../../config/mod.ts";
import { ArtifactError, MlopsError } from "../../errors.ts";
import { downloadObject, openObjectStore, parseS3Url, sha256File } from "../../storage/mod.ts";
import type { DataSource, DataStat, StagedWrite } from "./_registry.ts";

/** The environment variable that moves the local cache of remote objects. */
export const S3_CACHE_ENV = "DENO_MLOPS_S3_CACHE";

/** What the cache records beside a downloaded object. */
interface CacheEntry {
  url: string;
  etag: string;
  sha256: string;
  bytes: number;
}

/**
 * The folder of the local cache of remote objects.
 *
 * @returns `DENO_MLOPS_S3_CACHE`, else `<project root>/data/processed/remote`
 * @example
 * ```ts
 * remoteCacheDir(); // "/home/me/deno-mlops/data/processed/remote"
 * ```
 */
export function remoteCacheDir(): string {
  const chosen = Deno.env.get(S3_CACHE_ENV)?.trim();
  if (chosen) return resolve(chosen);
  return join(findProjectRoot(), "data", "processed", "remote");
}

function localPath(location: string): string {
  const { bucket, key } = parseS3Url(location);
  if (key === "" || key.endsWith("/") || key.split("/").some((p) => p === "..")) {
    throw new ArtifactError(
      `Cannot read "${location}": it names a prefix, not an object; give the full key, e.g. s3://${bucket}/data/penguins.csv`,
    );
  }
  return join(remoteCacheDir(), bucket, ...key.split("/"));
}

async function readEntry(path: string): Promise<CacheEntry | null> {
  try {
    return JSON.parse(await Deno.readTextFile(`${path}.etag.json`)) as CacheEntry;
  } catch {
    return null;
  }
}

async function prepare(location: string): Promise<string> {
  const path = localPath(location);
  const store = openObjectStore();
  const info = await store.head(location);
  if (info === null) {
    throw new ArtifactError(
      `Cannot read "${location}": the object does not exist; check the bucket and key (list them with \`aws s3 ls ${
        location.replace(/[^/]*$/, "")
      }\`)`,
    );
  }
  const cached = await readEntry(path);
  if (cached !== null && cached.etag === info.etag && cached.bytes === info.bytes) {
    const size = await Deno.stat(path).then((s) => s.size).catch(() => -1);
    if (size === info.bytes) return path;
  }
  const got = await downloadObject(store, location, path);
  if (got === null) {
    throw new ArtifactError(`Cannot read "${location}": the object was deleted while it was read`);
  }
  const entry: CacheEntry = {
    url: location,
    etag: got.info.etag,
    sha256: got.sha256,
    bytes: got.bytes,
  };
  await Deno.writeTextFile(`${path}.etag.json`, JSON.stringify(entry) + "\n");
  return path;
}

function stat(location: string): DataStat | null {
  const path = localPath(location);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new ArtifactError(
        `Cannot read "${location}" before it is fetched: call \`await ensureLocalData("${location}")\` first (training and predict do)`,
      );
    }
    throw new ArtifactError(`Cannot read "${path}": the file cannot be examined`, { cause });
  }
  return { isFile: info.isFile, bytes: info.size };
}

async function read(location: string): Promise<Uint8Array> {
  const path = await prepare(location);
  try {
    return await Deno.readFile(path);
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${location}" from "${path}"`, { cause });
  }
}

async function fingerprint(location: string) {
  // The local copy is hashed again in a stream: what is recorded is what polars reads.
  const path = await prepare(location);
  const { sha256, bytes } = await sha256File(path);
  return { path: location, sha256, bytes };
}

async function stageWrite(location: string): Promise<StagedWrite> {
  parseS3Url(location);
  const dir = join(remoteCacheDir(), ".outgoing");
  await Deno.mkdir(dir, { recursive: true });
  // The extension is kept: the writers pick the output format from it.
  const path = join(dir, `${crypto.randomUUID().slice(0, 8)}-${basename(location)}`);
  const discard = () => Deno.remove(path).catch(() => {});
  return {
    path,
    async publish() {
      try {
        await openObjectStore().upload(location, path);
      } catch (cause) {
        if (cause instanceof MlopsError) throw cause;
        throw new ArtifactError(`Cannot upload "${location}": ${(cause as Error).message}`, {
          cause,
        });
      } finally {
        await discard();
      }
    },
    discard,
  };
}

/** The S3 source (scheme `s3`). */
export const S3_SOURCE: DataSource = {
  scheme: "s3",
  prepare,
  stat,
  localPath,
  stageWrite,
  read,
  fingerprint,
};
