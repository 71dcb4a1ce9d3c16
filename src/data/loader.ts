/**
 * Reads data files into polars frames, strictly, through the data source of their location and
 * the data format of their extension (see `sources/` and `formats/`).
 *
 * Every read is checked: a missing or empty file, a ragged CSV row, a value that does not parse
 * under a dtype override and invalid JSON are errors that name the file, the line or row and the
 * fix, never silent nulls. Types are inferred from all rows, never from the first hundred.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, DataType, LazyDataFrame } from "nodejs-polars";
import { sep as pathSeparator } from "node:path";
import { ArtifactError, ConfigError, SchemaMismatchError } from "../errors.ts";
import type { Dtype, Encoding } from "../config/schema.ts";
import { dataFormat, dataFormatExtensions, dataFormatFor } from "./formats/mod.ts";
import type {
  DataFile,
  DataFormatEntry,
  FormatReadOptions,
  TextReadOption,
} from "./formats/mod.ts";
import {
  checkOverrideColumns,
  firstLine,
  lazyOf,
  requirePlainNames,
  rowCount,
  schemaOf,
  selectedColumns,
  wrapPolars,
} from "./formats/_checks.ts";
import { applyOverrides, strictConversion } from "./formats/_dtypes.ts";
import { applyDateFormats, requireDateFormatColumns } from "./formats/_date_formats.ts";
import { dataSourceFor } from "./sources/mod.ts";

/** Options for {@link loadDataset} and {@link scanDataset}; `config.data` can be passed as is. */
export interface LoadOptions {
  /**
   * File format name; `"auto"` picks it from the file extension (see `dataFormatFor`).
   * @default "auto"
   */
  format?: string;
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
  /**
   * Field separator of a delimited file; `null` is the format's own (`","` for csv, a tab for
   * tsv). Formats that are not delimited text refuse it.
   * @default null
   */
  separator?: string | null;
  /**
   * Quote character of a delimited file.
   * @default '"'
   */
  quote?: string;
  /**
   * Text encoding of a delimited file: `utf8`, `utf8-lossy` or `latin1`.
   * @default "utf8"
   */
  encoding?: Encoding;
  /**
   * Strings read as null in every column of a delimited file.
   * @default []
   */
  null_markers?: readonly string[];
  /**
   * strftime format of each date or datetime column stored as text; the column becomes `Date`,
   * or `Datetime` when `dtypes` says so or the format has a time of day. Any format.
   * @default {}
   */
  date_formats?: Record<string, string>;
}

/** Defaults merged under the options of {@link loadDataset} and {@link scanDataset}. */
export const DEFAULT_LOAD_OPTIONS: Readonly<Required<LoadOptions>> = Object.freeze({
  format: "auto",
  columns: null,
  dtypes: {},
  separator: null,
  quote: '"',
  encoding: "utf8",
  null_markers: [],
  date_formats: {},
});

/**
 * Returns the format a data file is read as, from its extension (case does not matter).
 *
 * @param path the file path
 * @returns the format name
 * @throws {ArtifactError} when the extension is missing or not registered; the message lists the
 *   supported extensions
 * @example
 * ```ts
 * detectFormat("data/raw/penguins.csv"); // "csv"
 * detectFormat("flights.feather"); // "arrow"
 * ```
 */
