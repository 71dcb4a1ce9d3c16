/**
 * Reads a data file as a sequence of bounded row batches, through the data source of its
 * location and the data format of its extension, and writes results batch by batch to a
 * temporary file that is renamed into place only when complete.
 *
 * Batch reading keeps memory bounded by the batch size for CSV, TSV, NDJSON, Parquet and Arrow
 * IPC. A JSON array has no streaming reader: it is read whole, then cut into batches.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { ArtifactError } from "../errors.ts";
import { getProjectLogger, removeLeftovers } from "../utils/mod.ts";
import { dataFormat, dataFormatFor } from "./formats/mod.ts";
import type { RowBatch } from "./formats/mod.ts";
import { dataSourceFor } from "./sources/mod.ts";
import { scanDataset } from "./loader.ts";
import type { LoadOptions } from "./loader.ts";

export type { RowBatch } from "./formats/mod.ts";

/** Temporary output files of {@link openBatchWriter}: `.<name>.partial-<8 hex>`. */
const PARTIAL_OUTPUT = /^\..+\.partial-[0-9a-f]{8}$/;

/** The formats {@link openBatchWriter} writes. */
const WRITABLE_FORMATS: readonly string[] = ["csv", "tsv", "parquet", "json", "ndjson"];

/** How a text input is written: the loader's options of the same names. */
export type BatchTextOptions = Pick<
  LoadOptions,
  "separator" | "quote" | "encoding" | "null_markers"
>;

/** Options of {@link readBatches}. */
export interface ReadBatchesOptions {
  /** Rows per batch. @default 100000 */
  batchRows?: number;
  /** Format name; `auto` picks it from the extension. @default "auto" */
  format?: string;
  /**
   * How the file is written, as for `loadDataset` (a run's `config.data` can be passed as is):
   * `separator`, `quote`, `encoding` and `null_markers`. A format reads only the options it
   * understands (delimited text reads all four) and ignores the others, so a file of another
   * format than the training data is still read.
   * @default {} (the loader's defaults: the format's own separator, `"`, UTF-8, no markers)
   */
  data?: BatchTextOptions;
}

/** Defaults of {@link ReadBatchesOptions}. */
export const DEFAULT_READ_BATCHES_OPTIONS: Required<ReadBatchesOptions> = {
  batchRows: 100_000,
  format: "auto",
  data: {},
};

/**
 * Yields the rows of a data file in batches of at most `batchRows` rows.
 *
 * CSV, TSV and NDJSON are streamed from disk and every column arrives as strings, so a value
 * that does not parse can be reported against its row instead of failing the whole read.
 * Parquet and Arrow are read slice by slice with their own types. Other registered formats
 * stream as their `scan` does.
 *
 * @param path the input file
 * @param options batch size, format and how the text is written
 * @returns an async iterator of batches
 * @throws {ArtifactError} when the file is missing, empty, malformed or of an unsupported format
 * @example
 * ```ts
 * for await (const { frame, firstRow } of readBatches("big.csv", { batchRows: 50_000 })) { ... }
 * readBatches("new.csv", { data: run.loaded.config.data }); // the run's separator, quote, …
 * ```
 */
export async function* readBatches(
  path: string,
  options: ReadBatchesOptions = {},
): AsyncGenerator<RowBatch> {
  const { batchRows, format: requested, data } = { ...DEFAULT_READ_BATCHES_OPTIONS, ...options };
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new RangeError(`Cannot read batches of ${batchRows} rows: expected a positive integer`);
  }
  const source = dataSourceFor(path);
  const format = requested === "auto" ? dataFormatFor(path) : dataFormat(requested);
  const info = source.stat(path);
  if (info === null) throw new ArtifactError(`Cannot read "${path}": the file does not exist`);
  if (!info.isFile) throw new ArtifactError(`Cannot read "${path}": it is not a file`);
  if (info.bytes === 0) {
    throw new ArtifactError(`Cannot read "${path}": the file holds no data rows`);
  }
  const file = { path: source.localPath(path), format: format.name, bytes: info.bytes };
  yield* format.scan(file, {
    batchRows,
    ...(data.separator === undefined ? {} : { separator: data.separator }),
    ...(data.quote === undefined ? {} : { quote: data.quote }),
    ...(data.encoding === undefined ? {} : { encoding: data.encoding }),
    ...(data.null_markers === undefined ? {} : { nullMarkers: data.null_markers }),
  });
}

/**
 * Yields the rows of a data file in batches of at most `batchRows` rows, with the types
 * `loadDataset` gives the whole file (its dtype overrides and column selection applied): the
 * batches of out-of-core training. Each batch is a slice of the file's lazy scan, so Parquet
 * and Arrow read only that slice's row groups; a delimited file is scanned by polars with the
 * loader's options, which parses the rows before the slice again for every batch (one pass
 * per batch over the file's head: convert a large text file to Parquet first).
 *
 * @param path the input file
 * @param options how the file is read (`config.data` fits) and the batch size
 * @returns an async iterator of typed batches; `firstRow` is 1-based
 * @throws {ArtifactError} when the file is missing, empty or malformed
 * @throws {SchemaMismatchError} as `loadDataset`
 * @example
 * ```ts
 * for await (const { frame } of readTypedBatches("data/raw/flights-3m.parquet", { batchRows: 262_144 })) { ... }
 * ```
 */
