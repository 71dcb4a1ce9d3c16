/**
 * Reads a data file as a sequence of bounded row batches and writes results batch by batch to a
 * temporary file that is renamed into place only when complete.
 *
 * Batch reading keeps memory bounded by the batch size for CSV, TSV, NDJSON, Parquet and Arrow
 * IPC. A JSON array has no streaming reader: it is read whole, then cut into batches.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import type { DataFormat } from "../config/schema.ts";
import { ArtifactError } from "../errors.ts";
import { getProjectLogger, removeLeftovers } from "../utils/mod.ts";
import { detectFormat, loadDataset } from "./loader.ts";

/** Temporary output files of {@link openBatchWriter}: `.<name>.partial-<8 hex>`. */
const PARTIAL_OUTPUT = /^\..+\.partial-[0-9a-f]{8}$/;

/** One batch of input rows. */
export interface RowBatch {
  /** The rows. Delimited and NDJSON batches hold every column as a string (or null). */
  frame: DataFrame;
  /** 1-based number of the batch's first data row in the file (header excluded). */
  firstRow: number;
}

/** Options of {@link readBatches}. */
export interface ReadBatchesOptions {
  /** Rows per batch. @default 100000 */
  batchRows?: number;
  /** Format; `auto` picks it from the extension. @default "auto" */
  format?: DataFormat | "auto";
}

/** Defaults of {@link ReadBatchesOptions}. */
export const DEFAULT_READ_BATCHES_OPTIONS: Required<ReadBatchesOptions> = {
  batchRows: 100_000,
  format: "auto",
};

/**
 * Yields the rows of a data file in batches of at most `batchRows` rows.
 *
 * CSV, TSV and NDJSON are streamed from disk and every column arrives as strings, so a value
 * that does not parse can be reported against its row instead of failing the whole read.
 * Parquet and Arrow are read slice by slice with their own types.
 *
 * @param path the input file
 * @param options batch size and format
 * @returns an async iterator of batches
 * @throws {ArtifactError} when the file is missing, empty, malformed or of an unsupported format
 * @example
 * ```ts
 * for await (const { frame, firstRow } of readBatches("big.csv", { batchRows: 50_000 })) { ... }
 * ```
 */
export async function* readBatches(
  path: string,
  options: ReadBatchesOptions = {},
): AsyncGenerator<RowBatch> {
  const { batchRows, format: requested } = { ...DEFAULT_READ_BATCHES_OPTIONS, ...options };
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new RangeError(`Cannot read batches of ${batchRows} rows: expected a positive integer`);
  }
  const format = requested === "auto" ? detectFormat(path) : requested;
  await requireFile(path);
  switch (format) {
    case "csv":
    case "tsv":
      yield* readDelimitedBatches(path, format === "tsv" ? "\t" : ",", batchRows);
      return;
    case "ndjson":
      yield* readJsonLineBatches(path, batchRows);
      return;
    case "parquet":
    case "arrow": {
      const scan = () =>
        format === "parquet"
          ? pl.scanParquet(path)
          : pl.scanIPC(path) as ReturnType<typeof pl.scanParquet>;
      for (let offset = 0;; offset += batchRows) {
        let frame: DataFrame;
        try {
          frame = scan().slice(offset, batchRows).collectSync();
        } catch (cause) {
          throw new ArtifactError(`Cannot read "${path}" as ${format}: ${firstLine(cause)}`, {
            cause,
          });
        }
        if (frame.height === 0) {
          if (offset === 0) throw emptyInput(path);
          return;
        }
        yield { frame, firstRow: offset + 1 };
        if (frame.height < batchRows) return;
      }
    }
    case "json": {
      const all = loadDataset(path, { format: "json" });
      for (let offset = 0; offset < all.height; offset += batchRows) {
        yield { frame: all.slice(offset, batchRows), firstRow: offset + 1 };
      }
      return;
    }
  }
}

async function requireFile(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${path}": the file does not exist`, { cause });
  }
  if (!info.isFile) throw new ArtifactError(`Cannot read "${path}": it is not a file`);
  if (info.size === 0) throw emptyInput(path);
}

function emptyInput(path: string): ArtifactError {
  return new ArtifactError(`Cannot read "${path}": the file holds no data rows`);
}

/**
 * Splits a text stream into chunks of whole CSV records (quoted line breaks stay inside their
 * record). Chunks without quotes are cut with one `lastIndexOf`, so plain files are split at
 * native speed; only chunks with quotes are scanned character by character.
 */
