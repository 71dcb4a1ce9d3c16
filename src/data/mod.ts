/**
 * The data layer: load files into polars frames, validate them against the configured schema,
 * clean them and split them into train, validation and test.
 *
 * @module
 */
// -- loader and validator (exports added below this line)
// -- cleaner and splitter (exports added below this line)
// -- datasets
export { pullDatasets, readManifest } from "./datasets.ts";
export type { DatasetManifest, ManifestEntry, PullOptions, PullResult } from "./datasets.ts";
