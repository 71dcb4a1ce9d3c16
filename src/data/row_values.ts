/**
 * The values of the row engine: one cell of a row as plain JavaScript, and the helpers every
 * row kernel shares to reproduce polars value by value (text to number casts, white space,
 * case changes, date shapes, NaN ordering, ulp steps).
 *
 * Cleaning (`cleaning_row.ts`), derived features and every transformer compile their row
 * kernels from these, so each polars rule is written here once.
 *
 * @module
 */
import { isDatetimeFormat, strftimeFields } from "./formats/mod.ts";

/** Polars dtypes a column can have on the row path: Float64, Int64, text and date/time. */
export type RowDtype = "f64" | "i64" | "str" | "dt";

/** A column of a row frame: its name and polars dtype. */
export interface RowColumn {
  /** The column name. */
  name: string;
  /** Its dtype on the row path. */
  dtype: RowDtype;
}

/** A parsed date or time: the parts derived features read. */
export class DateValue {
  /**
   * @param year the year
   * @param month 1 to 12
   * @param day 1 to 31
   * @param hour 0 to 23
   * @param minute 0 to 59
   */
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour: number,
    readonly minute: number,
  ) {}

  /** ISO weekday: 1 = Monday … 7 = Sunday (proleptic Gregorian calendar). */
  get weekday(): number {
    const days = daysFromCivil(this.year, this.month, this.day); // 1970-01-01 was a Thursday
    return ((((days + 3) % 7) + 7) % 7) + 1;
  }
}

/** One cell on the row path: f64 and i64 as numbers (NaN kept), text, a date, or null. */
export type RowValue = number | string | DateValue | null;

/**
 * Thrown by a row kernel when a row needs the polars path to be answered exactly (a value the
 * step refuses, a case whose result depends on a library version); the scorer then scores the
 * rows with polars. Not an `Error`: it is control flow, caught by the row scorer.
 */
export class RowRefused {
  /** @param reason why, naming the step and the value */
  constructor(readonly reason: string) {}
}

/**
 * Thrown while compiling a row kernel: the fitted step uses something the row engine does not
 * reproduce, so the run is scored with polars. Not an `Error`: it is control flow.
 */
export class RowUnsupported {
  /** @param reason what is not supported, naming the step */
  constructor(readonly reason: string) {}
}

/** Integers above this lose precision as Float64. */
export const LARGEST_EXACT_INTEGER = 2 ** 53;

/** Polars' text to Float64 cast accepts exactly these (checked against polars). */
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_TEXT = /^([+-]?)(inf|infinity|nan)$/i;

/**
 * Parses text as polars' non-strict cast to Float64 does.
 *
 * @param text the text, already stripped
 * @returns the number, or `null` where polars gives null
 * @example
 * ```ts
 * parseFloatText("1e3"); // 1000
 * ```
 */
export function parseFloatText(text: string): number | null {
  if (DECIMAL_TEXT.test(text)) return Number(text);
  const special = SPECIAL_TEXT.exec(text);
  if (special === null) return null;
  if (special[2]!.toLowerCase() === "nan") return NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/** Rust's `char::is_whitespace`, which polars' `str.strip()` uses (JS `trim` differs). */
function isRustWhitespace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0x85 || code === 0xa0 ||
    code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 ||
    code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000;
}

/**
 * Polars' `str.strip()`: leading and trailing Unicode white space removed.
 *
 * @param text the text
 * @returns the stripped text
 * @example
 * ```ts
 * stripText("\u00a0a "); // "a"
 * ```
 */
export function stripText(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isRustWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isRustWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Code points below this have had the same case mappings in JavaScript's and Rust's Unicode
 * tables for decades; above it, newer Unicode versions may differ, so such text falls back.
 */
const STABLE_CASE_LIMIT = 0x0530;

/**
 * Polars' `str.toLowerCase()` / `toUpperCase()` for text whose mapping is stable.
 *
 * @param text the text
 * @param mode lower or upper case
 * @param column the column, for the fallback reason
 * @returns the text in that case
 * @throws {RowRefused} when the text holds a code point whose mapping may differ
 * @example
 * ```ts
 * changeCase("Dream", "lower", "Island"); // "dream"
 * ```
 */
export function changeCase(text: string, mode: "lower" | "upper", column: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= STABLE_CASE_LIMIT) {
      throw new RowRefused(
        `the case of ${JSON.stringify(text)} in "${column}" depends on the Unicode version`,
      );
    }
  }
  return mode === "lower" ? text.toLowerCase() : text.toUpperCase();
}

