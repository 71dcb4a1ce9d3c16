/**
 * The stage cache on disk: one folder per entry, `<dir>/<key>/`, holding a node's outputs and an
 * `entry.json` that lists every file with its sha256 and size.
 *
 * An entry is written in a hidden `.partial-*` folder, guarded by an ownership lock, and renamed
 * into place only when every file and `entry.json` are written; a killed writer leaves only the
 * partial folder, which the next writer or `deno task cache --prune` removes. Every file is
 * checked against `entry.json` before it is used; an entry that fails the check is reported,
 * removed and recomputed by the caller, never read.
 *
 * @module
 */
import { ArtifactError } from "../../errors.ts";
import { isPartialName, PARTIAL_PREFIX } from "../../models/mod.ts";
import { guardLeftover, pathExists, removeLeftovers, sha256Hex } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";

/** Version of the `entry.json` layout; entries of another version are not read. */
export const CACHE_FORMAT_VERSION = 1;

/** The manifest file of a cache entry. */
export const CACHE_ENTRY_FILE = "entry.json";

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** One file of an entry, as `entry.json` records it. */
export interface CachedFile {
  sha256: string;
  bytes: number;
}

/** `entry.json`: what an entry holds and what produced it. */
export interface CacheEntry {
  format_version: number;
  /** The entry's key (its folder name): the hash of the node, its inputs, config and code. */
  key: string;
  /** The node that produced it. */
  node: string;
  /** ISO time it was written. */
  created: string;
  /** What went into the key, for `deno task cache` and for debugging a miss. */
  inputs: Record<string, string>;
  /** Per output: the codec's own description (file names, shapes, schemas). */
  outputs: Record<string, unknown>;
  /** Every file of the entry but `entry.json`, by name relative to the entry. */
  files: Record<string, CachedFile>;
}

/** An entry as `listCacheEntries` reports it. */
export interface CacheEntrySummary {
  key: string;
  node: string;
  created: string;
  /** Total size of the entry's files. */
  bytes: number;
  /** The folder. */
  dir: string;
}

/**
 * Tells whether a text is a cache key (64 hex digits).
 *
 * @param key any text
 * @returns true for a well-formed key
 * @example
 * ```ts
 * isCacheKey("ab".repeat(32)); // true
 * ```
 */
export function isCacheKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/**
 * Reads and checks an entry's manifest. The files themselves are checked when read
 * ({@link readCachedFile}), so an output nobody needs is never read.
 *
 * @param dir the cache folder
 * @param key the entry's key
 * @returns the manifest, or `null` when there is no entry; a manifest that is unreadable, of
 *   another format or for another key is treated as no entry and its folder is removed
 * @throws {ArtifactError} when the cache folder cannot be read for another reason than absence
 * @example
 * ```ts
 * const entry = await readCacheEntry("data/processed/cache", key, logger);
 * ```
 */
export async function readCacheEntry(
  dir: string,
  key: string,
  logger: Logger,
): Promise<CacheEntry | null> {
  const folder = `${dir}/${key}`;
  let text: string;
  try {
    text = await Deno.readTextFile(`${folder}/${CACHE_ENTRY_FILE}`);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      if (await pathExists(folder)) {
        await discardCacheEntry(dir, key, `${CACHE_ENTRY_FILE} is missing`, logger);
      }
      return null;
    }
    throw new ArtifactError(`Cannot read the stage cache entry "${folder}"`, { cause });
  }
  let entry: CacheEntry;
  try {
    entry = JSON.parse(text) as CacheEntry;
  } catch {
    await discardCacheEntry(dir, key, `${CACHE_ENTRY_FILE} is not valid JSON`, logger);
    return null;
  }
  if (
    entry?.format_version !== CACHE_FORMAT_VERSION || entry.key !== key ||
    typeof entry.files !== "object" || entry.files === null
  ) {
    await discardCacheEntry(dir, key, `${CACHE_ENTRY_FILE} is of another format or key`, logger);
    return null;
  }
  return entry;
}

/**
 * Reads one file of an entry and checks its size and sha256 against the manifest.
 *
 * @param dir the cache folder
 * @param entry the entry's manifest
 * @param name the file name within the entry
 * @returns the file's bytes
 * @throws {ArtifactError} when the file is missing, truncated or altered (the caller discards
 *   the entry and recomputes)
 * @example
 * ```ts
 * const bytes = await readCachedFile(dir, entry, "train.parquet");
 * ```
 */
