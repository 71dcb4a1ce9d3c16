/**
 * A whole profile proposed for a data file: data options, validation, cleaning, split, features,
 * model, training and registry choices, each with a one-line comment, assembled from the
 * concerns of this folder. `deno task init` writes it; a notebook can call it the same way.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { extname } from "node:path";
import { ConfigError, didYouMean } from "../../errors.ts";
import type { Dtype, FeaturesConfig, ValidationConfig } from "../../config/schema.ts";
import { loadDataset, readTextSample } from "../loader.ts";
import { dataFormatFor } from "../formats/mod.ts";
import { describeColumns, findNullMarkers } from "./column_facts.ts";
import type { ColumnFacts } from "./column_facts.ts";
import { sniffDialect } from "./sniff.ts";
import { proposeValidation } from "./validation.ts";
import { assignRoles } from "./roles.ts";
import type { DroppedColumn } from "./roles.ts";
import { MISSING_CATEGORY, proposeCleaning } from "./cleaning.ts";
import { proposeFeatures } from "./features.ts";
import { isClassTarget, proposeTask } from "./task.ts";
import type { ProposalComment } from "./_comments.ts";

/** The default model family of a proposal and its layers. */
export const PROPOSED_MODEL = { family: "mlp", params: { hidden_units: [32, 16] } } as const;

/** The families `deno task init --family` can propose. */
export const PROPOSED_FAMILIES = ["mlp", "linear", "gbdt"] as const;

/** A family `deno task init --family` can propose. */
export type ProposedFamily = typeof PROPOSED_FAMILIES[number];

/**
 * The `gbdt` params a proposal writes: the family's defaults, spelled out so a reader sees what
 * to tune (the data layer does not import the models; a test keeps them equal to the schema's).
 */
export const PROPOSED_GBDT_PARAMS = {
  rounds: 200,
  learning_rate: 0.1,
  max_leaves: 31,
  max_depth: null,
  min_samples_leaf: 20,
  min_gain: 0,
  l2: 1,
  subsample: 1,
  colsample: 1,
  early_stopping_rounds: 20,
  max_bins: 255,
  loss: "squared_error",
  huber_quantile: 0.9,
} as const;

/** A one-line comment per proposed gbdt param. */
const GBDT_PARAM_COMMENTS: Readonly<Record<keyof typeof PROPOSED_GBDT_PARAMS, string>> = {
  rounds: "boosting rounds, at most (early stopping usually ends sooner)",
  learning_rate: "shrinkage of every leaf value: lower needs more rounds",
  max_leaves: "leaves per tree, grown best-first",
  max_depth: "null for no depth limit (max_leaves bounds the tree)",
  min_samples_leaf: "fewest training rows per leaf: raise it on noisy data",
  min_gain: "a split must lower the loss by more than this",
  l2: "penalty on leaf values",
  subsample: "share of rows each round samples",
  colsample: "share of features each tree may use",
  early_stopping_rounds: "rounds without validation improvement before stopping; 0 turns it off",
  max_bins: "quantile bins per feature (missing values get their own)",
  loss:
    "regression: absolute_error or huber resist outliers; a classifier keeps squared_error and boosts the log-loss itself",
  huber_quantile: "huber: delta is this quantile of |residuals| each round",
};

/** The `model` section and its comments for a proposed family. */
function proposedModel(family: ProposedFamily): {
  model: Record<string, unknown>;
  comments: ProposalComment[];
} {
  switch (family) {
    case "mlp":
      return {
        model: {
          family: PROPOSED_MODEL.family,
          params: { hidden_units: [...PROPOSED_MODEL.params.hidden_units] },
        },
        comments: [
          {
            path: ["model", "family"],
            text: "a small neural network; linear, gbdt and baseline are the alternatives",
          },
          {
            path: ["model", "params", "hidden_units"],
            text: "neurons per hidden layer, input side first",
          },
        ],
      };
    case "linear":
      return {
        model: { family: "linear" },
        comments: [{
          path: ["model", "family"],
          text:
            "a linear model (logistic or least squares) with its default params; mlp and gbdt are the alternatives",
        }],
      };
    case "gbdt":
      return {
        model: { family: "gbdt", params: { ...PROPOSED_GBDT_PARAMS } },
        comments: [
          {
            path: ["model", "family"],
            text:
              "gradient-boosted trees, with the gbdt defaults below; mlp and linear are the alternatives",
          },
          ...Object.entries(GBDT_PARAM_COMMENTS).map(([param, text]) => ({
            path: ["model", "params", param],
            text,
          })),
        ],
      };
    default:
      throw new RangeError(
        `Cannot propose model family ${JSON.stringify(family)}: expected one of ${
          PROPOSED_FAMILIES.join(", ")
        }`,
      );
  }
}

