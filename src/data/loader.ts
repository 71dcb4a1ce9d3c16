/**
 * Reads data files (CSV, TSV, Parquet, JSON, NDJSON, Arrow IPC) into polars frames, strictly.
 *
 * Every read is checked: a missing or empty file, a ragged CSV row, a value that does not parse
 * under a dtype override and invalid JSON are errors that name the file, the line or row and the
 * fix, never silent nulls. Types are inferred from all rows, never from the first hundred.
 *
 * @module
 */
import pl from "nodejs-polars";
import type {
  DataFrame,
  DataType,
  Expr,
  LazyDataFrame,
  ReadCsvOptions,
  ScanCsvOptions,
} from "nodejs-polars";
import { Buffer } from "node:buffer";
import { extname, resolve, sep as pathSeparator } from "node:path";
import { ArtifactError, didYouMean, SchemaMismatchError } from "../errors.ts";
import type { DataFormat, Dtype } from "../config/schema.ts";

/** Options for {@link loadDataset} and {@link scanDataset}; `config.data` can be passed as is. */
export interface LoadOptions {
  /**
   * File format; `"auto"` picks it from the file extension (see {@link FORMAT_BY_EXTENSION}).
   * @default "auto"
   */
  format?: DataFormat | "auto";
  /**
   * Columns to keep, in this order; `null` keeps every column.
   * @default null
   */
  columns?: string[] | null;
  /**
   * Per-column type overrides. CSV and TSV apply them while parsing; other formats cast after
   * reading, strictly: a value that does not convert is an error, never a null.
   * @default {}
   */
  dtypes?: Record<string, Dtype>;
}

/** Defaults merged under the options of {@link loadDataset} and {@link scanDataset}. */
export const DEFAULT_LOAD_OPTIONS: Readonly<Required<LoadOptions>> = Object.freeze({
  format: "auto",
  columns: null,
  dtypes: {},
});

/** The format each supported file extension (lowercase, with its dot) is read as. */
export const FORMAT_BY_EXTENSION: Readonly<Record<string, DataFormat>> = Object.freeze({
  ".csv": "csv",
  ".tsv": "tsv",
  ".parquet": "parquet",
  ".json": "json",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".arrow": "arrow",
  ".ipc": "arrow",
  ".feather": "arrow",
});

const SUPPORTED_EXTENSIONS = Object.keys(FORMAT_BY_EXTENSION).join(", ");
const LF = 10;
const CR = 13;
const QUOTE = 34;
const READ_CHUNK_BYTES = 1 << 20;
const MAX_REPORTED_LINES = 5;

/**
 * Returns the format a data file is read as, from its extension (case does not matter).
 *
 * @param path the file path
 * @returns the format name
 * @throws {ArtifactError} when the extension is missing or not supported; the message lists the
 *   supported extensions
 * @example
 * ```ts
 * detectFormat("data/raw/penguins.csv"); // "csv"
 * detectFormat("flights.feather"); // "arrow"
 * ```
 */
export function detectFormat(path: string): DataFormat {
  const extension = extname(path).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension];
  if (format === undefined) {
    const found = extension === ""
      ? "no file extension"
      : `unsupported file extension "${extension}"`;
    throw new ArtifactError(
      `Cannot load dataset "${resolve(path)}": ${found} (supported: ${SUPPORTED_EXTENSIONS}); ` +
        `rename or convert the file, or set data.format`,
    );
  }
  return format;
}