export async function readCachedFile(
  dir: string,
  entry: CacheEntry,
  name: string,
): Promise<Uint8Array> {
  const expected = entry.files[name];
  const path = `${dir}/${entry.key}/${name}`;
  if (!expected) {
    throw new ArtifactError(`Cannot read cached "${path}": ${CACHE_ENTRY_FILE} does not list it`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    throw new ArtifactError(`Cannot read cached "${path}": ${(cause as Error).message}`, {
      cause,
    });
  }
  if (bytes.byteLength !== expected.bytes) {
    throw new ArtifactError(
      `Cannot use cached "${path}": it holds ${bytes.byteLength} bytes, ${CACHE_ENTRY_FILE} recorded ${expected.bytes} (truncated or altered)`,
    );
  }
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== expected.sha256) {
    throw new ArtifactError(
      `Cannot use cached "${path}": its sha256 is ${sha256}, ${CACHE_ENTRY_FILE} recorded ${expected.sha256} (altered)`,
    );
  }
  return bytes;
}

/** Where a node's outputs are written: each file is hashed as it is written. */
export interface CacheWriter {
  /**
   * Writes one file of the entry.
   *
   * @param name the file name within the entry
   * @param bytes its content
   */
  put(name: string, bytes: Uint8Array): Promise<void>;
}

/**
 * Writes an entry atomically. `write` puts the outputs' files into a hidden temporary folder and
 * returns their descriptions; the files' hashes go into `entry.json` and the folder is renamed
 * to its key.
 * When another process wrote the same key meanwhile, its entry is kept (equal keys hold equal
 * outputs) and this one is dropped.
 *
 * @param dir the cache folder (created when missing)
 * @param manifest the entry's key, node and inputs
 * @param write writes the outputs into the folder it is given
 * @returns the manifest as written
 * @throws {ArtifactError} when the folder cannot be created or written; nothing is left behind
 * @example
 * ```ts
 * await writeCacheEntry(dir, { key, node: "split", inputs }, async (out) => { await out.put("a.json", bytes); return {}; });
 * ```
 */
