/**
 * The data format registry: maps each format name and file extension to the reader of that
 * format, so the loader, the lazy scan and the batch reader look formats up instead of
 * switching on names.
 *
 * @module
 */
import type { DataFrame, LazyDataFrame } from "nodejs-polars";
import { extname } from "node:path";
import { ArtifactError, ConfigError, didYouMean } from "../../errors.ts";
import type { Dtype, Encoding } from "../../config/schema.ts";

/** A data file opened for reading: where it is and how big. */
export interface DataFile {
  /** Absolute local path. */
  path: string;
  /** The format's name, for messages. */
  format: string;
  /** Size in bytes. */
  bytes: number;
}

/** One batch of input rows. */
export interface RowBatch {
  /** The rows. Delimited and NDJSON batches hold every column as a string (or null). */
  frame: DataFrame;
  /** 1-based number of the batch's first data row in the file (header excluded). */
  firstRow: number;
}

/**
 * How a text file is written (`data.separator`, `quote`, `encoding`, `null_markers`): what a
 * format's `read`, `lazy` and `scan` receive alike. Only formats listing an option in
 * `textOptions` read it; the others ignore it.
 */
export interface TextReadOptions {
  /** Field separator, or `null` for the format's own; only formats listing it read it. */
  separator?: string | null;
  /** Quote character; only formats listing `quote` in `textOptions` read it. */
  quote?: string;
  /** Text encoding; only formats listing `encoding` in `textOptions` read it. */
  encoding?: Encoding;
  /** Strings read as null in every column; only formats listing `null_markers` read them. */
  nullMarkers?: readonly string[];
}

/** What a format's `read` and `lazy` receive. */
export interface FormatReadOptions extends TextReadOptions {
  /** Columns the caller keeps, in order, or `null` for all; a format may read only these. */
  columns: readonly string[] | null;
  /** Per-column type overrides. */
  dtypes: Record<string, Dtype>;
}

/** The `data.` reading options a text format may understand. */
export type TextReadOption = "separator" | "quote" | "encoding" | "null_markers";

/** What a format's `scan` receives: the batch size and how the text is written. */
export interface FormatScanOptions extends TextReadOptions {
  /** Rows per batch, a positive integer. */
  batchRows: number;
}

/**
 * A file format: its name, the extensions it is picked by, an eager strict reader, and a
 * batch reader with bounded memory for prediction.
 */
export interface DataFormatEntry {
  /** Name used in `data.format`, e.g. `"csv"`. */
  readonly name: string;
  /** File extensions, lowercase with their dot, e.g. `[".ndjson", ".jsonl"]`. */
  readonly extensions: readonly string[];
  /**
   * Reads the whole file, strictly (malformed input is an error naming the file and the place).
   * Returns every column, or only `options.columns` when the format reads a selection cheaper.
   *
   * @param file the opened file
   * @param options the columns kept and the dtype overrides
   */
  read(file: DataFile, options: FormatReadOptions): DataFrame;
  /**
   * Yields the rows in batches of at most `options.batchRows` rows, keeping memory bounded.
   *
   * @param file the opened file
   * @param options the batch size
   */
  scan(file: DataFile, options: FormatScanOptions): AsyncGenerator<RowBatch>;
  /**
   * Opens the file as a lazy frame for `scanDataset`; without it the file is read with `read`
   * and wrapped.
   */
  lazy?(file: DataFile, options: FormatReadOptions): LazyDataFrame;
  /**
   * Whether `read` and `lazy` apply the dtype overrides while parsing; otherwise the loader
   * converts after reading, strictly.
   */
  readonly parsesDtypes?: boolean;
  /**
   * The `data.` reading options the format understands; the loader refuses the others when they
   * differ from their defaults.
   */
  readonly textOptions?: readonly TextReadOption[];
  /** Describes a file that holds columns but no rows, for messages; `width` is the column count. */
  describeEmpty?(width: number): string;
}

