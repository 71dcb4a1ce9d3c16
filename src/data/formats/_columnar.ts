/**
 * Shared by the columnar binary formats, Parquet and Arrow IPC: a lazy scan that reads only the
 * columns kept, and batches read slice by slice with their own types.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, LazyDataFrame } from "nodejs-polars";
import { Buffer } from "node:buffer";
import { ArtifactError } from "../../errors.ts";
import type { DataFile, FormatReadOptions, RowBatch } from "./_registry.ts";
import {
  checkOverrideColumns,
  collect,
  firstLine,
  selectedColumns,
  wrapPolars,
} from "./_checks.ts";

/**
 * Reads a Parquet or Arrow file, only the columns kept.
 *
 * @param file the opened file
 * @param options the columns kept and the dtype overrides (checked against the file's columns)
 * @returns the frame
 */
export function readColumnar(file: DataFile, options: FormatReadOptions): DataFrame {
  const lazy = scanColumnar(file);
  checkOverrideColumns(file, lazy.columns, options.dtypes);
  const keep = options.columns === null
    ? null
    : selectedColumns(file, lazy.columns, options.columns);
  return collect(file, keep === null ? lazy : lazy.select(keep));
}

/**
 * Yields the rows of a Parquet or Arrow file in slices of `batchRows` rows.
 *
 * @param file the opened file
 * @param batchRows rows per batch
 * @returns the batches
 */
export async function* columnarBatches(
  file: DataFile,
  batchRows: number,
): AsyncGenerator<RowBatch> {
  for (let offset = 0;; offset += batchRows) {
    let frame: DataFrame;
    try {
      frame = open(file).slice(offset, batchRows).collectSync();
    } catch (cause) {
      throw new ArtifactError(`Cannot read "${file.path}" as ${file.format}: ${firstLine(cause)}`, {
        cause,
      });
    }
    if (frame.height === 0) {
      if (offset === 0) {
        throw new ArtifactError(`Cannot read "${file.path}": the file holds no data rows`);
      }
      return;
    }
    yield { frame, firstRow: offset + 1 };
    if (frame.height < batchRows) return;
  }
}

function open(file: DataFile): LazyDataFrame {
  return file.format === "parquet"
    ? pl.scanParquet(file.path)
    : pl.scanIPC(file.path) as ReturnType<typeof pl.scanParquet>;
}

/**
 * Opens a Parquet or Arrow IPC file (or stream) lazily; a corrupt file fails here.
 *
 * @param file the opened file
 * @returns the lazy frame
 */
export function scanColumnar(file: DataFile): LazyDataFrame {
  try {
    const lazy = open(file);
    void lazy.columns; // reads the footer, so a corrupt file fails here
    return lazy;
  } catch (cause) {
    if (file.format === "arrow" && isIpcStream(file.path)) {
      try {
        return pl.readIPCStream(Buffer.from(Deno.readFileSync(file.path))).lazy();
      } catch {
        // fall through to the scan's error, which names the file format
      }
    }
    throw wrapPolars(file, cause);
  }
}

/** Arrow IPC streams (as opposed to files) start with the 0xFFFFFFFF continuation marker. */
function isIpcStream(path: string): boolean {
  const handle = Deno.openSync(path);
  try {
    const head = new Uint8Array(4);
    return handle.readSync(head) === 4 && head.every((byte) => byte === 0xff);
  } finally {
    handle.close();
  }
}
