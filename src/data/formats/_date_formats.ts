/**
 * `data.date_formats`: text columns parsed as dates or datetimes with a strftime format, strictly:
 * a non-empty value that does not match is an error naming the column, the row and the value,
 * never a null.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { ConfigError, SchemaMismatchError } from "../../errors.ts";
import type { Dtype } from "../../config/schema.ts";
import { dtypeKind } from "../../utils/mod.ts";
import type { DataFile } from "./_registry.ts";
import { lazyOf, schemaOf, wrapPolars } from "./_checks.ts";
import { type BadValue, firstMatch } from "./_dtypes.ts";

/** strftime directives of a time of day: a format holding one parses as a datetime. */
const TIME_DIRECTIVE = /%[HIMSTRfpcsLkl]/;

/**
 * Whether a strftime format is read as a datetime (it holds a time of day) rather than a date.
 *
 * @param format the strftime format, e.g. `"%Y-%m-%d %H:%M"`
 * @returns true for a datetime format
 */
export function isDatetimeFormat(format: string): boolean {
  return TIME_DIRECTIVE.test(format);
}

const DIRECTIVES: Readonly<Record<string, string>> = {
  Y: "[-+]?\\d{4}",
  y: "\\d{2}",
  m: "\\d{1,2}",
  d: "\\d{1,2}",
  e: " ?\\d{1,2}",
  H: "\\d{1,2}",
  I: "\\d{1,2}",
  M: "\\d{1,2}",
  S: "\\d{1,2}",
  j: "\\d{1,3}",
  f: "\\d{1,9}",
  b: "[A-Za-z]{3}",
  h: "[A-Za-z]{3}",
  B: "[A-Za-z]+",
  a: "[A-Za-z]{3}",
  A: "[A-Za-z]+",
  p: "[AaPp][Mm]",
  z: "[-+]\\d{2}:?\\d{2}",
  T: "\\d{1,2}:\\d{2}:\\d{2}",
  R: "\\d{1,2}:\\d{2}",
  F: "[-+]?\\d{4}-\\d{1,2}-\\d{1,2}",
  "%": "%",
};

/**
 * A regular expression that a whole value written in a strftime format matches, or `null` when
 * the format uses a directive it does not know. Polars parses leniently (a prefix matches, "1/2/20"
 * reads as year 20 under "%Y"), so every parsed value is also checked against this pattern.
 *
 * @param format the strftime format
 * @returns the anchored pattern source, or null
 */
export function strftimePattern(format: string): string | null {
  return strftimeFields(format, false)?.pattern ?? null;
}

/**
 * The pattern of {@link strftimePattern} with one capture group per directive, and the
 * directives in order (`"Y"`, `"b"`, `"%"`, …), so a row engine can read the parts of a value
 * that the pattern accepts; `null` when the format uses a directive the pattern does not know.
 *
 * @param format the strftime format
 * @param capture whether each directive is a capture group
 * @returns the anchored pattern source and the directives, or null
 * @example
 * ```ts
 * strftimeFields("%b %d %Y", true)?.directives; // ["b", "d", "Y"]
 * ```
 */
export function strftimeFields(
  format: string,
  capture = true,
): { pattern: string; directives: string[] } | null {
  let pattern = "^";
  const directives: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const char = format[i]!;
    if (char !== "%") {
      pattern += char.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      continue;
    }
    const letter = format[i + 1] ?? "";
    const directive = DIRECTIVES[letter];
    if (directive === undefined) return null;
    pattern += capture ? `(${directive})` : directive;
    directives.push(letter);
    i++;
  }
  return { pattern: `${pattern}$`, directives };
}

/**
 * True where a text value (not null, not empty) does not parse under the format: polars gives
 * null or the value does not match the format's pattern as a whole.
 */
export function dateMismatch(column: Expr, format: string, dtype: "date" | "datetime"): Expr {
  const value = dtype === "date"
    ? column.str.strptime(pl.Date, format)
    : column.str.strptime(pl.Datetime("ms"), format);
  const pattern = strftimePattern(format);
  const failed = pattern === null ? value.isNull() : value.isNull().or(
    column.str.contains(pattern).not(),
  );
  return column.isNotNull().and(column.str.lengths().gt(0)).and(failed);
}