/** How the data file is read: the `data:` reading options of the profile. */
export interface ProposalReadOptions {
  /** `csv` or `tsv` when the file's extension does not say; `null` to leave it to the extension. */
  format: string | null;
  separator: string | null;
  quote: string;
  nullMarkers: string[];
}

/** Options of {@link proposeProfile}. */
export interface ProposeProfileOptions {
  /** The column to predict. */
  target: string;
  /** The profile and project name. */
  name: string;
  /** `data.path` as written in the profile (relative to the project root). */
  path: string;
  /**
   * How the file was read.
   * @default { format: null, separator: null, quote: '"', nullMarkers: [] }
   */
  read?: ProposalReadOptions;
  /**
   * The model family to propose, written with its params and a comment on each.
   * @default "mlp"
   */
  family?: ProposedFamily;
}

/** A proposed profile: the config tree, a comment per choice, and notes for the terminal. */
export interface ProfileProposal {
  name: string;
  /** The profile as plain data, in the order it is written. */
  profile: Record<string, unknown>;
  comments: ProposalComment[];
  /** Columns left out of the features and why. */
  dropped: DroppedColumn[];
  /** Things the user should know before training or serving, one line each. */
  notes: string[];
  /** The facts every choice was made from. */
  columns: ColumnFacts[];
}

const DEFAULT_READ: ProposalReadOptions = {
  format: null,
  separator: null,
  quote: '"',
  nullMarkers: [],
};

/** Sorted distinct non-null values of a column, as they are written in YAML. */
function distinctValues(df: DataFrame, name: string): (string | number | boolean)[] {
  const values = df.lazy().select(pl.col(name).dropNulls().unique().sort().alias("__v__"))
    .collectSync().getColumn("__v__").toArray() as unknown[];
  return values.map((value) =>
    typeof value === "number" || typeof value === "boolean" ? value : String(value)
  );
}

function classCountsOf(df: DataFrame, target: string): Record<string, number> {
  const counts = df.lazy().filter(pl.col(target).isNotNull())
    .groupBy(pl.col(target).cast(pl.Utf8).alias("__label__"))
    .agg(pl.len().alias("__count__"))
    .collectSync().toRecords();
  return Object.fromEntries(counts.map((r) => [String(r["__label__"]), Number(r["__count__"])]));
}

/**
 * Proposes a self-contained profile for a frame.
 *
 * @param df the data, read with the proposed reading options (dates may still be text)
 * @param options the target, the profile name, the data path and how the file is read
 * @returns the profile tree, its comments and the dropped columns
 * @throws {ConfigError} when the target is not a column (with the closest name)
 * @throws {SchemaMismatchError} for mixed types or dates in two formats
 * @throws {DataValidationError} for a target with one class, a class of one row, or no values
 * @throws {SchemaMismatchError} when no feature column is left
 * @example
 * ```ts
 * const proposal = proposeProfile(loadDataset("weather.csv"), { target: "weather", name: "weather", path: "data/raw/weather.csv" });
 * console.log(proposalToYaml(proposal));
 * ```
 */
