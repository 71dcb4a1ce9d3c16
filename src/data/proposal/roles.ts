/**
 * The role of each column in a profile proposal: the target, an id (carried through prediction,
 * never a feature), dropped (all null, constant, mostly null or nearly unique text) or a feature.
 *
 * @module
 */
import type { ColumnFacts } from "./column_facts.ts";

/** A column left out of the features, and why (one line, for the profile's comments). */
export interface DroppedColumn {
  name: string;
  reason: string;
}

/** Which columns play which part. */
export interface ColumnRoles {
  target: string;
  /**
   * Columns that identify rows: unique text, integers that increase row by row, and unique
   * integers named like an id (`id`, `…_id`, `key`, `index`, `no`, `number`, `code`).
   */
  idColumns: string[];
  /** Columns left out of the features. */
  dropped: DroppedColumn[];
  /** The feature columns, in file order. */
  features: ColumnFacts[];
}

/** Names of integer columns that number rows (unique integers named otherwise are measurements). */
const ID_NAME = /(^|[^a-z])(id|key|index|idx|no|number|code)$/i;

/** A column with a larger share of nulls than this is left out of the features. */
export const MAX_FEATURE_NULL_SHARE = 0.5;

/**
 * Text whose distinct values are more than this share of its filled rows (titles, names, free
 * text) is left out of the features: its most frequent values cover almost no rows, so one-hot
 * columns of them would only fit noise.
 */
export const MAX_TEXT_DISTINCT_SHARE = 0.9;

/**
 * Assigns each column a role.
 *
 * @param facts the columns, from `describeColumns`
 * @param target the target column
 * @returns the id columns, the dropped columns with their reasons and the features
 * @example
 * ```ts
 * assignRoles(describeColumns(df, path), "weather").idColumns; // []
 * ```
 */
export function assignRoles(facts: readonly ColumnFacts[], target: string): ColumnRoles {
  const idColumns: string[] = [];
  const dropped: DroppedColumn[] = [];
  const features: ColumnFacts[] = [];
  for (const column of facts) {
    if (column.name === target) continue;
    const filled = column.rows - column.nulls;
    if (filled === 0) {
      dropped.push({ name: column.name, reason: "every value is null" });
    } else if (column.distinct === 1 && column.nulls === 0) {
      dropped.push({ name: column.name, reason: "constant: one value in every row" });
    } else if (
      column.kind === "string" && column.nulls === 0 && column.distinct === column.rows &&
      column.rows > 1
    ) {
      idColumns.push(column.name);
    } else if (
      column.kind === "int" && column.rows > 1 &&
      (column.increasing || (ID_NAME.test(column.name) && column.distinct === column.rows))
    ) {
      idColumns.push(column.name);
    } else if (column.nulls / column.rows > MAX_FEATURE_NULL_SHARE) {
      dropped.push({
        name: column.name,
        reason: `${
          Math.round((100 * column.nulls) / column.rows)
        }% null, too few values to learn from`,
      });
    } else if (column.kind === "string" && column.distinct > MAX_TEXT_DISTINCT_SHARE * filled) {
      dropped.push({
        name: column.name,
        reason:
          `nearly unique text (${column.distinct} values in ${filled} rows), like a name or title`,
      });
    } else if (column.kind === "other") {
      dropped.push({ name: column.name, reason: "a type the feature steps do not handle" });
    } else {
      features.push(column);
    }
  }
  return { target, idColumns, dropped, features };
}
