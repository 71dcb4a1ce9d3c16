/**
 * The delimited text formats, CSV (`.csv`) and TSV (`.tsv`): a strict eager reader that infers
 * types from every row and reports ragged rows by line, a lazy scan, and a streaming batch reader
 * that hands every column over as text.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, LazyDataFrame, ReadCsvOptions, ScanCsvOptions } from "nodejs-polars";
import { Buffer } from "node:buffer";
import { extname } from "node:path";
import { ArtifactError, SchemaMismatchError } from "../../errors.ts";
import type { Dtype, Encoding } from "../../config/schema.ts";
import type { DataFile, DataFormatEntry, RowBatch, TextReadOptions } from "./_registry.ts";
import {
  checkOverrideColumns,
  firstLine,
  lazyOf,
  requirePlainNames,
  schemaOf,
  wrapPolars,
} from "./_checks.ts";
import { conversionError, firstBadValue, polarsDtype } from "./_dtypes.ts";

const LF = 10;
const CR = 13;
const READ_CHUNK_BYTES = 1 << 20;
const MAX_REPORTED_LINES = 5;

function describeEmpty(width: number): string {
  return `the file has a header line (${width} columns) but no data rows`;
}

const TEXT_OPTIONS = ["separator", "quote", "encoding", "null_markers"] as const;

/** The `csv` format: comma-separated values with a header line. */
export const CSV_FORMAT: DataFormatEntry = {
  name: "csv",
  extensions: [".csv"],
  read: (file, options) => readDelimited(file, dialectOf(file, options), options.dtypes),
  scan: (file, options) => readDelimitedBatches(file, dialectOf(file, options), options.batchRows),
  lazy: (file, options) => scanDelimited(file, dialectOf(file, options), options.dtypes),
  parsesDtypes: true,
  textOptions: TEXT_OPTIONS,
  describeEmpty,
};

/** The `tsv` format: tab-separated values with a header line. */
export const TSV_FORMAT: DataFormatEntry = {
  name: "tsv",
  extensions: [".tsv"],
  read: (file, options) => readDelimited(file, dialectOf(file, options), options.dtypes),
  scan: (file, options) => readDelimitedBatches(file, dialectOf(file, options), options.batchRows),
  lazy: (file, options) => scanDelimited(file, dialectOf(file, options), options.dtypes),
  parsesDtypes: true,
  textOptions: TEXT_OPTIONS,
  describeEmpty,
};

// ---------------------------------------------------------------- eager and lazy reading

/** How a delimited file is written: `data.separator`, `quote`, `encoding` and `null_markers`. */
interface CsvDialect {
  separator: string;
  quote: string;
  encoding: Encoding;
  nullMarkers: readonly string[];
}

function dialectOf(file: DataFile, options: TextReadOptions): CsvDialect {
  return {
    separator: options.separator ?? (file.format === "tsv" ? "\t" : ","),
    quote: options.quote ?? '"',
    encoding: options.encoding ?? "utf8",
    nullMarkers: options.nullMarkers ?? [],
  };
}

/** How a separator is written in YAML for messages: `";"`, `"\t"`. */
function shownSeparator(separator: string): string {
  return JSON.stringify(separator);
}

/** Rows polars reads to infer CSV types before falling back to every row (see readDelimited). */
const CSV_INFER_ROWS = 10_000;

/**
 * The polars read options a dialect maps to: the one place `data.separator`, `quote`,
 * `encoding` and `null_markers` become polars options, for the eager, lazy and batch readers.
 */
function dialectCsvOptions(dialect: CsvDialect): Partial<ReadCsvOptions> {
  return {
    sep: dialect.separator,
    hasHeader: true,
    quoteChar: dialect.quote,
    ...(dialect.nullMarkers.length > 0 ? { nullValues: [...dialect.nullMarkers] } : {}),
    ...(dialect.encoding === "utf8-lossy" ? { encoding: "utf8-lossy" as const } : {}),
  };
}

