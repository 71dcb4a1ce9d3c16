/**
 * Sniffing a delimited file's dialect from a sample of its first lines: the separator, the quote
 * character and whether the first line is a header.
 *
 * @module
 */
import { SchemaMismatchError } from "../../errors.ts";

/** What {@link sniffDialect} found. */
export interface SniffedDialect {
  /** The field separator: `","`, `";"`, a tab or `"|"`. */
  separator: string;
  /** The quote character: `'"'` or `"'"`. */
  quote: string;
  /** The header's field names, as written (quotes removed). */
  header: string[];
}

/** Separators tried, most common first. */
export const SNIFFED_SEPARATORS: readonly string[] = [",", ";", "\t", "|"];
const QUOTES = ['"', "'"];
/** Lines of the sample that are looked at. */
const SAMPLE_LINES = 50;

/** Splits one line into fields, honouring quotes (a doubled quote inside quotes is a quote). */
export function splitLine(line: string, separator: string, quote: string): string[] {
  const fields: string[] = [];
  let field = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (inQuotes) {
      if (char === quote && line[i + 1] === quote) {
        field += quote;
        i++;
      } else if (char === quote) inQuotes = false;
      else field += char;
    } else if (char === quote && field.length === 0) inQuotes = true;
    else if (char === separator) {
      fields.push(field);
      field = "";
    } else field += char;
  }
  fields.push(field);
  return fields;
}

/** Whole lines of the sample; a quoted line break keeps its record on one entry. */
function sampleRecords(sample: string, quote: string): string[] {
  const records: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < sample.length && records.length < SAMPLE_LINES; i++) {
    const char = sample[i];
    if (char === quote) inQuotes = !inQuotes;
    else if (char === "\n" && !inQuotes) {
      records.push(sample.slice(start, i).replace(/\r$/, ""));
      start = i + 1;
    }
  }
  // The last record may be cut by the sample's end; keep it only when the sample ends the file.
  if (records.length === 0) records.push(sample.slice(start).replace(/\r?\n?$/, ""));
  return records.filter((line) => line.trim().length > 0);
}

function looksLikeValue(field: string): boolean {
  const text = field.trim();
  return text.length > 0 &&
    (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ||
      /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}/.test(text) || /^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}/.test(text));
}

/**
 * Finds the separator, quote and header of a delimited text sample.
 *
 * The separator is the candidate that splits every sampled line into the same number of fields,
 * the most fields winning; the quote is the one that keeps those counts equal. The first line
 * must be a header: when one of its fields looks like a number or a date, the file is refused.
 *
 * @param sample the first kilobytes of the file
 * @param file the file's path, for messages
 * @returns the separator, quote and header fields
 * @throws {SchemaMismatchError} when the sample is empty, the file has a single column, or the
 *   first line looks like data rather than column names
 * @example
 * ```ts
 * sniffDialect('a;b\n1;"x;y"\n', "f.csv"); // { separator: ";", quote: '"', header: ["a", "b"] }
 * ```
 */
export function sniffDialect(sample: string, file: string): SniffedDialect {
  let best: { separator: string; quote: string; fields: number; records: string[] } | null = null;
  for (const quote of QUOTES) {
    const records = sampleRecords(sample, quote);
    if (records.length === 0) {
      throw new SchemaMismatchError(`Cannot read "${file}": it holds no lines; pick another file`);
    }
    for (const separator of SNIFFED_SEPARATORS) {
      const counts = records.map((line) => splitLine(line, separator, quote).length);
      const fields = counts[0]!;
      if (fields < 2 || counts.some((count) => count !== fields)) continue;
      if (best === null || fields > best.fields) best = { separator, quote, fields, records };
    }
    if (best !== null) break;
  }
  if (best === null) {
    const header = sampleRecords(sample, '"')[0] ?? "";
    throw new SchemaMismatchError(
      `Cannot propose a profile for "${file}": no separator (${
        SNIFFED_SEPARATORS.map((s) => JSON.stringify(s)).join(", ")
      }) splits every line into the same number of fields (the header is ${
        JSON.stringify(header.slice(0, 80))
      }); a model needs a target and at least one feature column, so the file needs two or ` +
        `more columns with the same number of fields on every line`,
    );
  }
  const header = splitLine(best.records[0]!, best.separator, best.quote).map((f) => f.trim());
  const valueLike = header.filter(looksLikeValue);
  const empty = header.findIndex((name) => name.length === 0);
  if (valueLike.length > 0) {
    throw new SchemaMismatchError(
      `Cannot propose a profile for "${file}": the first line looks like data, not a header ` +
        `(${valueLike.slice(0, 3).map((v) => JSON.stringify(v)).join(", ")} ${
          valueLike.length === 1 ? "is a value" : "are values"
        }); add a first line with the column names, e.g. ${
          JSON.stringify(header.map((_, i) => `column_${i + 1}`).join(best.separator))
        }`,
    );
  }
  if (empty >= 0) {
    throw new SchemaMismatchError(
      `Cannot propose a profile for "${file}": column ${empty + 1} of the header has no name; ` +
        `name every column in the first line`,
    );
  }
  return { separator: best.separator, quote: best.quote, header };
}