export function proposeProfile(df: DataFrame, options: ProposeProfileOptions): ProfileProposal {
  const { target, name, path } = options;
  const read = options.read ?? DEFAULT_READ;
  const model = proposedModel(options.family ?? "mlp");
  requireTarget(df.columns, target, path);
  const columns = describeColumns(df, path);
  const targetFacts = columns.find((c) => c.name === target)!;
  const classes = isClassTarget(targetFacts);
  const task = proposeTask(targetFacts, classes ? classCountsOf(df, target) : null);
  const roles = assignRoles(columns, target);
  const cleaning = proposeCleaning(targetFacts, roles);
  const features = proposeFeatures(roles, {
    imputedDates: cleaning.imputedDates,
    taken: df.columns,
  });
  const categories: Record<string, (string | number | boolean)[]> = {};
  for (const column of columns) {
    const listed = column.name === target
      ? classes
      : column.kind === "string" && column.distinct <= 20;
    if (listed) categories[column.name] = distinctValues(df, column.name);
  }
  const validation = proposeValidation(columns, {
    target,
    task: task.task,
    categories,
    idColumns: roles.idColumns,
  });
  // Text nulls filled with "missing" must still pass validation after cleaning.
  for (const [column, strategy] of Object.entries(cleaning.cleaning.nulls)) {
    const rules = validation.validation.columns[column];
    if (strategy.strategy === "constant" && rules?.allowed !== undefined) {
      rules.allowed = [...rules.allowed, MISSING_CATEGORY];
    }
  }

  const comments: ProposalComment[] = [];
  const data: Record<string, unknown> = { path };
  comments.push({ path: ["data", "path"], text: "the input file, relative to the project root" });
  if (read.format !== null) {
    data["format"] = read.format;
    comments.push({ path: ["data", "format"], text: "the extension does not say how to read it" });
  }
  if (read.separator !== null) {
    data["separator"] = read.separator;
    comments.push({ path: ["data", "separator"], text: "sniffed from the first lines" });
    data["quote"] = read.quote;
    comments.push({ path: ["data", "quote"], text: "encloses values that hold the separator" });
  }
  if (read.nullMarkers.length > 0) {
    data["null_markers"] = read.nullMarkers;
    comments.push({
      path: ["data", "null_markers"],
      text: "values found in the file that mean missing",
    });
  }
  const dateFormats: Record<string, string> = {};
  const dtypes: Record<string, Dtype> = {};
  for (const column of columns) {
    if (column.dateFormat !== null) {
      dateFormats[column.name] = column.dateFormat;
      dtypes[column.name] = column.kind === "datetime" ? "datetime" : "date";
    }
  }
  if (task.task === "regression" && targetFacts.kind === "int") {
    dtypes[target] = "float";
    const rules = validation.validation.columns[target];
    if (rules !== undefined) rules.dtype = "float";
  }
  const notes: string[] = [];
  if (Object.keys(dateFormats).length > 0) {
    data["date_formats"] = dateFormats;
    comments.push({
      path: ["data", "date_formats"],
      text: "every value of these columns matches its format",
    });
  }
  if (Object.keys(dtypes).length > 0) {
    data["dtypes"] = dtypes;
    comments.push({
      path: ["data", "dtypes"],
      text: task.task === "regression" && targetFacts.kind === "int"
        ? "dates as dates; the whole-number target read as a number to regress on"
        : "read these columns as dates",
    });
  }
  data["target"] = target;
  comments.push({ path: ["data", "target"], text: "the column to predict" });
  data["task"] = task.task;
  data["id_columns"] = roles.idColumns;
  comments.push({
    path: ["data", "id_columns"],
    text: roles.idColumns.length > 0
      ? "unique or increasing row ids: carried to predictions, never a feature"
      : "no column looks like a row id",
  });

  const trainingOverrides: Record<string, unknown> = {};
  if (task.classWeights === "balanced") trainingOverrides["class_weights"] = "balanced";

  const profile: Record<string, unknown> = {
    project: { name },
    data,
    validation: validation.validation,
    cleaning: cleaning.cleaning,
    split: { method: task.split },
    features: features.features satisfies FeaturesConfig,
    model: model.model,
    ...(Object.keys(trainingOverrides).length > 0 ? { training: trainingOverrides } : {}),
    registry: { primary_metric: task.metric },
  };
  comments.push(
    { path: ["project", "name"], text: "the project key: runs, the registry and serve use it" },
    ...model.comments,
    ...validation.comments,
    ...cleaning.comments,
    ...features.comments,
    ...task.comments,
  );
  for (const dropped of roles.dropped) {
    const index = Object.keys((validation.validation as ValidationConfig).columns).indexOf(
      dropped.name,
    );
    if (index >= 0) {
      comments.push({
        path: ["validation", "columns", dropped.name],
        text: `not a feature: ${dropped.reason}`,
      });
    }
  }
  return {
    name,
    notes,
    profile: withoutDefaults(profile) as Record<string, unknown>,
    comments,
    dropped: roles.dropped,
    columns,
  };
}