function csvOptions(
  file: DataFile,
  dialect: CsvDialect,
  inferRows: "all" | number,
): Partial<ReadCsvOptions> {
  return {
    ...dialectCsvOptions(dialect),
    ignoreErrors: false,
    truncateRaggedLines: false,
    raiseIfEmpty: true,
    // `null` ("all rows") reaches the binding as 0, which reads every column as text; the line
    // count is an exact upper bound on the rows instead.
    inferSchemaLength: inferRows === "all" ? countLines(file.path) + 1 : inferRows,
  };
}

const CSV_PARSE_ERROR = /could not parse `(.*)` as dtype `(.*)` at column '(.*)'/;

function readDelimited(
  file: DataFile,
  dialect: CsvDialect,
  dtypes: Record<string, Dtype>,
): DataFrame {
  requireSeparatorFits(file, dialect);
  const overrides = Object.fromEntries(
    Object.entries(dtypes).map(([name, dtype]) => [name, polarsDtype(dtype)]),
  );
  let frame: DataFrame;
  try {
    frame = readCsvFile(file, dialect, {
      ...csvOptions(file, dialect, CSV_INFER_ROWS),
      dtypes: overrides,
    });
  } catch (cause) {
    // Parsing is strict, so a type inferred from the first rows that a later value breaks is an
    // error, never a null: read again inferring from every row (slower, so only when needed).
    const parse = CSV_PARSE_ERROR.exec(firstLine(cause));
    if (parse === null || Object.hasOwn(dtypes, parse[3]!)) {
      throw explainCsvFailure(file, dialect, dtypes, csvOptions(file, dialect, "all"), cause);
    }
    try {
      frame = readCsvFile(file, dialect, {
        ...csvOptions(file, dialect, "all"),
        dtypes: overrides,
      });
    } catch (again) {
      throw explainCsvFailure(file, dialect, dtypes, csvOptions(file, dialect, "all"), again);
    }
  }
  // polars fills the missing fields of a short row (and a blank line) with nulls, so nulls in
  // the last column are the sign to check the line lengths.
  const lazy = lazyOf(frame);
  requirePlainNames(file, lazy.columns);
  const last = lazy.columns.at(-1);
  if (last !== undefined) {
    const nulls = lazy.select(pl.col(last).nullCount().alias("__nulls__")).collectSync()
      .toRecords()[0]!["__nulls__"];
    if (Number(nulls) > 0) {
      const ragged = raggedLines(file, dialect);
      if (ragged !== null) throw ragged;
    }
  }
  checkOverrideColumns(file, lazy.columns, dtypes);
  return frame;
}

function readCsvFile(
  file: DataFile,
  dialect: CsvDialect,
  options: Partial<ReadCsvOptions>,
): DataFrame {
  if (dialect.encoding === "latin1") {
    // polars reads UTF-8 only; Latin-1 maps byte for byte onto the first 256 code points.
    const text = new TextDecoder("latin1").decode(Deno.readFileSync(file.path));
    return pl.readCSV(Buffer.from(text, "utf8"), options);
  }
  // readCSV treats a string without a .csv/.tsv extension as CSV text, not a path.
  const extension = extname(file.path);
  const source = extension === ".csv" || extension === ".tsv"
    ? file.path
    : Buffer.from(Deno.readFileSync(file.path));
  return pl.readCSV(source, options);
}

/**
 * Refuses a file whose header reads as one column although it holds another common separator
 * (";", tab, "|") on every one of its first lines: it was written with that separator.
 */
function requireSeparatorFits(file: DataFile, dialect: CsvDialect): void {
  const lines = firstLines(file, 6);
  const header = lines[0];
  if (header === undefined || splitsInto(header, dialect) > 1) return;
  for (const candidate of [";", "\t", "|", ","]) {
    if (candidate === dialect.separator) continue;
    const fields = splitsInto(header, { ...dialect, separator: candidate });
    if (fields < 2) continue;
    const rows = lines.slice(1).filter((line) => line.trim().length > 0);
    if (!rows.every((line) => splitsInto(line, { ...dialect, separator: candidate }) === fields)) {
      continue;
    }
    throw new ArtifactError(
      `Cannot load dataset "${file.path}": the header reads as one column ${
        JSON.stringify(header.slice(0, 60))
      } with separator ${shownSeparator(dialect.separator)}, but it splits into ${fields} ` +
        `columns at ${shownSeparator(candidate)}; set data.separator: ${shownSeparator(candidate)}`,
    );
  }
}

