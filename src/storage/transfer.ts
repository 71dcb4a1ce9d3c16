/**
 * Moving whole objects between the store and local files: a streaming download that hashes as
 * it writes (no whole-object buffer) and lands atomically, and reading small JSON/text objects.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { StorageError } from "../errors.ts";
import type { ObjectInfo, ObjectStore } from "./object_store.ts";

/** The outcome of {@link downloadObject}. */
export interface DownloadedObject {
  /** The object's url, ETag and size as served. */
  info: ObjectInfo;
  /** sha256 of the bytes written, lowercase hex. */
  sha256: string;
  /** Bytes written. */
  bytes: number;
}

/**
 * Streams an object into a local file, hashing the bytes as they pass; the file is written
 * under a temporary name and renamed into place, so `path` holds either nothing or the whole
 * object.
 *
 * @param store the object store
 * @param url the object
 * @param path the local file to write (its folder is created)
 * @returns the object's description, the sha256 and size of what was written; `null` when the
 *   object does not exist
 * @throws {StorageError} when the store fails mid-stream or the size differs from the one served
 * @example
 * ```ts
 * const got = await downloadObject(store, "s3://data/penguins.csv", "data/processed/penguins.csv");
 * ```
 */
export async function downloadObject(
  store: ObjectStore,
  url: string,
  path: string,
): Promise<DownloadedObject | null> {
  const object = await store.get(url);
  if (object === null) return null;
  await Deno.mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.partial`;
  const hash = createHash("sha256");
  let bytes = 0;
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  try {
    const reader = object.body.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      bytes += value.byteLength;
      for (let off = 0; off < value.byteLength;) off += await file.write(value.subarray(off));
    }
    file.close();
    if (bytes !== object.info.bytes) {
      throw new StorageError(
        `Cannot download "${url}": received ${bytes} of ${object.info.bytes} bytes; retry`,
      );
    }
    await Deno.rename(temporary, path);
  } catch (cause) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(temporary).catch(() => {});
    if (cause instanceof StorageError) throw cause;
    throw new StorageError(`Cannot download "${url}" to "${path}": ${(cause as Error).message}`, {
      cause,
    });
  }
  return { info: object.info, sha256: hash.digest("hex"), bytes };
}

/**
 * Reads a whole (small) object as UTF-8 text.
 *
 * @param store the object store
 * @param url the object
 * @returns its text and description, or `null` when it does not exist
 * @throws {StorageError} when the store fails
 * @example
 * ```ts
 * const pointer = await readObjectText(store, "s3://models/production/penguins/current.json");
 * ```
 */
export async function readObjectText(
  store: ObjectStore,
  url: string,
): Promise<{ text: string; info: ObjectInfo } | null> {
  const object = await store.get(url);
  if (object === null) return null;
  try {
    return { text: await new Response(object.body).text(), info: object.info };
  } catch (cause) {
    throw new StorageError(`Cannot read "${url}": the transfer broke off; retry`, { cause });
  }
}

/**
 * The sha256 of a local file, read in a stream (constant memory, any size).
 *
 * @param path the file
 * @returns the sha256 (lowercase hex) and the size
 * @throws {Error} when the file cannot be read
 * @example
 * ```ts
 * const { sha256, bytes } = await sha256File("data/processed/remote/penguins.csv");
 * ```
 */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest("hex"), bytes };
}