/** Leaves out keys that only restate a default: empty maps and lists, `unique: false`. */
function withoutDefaults(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutDefaults(item));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    const kept = withoutDefaults(child, name);
    if (name === "unique" && kept === false) continue;
    const empty = (Array.isArray(kept) && kept.length === 0 && name !== "id_columns") ||
      (kept !== null && typeof kept === "object" && !Array.isArray(kept) &&
        Object.keys(kept).length === 0 && key !== "columns");
    if (empty) continue;
    out[name] = kept;
  }
  return out;
}

function requireTarget(columns: readonly string[], target: string, path: string): void {
  if (columns.includes(target)) return;
  const message = `the target column "${target}" is not in the file${
    didYouMean(target, columns)
  } (columns: ${JSON.stringify(columns)})`;
  throw new ConfigError(
    `Cannot propose a profile for "${path}": ${message}; pass --target with a column of the file`,
    [{ file: "", line: 0, column: 0, path: "data.target", message }],
  );
}

/** Options of {@link proposeProfileForFile}. */
export interface ProposeProfileForFileOptions {
  /** The column to predict. */
  target: string;
  /** The profile and project name. */
  name: string;
  /**
   * `data.path` as written in the profile.
   * @default the file path as given
   */
  dataPath?: string;
  /**
   * The model family to propose.
   * @default "mlp"
   */
  family?: ProposedFamily;
}

/**
 * Reads a data file and proposes a profile for it: sniffs the separator, quote and header of a
 * delimited file, finds the null markers it uses, then calls {@link proposeProfile}.
 *
 * @param file the data file
 * @param options the target, the profile name and the data path written in the profile
 * @returns the proposal
 * @throws {SchemaMismatchError} for a file without a header, with one column, mixed types or
 *   dates in two formats
 * @throws the errors of {@link proposeProfile} and of `loadDataset`
 * @example
 * ```ts
 * const proposal = proposeProfileForFile("data/raw/weather.csv", { target: "weather", name: "weather" });
 * ```
 */
export function proposeProfileForFile(
  file: string,
  options: ProposeProfileForFileOptions,
): ProfileProposal {
  const { target, name } = options;
  const path = options.dataPath ?? file;
  const extension = extname(file).toLowerCase();
  let delimited: boolean;
  let format: string | null = null;
  try {
    const known = dataFormatFor(file).name;
    delimited = known === "csv" || known === "tsv";
  } catch {
    // An unknown extension (.txt, .data) is read as delimited text.
    delimited = true;
    format = "csv";
  }
  let read: ProposalReadOptions = { ...DEFAULT_READ, format };
  if (delimited) {
    const dialect = sniffDialect(readTextSample(file, 1 << 16), file);
    read = { format, separator: dialect.separator, quote: dialect.quote, nullMarkers: [] };
    if (extension === ".tsv" && dialect.separator === "\t") read.separator = null;
    if (extension === ".csv" && dialect.separator === "," && dialect.quote === '"') {
      read = { ...read, separator: ",", quote: '"' };
    }
  }
  const loadOptions = (markers: string[]) => ({
    ...(read.format === null ? {} : { format: read.format }),
    ...(read.separator === null ? {} : { separator: read.separator }),
    quote: read.quote,
    null_markers: markers,
  });
  let frame = loadDataset(file, loadOptions([]));
  requireTarget(frame.columns, target, path);
  if (delimited) {
    const markers = findNullMarkers(frame);
    if (markers.length > 0) {
      read.nullMarkers = markers;
      frame = loadDataset(file, loadOptions(markers));
    }
  }
  return proposeProfile(frame, { target, name, path, read, family: options.family ?? "mlp" });
}