/**
 * Reads a data file into a frame, checking it strictly.
 *
 * Types are inferred from every row. CSV and TSV files must be rectangular: a row with too many
 * or too few fields (a blank line included) is reported with its 1-based line number. Dtype
 * overrides that a value does not satisfy are reported with the column, the row and the value.
 *
 * @param path the file, relative to the working directory or absolute
 * @param options format, column selection and dtype overrides; `config.data` fits
 * @returns the frame, with the selected columns in the requested order
 * @throws {ArtifactError} when the file is missing (the message shows the absolute path), has an
 *   unsupported extension, is empty or has a header only, has a ragged row, is not valid JSON,
 *   or polars cannot read it
 * @throws {SchemaMismatchError} when a selected or overridden column does not exist, or a value
 *   does not convert to its override type
 * @example
 * ```ts
 * const df = loadDataset("data/raw/penguins.csv", { columns: ["Species", "Body Mass (g)"] });
 * const typed = loadDataset("cars.json", { dtypes: { Year: "date" } });
 * ```
 */
export function loadDataset(path: string, options: LoadOptions = {}): DataFrame {
  const { format, columns, dtypes } = { ...DEFAULT_LOAD_OPTIONS, ...options };
  const file = openDataFile(path, format);
  let frame: DataFrame;
  switch (file.format) {
    case "csv":
    case "tsv":
      frame = requireSupportedTypes(file, readDelimited(file, dtypes), dtypes);
      break;
    case "json":
      frame = applyOverrides(
        file,
        requireSupportedTypes(file, readJsonArray(file), dtypes),
        dtypes,
      );
      break;
    case "ndjson":
      frame = applyOverrides(
        file,
        requireSupportedTypes(file, readJsonLines(file), dtypes),
        dtypes,
      );
      break;
    case "parquet":
    case "arrow": {
      const lazy = scanBinary(file);
      checkOverrideColumns(file, lazy.columns, dtypes);
      const keep = columns === null ? null : selectedColumns(file, lazy.columns, columns);
      frame = requireSupportedTypes(
        file,
        collect(file, keep === null ? lazy : lazy.select(keep)),
        dtypes,
      );
      requireRows(file, frame);
      return applyOverrides(file, frame, dtypes);
    }
  }
  requireRows(file, frame);
  if (columns === null) return frame;
  const lazy = lazyOf(frame);
  return lazy.select(selectedColumns(file, lazy.columns, columns)).collectSync();
}

/**
 * Opens a data file as a lazy frame, so polars can push column selection and filters into the
 * scan.
 *
 * CSV, TSV, Parquet, NDJSON and Arrow IPC are scanned lazily; JSON arrays have no lazy reader
 * and are read eagerly with {@link loadDataset}, then wrapped. Types are inferred from every row.
 * Checks that need the data itself happen when the frame is collected and surface as polars
 * errors naming the column and the values: CSV rows with too many fields, values that do not
 * parse under a CSV override, and values that do not convert under an override of another
 * format (converted strictly, never to null). CSV rows with too few fields cannot be told apart
 * from empty trailing fields without reading the file: use {@link loadDataset} when the file is
 * untrusted.
 *
 * @param path the file, relative to the working directory or absolute
 * @param options format, column selection and dtype overrides; `config.data` fits
 * @returns a lazy frame of the selected columns
 * @throws {ArtifactError} when the file is missing, has an unsupported extension, is empty or
 *   polars cannot open it
 * @throws {SchemaMismatchError} when a selected or overridden column does not exist, or a column's
 *   type cannot be converted to its override at all (a date to a number, say)
 * @example
 * ```ts
 * const heavy = scanDataset("data/raw/flights-3m.parquet", { columns: ["delay", "distance"] })
 *   .filter(pl.col("delay").gt(60))
 *   .collectSync();
 * ```
 */
export function scanDataset(path: string, options: LoadOptions = {}): LazyDataFrame {
  const { format, columns, dtypes } = { ...DEFAULT_LOAD_OPTIONS, ...options };
  const file = openDataFile(path, format);
  if (file.format === "json") return lazyOf(loadDataset(path, { ...options, format: "json" }));
  let lazy: LazyDataFrame;
  if (file.format === "csv" || file.format === "tsv") {
    lazy = scanDelimited(file, dtypes);
  } else {
    lazy = file.format === "ndjson" ? scanJsonLines(file) : scanBinary(file);
    checkOverrideColumns(file, lazy.columns, dtypes);
    if (Object.keys(dtypes).length > 0) {
      let sources: Map<string, DataType>;
      try {
        sources = schemaOf(lazy);
      } catch (cause) {
        throw wrapPolars(file, cause);
      }
      lazy = lazy.withColumns(
        ...Object.entries(dtypes).map(([name, dtype]) =>
          strictConversion(file, name, sources.get(name)!, dtype)
        ),
      );
    }
  }
  return columns === null ? lazy : lazy.select(selectedColumns(file, lazy.columns, columns));
}

