/**
 * The data source registry: maps a location's URL scheme to the source that reads and
 * fingerprints it. A location without a scheme (`data/raw/penguins.csv`) is a local file.
 *
 * @module
 */
import { ArtifactError, didYouMean } from "../../errors.ts";
import type { FileFingerprint } from "../../utils/mod.ts";

/** What a source knows about a location without reading it. */
export interface DataStat {
  /** Whether the location holds a file (not a folder). */
  isFile: boolean;
  /** Size in bytes. */
  bytes: number;
}

/** A file being written for a location: fill `path`, then `publish` it or `discard` it. */
export interface StagedWrite {
  /** The local file to write (the location itself for a local file). */
  readonly path: string;
  /** Makes the written file appear at the location, whole (a remote upload, for instance). */
  publish(): Promise<void>;
  /** Removes the local file of a remote location; the location is never touched. */
  discard(): Promise<void>;
}

/**
 * Where data comes from: the local file system, and remote stores (`s3://`). Readers open the
 * file that `localPath` names, so a remote source makes the object available locally first, in
 * `prepare`.
 */
export interface DataSource {
  /** The URL scheme the source serves, e.g. `"file"` or `"s3"`; `"file"` also serves plain paths. */
  readonly scheme: string;
  /**
   * Makes a location readable at `localPath`: nothing to do for a local file; a remote source
   * downloads the object into its local cache (reused while the object is unchanged). The
   * readers (`loadDataset`, `readBatches`) are synchronous about files, so every entry point
   * that reads data calls this first (`ensureLocalData`).
   *
   * @param location the path or URL
   * @returns the local path, equal to `localPath(location)`
   * @throws {ArtifactError} when the location does not exist or cannot be fetched
   */
  prepare(location: string): Promise<string>;
  /**
   * Describes the readable local copy of a location (the file itself for a local path).
   *
   * @param location the path or URL
   * @returns its kind and size, or `null` when nothing is there
   * @throws {ArtifactError} when the location exists but cannot be examined, or a remote
   *   location was not prepared
   */
  stat(location: string): DataStat | null;
  /**
   * The local file path that polars and the streaming readers open for a location.
   *
   * @param location the path or URL
   * @returns an absolute local path
   */
  localPath(location: string): string;
  /**
   * Opens a write to a location: a local file is written in place (the writers write atomically
   * themselves); a remote one is written to a local file and uploaded by `publish`, so the
   * object appears only when complete.
   *
   * @param location the path or URL
   * @returns the file to write and how to publish or discard it
   * @throws {ArtifactError} when the location cannot be written
   */
  stageWrite(location: string): Promise<StagedWrite>;
  /**
   * Reads every byte of a location.
   *
   * @param location the path or URL
   * @returns the bytes
   * @throws {ArtifactError} when it cannot be read
   */
  read(location: string): Promise<Uint8Array>;
  /**
   * The sha256 and size of a location's bytes, as recorded in a run.
   *
   * @param location the path or URL
   * @returns the fingerprint; its `path` is `location` as given
   * @throws {ArtifactError} when it cannot be read
   */
  fingerprint(location: string): Promise<FileFingerprint>;
}

const SOURCES = new Map<string, DataSource>();
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The scheme a location without one is read with: the local file system. */
export const LOCAL_SCHEME = "file";

/**
 * Adds a data source, so every location with its scheme is read and fingerprinted through it.
 *
 * @param source the source
 * @throws {TypeError} when the scheme is not a URL scheme or a source already serves it
 * @example
 * ```ts
 * registerDataSource({ scheme: "mem", prepare, stat, localPath, stageWrite, read, fingerprint });
 * ```
 */
export function registerDataSource(source: DataSource): void {
  const scheme = source.scheme;
  if (typeof scheme !== "string" || !/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
    throw new TypeError(
      `Cannot register data source: scheme ${
        JSON.stringify(scheme)
      } is not a lowercase URL scheme such as "s3"`,
    );
  }
  if (SOURCES.has(scheme)) {
    throw new TypeError(
      `Cannot register data source "${scheme}": a source for that scheme is already registered; choose another scheme`,
    );
  }
  SOURCES.set(scheme, source);
}

/**
 * The URL scheme of a location, lowercase; `"file"` for a plain path.
 *
 * @param location a path or URL
 * @returns the scheme
 * @example
 * ```ts
 * locationScheme("data/raw/penguins.csv"); // "file"
 * locationScheme("s3://bucket/penguins.csv"); // "s3"
 * ```
 */
export function locationScheme(location: string): string {
  return SCHEME.exec(location)?.[1]?.toLowerCase() ?? LOCAL_SCHEME;
}

/**
 * The source that serves a location, chosen by its URL scheme.
 *
 * @param location a path or URL
 * @returns the source
 * @throws {ArtifactError} when no source serves the scheme; the message lists those that do
 * @example
 * ```ts
 * const { sha256 } = await dataSourceFor(config.data.path).fingerprint(config.data.path);
 * ```
 */
export function dataSourceFor(location: string): DataSource {
  const scheme = locationScheme(location);
  const source = SOURCES.get(scheme);
  if (source === undefined) {
    const known = dataSourceSchemes();
    throw new ArtifactError(
      `Cannot read "${location}": no data source serves "${scheme}://"${
        didYouMean(scheme, known)
      } (known: ${known.map((s) => `"${s}"`).join(", ")}); use a local path or register a source`,
    );
  }
  return source;
}

/**
 * The registered schemes, in registration order.
 *
 * @returns the schemes
 * @example
 * ```ts
 * dataSourceSchemes(); // ["file"]
 * ```
 */
export function dataSourceSchemes(): string[] {
  return [...SOURCES.keys()];
}