export function detectFormat(path: string): string {
  return dataFormatFor(dataSourceFor(path).localPath(path)).name;
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
  const merged = { ...DEFAULT_LOAD_OPTIONS, ...options };
  const { format: requested, columns, date_formats: dateFormats } = merged;
  const { file, format } = openDataFile(path, requested);
  const read = readOptionsFor(file, format, merged);
  const { dtypes } = read;
  let frame = requireSupportedTypes(file, format.read(file, read), dtypes);
  if (format.parsesDtypes !== true) frame = applyOverrides(file, frame, dtypes);
  frame = applyDateFormats(file, frame, dateFormats, merged.dtypes);
  requireRows(file, format, frame);
  if (columns === null) return frame;
  const lazy = lazyOf(frame);
  const keep = selectedColumns(file, lazy.columns, columns);
  if (keep.length === lazy.columns.length && keep.every((name, i) => lazy.columns[i] === name)) {
    return frame;
  }
  return lazy.select(keep).collectSync();
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
  const merged = { ...DEFAULT_LOAD_OPTIONS, ...options };
  const { format: requested, columns } = merged;
  const { file, format } = openDataFile(path, requested);
  // Date formats are checked value by value (a value that does not match is an error), which
  // needs the data: read eagerly.
  if (format.lazy === undefined || Object.keys(merged.date_formats).length > 0) {
    return lazyOf(loadDataset(path, { ...options, format: format.name }));
  }
  const read = readOptionsFor(file, format, merged);
  const { dtypes } = read;
  let lazy = format.lazy(file, read);
  if (format.parsesDtypes !== true) {
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

/**
 * Reads the first bytes of a data file as text, for sniffing its dialect.
 *
 * @param path the file
 * @param bytes how many bytes at most
 * @returns the text (a character cut at the end is replaced)
 * @throws {ArtifactError} when the file cannot be read
 * @example
 * ```ts
 * readTextSample("data/raw/penguins.csv", 4096).split("\n")[0]; // the header
 * ```
 */
export function readTextSample(path: string, bytes: number): string {
  const { file } = openDataFile(path, "auto", { anyExtension: true });
  const handle = Deno.openSync(file.path);
  try {
    const buffer = new Uint8Array(bytes);
    let filled = 0;
    while (filled < bytes) {
      const read = handle.readSync(buffer.subarray(filled));
      if (read === null) break;
      filled += read;
    }
    return new TextDecoder().decode(buffer.subarray(0, filled));
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${file.path}": ${firstLine(cause)}`, { cause });
  } finally {
    handle.close();
  }
}

// ---------------------------------------------------------------- opening and checks

const TEXT_DEFAULTS: Readonly<Record<TextReadOption, unknown>> = {
  separator: null,
  quote: '"',
  encoding: "utf8",
  null_markers: [],
};

/**
 * The options a format reads: refuses text options the format does not understand, and reads
 * the date-format columns as text (they are parsed after reading).
 */
function readOptionsFor(
  file: DataFile,
  format: DataFormatEntry,
  options: Required<LoadOptions>,
): FormatReadOptions {
  const understood = format.textOptions ?? [];
  for (const key of Object.keys(TEXT_DEFAULTS) as TextReadOption[]) {
    const value = options[key];
    if (understood.includes(key) || JSON.stringify(value) === JSON.stringify(TEXT_DEFAULTS[key])) {
      continue;
    }
    const message = `the ${format.name} format does not read data.${key} (set to ${
      JSON.stringify(value)
    }); it applies to delimited text files (csv, tsv) only`;
    throw new ConfigError(
      `Cannot load dataset "${file.path}": ${message}; remove data.${key}`,
      [{ file: "", line: 0, column: 0, path: `data.${key}`, message }],
    );
  }
  requireDateFormatColumns(file, options.date_formats, options.dtypes);
  const dtypes = { ...options.dtypes };
  for (const name of Object.keys(options.date_formats)) dtypes[name] = "string";
  return {
    columns: options.columns,
    dtypes,
    separator: options.separator,
    quote: options.quote,
    encoding: options.encoding,
    nullMarkers: options.null_markers,
  };
}

function openDataFile(
  location: string,
  requested: string,
  options: { anyExtension?: boolean } = {},
): { file: DataFile; format: DataFormatEntry } {
  const source = dataSourceFor(location);
  const absolute = source.localPath(location);
  const format = requested !== "auto"
    ? dataFormat(requested)
    : options.anyExtension === true
    ? (dataFormatExtensions().some((e) => absolute.toLowerCase().endsWith(e))
      ? dataFormatFor(absolute)
      : dataFormat("csv"))
    : dataFormatFor(absolute);
  const info = source.stat(location);
  if (info === null) {
    const underRaw = absolute.includes(`${pathSeparator}data${pathSeparator}raw${pathSeparator}`);
    const remedy = underRaw
      ? "check the path; the files listed in data/manifest.json are copied there by `deno task data:pull`"
      : "check data.path in the profile (config/profiles/<name>.yaml)";
    throw new ArtifactError(
      `Cannot load dataset "${absolute}": the file does not exist; ${remedy}`,
    );
  }
  if (!info.isFile) {
    throw new ArtifactError(
      `Cannot load dataset "${absolute}": it is not a file, expected a ${format.name} file`,
    );
  }
  if (info.bytes === 0) {
    throw new ArtifactError(
      `Cannot load dataset "${absolute}": the file is empty (0 bytes); restore or regenerate it`,
    );
  }
  return { file: { path: absolute, format: format.name, bytes: info.bytes }, format };
}

function requireRows(file: DataFile, format: DataFormatEntry, frame: DataFrame): void {
  const lazy = lazyOf(frame);
  if (rowCount(lazy) > 0) return;
  const width = lazy.columns.length;
  const found = format.describeEmpty?.(width) ?? `the file holds no rows (${width} columns)`;
  throw new ArtifactError(
    `Cannot load dataset "${file.path}": ${found}; add data or point data.path at another file`,
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