// ---------------------------------------------------------------- opening and checks

interface DataFile {
  /** Absolute path. */
  path: string;
  format: DataFormat;
  bytes: number;
}

function openDataFile(path: string, format: DataFormat | "auto"): DataFile {
  const absolute = resolve(path);
  const resolved = format === "auto" ? detectFormat(absolute) : format;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(absolute);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      const underRaw = absolute.includes(`${pathSeparator}data${pathSeparator}raw${pathSeparator}`);
      const remedy = underRaw
        ? "run `deno task data:pull` to download the raw datasets"
        : "check data.path in config/config.yaml";
      throw new ArtifactError(
        `Cannot load dataset "${absolute}": the file does not exist; ${remedy}`,
        { cause },
      );
    }
    throw new ArtifactError(`Cannot load dataset "${absolute}": the file cannot be read`, {
      cause,
    });
  }
  if (!info.isFile) {
    throw new ArtifactError(
      `Cannot load dataset "${absolute}": it is not a file, expected a ${resolved} file`,
    );
  }
  if (info.size === 0) {
    throw new ArtifactError(
      `Cannot load dataset "${absolute}": the file is empty (0 bytes); restore or regenerate it`,
    );
  }
  return { path: absolute, format: resolved, bytes: info.size };
}

function requireRows(file: DataFile, frame: DataFrame): void {
  const lazy = lazyOf(frame);
  if (rowCount(lazy) > 0) return;
  const width = lazy.columns.length;
  const found = file.format === "csv" || file.format === "tsv"
    ? `the file has a header line (${width} columns) but no data rows`
    : file.format === "json"
    ? "the file holds no records"
    : `the file holds no rows (${width} columns)`;
  throw new ArtifactError(
    `Cannot load dataset "${file.path}": ${found}; add data or point data.path at another file`,
  );
}

/**
 * The frame as a lazy frame. Polars frames expose their columns as properties, so a column named
 * "height", "select" or "columns" hides the frame member of that name; lazy frames do not.
 */
function lazyOf(frame: DataFrame): LazyDataFrame {
  if (typeof (frame as { lazy: unknown }).lazy !== "function") {
    throw new SchemaMismatchError(
      `Cannot process a frame with a column named "lazy": nodejs-polars reserves that name for ` +
        `DataFrame.lazy(); rename the column`,
    );
  }
  return frame.lazy();
}

/**
 * Refuses column names that polars reads as patterns, not names: `^...$` is a regular expression
 * and `*` every column, so `pl.col(name)` would select other columns or none, and every step
 * after loading would fail or check the wrong data.
 */
function requirePlainNames(file: DataFile, columns: readonly string[]): void {
  const patterns = columns.filter((name) => name === "*" || /^\^[\s\S]*\$$/.test(name));
  if (patterns.length === 0) return;
  throw new SchemaMismatchError(
    `Cannot load dataset "${file.path}": column name${patterns.length === 1 ? "" : "s"} ${
      patterns.map((name) => JSON.stringify(name)).join(", ")
    } ${
      patterns.length === 1 ? "is" : "are"
    } read by polars as a pattern (a name starting with "^" and ending with "$" is a regular expression, "*" is every column), not a name; rename ${
      patterns.length === 1 ? "it" : "them"
    } in the file`,
  );
}

