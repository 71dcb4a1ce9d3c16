/**
 * The row form of `applyCleaning`: the cleaning a run applies at inference (no rows dropped),
 * compiled cell by cell from `config.cleaning` and the learned `CleaningState`, for the row
 * engine. It answers exactly what `applyCleaning(frame, config, state, { dropRows: false })`
 * answers for the same row.
 *
 * @module
 */
import type { CleaningConfig } from "../config/schema.ts";
import type { CleaningState } from "./cleaner.ts";
import {
  changeCase,
  LARGEST_EXACT_INTEGER,
  lessThan,
  RowUnsupported,
  stripText,
} from "./row_values.ts";
import type { RowColumn, RowDtype, RowValue } from "./row_values.ts";

/** Cleaning compiled for rows: the cleaned columns' dtypes and the in-place row cleaner. */
export interface RowCleaning {
  /** The columns after cleaning (a mean or median fill makes an integer column Float64). */
  readonly columns: readonly RowColumn[];
  /**
   * Cleans one row in place.
   *
   * @param row the cells, in the order of the columns given to {@link compileCleaningRow}
   * @throws {RowRefused} when a value needs polars to be cleaned exactly
   */
  clean(row: RowValue[]): void;
}

/** A per-cell operation of the cleaning, in `applyCleaning` order. */
interface CellOperation {
  column: number;
  apply: (value: RowValue) => RowValue;
}

/**
 * Compiles the inference cleaning of input columns into a row cleaner. Entries of the config
 * naming other columns (the target, ids) have nothing to clean in input rows and are skipped.
 *
 * @param config the run's `config.cleaning`
 * @param state the run's learned cleaning state
 * @param columns the input columns, in row order, with their parsed dtypes
 * @returns the row cleaner
 * @throws {RowUnsupported} for a state of another version, or a rule on a column type the
 *   polars path refuses or the row engine cannot reproduce exactly
 * @example
 * ```ts
 * const cleaning = compileCleaningRow(config.cleaning, state, [{ name: "sex", dtype: "str" }]);
 * const row: RowValue[] = [" male "];
 * cleaning.clean(row);
 * ```
 */
export function compileCleaningRow(
  config: CleaningConfig,
  state: CleaningState,
  columns: readonly RowColumn[],
): RowCleaning {
  const shaped = typeof state === "object" && state !== null && state.version === 1 &&
    typeof state.fills === "object" && state.fills !== null &&
    typeof state.clip === "object" && state.clip !== null;
  if (!shaped) throw new RowUnsupported("the cleaning state is not of version 1");
  const names = columns.map((c) => c.name);
  const dtypes: RowDtype[] = columns.map((c) => c.dtype);
  const inputs = <T>(record: Record<string, T>) =>
    Object.entries(record).filter(([name]) => names.includes(name));
  const at = (name: string) => names.indexOf(name);
  const operations: CellOperation[] = [];

  if (config.trim_strings) {
    dtypes.forEach((dtype, column) => {
      if (dtype === "str") {
        operations.push({ column, apply: (v) => (typeof v === "string" ? stripText(v) : v) });
      }
    });
  }
  for (const [name, mode] of inputs(config.normalize_case)) {
    const column = at(name);
    if (dtypes[column] !== "str") throw new RowUnsupported(`normalize_case of non-text "${name}"`);
    operations.push({
      column,
      apply: (v) => (typeof v === "string" ? changeCase(v, mode, name) : v),
    });
  }
  for (const [name, list] of inputs(config.na_values)) {
    operations.push(naValues(name, at(name), dtypes[at(name)]!, list));
  }
  const fills: CellOperation[] = [];
  for (const [name, rule] of inputs(config.nulls)) {
    if (rule.strategy === "drop") continue;
    const fill = state.fills[name];
    const matches = fill !== undefined && fill.strategy === rule.strategy &&
      (rule.strategy !== "constant" || fill.value === rule.value);
    if (!matches) {
      throw new RowUnsupported(`the cleaning state has no matching fill for "${name}"`);
    }
    fills.push(fillNulls(name, at(name), dtypes, fill));
  }
  operations.push(...fills);
  for (const [name] of inputs(config.clip)) {
    const bounds = state.clip[name];
    if (bounds === undefined) {
      throw new RowUnsupported(`the cleaning state has no clip of "${name}"`);
    }
    operations.push(clip(name, at(name), dtypes, bounds.lower, bounds.upper));
  }
  const cleaned = names.map((name, k): RowColumn => ({ name, dtype: dtypes[k]! }));
  return {
    columns: cleaned,
    clean(row) {
      for (const operation of operations) {
        row[operation.column] = operation.apply(row[operation.column]!);
      }
    },
  };
}