/** The dates and times the row engine parses; other forms with digits fall back to polars. */
const CANONICAL_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/;

/** The shape of a date text: date only, with a `T` time, with a space time, or no date. */
export type DateShape = "D" | "T" | "S" | "none";

/** A date text's shape and, when it has one, its value. */
export interface ShapedDate {
  /** Which formats can parse it. */
  shape: DateShape;
  /** The parsed value, `null` for shape `none`. */
  value: DateValue | null;
}

/**
 * Reads a stripped date text in the canonical forms `YYYY-MM-DD[(T| )HH:MM:SS[.fff]]`.
 *
 * @param text the stripped text
 * @param column the column, for the fallback reason
 * @returns its shape and value; shape `none` for text without digits (no format parses it)
 * @throws {RowRefused} for other forms with digits and for invalid dates or times
 * @example
 * ```ts
 * shapeDate("2020-01-02", "Date").shape; // "D"
 * ```
 */
export function shapeDate(text: string, column: string): ShapedDate {
  const match = CANONICAL_DATE.exec(text);
  if (match === null) {
    // Every format needs digits: text without any never parses.
    if (!/[0-9]/.test(text)) return { shape: "none", value: null };
    throw new RowRefused(
      `date ${JSON.stringify(text)} of "${column}" is not in a form the row engine parses`,
    );
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const invalid = () =>
    new RowRefused(`date ${JSON.stringify(text)} of "${column}" is not a valid date or time`);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw invalid();
  if (match[4] === undefined) return { shape: "D", value: new DateValue(year, month, day, 0, 0) };
  const hour = Number(match[5]);
  const minute = Number(match[6]);
  const second = Number(match[7]);
  if (hour > 23 || minute > 59 || second > 59) throw invalid();
  return {
    shape: match[4] === "T" ? "T" : "S",
    value: new DateValue(year, month, day, hour, minute),
  };
}

/** English month names, January first: `%B` reads them whole, `%b` and `%h` their first three letters. */
export const MONTH_NAMES: readonly string[] = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/**
 * The `%b` (and `%h`) name of a month, as the row engine reads it and polars writes it.
 *
 * @param month 1 to 12
 * @returns the first three letters of its English name
 * @throws {RangeError} for a month outside 1 to 12
 * @example
 * ```ts
 * monthAbbreviation(6); // "Jun"
 * ```
 */
export function monthAbbreviation(month: number): string {
  const name = MONTH_NAMES[month - 1];
  if (name === undefined) {
    throw new RangeError(`Cannot name month ${month}: expected an integer from 1 to 12`);
  }
  return name.slice(0, 3);
}

/** The strftime directives the row engine reads; a format with another one is left to polars. */
const ROW_DIRECTIVES = new Set([
  "Y",
  "m",
  "d",
  "e",
  "b",
  "h",
  "B",
  "H",
  "M",
  "S",
  "T",
  "R",
  "F",
  "%",
]);

/**
 * Reads text written in a column's `data.date_formats` strftime format, as the polars path of
 * inference does: a value is in the format when it matches the format's whole pattern (the
 * pattern the training loader checks values against) and polars parses it.
 *
 * @param format the strftime format, e.g. `"%b %d %Y"`
 * @param column the column, for reasons
 * @returns a reader of stripped text: its value, or `null` when the text is not in the format
 * @throws {RowUnsupported} when the format uses a directive the row engine does not read
 * @example
 * ```ts
 * compileDateFormat("%b %d %Y", "Release Date")("Jun 12 1998")?.month; // 6
 * ```
 */
export function compileDateFormat(
  format: string,
  column: string,
): (text: string) => DateValue | null {
  const fields = strftimeFields(format, true);
  const unread = fields?.directives.find((d) => !ROW_DIRECTIVES.has(d));
  if (fields === null || unread !== undefined) {
    throw new RowUnsupported(
      `date format ${JSON.stringify(format)} of "${column}" uses ${
        unread === undefined ? "a directive" : `%${unread}`
      }, which the row engine does not read`,
    );
  }
  const timed = isDatetimeFormat(format);
  const has = (...letters: string[]) => letters.some((l) => fields.directives.includes(l));
  // A format that leaves out a part of the date (or the minutes of a time) parses in polars'
  // own way, if at all: left to polars.
  const complete = has("Y", "F") && has("m", "b", "h", "B", "F") && has("d", "e", "F") &&
    (!timed || has("T", "R") || (has("H") && has("M")));
  if (!complete) {
    throw new RowUnsupported(
      `date format ${JSON.stringify(format)} of "${column}" leaves out part of the date or ` +
        `time, which the row engine does not read`,
    );
  }
  const pattern = new RegExp(fields.pattern);
  return (text) => {
    const match = pattern.exec(text);
    if (match === null) return null;
    // Parts not in the format keep polars' defaults: January 1st, midnight.
    let year: number | null = null;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    const refuse = () =>
      new RowRefused(
        `date ${JSON.stringify(text)} of "${column}" is not a date the row engine reads in ${
          JSON.stringify(format)
        }`,
      );
    fields.directives.forEach((directive, k) => {
      const part = match[k + 1]!;
      switch (directive) {
        case "Y":
          if (!/^\d{4}$/.test(part)) throw refuse();
          year = Number(part);
          break;
        case "m":
          month = Number(part);
          break;
        case "d":
        case "e":
          day = Number(part.trim());
          break;
        case "b":
        case "h":
        case "B": {
          const name = part.toLowerCase();
          const index = MONTH_NAMES.findIndex((m, i) =>
            monthAbbreviation(i + 1).toLowerCase() === name ||
            (directive === "B" && m.toLowerCase() === name)
          );
          if (index < 0) throw refuse();
          month = index + 1;
          break;
        }
        case "H":
          hour = Number(part);
          break;
        case "M":
          minute = Number(part);
          break;
        case "S":
          second = Number(part);
          break;
        case "T":
        case "R": {
          const [h, m, sec] = part.split(":").map(Number);
          hour = h!;
          minute = m!;
          second = sec ?? 0;
          break;
        }
        case "F": {
          if (!/^\d/.test(part)) throw refuse();
          const [y, m, d] = part.split("-").map(Number);
          year = y!;
          month = m!;
          day = d!;
          break;
        }
      }
    });
    // A value with a part out of range is left to polars.
    if (year === null) throw refuse();
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw refuse();
    if (hour > 23 || minute > 59 || second > 59) throw refuse();
    return timed
      ? new DateValue(year, month, day, hour, minute)
      : new DateValue(year, month, day, 0, 0);
  };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** The next Float64 above a finite `x`. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  F64[0] = x;
  U64[0] = x > 0 ? U64[0]! + 1n : U64[0]! - 1n;
  return F64[0]!;
}

/**
 * Moves a finite number by whole Float64 steps, to bound a result that polars computes with the
 * platform's libm (which may differ from V8's in the last bits).
 *
 * @param x the number
 * @param steps how many Float64 values up (positive) or down (negative)
 * @returns the moved number
 * @example
 * ```ts
 * moveUlps(1, 1); // 1.0000000000000002
 * ```
 */
export function moveUlps(x: number, steps: number): number {
  let y = x;
  for (let k = 0; k < Math.abs(steps); k++) y = steps > 0 ? nextUp(y) : -nextUp(-y);
  return y;
}

/**
 * Polars' `x < bound` on Float64: NaN orders above every number.
 *
 * @param x the value
 * @param bound the bound
 * @returns whether polars finds `x` below `bound`
 * @example
 * ```ts
 * lessThan(NaN, 1); // false
 * ```
 */
export function lessThan(x: number, bound: number): boolean {
  return !Number.isNaN(x) && (Number.isNaN(bound) || x < bound);
}

/**
 * Polars' `x > bound` on Float64: NaN orders above every number.
 *
 * @param x the value
 * @param bound the bound
 * @returns whether polars finds `x` above `bound`
 * @example
 * ```ts
 * greaterThan(NaN, 1); // true
 * ```
 */
export function greaterThan(x: number, bound: number): boolean {
  return Number.isNaN(x) ? !Number.isNaN(bound) : x > bound;
}

/**
 * A cell as a number, or `null` when it holds anything else.
 *
 * @param value the cell
 * @returns the number or `null`
 * @example
 * ```ts
 * rowNumber("a"); // null
 * ```
 */
export function rowNumber(value: RowValue): number | null {
  return typeof value === "number" ? value : null;
}
