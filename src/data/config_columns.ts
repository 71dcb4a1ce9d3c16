/**
 * One check of every column name the config writes against the columns of the loaded data: the
 * target and each name under `data`, `validation`, `cleaning`, `split` and `features`, reported
 * together with the key to fix and the closest column.
 *
 * @module
 */
import { type Config, formatKeyPath, type KeyPathSegment } from "../config/mod.ts";
import { didYouMean, SchemaMismatchError } from "../errors.ts";
import { scanDataset } from "./loader.ts";

/** The config sections whose column names {@link checkConfigColumns} checks. */
export type ColumnsConfig = Pick<Config, "data" | "validation" | "cleaning" | "split" | "features">;

/** A column name in the config that the data does not have. */
export interface UnknownConfigColumn {
  /** The key to fix, e.g. `data.target` or `cleaning.nulls."Body Mass (g)"`. */
  key: string;
  /** The name written there. */
  name: string;
  /** Why it is refused and what to write instead, e.g. `"Sexx" is not a column: did you mean "Sex"`. */
  message: string;
}

/** Options of {@link checkConfigColumns}. */
export interface CheckConfigColumnsOptions {
  /**
   * The data the columns were read from, named in the error.
   * @default "the data"
   */
  source?: string;
}

/** Defaults of {@link CheckConfigColumnsOptions}. */
export const DEFAULT_CHECK_CONFIG_COLUMNS_OPTIONS: Readonly<Required<CheckConfigColumnsOptions>> = {
  source: "the data",
};

/** Where a name must be found: the data as loaded, or that plus the derived feature columns. */
type Scope = "data" | "features";

interface NamedColumn {
  path: KeyPathSegment[];
  name: string;
  scope: Scope;
}

/**
 * Lists every column name the config writes, with its key path: `data.target` (or
 * `data.derive_target.source` when the target is derived), `data.columns`, `data.dtypes`,
 * `data.id_columns`, `validation.columns`, every per-column map and `drop_duplicates.subset` of
 * `cleaning`, `split.stratify_by`, `split.group_column`, `split.time_column`, the columns of
 * `features.derived`, and the columns of each `features.steps` entry that lists them.
 */
function namedColumns(config: ColumnsConfig): NamedColumn[] {
  const found: NamedColumn[] = [];
  const add = (path: KeyPathSegment[], name: unknown, scope: Scope = "data") => {
    if (typeof name === "string") found.push({ path, name, scope });
  };
  const { data, validation, cleaning, split, features } = config;
  if (data.derive_target === null) add(["data", "target"], data.target);
  else add(["data", "derive_target", "source"], data.derive_target.source);
  data.columns?.forEach((name, i) => add(["data", "columns", i], name));
  for (const name of Object.keys(data.dtypes)) add(["data", "dtypes", name], name);
  data.id_columns.forEach((name, i) => add(["data", "id_columns", i], name));
  for (const name of Object.keys(validation.columns)) add(["validation", "columns", name], name);
  if (typeof cleaning.drop_duplicates === "object") {
    cleaning.drop_duplicates.subset.forEach((name, i) =>
      add(["cleaning", "drop_duplicates", "subset", i], name)
    );
  }
  for (const key of ["normalize_case", "na_values", "nulls", "clip"] as const) {
    for (const name of Object.keys(cleaning[key])) add(["cleaning", key, name], name);
  }
  for (const key of ["stratify_by", "group_column", "time_column"] as const) {
    add(["split", key], split[key]);
  }
  features.derived.forEach((derived, i) => {
    if ("columns" in derived) {
      derived.columns.forEach((name, j) =>
        add(["features", "derived", i, "columns", j], name, "features")
      );
    } else {
      add(["features", "derived", i, "column"], derived.column, "features");
    }
  });
  features.steps.forEach((step, i) => {
    // A selector (an object, not a list) picks columns when the pipeline is fitted.
    const columns: unknown = step.columns;
    if (!Array.isArray(columns)) return;
    columns.forEach((name, j) => add(["features", "steps", i, "columns", j], name, "features"));
  });
  return found;
}