function naValues(
  name: string,
  column: number,
  dtype: RowDtype,
  list: readonly unknown[],
): CellOperation {
  if (dtype === "str") {
    const missing = new Set(list.map(String));
    return { column, apply: (v) => (missing.has(v as string) ? null : v) };
  }
  if (dtype === "dt") throw new RowUnsupported(`na_values of date column "${name}"`);
  const numbers = list.filter((v): v is number => typeof v === "number");
  const exact = numbers.length === list.length &&
    numbers.every((v) => Number.isFinite(v) && (dtype === "f64" || Number.isInteger(v)));
  if (!exact) throw new RowUnsupported(`na_values ${JSON.stringify(list)} of "${name}"`);
  const missing = new Set(numbers);
  return { column, apply: (v) => (v !== null && missing.has(v as number) ? null : v) };
}

function fillNulls(
  name: string,
  column: number,
  dtypes: RowDtype[],
  fill: CleaningState["fills"][string],
): CellOperation {
  const dtype = dtypes[column]!;
  const value = fill.value;
  if (fill.strategy === "mean" || fill.strategy === "median") {
    if ((dtype !== "f64" && dtype !== "i64") || typeof value !== "number") {
      throw new RowUnsupported(`${fill.strategy} fill of "${name}" (${dtype})`);
    }
    dtypes[column] = "f64";
    return { column, apply: (v) => (v === null || Number.isNaN(v) ? value : v) };
  }
  const ok = dtype === "str"
    ? typeof value === "string"
    : dtype === "f64"
    ? typeof value === "number"
    : dtype === "i64"
    ? typeof value === "number" && Number.isInteger(value) &&
      Math.abs(value) <= LARGEST_EXACT_INTEGER
    : false;
  if (!ok) {
    throw new RowUnsupported(`${fill.strategy} fill ${JSON.stringify(value)} of "${name}"`);
  }
  const filler = value as string | number;
  return {
    column,
    apply: dtype === "f64"
      ? (v) => (v === null || Number.isNaN(v) ? filler : v)
      : (v) => (v === null ? filler : v),
  };
}

function clip(
  name: string,
  column: number,
  dtypes: RowDtype[],
  lower: number | null,
  upper: number | null,
): CellOperation {
  const dtype = dtypes[column]!;
  if (dtype !== "f64" && dtype !== "i64") {
    throw new RowUnsupported(`clip of "${name}" (${dtype})`);
  }
  const fractional = [lower, upper].some((b) => b !== null && !Number.isInteger(b));
  if (dtype === "i64" && fractional) dtypes[column] = "f64";
  const unexact = [lower, upper].some((b) =>
    b !== null && (!Number.isFinite(b) || (dtypes[column] === "i64" &&
      Math.abs(b) > LARGEST_EXACT_INTEGER))
  );
  if (unexact) throw new RowUnsupported(`clip bounds of "${name}"`);
  return {
    column,
    apply: (v) => {
      if (typeof v !== "number") return v;
      if (lower !== null && lessThan(v, lower)) return lower;
      if (upper !== null && !Number.isNaN(v) && v > upper) return upper;
      return v;
    },
  };
}
