/**
 * The first stage of the row engine: the run's input columns parsed from request values as
 * `scoreRows` parses a frame of them (numbers, integers, dates in the format it picks per
 * batch), with the parse problems it reports, check by check.
 *
 * @module
 */
import {
  compileDateFormat,
  DateValue,
  LARGEST_EXACT_INTEGER,
  parseFloatText,
  RowRefused,
  RowUnsupported,
  shapeDate,
  stripText,
} from "../data/mod.ts";
import type { ColumnSignature, DateShape, RowColumn, RowValue } from "../data/mod.ts";
import { isIntegerDtype } from "../utils/mod.ts";
import type { RowProblem } from "./inference_pipeline.ts";
import { describeInputKind, refusalLimits, tooFarProblem } from "./scoring_rules.ts";

/** One input column of the run, compiled for parsing. */
export interface InputColumn {
  signature: ColumnSignature;
  name: string;
  /** Its dtype once parsed. */
  dtype: RowColumn["dtype"];
  /** Its text for "cannot parse … as …". */
  describe: string;
  /** Numeric with a finite training range: the values beyond which a row is refused. */
  limits: [number, number] | null;
  /**
   * Temporal with a `data.date_formats` entry: reads text in that format (`null` when the text
   * is not in it, and the ISO forms apply); `null` for other columns.
   */
  inFormat: ((text: string) => DateValue | null) | null;
}

const INT64_MIN = -(2 ** 63);
const INT64_LIMIT = 2 ** 63;

/** The formats `scoreRows` tries for a text date column, most specific first. */
const DATE_FORMAT_COUNT = 5;
/** Which shapes parse under each format (polars, `exact: false`): T, space, date only. */
const FORMAT_ACCEPTS: readonly (readonly DateShape[])[] = [
  ["T"], // %Y-%m-%dT%H:%M:%S%.f
  ["S"], // %Y-%m-%d %H:%M:%S%.f
  ["T"], // %Y-%m-%dT%H:%M:%S
  ["S"], // %Y-%m-%d %H:%M:%S
  ["D", "T", "S"], // %Y-%m-%d (a time after the date is ignored)
];
/** The format whose parse keeps only the date. */
const DATE_ONLY_FORMAT = 4;

/**
 * Compiles the run's input signature for parsing.
 *
 * @param columns the signature's columns
 * @param dateFormats the run's `data.date_formats`: the strftime format of date columns
 * @returns the input columns
 * @throws {RowUnsupported} for a column kind the row engine does not parse, or a date format
 *   it does not read
 */
export function inputColumns(
  columns: readonly ColumnSignature[],
  dateFormats: Readonly<Record<string, string>> = {},
): InputColumn[] {
  return columns.map((signature) => {
    if (!["numeric", "categorical", "temporal"].includes(signature.kind)) {
      throw new RowUnsupported(`input column "${signature.name}" has kind "${signature.kind}"`);
    }
    const integer = signature.kind === "numeric" && isIntegerDtype(signature.dtype);
    return {
      signature,
      name: signature.name,
      dtype: signature.kind === "categorical"
        ? "str"
        : signature.kind === "temporal"
        ? "dt"
        : integer
        ? "i64"
        : "f64",
      describe: describeInputKind(signature),
      limits: refusalLimits(signature),
      inFormat: signature.kind === "temporal" && Object.hasOwn(dateFormats, signature.name)
        ? compileDateFormat(dateFormats[signature.name]!, signature.name)
        : null,
    };
  });
}

/**
 * Parses one input column as `scoreRows` does, with its parse problems check by check.
 *
 * @param input the column
 * @param raw its request values
 * @returns the parsed values, and the problems of each check in `scoreRows` order
 * @throws {RowRefused} for a date in a form the row engine leaves to polars, or an integer
 *   beyond 2^53
 */
