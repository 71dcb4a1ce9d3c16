/**
 * The `json` format: one JSON array of records (`.json`). It has no streaming reader: batches are
 * cut from the whole file read at once.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { Buffer } from "node:buffer";
import { ArtifactError } from "../../errors.ts";
import type { DataFile, DataFormatEntry, RowBatch } from "./_registry.ts";
import { wrapPolars } from "./_checks.ts";
import { firstLine } from "./_checks.ts";

const LF = 10;
const CR = 13;

/** The `json` format: a JSON array of records. */
export const JSON_FORMAT: DataFormatEntry = {
  name: "json",
  extensions: [".json"],
  read: (file) => readJsonArray(file),
  scan: (file, options) => jsonBatches(file, options.batchRows),
  describeEmpty: () => "the file holds no records",
};

async function* jsonBatches(file: DataFile, batchRows: number): AsyncGenerator<RowBatch> {
  const all = readJsonArray(file);
  if (all.height === 0) {
    throw new ArtifactError(`Cannot read "${file.path}": the file holds no data rows`);
  }
  for (let offset = 0; offset < all.height; offset += batchRows) {
    yield { frame: all.slice(offset, batchRows), firstRow: offset + 1 };
  }
}

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