/** The dtype a date-format column becomes: its `data.dtypes` entry, else from the format. */
function targetDtype(format: string, dtype: Dtype | undefined): "date" | "datetime" {
  if (dtype === "date" || dtype === "datetime") return dtype;
  return isDatetimeFormat(format) ? "datetime" : "date";
}

/** Refuses a date format whose column is typed as something other than a date in `data.dtypes`. */
export function requireDateFormatColumns(
  file: DataFile,
  formats: Readonly<Record<string, string>>,
  dtypes: Readonly<Record<string, Dtype>>,
): void {
  for (const [name, format] of Object.entries(formats)) {
    const dtype = dtypes[name];
    if (dtype !== undefined && dtype !== "date" && dtype !== "datetime") {
      const message = `column "${name}" has a date format (${
        JSON.stringify(format)
      }) but data.dtypes types it ${dtype}`;
      throw new ConfigError(
        `Cannot load dataset "${file.path}": ${message}; set data.dtypes."${name}" to date or ` +
          `datetime, or remove data.date_formats."${name}"`,
        [{ file: "", line: 0, column: 0, path: `data.date_formats.${name}`, message }],
      );
    }
  }
}

function parsed(name: string, format: string, dtype: "date" | "datetime"): Expr {
  const text = pl.col(name);
  return dtype === "date"
    ? text.str.strptime(pl.Date, format)
    : text.str.strptime(pl.Datetime("ms"), format).cast(pl.Datetime("us"));
}

/**
 * Parses each text column named in `formats` with its strftime format.
 *
 * @param file the file the frame was read from, for messages
 * @param frame the frame, with the date-format columns as text
 * @param formats strftime format per column
 * @param dtypes `data.dtypes`, which may say `datetime` for a format without a time
 * @returns the frame with those columns as `Date` or `Datetime`
 * @throws {SchemaMismatchError} when a column is missing or not text, or a value does not match
 *   its format (the first such row is named, with the count)
 */
export function applyDateFormats(
  file: DataFile,
  frame: DataFrame,
  formats: Readonly<Record<string, string>>,
  dtypes: Readonly<Record<string, Dtype>>,
): DataFrame {
  const entries = Object.entries(formats);
  if (entries.length === 0) return frame;
  const lazy = lazyOf(frame);
  const types = schemaOf(lazy);
  for (const [name, format] of entries) {
    const type = types.get(name);
    if (type === undefined) {
      throw new SchemaMismatchError(
        `Cannot apply data.date_formats to "${file.path}": unknown column "${name}" (available: ${
          JSON.stringify(lazy.columns)
        }); fix data.date_formats`,
      );
    }
    if (dtypeKind(type) !== "string") {
      throw new SchemaMismatchError(
        `Cannot apply data.date_formats."${name}" to "${file.path}": the column holds ${
          dtypeKind(type)
        } values, expected text; remove data.date_formats."${name}"`,
      );
    }
    const bad = dateMismatch(pl.col(name), format, targetDtype(format, dtypes[name]));
    let first: BadValue | null;
    try {
      first = firstMatch(lazy, name, bad);
    } catch (cause) {
      throw wrapPolars(file, cause);
    }
    if (first !== null) {
      const others = first.count > 1 ? ` (${first.count} values fail in all)` : "";
      throw new SchemaMismatchError(
        `Cannot load dataset "${file.path}": column "${name}" has value ${
          JSON.stringify(first.value)
        } at row ${first.row} that does not match data.date_formats."${name}" ${
          JSON.stringify(format)
        }${others}; fix the value or the format (a column written in two formats must be made ` +
          `consistent first)`,
      );
    }
  }
  try {
    return lazy.withColumns(
      ...entries.map(([name, format]) =>
        pl.when(pl.col(name).str.lengths().eq(0)).then(pl.lit(null)).otherwise(
          parsed(name, format, targetDtype(format, dtypes[name])),
        ).alias(name)
      ),
    ).collectSync();
  } catch (cause) {
    throw wrapPolars(file, cause);
  }
}
