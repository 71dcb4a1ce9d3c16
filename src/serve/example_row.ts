/**
 * The example row the model card and the OpenAPI document show for a run, built from its input
 * signature and training profile so that it always scores.
 *
 * @module
 */
import type { RunArtifacts } from "../pipelines/mod.ts";
import { dtypeKind, isIntegerDtype } from "../utils/mod.ts";
import type { RowValue } from "./request_rows.ts";

/**
 * A typical input row of a run: each numeric column's training median, each category's most
 * frequent value, each date's earliest value.
 *
 * @param run the loaded run
 * @returns one row, keyed by input column, that the service scores
 * @example
 * ```ts
 * exampleRow(run); // { Island: "Biscoe", "Beak Length (mm)": 44.5, … }
 * ```
 */
export function exampleRow(run: RunArtifacts): Record<string, RowValue> {
  const profiles = new Map(run.profile.columns.map((p) => [p.name, p]));
  return Object.fromEntries(run.signature.columns.map((column) => {
    const profile = profiles.get(column.name);
    if (column.kind === "numeric") {
      const median = profile?.kind === "numeric" ? profile.percentiles[50] : undefined;
      const value = median ?? (column.min + column.max) / 2;
      const integer = isIntegerDtype(column.dtype);
      return [column.name, integer ? Math.round(value) : Math.round(value * 100) / 100];
    }
    if (column.kind === "categorical") {
      const frequencies = profile?.kind === "categorical" ? profile.frequencies : {};
      const top = Object.entries(frequencies).sort((a, b) => b[1] - a[1])[0]?.[0];
      return [column.name, top ?? column.categories[0] ?? null];
    }
    // A plain ISO date (or date and time), the form every scoring path reads the same way.
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(column.min);
    if (!iso) return [column.name, column.min];
    return [
      column.name,
      dtypeKind(column.dtype) === "date" ? column.min.slice(0, 10) : column.min.slice(0, 19),
    ];
  }));
}
