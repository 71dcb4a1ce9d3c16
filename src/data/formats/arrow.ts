/**
 * The `arrow` format: Arrow IPC files and streams (`.arrow`, `.ipc`, `.feather`), scanned lazily.
 *
 * @module
 */
import type { DataFormatEntry } from "./_registry.ts";
import { columnarBatches, readColumnar, scanColumnar } from "./_columnar.ts";

/** The `arrow` format. */
export const ARROW_FORMAT: DataFormatEntry = {
  name: "arrow",
  extensions: [".arrow", ".ipc", ".feather"],
  read: readColumnar,
  scan: (file, options) => columnarBatches(file, options.batchRows),
  lazy: (file) => scanColumnar(file),
};
