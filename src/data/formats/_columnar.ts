/**
 * Shared by the columnar binary formats, Parquet and Arrow IPC: a format is built from the
 * function that opens a file lazily, and gets a reader that reads only the columns kept, a
 * lazy scan, and batches read slice by slice with their own types.
 *
 * @module
 */
import type { DataFrame, LazyDataFrame } from "nodejs-polars";
import { ArtifactError } from "../../errors.ts";
import type { DataFile, DataFormatEntry, RowBatch } from "./_registry.ts";
import {
  checkOverrideColumns,
  collect,
  firstLine,
  selectedColumns,
  wrapPolars,
} from "./_checks.ts";

/** How a columnar format opens a file: the lazy frame, and a fallback when that fails. */
export interface ColumnarOpeners {
  /** Opens the file lazily, e.g. `pl.scanParquet`. */
  scan(path: string): LazyDataFrame;
  /** Tried when `scan` fails (an Arrow IPC stream, say); `null` when it does not apply. */
  fallback(path: string): LazyDataFrame | null;
}

/**
 * Builds the entry of a columnar format from its openers.
 *
 * @param name the format name
 * @param extensions its file extensions
 * @param openers how it opens a file
 * @returns the format entry
 * @example
 * ```ts
 * const PARQUET_FORMAT = columnarFormat("parquet", [".parquet"], { scan: (p) => pl.scanParquet(p), fallback: () => null });
 * ```
 */
export function columnarFormat(
  name: string,
  extensions: readonly string[],
  openers: ColumnarOpeners,
): DataFormatEntry {
  const lazy = (file: DataFile) => openColumnar(file, openers);
  return {
    name,
    extensions,
    read(file, options): DataFrame {
      const scan = lazy(file);
      checkOverrideColumns(file, scan.columns, options.dtypes);
      const keep = options.columns === null
        ? null
        : selectedColumns(file, scan.columns, options.columns);
      return collect(file, keep === null ? scan : scan.select(keep));
    },
    scan: (file, options) => columnarBatches(file, lazy, options.batchRows),
    lazy,
  };
}

function openColumnar(file: DataFile, openers: ColumnarOpeners): LazyDataFrame {
  try {
    const lazy = openers.scan(file.path);
    void lazy.columns; // reads the footer, so a corrupt file fails here
    return lazy;
  } catch (cause) {
    let fallback: LazyDataFrame | null = null;
    try {
      fallback = openers.fallback(file.path);
    } catch {
      // fall through to the scan's error, which names the file format
    }
    if (fallback !== null) return fallback;
    throw wrapPolars(file, cause);
  }
}

async function* columnarBatches(
  file: DataFile,
  open: (file: DataFile) => LazyDataFrame,
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
