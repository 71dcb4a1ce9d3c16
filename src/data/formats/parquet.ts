/**
 * The `parquet` format (`.parquet`): scanned lazily, only the columns kept are read.
 *
 * @module
 */
import type { DataFormatEntry } from "./_registry.ts";
import { columnarBatches, readColumnar, scanColumnar } from "./_columnar.ts";

/** The `parquet` format. */
export const PARQUET_FORMAT: DataFormatEntry = {
  name: "parquet",
  extensions: [".parquet"],
  read: readColumnar,
  scan: (file, options) => columnarBatches(file, options.batchRows),
  lazy: (file) => scanColumnar(file),
};
