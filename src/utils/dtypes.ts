/**
 * Which polars dtypes count as what: the one place that answers "is this column numeric?",
 * "is it a date?". Decimal is numeric everywhere (polars' own `Series.isNumeric()` leaves it
 * out, so code asks these helpers instead).
 *
 * Each helper takes a dtype name (`"Float64"`, as `dtype.variant` gives it) or a polars
 * `DataType`. `dtypeKind` names the kind of value a dtype holds, in the words of `data.dtypes`.
 *
 * @module
 */

/** A polars dtype name such as `"Int64"`, or a polars `DataType` (anything with a `variant`). */
export type DtypeLike = string | { readonly variant: string };

/** Signed and unsigned integer dtypes. */
export const INTEGER_DTYPES: ReadonlySet<string> = new Set([
  "Int8",
  "Int16",
  "Int32",
  "Int64",
  "UInt8",
  "UInt16",
  "UInt32",
  "UInt64",
]);

/** Floating-point dtypes. */
export const FLOAT_DTYPES: ReadonlySet<string> = new Set(["Float32", "Float64"]);

/** Numeric dtypes: integers, floats and Decimal. */
export const NUMERIC_DTYPES: ReadonlySet<string> = new Set([
  ...INTEGER_DTYPES,
  ...FLOAT_DTYPES,
  "Decimal",
]);

/** Calendar dtypes: a date, or a date and time. */
export const DATE_DTYPES: ReadonlySet<string> = new Set(["Date", "Datetime"]);

/** Time-like dtypes, ordered like numbers: dates, date-times, durations and times of day. */
export const TEMPORAL_DTYPES: ReadonlySet<string> = new Set([
  ...DATE_DTYPES,
  "Duration",
  "Time",
]);

/** Text dtypes. */
export const TEXT_DTYPES: ReadonlySet<string> = new Set(["String", "Utf8", "Categorical", "Enum"]);

/**
 * Returns the dtype name of a dtype name or polars `DataType`.
 *
 * @param dtype a name or a `DataType`
 * @returns e.g. `"Float64"`
 * @example
 * ```ts
 * dtypeVariant(pl.Float64); // "Float64"
 * ```
 */
export function dtypeVariant(dtype: DtypeLike): string {
  return typeof dtype === "string" ? dtype : dtype.variant;
}

/**
 * Tells whether a dtype is numeric: `Int*`, `UInt*`, `Float32`, `Float64` or `Decimal`.
 *
 * @param dtype a name or a `DataType`, e.g. `series.dtype`
 * @returns true for the numeric dtypes
 * @example
 * ```ts
 * isNumericDtype("Decimal"); // true
 * isNumericDtype(df.getColumn("island").dtype); // false for a String column
 * ```
 */
export function isNumericDtype(dtype: DtypeLike): boolean {
  return NUMERIC_DTYPES.has(dtypeVariant(dtype));
}

/**
 * Tells whether a dtype is an integer type (`Int*`, `UInt*`).
 *
 * @param dtype a name or a `DataType`
 * @returns true for the integer dtypes
 * @example
 * ```ts
 * isIntegerDtype("UInt8"); // true
 * ```
 */
export function isIntegerDtype(dtype: DtypeLike): boolean {
  return INTEGER_DTYPES.has(dtypeVariant(dtype));
}

/**
 * Tells whether a dtype is a calendar type: `Date` or `Datetime`.
 *
 * @param dtype a name or a `DataType`
 * @returns true for `Date` and `Datetime`
 * @example
 * ```ts
 * isDateDtype("Datetime"); // true
 * ```
 */
export function isDateDtype(dtype: DtypeLike): boolean {
  return DATE_DTYPES.has(dtypeVariant(dtype));
}

/**
 * Tells whether a dtype is time-like: `Date`, `Datetime`, `Duration` or `Time`.
 *
 * @param dtype a name or a `DataType`
 * @returns true for the temporal dtypes
 * @example
 * ```ts
 * isTemporalDtype("Duration"); // true
 * ```
 */
export function isTemporalDtype(dtype: DtypeLike): boolean {
  return TEMPORAL_DTYPES.has(dtypeVariant(dtype));
}

/**
 * Tells whether a dtype holds text: `String` (`Utf8`), `Categorical` or `Enum`.
 *
 * @param dtype a name or a `DataType`
 * @returns true for the text dtypes
 * @example
 * ```ts
 * isTextDtype("String"); // true
 * ```
 */
export function isTextDtype(dtype: DtypeLike): boolean {
  return TEXT_DTYPES.has(dtypeVariant(dtype));
}

/**
 * The kind of value a dtype holds, named like the `data.dtypes` overrides and the `dtype`
 * validation rule (`"string"`, `"float"`, …), or `"other"` for a dtype that is none of them.
 */
export type DtypeKind = "string" | "float" | "int" | "bool" | "date" | "datetime" | "other";

/**
 * Classifies a dtype by the kind of value it holds: text (`String`, `Utf8`, `Categorical`,
 * `Enum`) is `"string"`, `Float32`/`Float64` is `"float"`, `Int*`/`UInt*` is `"int"`, `Bool` is
 * `"bool"`, `Date` is `"date"` and `Datetime` is `"datetime"`. Everything else is `"other"`,
 * Decimal included: it is numeric (`isNumericDtype`) but neither a float nor an integer, so no
 * override or validation rule reads it as one.
 *
 * @param dtype a name or a `DataType`, e.g. `series.dtype`
 * @returns the kind
 * @example
 * ```ts
 * dtypeKind(pl.Float64); // "float"
 * dtypeKind("Categorical"); // "string"
 * dtypeKind("Duration"); // "other"
 * ```
 */
export function dtypeKind(dtype: DtypeLike): DtypeKind {
  const variant = dtypeVariant(dtype);
  if (TEXT_DTYPES.has(variant)) return "string";
  if (FLOAT_DTYPES.has(variant)) return "float";
  if (INTEGER_DTYPES.has(variant)) return "int";
  switch (variant) {
    case "Bool":
      return "bool";
    case "Date":
      return "date";
    case "Datetime":
      return "datetime";
    default:
      return "other";
  }
}