/**
 * Finds the column names in the config that the data does not have.
 *
 * A derived target (`data.derive_target`) counts as a column everywhere, and the names of
 * `features.derived` count as columns under `features`. With `data.columns` set, only the
 * selected columns count outside `data.columns` and `data.dtypes`.
 *
 * @param config the config, or its data, validation, cleaning, split and features sections
 * @param columns the columns of the data as read, before any selection
 * @returns one entry per unknown name, in config order; empty when every name is found
 * @example
 * ```ts
 * findUnknownConfigColumns(config, ["Species", "Island"]);
 * // [{ key: "data.target", name: "Specie", message: 'the target column "Specie" is missing: did you mean "Species"' }]
 * ```
 */
export function findUnknownConfigColumns(
  config: ColumnsConfig,
  columns: readonly string[],
): UnknownConfigColumn[] {
  const inFile = new Set(columns);
  const selected = config.data.columns === null
    ? [...columns]
    : config.data.columns.filter((name) => inFile.has(name));
  const derivedTarget = config.data.derive_target === null ? [] : [config.data.target];
  const available: Record<Scope, string[]> = {
    data: [...selected, ...derivedTarget],
    features: [...selected, ...derivedTarget, ...config.features.derived.map((d) => d.name)],
  };
  const unknown: UnknownConfigColumn[] = [];
  for (const { path, name, scope } of namedColumns(config)) {
    const readAsIs = path[0] === "data" && (path[1] === "columns" || path[1] === "dtypes");
    const candidates = readAsIs ? [...columns] : available[scope];
    if (candidates.includes(name)) continue;
    const key = formatKeyPath(path);
    const what = key === "data.target" ? `the target column "${name}"` : `"${name}"`;
    const message = !readAsIs && inFile.has(name)
      ? `${what} is in the file but not selected: add it to data.columns`
      : `${what} is ${key === "data.target" ? "missing" : "not a column"}${
        didYouMean(name, candidates)
      }`;
    unknown.push({ key, name, message });
  }
  return unknown;
}

/**
 * Checks every column name in the config against the columns of the data, once, and reports
 * all unknown names in one error, each with the config key to fix and the closest column.
 *
 * @param config the config, or its data, validation, cleaning, split and features sections
 * @param columns the columns of the data as read, before any selection
 * @param options the data's name for the message
 * @throws {SchemaMismatchError} listing each unknown name as `key: message`, then the columns
 * @example
 * ```ts
 * checkConfigColumns(config, ["Species", "Island"], { source: "data/raw/penguins.csv" });
 * // SchemaMismatchError: Cannot use the config with "data/raw/penguins.csv": 1 column name is not
 * //   in the data, fix the config key
 * //   data.target: the target column "Specie" is missing: did you mean "Species"
 * //   (the data has columns ["Species", "Island"])
 * ```
 */
export function checkConfigColumns(
  config: ColumnsConfig,
  columns: readonly string[],
  options: CheckConfigColumnsOptions = {},
): void {
  const { source } = { ...DEFAULT_CHECK_CONFIG_COLUMNS_OPTIONS, ...options };
  const unknown = findUnknownConfigColumns(config, columns);
  if (unknown.length === 0) return;
  const many = unknown.length > 1;
  const where = source === DEFAULT_CHECK_CONFIG_COLUMNS_OPTIONS.source ? source : `"${source}"`;
  const count = `${unknown.length} column name${many ? "s are" : " is"}`;
  const lines = unknown.map((u) => `  ${u.key}: ${u.message}`);
  throw new SchemaMismatchError(
    `Cannot use the config with ${where}: ${count} not in the data, fix the config key${
      many ? "s" : ""
    }\n${lines.join("\n")}\n  (the data has columns ${JSON.stringify(columns)})`,
  );
}

/**
 * Reads the column names of a data file without loading its rows (a lazy scan where the format
 * has one), as {@link loadDataset} would name them with the same options.
 *
 * @param path the file
 * @param options the load options, e.g. `config.data`; the column selection and types are ignored
 * @returns the column names in file order
 * @throws {ArtifactError} when the file is missing, empty or cannot be read
 * @example
 * ```ts
 * datasetColumns("data/raw/penguins.csv", config.data); // ["Species", "Island", ...]
 * ```
 */
export function datasetColumns(path: string, options: ColumnsConfig["data"]): string[] {
  return scanDataset(path, { ...options, columns: null, dtypes: {} }).columns;
}
