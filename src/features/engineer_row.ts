/**
 * The row form of `addDerivedFeatures`: each derived feature compiled to a function of one row
 * holding the cleaned inputs and the features derived before it, answering exactly what
 * `derivedFeatureExpr` answers for the same row (the semantics are documented there).
 *
 * @module
 */
import type { DerivedFeature } from "../config/mod.ts";
import { DateValue, rowNumber, RowUnsupported } from "../data/mod.ts";
import type { RowColumn, RowDtype, RowValue } from "../data/mod.ts";

/** Derived features compiled for rows. */
export interface DerivedRow {
  /** The row's columns after derivation: the inputs, then one Float64 column per feature. */
  readonly columns: readonly RowColumn[];
  /**
   * Appends every derived feature to a row, in config order.
   *
   * @param row the cleaned input cells; the features are pushed onto it
   */
  derive(row: RowValue[]): void;
}

const DATE_PARTS: readonly string[] = ["year", "month", "day", "weekday", "hour", "minute"];

/**
 * Compiles `config.features.derived` for rows.
 *
 * @param derived the derived features, in config order
 * @param columns the cleaned input columns, in row order
 * @returns the compiled features
 * @throws {RowUnsupported} for an unknown kind or part, a repeated name, a source column of the
 *   wrong type, or bucket boundaries the polars path refuses
 * @example
 * ```ts
 * const derived = compileDerivedRow(
 *   [{ name: "r", kind: "ratio", columns: ["a", "b"] }],
 *   [{ name: "a", dtype: "f64" }, { name: "b", dtype: "f64" }],
 * );
 * const row: RowValue[] = [1, 2];
 * derived.derive(row); // row is [1, 2, 0.5]
 * ```
 */
export function compileDerivedRow(
  derived: readonly DerivedFeature[],
  columns: readonly RowColumn[],
): DerivedRow {
  const names = columns.map((c) => c.name);
  const types = columns.map((c) => c.dtype);
  const functions = derived.map((feature) => {
    if (names.includes(feature.name)) {
      throw new RowUnsupported(`derived feature "${feature.name}" repeats a column name`);
    }
    const source = (name: string, wanted: readonly RowDtype[]) => {
      const position = names.indexOf(name);
      if (position < 0 || !wanted.includes(types[position]!)) {
        throw new RowUnsupported(`derived feature "${feature.name}" cannot read "${name}"`);
      }
      return position;
    };
    const derive = compileFeature(feature, source);
    names.push(feature.name);
    types.push("f64");
    return derive;
  });
  return {
    columns: names.map((name, k): RowColumn => ({ name, dtype: types[k]! })),
    derive(row) {
      for (const derive of functions) row.push(derive(row));
    },
  };
}

function compileFeature(
  feature: DerivedFeature,
  source: (name: string, wanted: readonly RowDtype[]) => number,
): (row: RowValue[]) => RowValue {
  switch (feature.kind) {
    case "ratio":
    case "product":
    case "difference":
    case "sum": {
      const a = source(feature.columns[0], ["f64", "i64"]);
      const b = source(feature.columns[1], ["f64", "i64"]);
      const op = feature.kind;
      return (row) => {
        const x = rowNumber(row[a]!);
        const y = rowNumber(row[b]!);
        if (x === null || y === null) return null;
        if (op === "ratio") return y === 0 ? null : x / y;
        return op === "product" ? x * y : op === "difference" ? x - y : x + y;
      };
    }
    case "date_part": {
      const position = source(feature.column, ["dt"]);
      const part = feature.part;
      if (!DATE_PARTS.includes(part)) throw new RowUnsupported(`date part "${part}"`);
      return (row) => {
        const date = row[position];
        if (!(date instanceof DateValue)) return null;
        return part === "weekday" ? date.weekday : date[part as Exclude<typeof part, "weekday">];
      };
    }
    case "bucket": {
      const position = source(feature.column, ["f64", "i64"]);
      const boundaries = [...feature.boundaries];
      const ascending = boundaries.length > 0 &&
        boundaries.every((b, i) => Number.isFinite(b) && (i === 0 || b > boundaries[i - 1]!));
      if (!ascending) throw new RowUnsupported(`bucket boundaries of "${feature.name}"`);
      return (row) => {
        const x = rowNumber(row[position]!);
        if (x === null || Number.isNaN(x)) return null;
        for (let i = 0; i < boundaries.length; i++) if (x < boundaries[i]!) return i;
        return boundaries.length;
      };
    }
    default:
      throw new RowUnsupported(
        `derived feature kind ${JSON.stringify((feature as { kind?: unknown }).kind)}`,
      );
  }
}