const FORMATS = new Map<string, DataFormatEntry>();
const BY_EXTENSION = new Map<string, DataFormatEntry>();

/**
 * Adds a data format, so files with its extensions load, scan and stream through it.
 *
 * @param format the format entry
 * @throws {TypeError} when the name or an extension is already registered, or an extension is
 *   not lowercase with a leading dot
 * @example
 * ```ts
 * registerDataFormat({ name: "kv", extensions: [".kv"], read: readKv, scan: scanKv });
 * ```
 */
export function registerDataFormat(format: DataFormatEntry): void {
  if (typeof format.name !== "string" || format.name.length === 0) {
    throw new TypeError(
      `Cannot register data format: its name is ${
        JSON.stringify(format.name)
      }, expected a non-empty string`,
    );
  }
  if (FORMATS.has(format.name) || format.name === "auto") {
    throw new TypeError(
      `Cannot register data format "${format.name}": a format of that name is already registered; choose another name`,
    );
  }
  for (const extension of format.extensions) {
    if (!/^\.[a-z0-9._-]+$/.test(extension)) {
      throw new TypeError(
        `Cannot register data format "${format.name}": extension ${
          JSON.stringify(extension)
        } is not lowercase with a leading dot, e.g. ".csv"`,
      );
    }
    const owner = BY_EXTENSION.get(extension);
    if (owner !== undefined) {
      throw new TypeError(
        `Cannot register data format "${format.name}": extension "${extension}" is already read as "${owner.name}"`,
      );
    }
  }
  FORMATS.set(format.name, format);
  for (const extension of format.extensions) BY_EXTENSION.set(extension, format);
}

/**
 * Returns the registered format of that name.
 *
 * @param name the format name, as in `data.format`
 * @returns the format entry
 * @throws {ConfigError} for an unknown name, with the closest known name and the full list
 * @example
 * ```ts
 * dataFormat("parquet").extensions; // [".parquet"]
 * ```
 */
export function dataFormat(name: string): DataFormatEntry {
  const format = FORMATS.get(name);
  if (format === undefined) {
    const known = dataFormatNames();
    const message = `unknown format ${JSON.stringify(name)}${didYouMean(name, known)} (known: ${
      JSON.stringify(known)
    })`;
    throw new ConfigError(`Cannot read data: data.format: ${message}; set data.format`, [
      { file: "", line: 0, column: 0, path: "data.format", message },
    ]);
  }
  return format;
}

/**
 * Returns the format a file is read as, from its extension (case does not matter).
 *
 * @param path the file path or URL
 * @returns the format entry
 * @throws {ArtifactError} when the extension is missing or not registered; the message lists
 *   the known extensions
 * @example
 * ```ts
 * dataFormatFor("data/raw/penguins.csv").name; // "csv"
 * dataFormatFor("flights.feather").name; // "arrow"
 * ```
 */
export function dataFormatFor(path: string): DataFormatEntry {
  const extension = extname(path).toLowerCase();
  const format = BY_EXTENSION.get(extension);
  if (format === undefined) {
    const found = extension === ""
      ? "no file extension"
      : `unsupported file extension "${extension}"`;
    throw new ArtifactError(
      `Cannot load dataset "${path}": ${found} (supported: ${
        dataFormatExtensions().join(", ")
      }); rename or convert the file, or set data.format`,
    );
  }
  return format;
}

/**
 * The registered format names, in registration order.
 *
 * @returns the names
 * @example
 * ```ts
 * dataFormatNames(); // ["csv", "tsv", "parquet", "json", "ndjson", "arrow"]
 * ```
 */
export function dataFormatNames(): string[] {
  return [...FORMATS.keys()];
}

/**
 * Every registered extension, in registration order.
 *
 * @returns the extensions, lowercase with their dot
 * @example
 * ```ts
 * dataFormatExtensions(); // [".csv", ".tsv", ".parquet", ...]
 * ```
 */
export function dataFormatExtensions(): string[] {
  return [...BY_EXTENSION.keys()];
}
