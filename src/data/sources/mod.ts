/**
 * Data sources: where data files are read from and how they are fingerprinted, chosen by the
 * location's URL scheme (a plain path is a local file, `s3://bucket/key` an object in
 * S3-compatible storage). A new source is one file exporting a `DataSource` plus one line below.
 *
 * @module
 */
import type { FileFingerprint } from "../../utils/mod.ts";
import { dataSourceFor, registerDataSource } from "./_registry.ts";
import type { StagedWrite } from "./_registry.ts";
import { LOCAL_SOURCE } from "./local.ts";
import { S3_SOURCE } from "./s3.ts";

registerDataSource(LOCAL_SOURCE);
registerDataSource(S3_SOURCE);

export {
  dataSourceFor,
  dataSourceSchemes,
  LOCAL_SCHEME,
  locationScheme,
  registerDataSource,
} from "./_registry.ts";
export type { DataSource, DataStat, StagedWrite } from "./_registry.ts";
export { LOCAL_SOURCE, S3_SOURCE };
export { remoteCacheDir, S3_CACHE_ENV } from "./s3.ts";

/**
 * The fingerprint of a data location, through the source its scheme names: what a run records
 * for each input.
 *
 * @param location a path or URL, e.g. `config.data.path`
 * @returns the sha256 and size; `path` is `location` as given
 * @throws {ArtifactError} when no source serves the scheme or the data cannot be read
 * @example
 * ```ts
 * const { sha256, bytes } = await fingerprintData(config.data.path);
 * ```
 */
export function fingerprintData(location: string): Promise<FileFingerprint> {
  return dataSourceFor(location).fingerprint(location);
}

/**
 * Makes a data location readable by the file readers (`loadDataset`, `readBatches`): a local
 * path is returned as it is; an `s3://` object is downloaded into the local cache, or reused
 * from it while its ETag is unchanged.
 *
 * @param location a path or URL, e.g. `config.data.path`
 * @returns the local file the readers open
 * @throws {ArtifactError} when no source serves the scheme or the data cannot be fetched
 * @throws {StorageError} when the object store fails
 * @example
 * ```ts
 * await ensureLocalData("s3://my-bucket/penguins.csv");
 * const frame = loadDataset("s3://my-bucket/penguins.csv");
 * ```
 */
export function ensureLocalData(location: string): Promise<string> {
  return dataSourceFor(location).prepare(location);
}

/**
 * Opens a write to a data location: write the local `path`, then `publish()` (or `discard()`
 * on failure). A remote object appears only once `publish` has uploaded the whole file.
 *
 * @param location a path or URL, e.g. the output of `predict`
 * @returns the file to write and how to publish or discard it
 * @throws {ArtifactError} when no source serves the scheme
 * @example
 * ```ts
 * const out = await stageOutput("s3://my-bucket/scored.csv");
 * await Deno.writeTextFile(out.path, "id,prediction\n1,Adelie\n");
 * await out.publish();
 * ```
 */
export function stageOutput(location: string): Promise<StagedWrite> {
  return dataSourceFor(location).stageWrite(location);
}