export function parseColumn(
  input: InputColumn,
  raw: readonly (string | number | null)[],
): { values: RowValue[]; problems: RowProblem[][] } {
  const kind = input.signature.kind;
  const count = raw.length;
  const values: RowValue[] = new Array(count);
  const cannotParse: RowProblem[] = [];
  const notFinite: RowProblem[] = [];
  const tooFar: RowProblem[] = [];
  // The frame column is Float64 when every value is a number, text otherwise.
  const textSource = kind !== "numeric" || raw.some((v) => typeof v === "string");
  const source = raw.map((v) => (v === null ? null : textSource ? String(v) : v));
  const problem = (i: number, text: string) => ({ row: i + 1, column: input.name, problem: text });

  if (kind === "categorical") {
    for (let i = 0; i < count; i++) values[i] = source[i]!;
    return { values, problems: [] };
  }
  if (kind === "temporal") {
    // Text in the column's own format is read with it; the rest as ISO text, in the ISO form
    // picked from the values not in the column's format.
    const inFormat = source.map((text) =>
      text === null || input.inFormat === null ? null : input.inFormat(stripText(String(text)))
    );
    const format = dateFormat(source as (string | null)[], input.name, inFormat);
    for (let i = 0; i < count; i++) {
      const text = source[i] as string | null;
      if (text === null) {
        values[i] = null;
        continue;
      }
      const own = inFormat[i];
      if (own !== null && own !== undefined) {
        values[i] = own;
        continue;
      }
      const shaped = shapeDate(stripText(text), input.name);
      let value: DateValue | null = null;
      if (FORMAT_ACCEPTS[format]!.includes(shaped.shape)) {
        value = shaped.value!;
        if (format === DATE_ONLY_FORMAT) {
          value = new DateValue(value.year, value.month, value.day, 0, 0);
        }
      }
      values[i] = value;
      if (value === null) {
        cannotParse.push(problem(i, `cannot parse ${JSON.stringify(text)} as ${input.describe}`));
      }
    }
    return { values, problems: [cannotParse] };
  }
  const integer = input.dtype === "i64";
  for (let i = 0; i < count; i++) {
    const given = source[i]!;
    if (given === null) {
      values[i] = null;
      continue;
    }
    let number = typeof given === "number" ? given : parseFloatText(stripText(given));
    if (number !== null && integer) {
      // A fractional, non-finite or out-of-range value does not parse as an integer.
      if (!Number.isFinite(number) || number !== Math.floor(number)) number = null;
      else if (number < INT64_MIN || number >= INT64_LIMIT) number = null;
      else if (Math.abs(number) > LARGEST_EXACT_INTEGER) {
        throw new RowRefused(`integer ${JSON.stringify(given)} of "${input.name}" is beyond 2^53`);
      } else number = number + 0; // -0 becomes 0, as in Int64
    }
    values[i] = number;
    const shown = textSource ? JSON.stringify(given) : String(given);
    if (number === null) {
      cannotParse.push(problem(i, `cannot parse ${JSON.stringify(given)} as ${input.describe}`));
    } else if (Number.isNaN(number) || Math.abs(number) === Infinity) {
      notFinite.push(problem(i, `not a finite number: ${shown}`));
    } else if (input.limits !== null && (number < input.limits[0] || number > input.limits[1])) {
      tooFar.push(
        problem(i, tooFarProblem(shown, input.signature as ColumnSignature & { kind: "numeric" })),
      );
    }
  }
  return { values, problems: [cannotParse, notFinite, tooFar] };
}

/**
 * The format `scoreRows` picks for a text date column: the first that parses every one of its
 * first 100 values that some format parses, values in the column's own format left out.
 */
function dateFormat(
  source: (string | null)[],
  column: string,
  inFormat: readonly (DateValue | null)[],
): number {
  const sample: DateShape[] = [];
  for (let i = 0; i < source.length; i++) {
    const value = source[i]!;
    if (value === null) continue;
    if (inFormat[i] !== null) {
      sample.push("none"); // counted among the first 100, decides nothing
      continue;
    }
    sample.push(shapeDate(stripText(value), column).shape);
    if (sample.length === 100) break;
  }
  // As `scoreRows`: values no format parses do not decide the format.
  const usable = sample.filter((shape) =>
    FORMAT_ACCEPTS.some((accepts) => accepts.includes(shape))
  );
  for (let format = 0; format < DATE_FORMAT_COUNT; format++) {
    if (usable.every((shape) => FORMAT_ACCEPTS[format]!.includes(shape))) return format;
  }
  return 0;
}
