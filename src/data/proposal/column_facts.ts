/**
 * What a profile proposal knows about each column: its kind, nulls, distinct values, range,
 * whether it looks like a row id, and for text the date format its values are written in.
 * Mixed numbers and text, and dates written in two formats, are refused here.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { SchemaMismatchError } from "../../errors.ts";
import { dtypeKind } from "../../utils/mod.ts";
import type { DtypeKind } from "../../utils/mod.ts";
import { dateMismatch, isDatetimeFormat } from "../formats/mod.ts";

/**
 * Strings that commonly mean "missing" and are proposed as `data.null_markers` when found. Words
 * such as "None" or "missing" are left out: in many files they are a real category ("no damage").
 */
export const NULL_MARKER_CANDIDATES: readonly string[] = [
  "NA",
  "N/A",
  "na",
  "n/a",
  "NaN",
  "nan",
  "null",
  "NULL",
  ".",
  "?",
];

/** Date and datetime formats tried on text columns, in order of preference. */
export const DATE_FORMAT_CANDIDATES: readonly string[] = [
  "%Y-%m-%d",
  "%Y/%m/%d",
  "%d/%m/%Y",
  "%m/%d/%Y",
  "%d.%m.%Y",
  "%d-%m-%Y",
  "%Y%m%d",
  "%b %d %Y",
  "%d %b %Y",
  "%B %d %Y",
  "%d %B %Y",
  "%Y-%m-%d %H:%M:%S",
  "%Y-%m-%dT%H:%M:%S",
  "%Y-%m-%d %H:%M",
  "%Y-%m-%dT%H:%M",
  "%Y/%m/%d %H:%M:%S",
  "%Y/%m/%d %H:%M",
  "%d/%m/%Y %H:%M:%S",
  "%d/%m/%Y %H:%M",
  "%m/%d/%Y %H:%M:%S",
  "%m/%d/%Y %H:%M",
  "%Y-%m-%dT%H:%M:%S%.f",
  "%Y-%m-%d %H:%M:%S%.f",
];

/** Facts about one column, as the proposal uses them. */
export interface ColumnFacts {
  name: string;
  /** The kind after date detection: a text column of dates is `date` or `datetime`. */
  kind: DtypeKind;
  /** The strftime format of a text column read as a date or datetime, else `null`. */
  dateFormat: string | null;
  rows: number;
  /** Null (or NaN) values. */
  nulls: number;
  /** Distinct non-null values. */
  distinct: number;
  /** Smallest and largest value of a numeric column, else `null`. */
  min: number | null;
  max: number | null;
  /** An integer column whose values strictly increase row by row. */
  increasing: boolean;
  /** Sample skewness of a numeric column's values (Fisher–Pearson, biased), else `null`. */
  skew: number | null;
}

/**
 * Lists the null markers that occur as whole values in the text columns of a frame.
 *
 * @param df the frame, read without null markers
 * @returns the markers found, in {@link NULL_MARKER_CANDIDATES} order
 * @example
 * ```ts
 * findNullMarkers(pl.DataFrame({ a: ["1", "NA"] })); // ["NA"]
 * ```
 */
export function findNullMarkers(df: DataFrame): string[] {
  const lazy = df.lazy();
  const text = df.columns.filter((_name, i) => dtypeKind(df.dtypes[i]!) === "string");
  if (text.length === 0) return [];
  const found = new Set<string>();
  const probe = lazy.select(
    ...text.map((name, i) =>
      NULL_MARKER_CANDIDATES.map((marker) => pl.col(name).str.strip().eq(pl.lit(marker)))
        .reduce((any, next) => any.or(next)).any().alias(`__${i}__`)
    ),
  ).collectSync().toRecords()[0]!;
  text.forEach((name, i) => {
    if (probe[`__${i}__`] !== true) return;
    const values = lazy.select(pl.col(name).str.strip().unique().alias("__v__")).collectSync()
      .getColumn("__v__").toArray() as (string | null)[];
    for (const value of values) {
      if (value !== null && NULL_MARKER_CANDIDATES.includes(value)) found.add(value);
    }
  });
  return NULL_MARKER_CANDIDATES.filter((marker) => found.has(marker));
}

function present(name: string, kind: DtypeKind): Expr {
  const column = pl.col(name);
  return kind === "float" ? column.isNotNull().and(column.isNotNan()) : column.isNotNull();
}

/** The share of values (0–1) of a text column that each candidate date format parses. */
function dateFormatShares(values: DataFrame): Map<string, number> {
  const lazy = values.lazy();
  const record = lazy.select(
    ...DATE_FORMAT_CANDIDATES.map((format, i) =>
      dateMismatch(pl.col("v"), format, isDatetimeFormat(format) ? "datetime" : "date").not()
        .mean().alias(`__${i}__`)
    ),
  ).collectSync().toRecords()[0]!;
  return new Map(DATE_FORMAT_CANDIDATES.map((format, i) => [format, Number(record[`__${i}__`])]));
}

/** Examples of text values that are not numbers, for messages. */
function textExamples(
  df: DataFrame,
  name: string,
): { values: string[]; rows: number[]; count: number } {
  const notNumber = pl.col(name).isNotNull().and(
    pl.col(name).str.strip().cast(pl.Float64, false).isNull(),
  );
  const all = df.lazy().select(
    pl.intRange(1, pl.len().add(1)).alias("__row__"),
    pl.col(name).alias("__v__"),
    notNumber.alias("__bad__"),
  )
    .filter(pl.col("__bad__")).collectSync();
  const head = all.head(3).toRecords();
  return {
    values: head.map((r) => String(r["__v__"])),
    rows: head.map((r) => Number(r["__row__"])),
    count: all.height,
  };
}