/**
 * Handles columns whose polars type JavaScript cannot handle: numbers written as integers beyond
 * the 64-bit range (JSON writes 2^63 as 9223372036854776000) are read as Int128, and every later
 * step that looks at the column's type would fail with a bare polars error. A `float` or
 * `string` override converts them; without one they are refused.
 */
function requireSupportedTypes(
  file: DataFile,
  frame: DataFrame,
  dtypes: Record<string, Dtype>,
): DataFrame {
  const lazy = lazyOf(frame);
  requirePlainNames(file, lazy.columns);
  try {
    schemaOf(lazy);
    return frame;
  } catch (cause) {
    const bad = lazy.columns.filter((name) => {
      try {
        void lazy.select(pl.col(name).alias("__0__")).head(0).collectSync().dtypes;
        return false;
      } catch {
        return true;
      }
    });
    if (bad.length === 0) throw wrapPolars(file, cause);
    const refused = bad.filter((name) => dtypes[name] !== "float" && dtypes[name] !== "string");
    if (refused.length === 0) {
      try {
        return lazy.withColumns(
          ...bad.map((name) => pl.col(name).cast(dtypes[name] === "float" ? pl.Float64 : pl.Utf8)),
        ).collectSync();
      } catch (castCause) {
        throw wrapPolars(file, castCause);
      }
    }
    throw new SchemaMismatchError(
      `Cannot load dataset "${file.path}": column${refused.length === 1 ? "" : "s"} ${
        refused.map((name) => `"${name}"`).join(", ")
      } hold${refused.length === 1 ? "s" : ""} a type that cannot be processed (${
        firstLine(cause).replace(/ is not supported.*$/, "")
      }, e.g. integers beyond the 64-bit range); set data.dtypes."${
        refused[0]
      }" to float or string, or store the values as text`,
      { cause },
    );
  }
}

/** Column types of a lazy frame, read under private names that no frame member shadows. */
function schemaOf(lazy: LazyDataFrame): Map<string, DataType> {
  const names = lazy.columns;
  const probe = lazy.select(names.map((name, i) => pl.col(name).alias(`__${i}__`))).head(0)
    .collectSync();
  const types = probe.dtypes;
  return new Map(names.map((name, i) => [name, types[i]!]));
}

function rowCount(lazy: LazyDataFrame): number {
  return Number(lazy.select(pl.len().alias("__rows__")).collectSync().toRecords()[0]!["__rows__"]);
}

function selectedColumns(
  file: DataFile,
  available: readonly string[],
  wanted: readonly string[],
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of wanted) {
    if (seen.has(name)) problems.push(`column "${name}" is listed twice`);
    seen.add(name);
    if (!available.includes(name)) {
      problems.push(`unknown column "${name}"${didYouMean(name, available)}`);
    }
  }
  if (problems.length > 0) {
    throw new SchemaMismatchError(
      `Cannot select columns from "${file.path}": ${problems.join("; ")} ` +
        `(available: ${JSON.stringify(available)}); fix data.columns`,
    );
  }
  return [...wanted];
}

function checkOverrideColumns(
  file: DataFile,
  available: readonly string[],
  dtypes: Record<string, Dtype>,
): void {
  const unknown = Object.keys(dtypes).filter((name) => !available.includes(name));
  if (unknown.length === 0) return;
  const listed = unknown.map((name) => `"${name}"${didYouMean(name, available)}`).join("; ");
  throw new SchemaMismatchError(
    `Cannot apply dtype overrides to "${file.path}": unknown column ${listed} ` +
      `(available: ${JSON.stringify(available)}); fix data.dtypes`,
  );
}

function collect(file: DataFile, lazy: LazyDataFrame): DataFrame {
  try {
    return lazy.collectSync();
  } catch (cause) {
    throw wrapPolars(file, cause);
  }
}

function wrapPolars(file: DataFile, cause: unknown): ArtifactError {
  return new ArtifactError(
    `Cannot load dataset "${file.path}" as ${file.format}: ${firstLine(cause)}; ` +
      `check that the file is valid ${file.format} or set data.format`,
    { cause },
  );
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim();
}

