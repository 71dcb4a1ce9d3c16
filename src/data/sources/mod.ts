/**
 * Data sources: where data files are read from and how they are fingerprinted, chosen by the
 * location's URL scheme (a plain path is a local file). A new source (`s3://`, say) is one file
 * exporting a `DataSource` plus one line below.
 *
 * @module
 */
import type { FileFingerprint } from "../../utils/mod.ts";
import { dataSourceFor, registerDataSource } from "./_registry.ts";
import { LOCAL_SOURCE } from "./local.ts";

registerDataSource(LOCAL_SOURCE);

export {
  dataSourceFor,
  dataSourceSchemes,
  LOCAL_SCHEME,
  locationScheme,
  registerDataSource,
} from "./_registry.ts";
export type { DataSource, DataStat } from "./_registry.ts";
export { LOCAL_SOURCE };

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