/** A finite number, or `null` for null, NaN and the infinities. */
function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

/**
 * Describes every column of a frame for a profile proposal.
 *
 * @param df the frame, read with the proposed separator, quote and null markers
 * @param file the data file, for messages
 * @returns one entry per column, in frame order
 * @throws {SchemaMismatchError} when a text column holds mostly numbers and some text (mixed
 *   types), or dates in two formats; the message names the column, examples and the fix
 * @example
 * ```ts
 * describeColumns(frame, "data/raw/weather.csv")[0]; // { name: "date", kind: "date", dateFormat: "%Y-%m-%d", ... }
 * ```
 */
export function describeColumns(df: DataFrame, file: string): ColumnFacts[] {
  const lazy = df.lazy();
  const names = df.columns;
  const kinds = df.dtypes.map((dtype) => dtypeKind(dtype));
  const rows = df.height;
  const stats = names.length === 0 ? {} : lazy.select(
    ...names.flatMap((name, i) => {
      const kind = kinds[i]!;
      const values = pl.col(name).filter(present(name, kind));
      const exprs = [
        present(name, kind).not().sum().alias(`__nulls_${i}__`),
        values.nUnique().alias(`__distinct_${i}__`),
      ];
      if (kind === "int" || kind === "float") {
        exprs.push(values.min().cast(pl.Float64).alias(`__min_${i}__`));
        exprs.push(values.max().cast(pl.Float64).alias(`__max_${i}__`));
        exprs.push(values.cast(pl.Float64).skew().alias(`__skew_${i}__`));
      }
      if (kind === "int") {
        exprs.push(pl.col(name).diff(1, "drop").gt(0).all().alias(`__increasing_${i}__`));
      }
      if (kind === "string") {
        exprs.push(
          pl.col(name).str.strip().cast(pl.Float64, false).isNotNull().sum().alias(
            `__numbers_${i}__`,
          ),
        );
      }
      return exprs;
    }),
  ).collectSync().toRecords()[0]!;
  return names.map((name, i) => {
    let kind = kinds[i]!;
    const nulls = Number(stats[`__nulls_${i}__`]);
    const distinct = Number(stats[`__distinct_${i}__`]);
    const filled = rows - nulls;
    let dateFormat: string | null = null;
    if (kind === "string" && filled > 0) {
      const numbers = Number(stats[`__numbers_${i}__`]);
      if (numbers > 0 && numbers < filled && numbers * 2 >= filled) {
        const examples = textExamples(df, name);
        throw new SchemaMismatchError(
          `Cannot propose a profile for "${file}": column "${name}" mixes numbers and text ` +
            `(${numbers} numbers, ${examples.count} text value${
              examples.count === 1 ? "" : "s"
            } such as ${
              examples.values.map((v, k) => `${JSON.stringify(v)} at row ${examples.rows[k]}`).join(
                ", ",
              )
            }); fix those values in the file, or if they mean "missing" add them to ` +
            `data.null_markers and run init again`,
        );
      }
      dateFormat = detectDateFormat(df, name, file);
      if (dateFormat !== null) kind = isDatetimeFormat(dateFormat) ? "datetime" : "date";
    }
    const number = (key: string): number | null =>
      stats[key] === undefined || stats[key] === null ? null : Number(stats[key]);
    return {
      name,
      kind,
      dateFormat,
      rows,
      nulls,
      distinct,
      min: number(`__min_${i}__`),
      max: number(`__max_${i}__`),
      increasing: stats[`__increasing_${i}__`] === true && nulls === 0,
      skew: finiteOrNull(number(`__skew_${i}__`)),
    };
  });
}

/** The one format every value of a text column parses with, `null` when it is not dates. */
function detectDateFormat(df: DataFrame, name: string, file: string): string | null {
  const values = df.lazy().select(pl.col(name).str.strip().alias("v")).filter(
    pl.col("v").isNotNull(),
  )
    .unique().sort("v").collectSync();
  // Dates start with a digit; skip the format scan for plain text.
  const digits = Number(
    values.lazy().select(pl.col("v").str.contains("\\d\\D+\\d|^\\d{8}$").mean().alias("s"))
      .collectSync()
      .toRecords()[0]!["s"],
  );
  if (!(digits > 0.5)) return null;
  const shares = dateFormatShares(values);
  const full = DATE_FORMAT_CANDIDATES.find((format) => shares.get(format) === 1);
  if (full !== undefined) return full;
  const partial = [...shares.entries()].filter(([, share]) => share > 0).sort((a, b) =>
    b[1] - a[1]
  );
  const covered = partial.reduce((sum, [, share]) => sum + share, 0);
  if (partial.length >= 2 && covered >= 0.999 && partial[0]![1] >= 0.05) {
    const [first, second] = [partial[0]![0], partial[1]![0]];
    const example = (format: string): string => {
      const hit = values.lazy().filter(
        dateMismatch(pl.col("v"), format, isDatetimeFormat(format) ? "datetime" : "date").not(),
      ).head(1).collectSync().toRecords()[0];
      return JSON.stringify(hit?.["v"] ?? "");
    };
    throw new SchemaMismatchError(
      `Cannot propose a profile for "${file}": column "${name}" holds dates in two formats ` +
        `(${Math.round(partial[0]![1] * 100)}% "${first}" such as ${
          example(first)
        }, the rest "${second}" such as ${
          example(second)
        }); rewrite the column in one format, then set data.date_formats."${name}" to it`,
    );
  }
  return null;
}