/** The first `count` lines of a file (at most 64 KiB read), without line ends. */
function firstLines(file: DataFile, count: number): string[] {
  const handle = Deno.openSync(file.path);
  try {
    const buffer = new Uint8Array(1 << 16);
    const read = handle.readSync(buffer) ?? 0;
    const text = new TextDecoder().decode(buffer.subarray(0, read));
    return text.split("\n").slice(0, count).map((line) => line.replace(/\r$/, ""));
  } finally {
    handle.close();
  }
}

/** Fields of one line under a dialect, quotes respected. */
function splitsInto(line: string, dialect: CsvDialect): number {
  let fields = 1;
  let inQuotes = false;
  for (const char of line) {
    if (char === dialect.quote) inQuotes = !inQuotes;
    else if (char === dialect.separator && !inQuotes) fields++;
  }
  return fields;
}

function explainCsvFailure(
  file: DataFile,
  dialect: CsvDialect,
  dtypes: Record<string, Dtype>,
  options: Partial<ReadCsvOptions>,
  cause: unknown,
): Error {
  const message = firstLine(cause);
  if (/empty CSV/i.test(message)) {
    return new ArtifactError(
      `Cannot load dataset "${file.path}": the file holds only blank lines (${file.bytes} bytes); ` +
        `restore or regenerate it`,
      { cause },
    );
  }
  const ragged = raggedLines(file, dialect);
  if (ragged !== null) return ragged;
  const parse = CSV_PARSE_ERROR.exec(message);
  if (parse !== null && Object.keys(dtypes).length > 0) {
    // Re-read the overridden columns as text to find the first bad value and its row.
    const text = Object.fromEntries(Object.keys(dtypes).map((name) => [name, pl.Utf8]));
    let raw: DataFrame | null = null;
    try {
      raw = readCsvFile(file, dialect, { ...options, dtypes: text });
    } catch {
      raw = null;
    }
    if (raw !== null) {
      const lazy = lazyOf(raw);
      checkOverrideColumns(file, lazy.columns, dtypes);
      const first = parse[3]!;
      const ordered = Object.entries(dtypes).sort(([a], [b]) =>
        Number(b === first) - Number(a === first)
      );
      for (const [name, dtype] of ordered) {
        const bad = firstBadValue(lazy, name, pl.Utf8, dtype);
        if (bad !== null) {
          return conversionError(file, name, dtype, bad, {
            cause,
            lineOf: (row) => lineOfRow(file, dialect, row),
          });
        }
      }
    }
    return new SchemaMismatchError(
      `Cannot load dataset "${file.path}": column "${parse[3]}" has value "${
        parse[1]
      }" that does ` +
        `not parse as ${parse[2]}; fix the value or change data.dtypes`,
      { cause },
    );
  }
  return wrapPolars(file, cause);
}

function scanDelimited(
  file: DataFile,
  dialect: CsvDialect,
  dtypes: Record<string, Dtype>,
): LazyDataFrame {
  if (dialect.encoding === "latin1") {
    // scanCSV reads UTF-8 only: decode and read eagerly.
    return lazyOf(readDelimited(file, dialect, dtypes));
  }
  requireSeparatorFits(file, dialect);
  // A lazy scan cannot retry at collect time, so it infers from every row up front.
  const options = csvOptions(file, dialect, "all");
  try {
    let lazy = pl.scanCSV(file.path, options as Partial<ScanCsvOptions>);
    const names = lazy.columns;
    checkOverrideColumns(file, names, dtypes);
    if (Object.keys(dtypes).length > 0) {
      // scanCSV takes a complete schema only: the inferred types with the overrides on top.
      const inferred = schemaOf(lazy);
      const schema = Object.fromEntries(names.map((name) => {
        const dtype = dtypes[name];
        return [name, dtype === undefined ? inferred.get(name)! : polarsDtype(dtype)];
      }));
      lazy = pl.scanCSV(file.path, { ...options, schema } as Partial<ScanCsvOptions>);
    }
    return lazy;
  } catch (cause) {
    if (cause instanceof SchemaMismatchError) throw cause;
    throw wrapPolars(file, cause);
  }
}