// ---------------------------------------------------------------- CSV and TSV

function delimiter(format: DataFormat): string {
  return format === "tsv" ? "\t" : ",";
}

/** Rows polars reads to infer CSV types before falling back to every row (see readDelimited). */
const CSV_INFER_ROWS = 10_000;

function csvOptions(file: DataFile, inferRows: "all" | number): Partial<ReadCsvOptions> {
  return {
    sep: delimiter(file.format),
    hasHeader: true,
    quoteChar: '"',
    ignoreErrors: false,
    truncateRaggedLines: false,
    raiseIfEmpty: true,
    // `null` ("all rows") reaches the binding as 0, which reads every column as text; the line
    // count is an exact upper bound on the rows instead.
    inferSchemaLength: inferRows === "all" ? countLines(file.path) + 1 : inferRows,
  };
}

const CSV_PARSE_ERROR = /could not parse `(.*)` as dtype `(.*)` at column '(.*)'/;

function readDelimited(file: DataFile, dtypes: Record<string, Dtype>): DataFrame {
  const overrides = Object.fromEntries(
    Object.entries(dtypes).map(([name, dtype]) => [name, polarsDtype(dtype)]),
  );
  let frame: DataFrame;
  try {
    frame = readCsvFile(file, { ...csvOptions(file, CSV_INFER_ROWS), dtypes: overrides });
  } catch (cause) {
    // Parsing is strict, so a type inferred from the first rows that a later value breaks is an
    // error, never a null: read again inferring from every row (slower, so only when needed).
    const parse = CSV_PARSE_ERROR.exec(firstLine(cause));
    if (parse === null || Object.hasOwn(dtypes, parse[3]!)) {
      throw explainCsvFailure(file, dtypes, csvOptions(file, "all"), cause);
    }
    try {
      frame = readCsvFile(file, { ...csvOptions(file, "all"), dtypes: overrides });
    } catch (again) {
      throw explainCsvFailure(file, dtypes, csvOptions(file, "all"), again);
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
      const ragged = raggedLines(file);
      if (ragged !== null) throw ragged;
    }
  }
  checkOverrideColumns(file, lazy.columns, dtypes);
  return frame;
}

function readCsvFile(file: DataFile, options: Partial<ReadCsvOptions>): DataFrame {
  // readCSV treats a string without a .csv/.tsv extension as CSV text, not a path.
  const extension = extname(file.path);
  const source = extension === ".csv" || extension === ".tsv"
    ? file.path
    : Buffer.from(Deno.readFileSync(file.path));
  return pl.readCSV(source, options);
}

