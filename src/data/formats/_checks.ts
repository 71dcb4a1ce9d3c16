/**
 * Checks and error wrapping shared by the format readers and the loader: frame access that no
 * column name can shadow, plain column names, column selection, and polars errors wrapped once.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, DataType, LazyDataFrame } from "nodejs-polars";
import { ArtifactError, didYouMean, SchemaMismatchError } from "../../errors.ts";
import type { Dtype } from "../../config/schema.ts";
import type { DataFile } from "./_registry.ts";

/**
 * The frame as a lazy frame. Polars frames expose their columns as properties, so a column named
 * "height", "select" or "columns" hides the frame member of that name; lazy frames do not.
 */
export function lazyOf(frame: DataFrame): LazyDataFrame {
  if (typeof (frame as { lazy: unknown }).lazy !== "function") {
    throw new SchemaMismatchError(
      `Cannot process a frame with a column named "lazy": nodejs-polars reserves that name for ` +
        `DataFrame.lazy(); rename the column`,
    );
  }
  return frame.lazy();
}

/**
 * Refuses column names that polars reads as patterns, not names: `^...$` is a regular expression
 * and `*` every column, so `pl.col(name)` would select other columns or none, and every step
 * after loading would fail or check the wrong data.
 */
export function requirePlainNames(file: DataFile, columns: readonly string[]): void {
  const patterns = columns.filter((name) => name === "*" || /^\^[\s\S]*\$$/.test(name));
  if (patterns.length === 0) return;
  throw new SchemaMismatchError(
    `Cannot load dataset "${file.path}": column name${patterns.length === 1 ? "" : "s"} ${
      patterns.map((name) => JSON.stringify(name)).join(", ")
    } ${
      patterns.length === 1 ? "is" : "are"
    } read by polars as a pattern (a name starting with "^" and ending with "$" is a regular expression, "*" is every column), not a name; rename ${
      patterns.length === 1 ? "it" : "them"
    } in the file`,
  );
}

/** Column types of a lazy frame, read under private names that no frame member shadows. */
export function schemaOf(lazy: LazyDataFrame): Map<string, DataType> {
  const names = lazy.columns;
  const probe = lazy.select(names.map((name, i) => pl.col(name).alias(`__${i}__`))).head(0)
    .collectSync();
  const types = probe.dtypes;
  return new Map(names.map((name, i) => [name, types[i]!]));
}

export function rowCount(lazy: LazyDataFrame): number {
  return Number(lazy.select(pl.len().alias("__rows__")).collectSync().toRecords()[0]!["__rows__"]);
}

export function selectedColumns(
  file: DataFile,
  available: readonly string[],
  wanted: readonly string[],
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of wanted) {
    if (seen.has(name)) problems.push(`column "${name}" is listed twice`);
    seen.add(name);
    if (!available.includes(name)) {
      problems.push(`unknown column "${name}"${didYouMean(name, available)}`);
    }
  }
  if (problems.length > 0) {
    throw new SchemaMismatchError(
      `Cannot select columns from "${file.path}": ${problems.join("; ")} ` +
        `(available: ${JSON.stringify(available)}); fix data.columns`,
    );
  }
  return [...wanted];
}

export function checkOverrideColumns(
  file: DataFile,
  available: readonly string[],
  dtypes: Record<string, Dtype>,
): void {
  const unknown = Object.keys(dtypes).filter((name) => !available.includes(name));
  if (unknown.length === 0) return;
  const listed = unknown.map((name) => `"${name}"${didYouMean(name, available)}`).join("; ");
  throw new SchemaMismatchError(
    `Cannot apply dtype overrides to "${file.path}": unknown column ${listed} ` +
      `(available: ${JSON.stringify(available)}); fix data.dtypes`,
  );
}

export function collect(file: DataFile, lazy: LazyDataFrame): DataFrame {
  try {
    return lazy.collectSync();
  } catch (cause) {
    throw wrapPolars(file, cause);
  }
}

export function wrapPolars(file: DataFile, cause: unknown): ArtifactError {
  return new ArtifactError(
    `Cannot load dataset "${file.path}" as ${file.format}: ${firstLine(cause)}; ` +
      `check that the file is valid ${file.format} or set data.format`,
    { cause },
  );
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim();
}