/** Counts line feeds, reading the file in chunks. */
function countLines(path: string): number {
  const handle = Deno.openSync(path);
  try {
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    let lines = 0;
    for (let read = handle.readSync(buffer); read !== null; read = handle.readSync(buffer)) {
      const chunk = buffer.subarray(0, read);
      for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) lines++;
    }
    return lines;
  } finally {
    handle.close();
  }
}

interface CsvRecord {
  /** 0 for the header. */
  index: number;
  /** 1-based line the record starts on. */
  line: number;
  fields: number;
  /** True for a blank line. */
  blank: boolean;
}

/**
 * Walks the records of a CSV file with a quote-aware scan (a quoted field may hold separators
 * and line breaks), calling `visit` for each until it returns false.
 */
function walkCsvRecords(
  path: string,
  dialect: CsvDialect,
  visit: (record: CsvRecord) => boolean,
): void {
  const sepByte = dialect.separator.charCodeAt(0);
  const QUOTE = dialect.quote.charCodeAt(0);
  const highestSpecial = Math.max(LF, CR, QUOTE, sepByte);
  const handle = Deno.openSync(path);
  try {
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    let inQuotes = false;
    let fields = 1;
    let blank = true;
    let line = 1;
    let startLine = 1;
    let index = 0;
    let going = true;
    for (
      let read = handle.readSync(buffer);
      read !== null && going;
      read = handle.readSync(buffer)
    ) {
      for (let i = 0; i < read && going; i++) {
        const byte = buffer[i]!;
        // Most bytes are plain field content: one comparison, then on to the next.
        if (byte > highestSpecial) {
          blank = false;
          continue;
        }
        if (inQuotes) {
          if (byte === QUOTE) inQuotes = false;
          else if (byte === LF) line++;
          continue;
        }
        if (byte === LF) {
          going = visit({ index, line: startLine, fields, blank });
          index++;
          line++;
          startLine = line;
          fields = 1;
          blank = true;
        } else if (byte === sepByte) {
          fields++;
          blank = false;
        } else if (byte === QUOTE) {
          inQuotes = true;
          blank = false;
        } else if (byte !== CR) {
          blank = false;
        }
      }
    }
    if (going && (!blank || fields > 1)) visit({ index, line: startLine, fields, blank });
  } finally {
    handle.close();
  }
}

/** Returns the error for rows whose field count differs from the header's, or null if none. */
function raggedLines(file: DataFile, dialect: CsvDialect): ArtifactError | null {
  let expected = 0;
  let count = 0;
  const first: CsvRecord[] = [];
  walkCsvRecords(file.path, dialect, (record) => {
    if (record.index === 0) {
      expected = record.fields;
    } else if (record.fields !== expected && !(expected === 1 && record.blank)) {
      count++;
      if (first.length < MAX_REPORTED_LINES) first.push(record);
    }
    return true;
  });
  if (count === 0) return null;
  const head = first[0]!;
  const found = head.blank ? "is blank" : `has ${head.fields} field${head.fields === 1 ? "" : "s"}`;
  const others = count === 1
    ? ""
    : ` (${count} malformed lines in all, the first at lines ${
      first.map((r) => r.line).join(", ")
    })`;
  const separator = dialect.separator === "\t" ? "tab" : shownSeparator(dialect.separator);
  return new ArtifactError(
    `Cannot load dataset "${file.path}": line ${head.line} ${found}, expected ${expected} as in ` +
      `the header${others}; fix the row, or quote values that contain ${separator}` +
      (dialect.quote === '"' ? "" : ` (with ${shownSeparator(dialect.quote)}, data.quote)`),
  );
}

/** Returns the 1-based line on which data row `row` (1-based) starts. */
function lineOfRow(file: DataFile, dialect: CsvDialect, row: number): number {
  let line = row + 1;
  walkCsvRecords(file.path, dialect, (record) => {
    if (record.index === row) {
      line = record.line;
      return false;
    }
    return true;
  });
  return line;
}