function explainCsvFailure(
  file: DataFile,
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
  const ragged = raggedLines(file);
  if (ragged !== null) return ragged;
  const parse = CSV_PARSE_ERROR.exec(message);
  if (parse !== null && Object.keys(dtypes).length > 0) {
    // Re-read the overridden columns as text to find the first bad value and its row.
    const text = Object.fromEntries(Object.keys(dtypes).map((name) => [name, pl.Utf8]));
    let raw: DataFrame | null = null;
    try {
      raw = readCsvFile(file, { ...options, dtypes: text });
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
        if (bad !== null) return conversionError(file, name, dtype, bad, cause);
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

function scanDelimited(file: DataFile, dtypes: Record<string, Dtype>): LazyDataFrame {
  // A lazy scan cannot retry at collect time, so it infers from every row up front.
  const options = csvOptions(file, "all");
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
  separator: string,
  visit: (record: CsvRecord) => boolean,
): void {
  const sepByte = separator.charCodeAt(0);
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
function raggedLines(file: DataFile): ArtifactError | null {
  let expected = 0;
  let count = 0;
  const first: CsvRecord[] = [];
  walkCsvRecords(file.path, delimiter(file.format), (record) => {
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
  const separator = file.format === "tsv" ? "tab" : '","';
  return new ArtifactError(
    `Cannot load dataset "${file.path}": line ${head.line} ${found}, expected ${expected} as in ` +
      `the header${others}; fix the row, or quote values that contain ${separator}`,
  );
}

/** Returns the 1-based line on which data row `row` (1-based) starts. */
function lineOfRow(file: DataFile, row: number): number {
  let line = row + 1;
  walkCsvRecords(file.path, delimiter(file.format), (record) => {
    if (record.index === row) {
      line = record.line;
      return false;
    }
    return true;
  });
  return line;
}

// ---------------------------------------------------------------- JSON

function readJsonArray(file: DataFile): DataFrame {
  const bytes = Deno.readFileSync(file.path);
  const start = bytes.findIndex((byte) => !isJsonSpace(byte));
  if (start === -1) {
    throw new ArtifactError(
      `Cannot load dataset "${file.path}": the file holds only white space (${file.bytes} bytes); ` +
        `restore or regenerate it`,
    );
  }
  if (bytes[start] !== "[".charCodeAt(0)) {
    throw new ArtifactError(
      `Cannot load dataset "${file.path}": expected a JSON array of records, found ` +
        `"${String.fromCharCode(bytes[start]!)}" at ${
          position(bytes, start)
        }; wrap the records in ` +
        `[ ] or save one record per line as .ndjson`,
    );
  }
  try {
    // inferSchemaLength: null infers the types from every record (the default of 50 reads a
    // float column whose first values are whole numbers as integers).
    return pl.readJSON(Buffer.from(bytes), { format: "json", inferSchemaLength: null });
  } catch (cause) {
    const message = firstLine(cause);
    const at = /^(.*?) at character (\d+)/.exec(message);
    if (at === null) throw wrapPolars(file, cause);
    const offset = Number(at[2]);
    throw new ArtifactError(
      `Cannot load dataset "${file.path}": invalid JSON at ${position(bytes, offset)}: ${at[1]}; ` +
        `fix the file`,
      { cause },
    );
  }
}

function isJsonSpace(byte: number): boolean {
  return byte === 32 || byte === 9 || byte === LF || byte === CR;
}

/** Describes a byte offset as a 1-based line and column. */
function position(bytes: Uint8Array, offset: number): string {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, bytes.length);
  for (let at = bytes.indexOf(LF); at !== -1 && at < end; at = bytes.indexOf(LF, at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return `line ${line}, column ${end - lineStart + 1}`;
}

function scanJsonLines(file: DataFile): LazyDataFrame {
  try {
    return pl.scanJson(file.path, { inferSchemaLength: null });
  } catch (cause) {
    throw explainJsonLines(file, cause);
  }
}

function readJsonLines(file: DataFile): DataFrame {
  const lazy = scanJsonLines(file);
  try {
    return lazy.collectSync();
  } catch (cause) {
    throw explainJsonLines(file, cause);
  }
}

function explainJsonLines(file: DataFile, cause: unknown): ArtifactError {
  const lines = Deno.readTextFileSync(file.path).split("\n");
  let records = 0;
  for (const [index, text] of lines.entries()) {
    if (text.trim() === "") continue;
    records++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return new ArtifactError(
        `Cannot load dataset "${file.path}": line ${index + 1} is not valid JSON ` +
          `(${(error as Error).message}); fix the line`,
        { cause },
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const kind = Array.isArray(value)
        ? "an array"
        : value === null
        ? "null"
        : `a ${typeof value}`;
      return new ArtifactError(
        `Cannot load dataset "${file.path}": line ${index + 1} holds ${kind}, expected a JSON ` +
          `object (one record per line)`,
        { cause },
      );
    }
  }
  if (records === 0) {
    return new ArtifactError(
      `Cannot load dataset "${file.path}": the file holds only blank lines (${file.bytes} bytes); ` +
        `restore or regenerate it`,
      { cause },
    );
  }
  return wrapPolars(file, cause);
}

// ---------------------------------------------------------------- Parquet and Arrow IPC

function scanBinary(file: DataFile): LazyDataFrame {
  try {
    const lazy = file.format === "parquet" ? pl.scanParquet(file.path) : pl.scanIPC(file.path);
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

// ---------------------------------------------------------------- dtype overrides

function polarsDtype(dtype: Dtype): DataType {
  switch (dtype) {
    case "string":
      return pl.Utf8;
    case "float":
      return pl.Float64;
    case "int":
      return pl.Int64;
    case "bool":
      return pl.Bool;
    case "date":
      return pl.Date;
    case "datetime":
      return pl.Datetime("us");
  }
}

type SourceKind = "string" | "float" | "int" | "bool" | "date" | "datetime" | "other";

function sourceKind(dtype: DataType): SourceKind {
  switch (dtype.variant) {
    case "Utf8":
    case "String":
    case "Categorical":
      return "string";
    case "Float32":
    case "Float64":
      return "float";
    case "Int8":
    case "Int16":
    case "Int32":
    case "Int64":
    case "UInt8":
    case "UInt16":
    case "UInt32":
    case "UInt64":
      return "int";
    case "Bool":
      return "bool";
    case "Date":
      return "date";
    case "Datetime":
      return "datetime";
    default:
      return "other";
  }
}

const CONVERTIBLE: Readonly<Record<Dtype, readonly SourceKind[]>> = {
  string: ["string", "float", "int", "bool", "date", "datetime"],
  float: ["string", "float", "int", "bool"],
  int: ["string", "float", "int", "bool"],
  bool: ["string", "int", "bool"],
  date: ["string", "date", "datetime"],
  datetime: ["string", "date", "datetime"],
};

/**
 * Marks the values of `name` that do not convert to `dtype`: a non-null value that converts to
 * null, or a fraction cast to an integer.
 */
function badValues(name: string, source: SourceKind, dtype: Dtype): Expr {
  const column = pl.col(name);
  let value: Expr;
  let lossy: Expr | null = null;
  if (!CONVERTIBLE[dtype].includes(source)) {
    value = pl.lit(null);
  } else if (dtype === "bool" && source === "string") {
    const lower = column.str.toLowerCase();
    value = pl.when(lower.eq(pl.lit("true"))).then(pl.lit(true))
      .when(lower.eq(pl.lit("false"))).then(pl.lit(false))
      .otherwise(pl.lit(null));
  } else if (dtype === "bool" && source === "int") {
    value = pl.when(column.eq(pl.lit(1))).then(pl.lit(true))
      .when(column.eq(pl.lit(0))).then(pl.lit(false))
      .otherwise(pl.lit(null));
  } else if (dtype === "datetime" && source === "string") {
    value = isoDatetime(column).cast(polarsDtype(dtype));
  } else {
    value = column.cast(polarsDtype(dtype));
    if (dtype === "int" && source === "float") lossy = column.neq(column.floor());
  }
  const failed = column.isNotNull().and(value.isNull());
  return lossy === null ? failed : failed.or(lossy);
}

/** The override as an expression that raises (when collected) on a value that does not convert. */
function strictConversion(file: DataFile, name: string, source: DataType, dtype: Dtype): Expr {
  const kind = requireConvertible(file, name, source, dtype);
  const column = pl.col(name);
  if (dtype === "bool" && kind === "string") {
    return column.str.toLowerCase().replaceStrict(
      ["true", "false"],
      [true, false] as never,
      undefined,
      pl.Bool,
    )
      .alias(name);
  }
  if (dtype === "bool" && kind === "int") {
    return column.replaceStrict([0, 1], [false, true] as never, undefined, pl.Bool).alias(name);
  }
  if (dtype === "int" && kind === "float") {
    // A fraction becomes NaN, which the strict cast rejects.
    const whole = column.isNull().or(column.eq(column.floor()));
    return pl.when(whole).then(column).otherwise(pl.lit(NaN)).cast(pl.Int64, true).alias(name);
  }
  if (dtype === "datetime" && kind === "string") {
    return isoDatetime(column).cast(polarsDtype(dtype), true).alias(name);
  }
  return column.cast(polarsDtype(dtype), true).alias(name);
}

/**
 * Rewrites the ISO forms the CSV parser accepts for datetimes ("2020-01-02" and
 * "2020-01-02 10:11:12") into the "T" form that polars' string cast expects.
 */
function isoDatetime(column: Expr): Expr {
  return column.str.replace("^(\\d{4}-\\d{2}-\\d{2})$", "${1}T00:00:00")
    .str.replace("^(\\d{4}-\\d{2}-\\d{2}) ", "${1}T");
}

function requireConvertible(
  file: DataFile,
  name: string,
  source: DataType,
  dtype: Dtype,
): SourceKind {
  const kind = sourceKind(source);
  if (!CONVERTIBLE[dtype].includes(kind)) {
    const type = kind === "other" ? source.variant : kind;
    throw new SchemaMismatchError(
      `Cannot apply dtype override to "${file.path}": column "${name}" holds ${type} values, which ` +
        `do not convert to ${dtype}; remove or fix data.dtypes."${name}"`,
    );
  }
  return kind;
}

interface BadValue {
  /** 1-based data row. */
  row: number;
  value: unknown;
  /** How many values fail in the column. */
  count: number;
}

function firstBadValue(
  lazy: LazyDataFrame,
  name: string,
  source: DataType,
  dtype: Dtype,
): BadValue | null {
  const bad = badValues(name, sourceKind(source), dtype);
  const counted = Number(
    lazy.select(bad.sum().alias("__count__")).collectSync().toRecords()[0]!["__count__"],
  );
  if (!(counted > 0)) return null;
  const [first] = lazy
    .select(
      pl.intRange(1, pl.len().add(1)).alias("__row__"),
      pl.col(name).alias("__value__"),
      bad.alias("__bad__"),
    )
    .filter(pl.col("__bad__"))
    .head(1)
    .collectSync()
    .toRecords();
  return { row: Number(first!["__row__"]), value: first!["__value__"], count: counted };
}

function conversionError(
  file: DataFile,
  name: string,
  dtype: Dtype,
  bad: BadValue,
  cause?: unknown,
) {
  const isText = file.format === "csv" || file.format === "tsv";
  const where = isText ? `row ${bad.row} (line ${lineOfRow(file, bad.row)})` : `row ${bad.row}`;
  const shown = typeof bad.value === "string" ? `"${bad.value}"` : String(bad.value);
  const others = bad.count > 1 ? ` (${bad.count} values fail in all)` : "";
  return new SchemaMismatchError(
    `Cannot load dataset "${file.path}": column "${name}" has value ${shown} at ${where} that ` +
      `does not convert to ${dtype}${others}; fix the data or change data.dtypes."${name}"`,
    { cause },
  );
}

/** Applies dtype overrides after reading, strictly; a value that does not convert is an error. */
function applyOverrides(
  file: DataFile,
  frame: DataFrame,
  dtypes: Record<string, Dtype>,
): DataFrame {
  const entries = Object.entries(dtypes);
  if (entries.length === 0) return frame;
  const lazy = lazyOf(frame);
  checkOverrideColumns(file, lazy.columns, dtypes);
  const sources = schemaOf(lazy);
  for (const [name, dtype] of entries) {
    requireConvertible(file, name, sources.get(name)!, dtype);
    const bad = firstBadValue(lazy, name, sources.get(name)!, dtype);
    if (bad !== null) throw conversionError(file, name, dtype, bad);
  }
  try {
    return lazy.withColumns(
      ...entries.map(([name, dtype]) => strictConversion(file, name, sources.get(name)!, dtype)),
    ).collectSync();
  } catch (cause) {
    if (cause instanceof SchemaMismatchError) throw cause;
    throw wrapPolars(file, cause);
  }
}
