/**
 * Strict CSV record reading for request bodies: RFC 4180 quoting, line numbers kept for
 * problems, and a record limit so an oversized body is refused without reading all of it.
 *
 * @module
 */
import { RequestRejectedError } from "../errors.ts";

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  /** Field values; `null` for an empty unquoted field. */
  fields: Array<string | null>;
}

/**
 * Splits CSV text into records strictly (RFC 4180), reading at most `maxRecords` + 1.
 *
 * @param text the request body
 * @param maxRecords the most records the caller accepts (one more is read to tell it was more)
 * @returns the records with their starting lines
 * @throws {RequestRejectedError} when a quote is unbalanced or a quoted field is followed by text
 */
export function readCsvRecords(text: string, maxRecords: number): CsvRecord[] {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: Array<string | null> = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const malformed = (what: string) =>
    new RequestRejectedError(400, "invalid_csv", `Cannot parse the CSV body: ${what}`);
  const endField = () => {
    fields.push(field === "" && !quoted ? null : field);
    field = "";
    quoted = false;
  };
  const endRecord = () => {
    endField();
    const blank = fields.length === 1 && fields[0] === null;
    if (!blank) {
      const expected = records[0]?.fields.length;
      if (expected !== undefined && fields.length !== expected) {
        throw malformed(
          `line ${recordLine} has ${fields.length} field${
            fields.length === 1 ? "" : "s"
          }, expected ${expected} as in the header; quote values that contain ","`,
        );
      }
      records.push({ line: recordLine, fields });
    }
    fields = [];
    recordLine = line;
  };
  while (i < source.length) {
    const char = source[i]!;
    if (char === '"' && field === "" && !quoted) {
      // A quoted field: read to the closing quote; "" inside is one quote.
      quoted = true;
      const start = line;
      i++;
      while (true) {
        const next = source.indexOf('"', i);
        if (next === -1) {
          throw malformed(`the quote opened on line ${start} is never closed`);
        }
        const chunk = source.slice(i, next);
        line += chunk.split("\n").length - 1;
        field += chunk;
        if (source[next + 1] === '"') {
          field += '"';
          i = next + 2;
          continue;
        }
        i = next + 1;
        break;
      }
      const after = source[i];
      if (after !== undefined && after !== "," && after !== "\n" && after !== "\r") {
        throw malformed(`line ${line} has text after a closing quote; quote the whole field`);
      }
      continue;
    }
    if (char === ",") {
      endField();
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && source[i + 1] === "\n") i++;
      line++;
      endRecord();
      if (records.length > maxRecords) return records;
    } else if (quoted) {
      throw malformed(`line ${line} has text after a closing quote; quote the whole field`);
    } else {
      field += char;
    }
    i++;
  }
  if (field !== "" || quoted || fields.length > 0) endRecord();
  return records;
}

// ---------------------------------------------------------------- checks

/** Fields a row may hold: inputs, ids and the target. */