// ---------------------------------------------------------------- streaming batches

/**
 * The decoder of a dialect's encoding: UTF-8 is strict (invalid bytes are an error, as the eager
 * reader's), `utf8-lossy` replaces them, and Latin-1 is decoded as the eager reader decodes it.
 */
function textDecoderStream(encoding: Encoding): TextDecoderStream {
  if (encoding === "latin1") return new TextDecoderStream("latin1");
  return new TextDecoderStream("utf-8", { fatal: encoding === "utf8" });
}

/**
 * Splits a text stream into chunks of whole CSV records (quoted line breaks stay inside their
 * record). Chunks without quotes are cut with one `lastIndexOf`, so plain files are split at
 * native speed; only chunks with quotes are scanned character by character.
 */
async function* csvChunks(file: DataFile, dialect: CsvDialect): AsyncGenerator<string[]> {
  const handle = await Deno.open(file.path);
  const reader = handle.readable.pipeThrough(textDecoderStream(dialect.encoding)).getReader();
  const quote = dialect.quote;
  const QUOTE = quote.charCodeAt(0);
  let pending = "";
  let inQuotes = false;
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        throw new ArtifactError(
          `Cannot read "${file.path}": it is not valid ${
            dialect.encoding === "latin1" ? "Latin-1" : "UTF-8"
          } text (${firstLine(cause)}); set data.encoding to "utf8-lossy" or "latin1"`,
          { cause },
        );
      }
      const { value, done } = chunk;
      if (done) break;
      pending += value;
      let cut = -1;
      if (!inQuotes && pending.indexOf(quote) < 0) {
        cut = pending.lastIndexOf("\n");
      } else {
        for (let i = 0; i < pending.length; i++) {
          const char = pending.charCodeAt(i);
          if (char === QUOTE) inQuotes = !inQuotes;
          else if (char === LF && !inQuotes) cut = i;
        }
        // The scan above ran to the end; restart the quote state from the last cut next time.
        inQuotes = false;
        for (let i = cut + 1; i < pending.length; i++) {
          if (pending.charCodeAt(i) === QUOTE) inQuotes = !inQuotes;
        }
      }
      if (cut < 0) continue;
      yield splitRecords(pending.slice(0, cut), quote);
      pending = pending.slice(cut + 1);
    }
    if (pending.replace(/\r?\n?$/, "").length > 0) yield splitRecords(pending, quote);
  } finally {
    reader.releaseLock();
    try {
      handle.close();
    } catch {
      // Already closed by the stream.
    }
  }
}

/** Splits whole records at line breaks outside quotes, dropping a trailing \r. */
function splitRecords(text: string, quote: string): string[] {
  const lines = text.indexOf(quote) < 0 ? text.split("\n") : splitQuoted(text, quote);
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

function splitQuoted(text: string, quote: string): string[] {
  const QUOTE = quote.charCodeAt(0);
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) inQuotes = !inQuotes;
    else if (char === LF && !inQuotes) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/**
 * Streams a delimited file in batches of text columns, read with the same polars options as the
 * eager reader (`dialectCsvOptions`): separator, quote and null markers included.
 */
async function* readDelimitedBatches(
  file: DataFile,
  dialect: CsvDialect,
  batchRows: number,
): AsyncGenerator<RowBatch> {
  const path = file.path;
  const dialectOptions = dialectCsvOptions(dialect);
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
          ...dialectOptions,
          dtypes: Object.fromEntries(columns.map((c) => [c, pl.Utf8])),
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
  for await (const records of csvChunks(file, dialect)) {
    for (const record of records) {
      if (header === null) {
        header = record;
        columns = pl.readCSV(
          `${record}\n`,
          dialectOptions as Parameters<typeof pl.readCSV>[1],
        ).columns;
        if (columns.length === 1) requireSeparatorFits(file, dialect);
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

function emptyInput(path: string): ArtifactError {
  return new ArtifactError(`Cannot read "${path}": the file holds no data rows`);
}
