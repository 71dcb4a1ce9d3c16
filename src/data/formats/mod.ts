/**
 * Data formats: one file per format (CSV and TSV, JSON, NDJSON, Parquet, Arrow IPC), each
 * exporting a `{ name, extensions, read, scan }` entry, and the registry the loader and the
 * batch reader look formats up in. A new format is one file plus one line below.
 *
 * @module
 */
import { registerDataFormat } from "./_registry.ts";
import { ARROW_FORMAT } from "./arrow.ts";
import { CSV_FORMAT, TSV_FORMAT } from "./csv.ts";
import { JSON_FORMAT } from "./json.ts";
import { NDJSON_FORMAT } from "./ndjson.ts";
import { PARQUET_FORMAT } from "./parquet.ts";

registerDataFormat(CSV_FORMAT);
registerDataFormat(TSV_FORMAT);
registerDataFormat(PARQUET_FORMAT);
registerDataFormat(JSON_FORMAT);
registerDataFormat(NDJSON_FORMAT);
registerDataFormat(ARROW_FORMAT);

export {
  dataFormat,
  dataFormatExtensions,
  dataFormatFor,
  dataFormatNames,
  registerDataFormat,
} from "./_registry.ts";
export type {
  DataFile,
  DataFormatEntry,
  FormatReadOptions,
  FormatScanOptions,
  RowBatch,
  TextReadOption,
  TextReadOptions,
} from "./_registry.ts";
export {
  dateMismatch,
  isDatetimeFormat,
  strftimeFields,
  strftimePattern,
} from "./_date_formats.ts";
export { ARROW_FORMAT, CSV_FORMAT, JSON_FORMAT, NDJSON_FORMAT, PARQUET_FORMAT, TSV_FORMAT };
