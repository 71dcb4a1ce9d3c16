/**
 * Dtype overrides (`data.dtypes`): the polars type of each override, which source types convert,
 * and strict conversion: a value that does not convert is an error naming the column, the row
 * and the value, never a null.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, DataType, Expr, LazyDataFrame } from "nodejs-polars";
import { SchemaMismatchError } from "../../errors.ts";
import { dtypeKind } from "../../utils/mod.ts";
import type { DtypeKind } from "../../utils/mod.ts";
import type { Dtype } from "../../config/schema.ts";
import type { DataFile } from "./_registry.ts";
import { checkOverrideColumns, lazyOf, schemaOf, wrapPolars } from "./_checks.ts";

export function polarsDtype(dtype: Dtype): DataType {
  switch (dtype) {
    case "string":
      return pl.Utf8;
    case "float":
      return pl.Float64;
    case "int":
      return pl.Int64;
    case "bool":
      return pl.Bool;
    case "date":
      return pl.Date;
    case "datetime":
      return pl.Datetime("us");
  }
}

const CONVERTIBLE: Readonly<Record<Dtype, readonly DtypeKind[]>> = {
  string: ["string", "float", "int", "bool", "date", "datetime"],
  float: ["string", "float", "int", "bool"],
  int: ["string", "float", "int", "bool"],
  bool: ["string", "int", "bool"],
  date: ["string", "date", "datetime"],
  datetime: ["string", "date", "datetime"],
};

/**
 * Marks the values of `name` that do not convert to `dtype`: a non-null value that converts to
 * null, or a fraction cast to an integer.
 */
function badValues(name: string, source: DtypeKind, dtype: Dtype): Expr {
  const column = pl.col(name);
  let value: Expr;
  let lossy: Expr | null = null;
  if (!CONVERTIBLE[dtype].includes(source)) {
    value = pl.lit(null);
  } else if (dtype === "bool" && source === "string") {
    const lower = column.str.toLowerCase();
    value = pl.when(lower.eq(pl.lit("true"))).then(pl.lit(true))
      .when(lower.eq(pl.lit("false"))).then(pl.lit(false))
      .otherwise(pl.lit(null));
  } else if (dtype === "bool" && source === "int") {
    value = pl.when(column.eq(pl.lit(1))).then(pl.lit(true))
      .when(column.eq(pl.lit(0))).then(pl.lit(false))
      .otherwise(pl.lit(null));
  } else if (dtype === "datetime" && source === "string") {
    value = isoDatetime(column).cast(polarsDtype(dtype));
  } else {
    value = column.cast(polarsDtype(dtype));
    if (dtype === "int" && source === "float") lossy = column.neq(column.floor());
  }
  const failed = column.isNotNull().and(value.isNull());
  return lossy === null ? failed : failed.or(lossy);
}

/** The override as an expression that raises (when collected) on a value that does not convert. */
export function strictConversion(
  file: DataFile,
  name: string,
  source: DataType,
  dtype: Dtype,
): Expr {
  const kind = requireConvertible(file, name, source, dtype);
  const column = pl.col(name);
  if (dtype === "bool" && kind === "string") {
    return column.str.toLowerCase().replaceStrict(
      ["true", "false"],
      [true, false] as never,
      undefined,
      pl.Bool,
    )
      .alias(name);
  }
  if (dtype === "bool" && kind === "int") {
    return column.replaceStrict([0, 1], [false, true] as never, undefined, pl.Bool).alias(name);
  }
  if (dtype === "int" && kind === "float") {
    // A fraction becomes NaN, which the strict cast rejects.
    const whole = column.isNull().or(column.eq(column.floor()));
    return pl.when(whole).then(column).otherwise(pl.lit(NaN)).cast(pl.Int64, true).alias(name);
  }
  if (dtype === "datetime" && kind === "string") {
    return isoDatetime(column).cast(polarsDtype(dtype), true).alias(name);
  }
  return column.cast(polarsDtype(dtype), true).alias(name);
}

/**
 * Rewrites the ISO forms the CSV parser accepts for datetimes ("2020-01-02" and
 * "2020-01-02 10:11:12") into the "T" form that polars' string cast expects.
 */