export async function writeCacheEntry(
  dir: string,
  manifest: Pick<CacheEntry, "key" | "node" | "inputs">,
  write: (out: CacheWriter) => Promise<Record<string, unknown>>,
): Promise<CacheEntry> {
  if (!isCacheKey(manifest.key)) {
    throw new TypeError(`Cannot write cache entry: "${manifest.key}" is not a 64-digit hex key`);
  }
  const temporary = `${dir}/${PARTIAL_PREFIX}${manifest.key.slice(0, 16)}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  let guard: Deno.FsFile | null = null;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.mkdir(temporary);
    guard = await guardLeftover(temporary);
    const files: Record<string, CachedFile> = {};
    const outputs = await write({
      async put(name, bytes) {
        if (!/^[\w.-]+$/.test(name) || name === CACHE_ENTRY_FILE || name in files) {
          throw new TypeError(`Cannot cache file "${name}": a plain, unused file name is needed`);
        }
        await Deno.writeFile(`${temporary}/${name}`, bytes);
        files[name] = { sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
      },
    });
    const entry: CacheEntry = {
      format_version: CACHE_FORMAT_VERSION,
      key: manifest.key,
      node: manifest.node,
      created: new Date().toISOString(),
      inputs: manifest.inputs,
      outputs,
      files,
    };
    await Deno.writeTextFile(
      `${temporary}/${CACHE_ENTRY_FILE}`,
      JSON.stringify(entry, null, 2) + "\n",
    );
    try {
      await Deno.rename(temporary, `${dir}/${manifest.key}`);
    } catch (cause) {
      // Another writer finished the same key first: its entry stands.
      if (!(await pathExists(`${dir}/${manifest.key}/${CACHE_ENTRY_FILE}`))) throw cause;
      await Deno.remove(temporary, { recursive: true }).catch(() => {});
    }
    return entry;
  } catch (cause) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw new ArtifactError(
      `Cannot write the stage cache entry of "${manifest.node}" under "${dir}": ${
        (cause as Error).message
      }; check that the folder is writable, or run with --no-cache`,
      { cause },
    );
  } finally {
    guard?.close();
  }
}

/**
 * Removes an entry that failed a check, saying why.
 *
 * @param dir the cache folder
 * @param key the entry's key
 * @param why what was wrong with it
 * @param logger where the warning goes
 * @example
 * ```ts
 * await discardCacheEntry(dir, key, "train.parquet is truncated", logger);
 * ```
 */
export async function discardCacheEntry(
  dir: string,
  key: string,
  why: string,
  logger: Logger,
): Promise<void> {
  logger.warning("Discarding stage cache entry {key}: {why}; the stage runs again", { key, why });
  await Deno.remove(`${dir}/${key}`, { recursive: true }).catch((cause) => {
    if (!(cause instanceof Deno.errors.NotFound)) {
      logger.warning("Cannot remove the cache entry {key}: {error}", {
        key,
        error: (cause as Error).message,
      });
    }
  });
}

/**
 * Lists the complete entries of a cache folder, largest first.
 *
 * @param dir the cache folder
 * @returns one summary per entry; empty when the folder does not exist
 * @example
 * ```ts
 * for (const e of await listCacheEntries("data/processed/cache")) console.log(e.node, e.bytes);
 * ```
 */
export async function listCacheEntries(dir: string): Promise<CacheEntrySummary[]> {
  const out: CacheEntrySummary[] = [];
  if (!(await pathExists(dir))) return out;
  for await (const item of Deno.readDir(dir)) {
    if (!item.isDirectory || !isCacheKey(item.name)) continue;
    try {
      const entry = JSON.parse(
        await Deno.readTextFile(`${dir}/${item.name}/${CACHE_ENTRY_FILE}`),
      ) as CacheEntry;
      const bytes = Object.values(entry.files ?? {}).reduce((sum, f) => sum + f.bytes, 0);
      out.push({
        key: item.name,
        node: entry.node,
        created: entry.created,
        bytes,
        dir: `${dir}/${item.name}`,
      });
    } catch {
      out.push({ key: item.name, node: "?", created: "", bytes: 0, dir: `${dir}/${item.name}` });
    }
  }
  return out.sort((a, b) => b.bytes - a.bytes || a.key.localeCompare(b.key));
}

/** Options of {@link pruneCache}. */
export interface PruneCacheOptions {
  /** Keys that must stay (referenced by runs or by the current config). @default empty */
  keep?: ReadonlySet<string>;
  /**
   * Also keep unreferenced entries, newest first, while the cache stays within this many bytes;
   * `null` removes every unreferenced entry.
   * @default null
   */
  maxBytes?: number | null;
  /** Where removals of crashed writers' leftovers are logged. @default no logging */
  logger?: Logger | null;
}

/** What {@link pruneCache} removed and kept. */
export interface PruneCacheResult {
  removed: CacheEntrySummary[];
  kept: CacheEntrySummary[];
  /** Leftover `.partial-*` folders of writers that died. */
  leftovers: string[];
}

/**
 * Removes the entries no run references, or keeps the newest unreferenced ones within a size
 * budget; also removes crashed writers' partial folders.
 *
 * @param dir the cache folder
 * @param options which keys to keep and the size budget
 * @returns what was removed and kept
 * @example
 * ```ts
 * const { removed } = await pruneCache("data/processed/cache", { keep: referencedKeys });
 * ```
 */
export async function pruneCache(
  dir: string,
  options: PruneCacheOptions = {},
): Promise<PruneCacheResult> {
  const keep = options.keep ?? new Set<string>();
  const leftovers = await removeLeftovers(dir, isPartialName, {
    logger: options.logger ?? null,
  });
  const entries = await listCacheEntries(dir);
  const kept: CacheEntrySummary[] = entries.filter((e) => keep.has(e.key));
  let budget = options.maxBytes === undefined || options.maxBytes === null
    ? 0
    : options.maxBytes - kept.reduce((sum, e) => sum + e.bytes, 0);
  const removed: CacheEntrySummary[] = [];
  const unreferenced = entries.filter((e) => !keep.has(e.key))
    .sort((a, b) => b.created.localeCompare(a.created));
  for (const entry of unreferenced) {
    if (entry.bytes <= budget) {
      budget -= entry.bytes;
      kept.push(entry);
      continue;
    }
    await Deno.remove(entry.dir, { recursive: true });
    removed.push(entry);
  }
  return { removed, kept, leftovers };
}

/**
 * Removes crashed writers' partial folders from the cache folder.
 *
 * @param dir the cache folder
 * @param logger where removals are logged
 * @returns the names removed
 * @example
 * ```ts
 * await removeCacheLeftovers("data/processed/cache", logger);
 * ```
 */
export function removeCacheLeftovers(dir: string, logger: Logger): Promise<string[]> {
  return removeLeftovers(dir, isPartialName, { logger });
}
