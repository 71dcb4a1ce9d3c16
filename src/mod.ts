/**
 * deno-mlops: the public surface that notebooks and scripts import.
 *
 * Every folder's public API is re-exported here, so a notebook needs one import:
 *
 * ```ts
 * import { loadConfig, prepareData, runTraining, plotHistogram, show } from "../src/mod.ts";
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./utils/mod.ts";
export * from "./config/mod.ts";
export * from "./data/mod.ts";
export * from "./features/mod.ts";
export * from "./models/mod.ts";
export * from "./pipelines/mod.ts";
export * from "./viz/mod.ts";
export * from "./notebook/mod.ts";