function isoDatetime(column: Expr): Expr {
  return column.str.replace("^(\\d{4}-\\d{2}-\\d{2})$", "${1}T00:00:00")
    .str.replace("^(\\d{4}-\\d{2}-\\d{2}) ", "${1}T");
}

export function requireConvertible(
  file: DataFile,
  name: string,
  source: DataType,
  dtype: Dtype,
): DtypeKind {
  const kind = dtypeKind(source);
  if (!CONVERTIBLE[dtype].includes(kind)) {
    const type = kind === "other" ? source.variant : kind;
    throw new SchemaMismatchError(
      `Cannot apply dtype override to "${file.path}": column "${name}" holds ${type} values, which ` +
        `do not convert to ${dtype}; remove or fix data.dtypes."${name}"`,
    );
  }
  return kind;
}

export interface BadValue {
  /** 1-based data row. */
  row: number;
  value: unknown;
  /** How many values fail in the column. */
  count: number;
}

export function firstBadValue(
  lazy: LazyDataFrame,
  name: string,
  source: DataType,
  dtype: Dtype,
): BadValue | null {
  return firstMatch(lazy, name, badValues(name, dtypeKind(source), dtype));
}

/**
 * The first row where `bad` holds, with the value of `name` there and how many rows it holds in.
 *
 * @param lazy the data
 * @param name the column whose value is reported
 * @param bad a boolean expression over the rows
 * @returns the first matching row (1-based) and the count, or `null` when no row matches
 */
export function firstMatch(lazy: LazyDataFrame, name: string, bad: Expr): BadValue | null {
  const counted = Number(
    lazy.select(bad.sum().alias("__count__")).collectSync().toRecords()[0]!["__count__"],
  );
  if (!(counted > 0)) return null;
  const [first] = lazy
    .select(
      pl.intRange(1, pl.len().add(1)).alias("__row__"),
      pl.col(name).alias("__value__"),
      bad.alias("__bad__"),
    )
    .filter(pl.col("__bad__"))
    .head(1)
    .collectSync()
    .toRecords();
  return { row: Number(first!["__row__"]), value: first!["__value__"], count: counted };
}

export function conversionError(
  file: DataFile,
  name: string,
  dtype: Dtype,
  bad: BadValue,
  options: { cause?: unknown; lineOf?: (row: number) => number } = {},
): SchemaMismatchError {
  const { cause, lineOf } = options;
  const where = lineOf === undefined
    ? `row ${bad.row}`
    : `row ${bad.row} (line ${lineOf(bad.row)})`;
  const shown = typeof bad.value === "string" ? `"${bad.value}"` : String(bad.value);
  const others = bad.count > 1 ? ` (${bad.count} values fail in all)` : "";
  return new SchemaMismatchError(
    `Cannot load dataset "${file.path}": column "${name}" has value ${shown} at ${where} that ` +
      `does not convert to ${dtype}${others}; fix the data or change data.dtypes."${name}"`,
    { cause },
  );
}

/** Applies dtype overrides after reading, strictly; a value that does not convert is an error. */
export function applyOverrides(
  file: DataFile,
  frame: DataFrame,
  dtypes: Record<string, Dtype>,
): DataFrame {
  const entries = Object.entries(dtypes);
  if (entries.length === 0) return frame;
  const lazy = lazyOf(frame);
  checkOverrideColumns(file, lazy.columns, dtypes);
  const sources = schemaOf(lazy);
  for (const [name, dtype] of entries) {
    requireConvertible(file, name, sources.get(name)!, dtype);
    const bad = firstBadValue(lazy, name, sources.get(name)!, dtype);
    if (bad !== null) throw conversionError(file, name, dtype, bad);
  }
  try {
    return lazy.withColumns(
      ...entries.map(([name, dtype]) => strictConversion(file, name, sources.get(name)!, dtype)),
    ).collectSync();
  } catch (cause) {
    if (cause instanceof SchemaMismatchError) throw cause;
    throw wrapPolars(file, cause);
  }
}