async function* csvChunks(path: string): AsyncGenerator<string[]> {
  const file = await Deno.open(path);
  const reader = file.readable.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let inQuotes = false;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      let cut = -1;
      if (!inQuotes && pending.indexOf('"') < 0) {
        cut = pending.lastIndexOf("\n");
      } else {
        for (let i = 0; i < pending.length; i++) {
          const char = pending.charCodeAt(i);
          if (char === 34) inQuotes = !inQuotes;
          else if (char === 10 && !inQuotes) cut = i;
        }
        // The scan above ran to the end; restart the quote state from the last cut next time.
        inQuotes = false;
        for (let i = cut + 1; i < pending.length; i++) {
          if (pending.charCodeAt(i) === 34) inQuotes = !inQuotes;
        }
      }
      if (cut < 0) continue;
      yield splitRecords(pending.slice(0, cut));
      pending = pending.slice(cut + 1);
    }
    if (pending.replace(/\r?\n?$/, "").length > 0) yield splitRecords(pending);
  } finally {
    reader.releaseLock();
    try {
      file.close();
    } catch {
      // Already closed by the stream.
    }
  }
}

/** Splits whole records at line breaks outside quotes, dropping a trailing \r. */
function splitRecords(text: string): string[] {
  const lines = text.indexOf('"') < 0 ? text.split("\n") : splitQuoted(text);
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

function splitQuoted(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 34) inQuotes = !inQuotes;
    else if (char === 10 && !inQuotes) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

async function* readDelimitedBatches(
  path: string,
  separator: string,
  batchRows: number,
): AsyncGenerator<RowBatch> {
  let header: string | null = null;
  let columns: string[] = [];
  let lines: string[] = [];
  let firstRow = 1;
  const parse = (): DataFrame => {
    const text = `${header}\n${lines.join("\n")}\n`;
    try {
      return pl.readCSV(
        text,
        {
          sep: separator,
          dtypes: Object.fromEntries(columns.map((c) => [c, pl.Utf8])),
          hasHeader: true,
          ignoreErrors: false,
          truncateRaggedLines: false,
        } as Parameters<typeof pl.readCSV>[1],
      );
    } catch (cause) {
      throw new ArtifactError(
        `Cannot read "${path}" rows ${firstRow}–${firstRow + lines.length - 1}: ${
          firstLine(cause)
        }`,
        { cause },
      );
    }
  };
  for await (const records of csvChunks(path)) {
    for (const record of records) {
      if (header === null) {
        header = record;
        columns = pl.readCSV(
          `${record}\n`,
          {
            sep: separator,
            hasHeader: true,
          } as Parameters<typeof pl.readCSV>[1],
        ).columns;
        continue;
      }
      if (record.length === 0) continue;
      lines.push(record);
      if (lines.length === batchRows) {
        const frame = parse();
        checkWidth(path, frame, columns, firstRow);
        yield { frame, firstRow };
        firstRow += lines.length;
        lines = [];
      }
    }
  }
  if (header === null) throw emptyInput(path);
  if (lines.length > 0) {
    const frame = parse();
    checkWidth(path, frame, columns, firstRow);
    yield { frame, firstRow };
  } else if (firstRow === 1) {
    throw new ArtifactError(`Cannot read "${path}": it holds a header but no data rows`);
  }
}

function checkWidth(path: string, frame: DataFrame, columns: string[], firstRow: number): void {
  if (frame.width !== columns.length) {
    throw new ArtifactError(
      `Cannot read "${path}" from row ${firstRow}: a row has ${frame.width} fields where the header has ${columns.length}`,
    );
  }
}

async function* readJsonLineBatches(path: string, batchRows: number): AsyncGenerator<RowBatch> {
  const file = await Deno.open(path);
  const reader = file.readable.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let line = 0;
  let firstRow = 1;
  let records: Record<string, string | null>[] = [];
  const columns = new Set<string>();
  const flush = (): DataFrame => {
    const names = [...columns];
    const frame = pl.DataFrame(
      Object.fromEntries(
        names.map((name) => [name, pl.Series(name, records.map((r) => r[name] ?? null), pl.Utf8)]),
      ),
    );
    records = [];
    return frame;
  };
  const take = (text: string): void => {
    line++;
    if (text.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new ArtifactError(`Cannot read "${path}" line ${line}: it is not valid JSON`, {
        cause,
      });
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ArtifactError(
        `Cannot read "${path}" line ${line}: expected a JSON object per line`,
      );
    }
    const row: Record<string, string | null> = Object.create(null);
    for (const [key, v] of Object.entries(value)) {
      columns.add(key);
      row[key] = v === null || v === undefined
        ? null
        : typeof v === "object"
        ? JSON.stringify(v)
        : String(v);
    }
    records.push(row);
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        take(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
        if (records.length === batchRows) {
          const count = records.length;
          yield { frame: flush(), firstRow };
          firstRow += count;
        }
      }
    }
    if (pending.length > 0) take(pending);
    if (records.length > 0) yield { frame: flush(), firstRow };
    else if (firstRow === 1) throw emptyInput(path);
  } finally {
    reader.releaseLock();
    try {
      file.close();
    } catch {
      // Already closed by the stream.
    }
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
  const format = detectFormat(path);
  if (format === "arrow") {
    throw new ArtifactError(
      `Cannot write "${path}": Arrow output is not supported; use .csv, .tsv, .parquet, .json or .ndjson`,
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