export async function* readTypedBatches(
  path: string,
  options: LoadOptions & { batchRows?: number } = {},
): AsyncGenerator<RowBatch> {
  const { batchRows = DEFAULT_READ_BATCHES_OPTIONS.batchRows, ...load } = options;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new RangeError(`Cannot read batches of ${batchRows} rows: expected a positive integer`);
  }
  const lazy = scanDataset(path, load);
  for (let offset = 0;; offset += batchRows) {
    let frame: DataFrame;
    try {
      frame = lazy.slice(offset, batchRows).collectSync();
    } catch (cause) {
      throw new ArtifactError(`Cannot read "${path}": ${firstLine(cause)}`, { cause });
    }
    if (frame.height === 0) {
      if (offset === 0) {
        throw new ArtifactError(`Cannot read "${path}": the file holds no data rows`);
      }
      return;
    }
    yield { frame, firstRow: offset + 1 };
    if (frame.height < batchRows) return;
  }
}

/** Writes result batches to a temporary file; `commit` renames it into place. */
export interface BatchWriter {
  /** Appends a batch (every batch must have the same columns). */
  write(frame: DataFrame): Promise<void>;
  /** Finishes the file and renames it to its final path. */
  commit(): Promise<void>;
  /** Removes the temporary file; the final path is never touched. */
  abort(): Promise<void>;
}

/**
 * Opens a writer for `path` in the format of its extension (CSV, TSV, Parquet, JSON, NDJSON).
 *
 * CSV, TSV, NDJSON and JSON stream to disk; Parquet keeps the written batches in memory until
 * `commit` (only the output columns, not the input).
 *
 * @param path the final output path
 * @returns the writer
 * @throws {ArtifactError} for an unsupported extension or a folder that cannot be written
 * @example
 * ```ts
 * const out = await openBatchWriter("predictions.csv");
 * try { await out.write(frame); await out.commit(); } catch (e) { await out.abort(); throw e; }
 * ```
 */
export async function openBatchWriter(path: string): Promise<BatchWriter> {
  const format = dataFormatFor(path).name;
  if (!WRITABLE_FORMATS.includes(format)) {
    throw new ArtifactError(
      `Cannot write "${path}": ${format} output is not supported; use .csv, .tsv, .parquet, .json or .ndjson`,
    );
  }
  const slash = path.lastIndexOf("/");
  const temporary = `${slash >= 0 ? path.slice(0, slash + 1) : ""}.${
    path.slice(slash + 1)
  }.partial-${crypto.randomUUID().slice(0, 8)}`;
  let file: Deno.FsFile;
  try {
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    // Temporary files of writers that died (killed mid-job) are removed here, at the next start;
    // a live writer holds an OS lock on its file until the rename, so its file is never taken.
    await removeLeftovers(
      slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".",
      (name) => PARTIAL_OUTPUT.test(name),
      { logger: getProjectLogger("data") },
    );
    file = await Deno.open(temporary, { write: true, createNew: true });
    await file.tryLock(true).catch(() => false);
  } catch (cause) {
    throw new ArtifactError(`Cannot write "${path}": ${firstLine(cause)}`, { cause });
  }
  const encoder = new TextEncoder();
  const put = async (bytes: Uint8Array) => {
    let written = 0;
    while (written < bytes.byteLength) written += await file.write(bytes.subarray(written));
  };
  let batches = 0;
  const held: DataFrame[] = [];
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  return {
    async write(frame) {
      if (format === "parquet") {
        held.push(frame);
      } else if (format === "csv" || format === "tsv") {
        const text = frame.writeCSV(
          {
            includeHeader: batches === 0,
            sep: format === "tsv" ? "\t" : ",",
          } as Parameters<DataFrame["writeCSV"]>[0],
        );
        await put(new Uint8Array(text as unknown as Uint8Array));
      } else if (format === "ndjson") {
        if (frame.height > 0) {
          await put(new Uint8Array(frame.writeJSON({ format: "lines" }) as unknown as Uint8Array));
        }
      } else {
        const json = frame.writeJSON({ format: "json" }).toString().trim();
        const inner = json.slice(1, -1);
        const prefix = batches === 0 ? "[" : inner.length > 0 ? "," : "";
        await put(encoder.encode(prefix + inner));
      }
      batches++;
    },
    async commit() {
      try {
        // The file stays open (and locked) until the rename, so it is never taken for a leftover.
        if (format === "parquet") {
          const frame = held.length === 0 ? pl.DataFrame({}) : pl.concat(held, { how: "vertical" });
          frame.writeParquet(temporary);
        } else if (format === "json") {
          await put(encoder.encode(batches === 0 ? "[]\n" : "]\n"));
        }
        await Deno.rename(temporary, path);
        close();
      } catch (cause) {
        close();
        await Deno.remove(temporary).catch(() => {});
        throw new ArtifactError(`Cannot write "${path}": ${firstLine(cause)}`, { cause });
      }
    },
    async abort() {
      close();
      await Deno.remove(temporary).catch(() => {});
    },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
