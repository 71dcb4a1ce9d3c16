/**
 * The zod schemas of the three config files and the typed `Config` they produce.
 *
 * Keys are snake_case, exactly as written in YAML. Every object is strict: an unknown key is a
 * typo and is reported, never ignored. Defaults describe the Palmer penguins species task.
 *
 * @module
 */
import { z } from "zod";

/** Column types understood by the loader's overrides and the validator. */
export const DTYPES = ["string", "float", "int", "bool", "date", "datetime"] as const;
/** A column type name. */
export type Dtype = (typeof DTYPES)[number];

const positiveInt = z.int().positive();
const nonNegativeInt = z.int().nonnegative();
const fraction = z.number().gt(0).lt(1);
const columnName = z.string().min(1);

// ---------------------------------------------------------------- project and data

/** `project`: the name shown in runs and a default seed. */
export const ProjectConfigSchema = z.strictObject({
  name: z.string().min(1).default("penguins"),
  seed: nonNegativeInt.default(42),
});

/** Text encodings the delimited readers understand (`data.encoding`). */
export const ENCODINGS = ["utf8", "utf8-lossy", "latin1"] as const;
/** A text encoding name. */
export type Encoding = (typeof ENCODINGS)[number];

/** `data`: where the dataset is and what to predict. */
export const DataConfigSchema = z.strictObject({
  /** Path of the input file, relative to the project root. */
  path: z.string().min(1).default("data/raw/penguins.csv"),
  /**
   * Format: a name of the data-format registry (`csv`, `tsv`, `parquet`, `json`, `ndjson`,
   * `arrow`, or one registered with `registerDataFormat`); `auto` picks it from the file
   * extension. The loader checks the name against the registry.
   */
  format: z.string().min(1).default("auto"),
  /** Columns to keep; `null` keeps all. */
  columns: z.array(columnName).nullable().default(null),
  /** Per-column type overrides applied while reading. */
  dtypes: z.record(columnName, z.enum(DTYPES)).default({}),
  /**
   * Field separator of a delimited file, one character (`";"`, `"\t"`, `"|"`); `null` is the
   * format's own: `","` for csv, a tab for tsv. Other formats refuse it.
   */
  separator: z.string().length(1, { error: 'expected one character, e.g. ";"' }).nullable()
    .default(null),
  /** Quote character of a delimited file, one character. Other formats refuse another value. */
  quote: z.string().length(1, { error: 'expected one character, e.g. "\'"' }).default('"'),
  /**
   * Text encoding of a delimited file: `utf8`, `utf8-lossy` (invalid bytes become U+FFFD) or
   * `latin1` (ISO-8859-1). Other formats refuse another value.
   */
  encoding: z.enum(ENCODINGS).default("utf8"),
  /** Strings read as null in every column of a delimited file, e.g. `["NA", "?"]`. */
  null_markers: z.array(z.string()).default([]),
  /**
   * strftime format of each date or datetime column stored as text, e.g.
   * `{ date: "%d/%m/%Y" }`; a value that does not match is an error naming the row.
   */
  date_formats: z.record(columnName, z.string().min(1)).default({}),
  /** The column to predict. */
  target: columnName.default("Species"),
  /** Whether the target is a class or a number. */
  task: z.enum(["classification", "regression"]).default("classification"),
  /** Columns that identify rows; carried through prediction, never used as features. */
  id_columns: z.array(columnName).default([]),
  /**
   * Builds the target from a numeric source column when the data has no label column:
   * `labels[1]` where `source > greater_than`, else `labels[0]` (null stays null).
   */
  derive_target: z.strictObject({
    source: columnName,
    greater_than: z.number(),
    labels: z.tuple([z.string().min(1), z.string().min(1)]).default(["no", "yes"]),
  }).nullable().default(null),
  /**
   * Out-of-core training: `deno task train` reads the input in batches of `batch_rows`, writes
   * the cleaned rows and then each split's feature matrix to temporary shard files under
   * `data/processed/out_of_core/`, fits the features in streaming passes and trains and
   * evaluates window by window, so memory is set by `batch_rows` and the model, not by the
   * rows of the input. `auto` turns it on above `out_of_core_rows` input rows.
   */
  out_of_core: z.union([z.literal("auto"), z.boolean()]).default("auto"),
  /** Rows per batch read when training out of core; training shuffles windows of 4 batches. */
  batch_rows: positiveInt.default(262_144),
  /** With `out_of_core: auto`, inputs of more rows than this train out of core. */
  out_of_core_rows: positiveInt.default(10_000_000),
});

// ---------------------------------------------------------------- validation

/** Rules for one column. */
export const ColumnRulesSchema = z.strictObject({
  dtype: z.enum(DTYPES).optional(),
  nullable: z.boolean().default(true),
  min: z.number().optional(),
  max: z.number().optional(),
  allowed: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
  unique: z.boolean().default(false),
});

/** `validation`: the data schema the raw input is checked against. */
export const ValidationConfigSchema = z.strictObject({
  /** When true, `deno task validate` fails on any violation and cleaned data must pass. */
  strict: z.boolean().default(true),
  /** Fewest rows the table may have. */
  min_rows: nonNegativeInt.default(1),
  /** Per-column rules; columns not listed are not checked. */
  columns: z.record(columnName, ColumnRulesSchema).default({}),
});

// ---------------------------------------------------------------- cleaning

/** How to handle nulls in one column. */
export const NullStrategySchema = z.discriminatedUnion("strategy", [
  z.strictObject({ strategy: z.literal("drop") }),
  z.strictObject({ strategy: z.literal("mean") }),
  z.strictObject({ strategy: z.literal("median") }),
  z.strictObject({ strategy: z.literal("mode") }),
  z.strictObject({
    strategy: z.literal("constant"),
    value: z.union([z.string(), z.number(), z.boolean()]),
  }),
]);

/** `cleaning`: row and value fixes applied before the split. */
export const CleaningConfigSchema = z.strictObject({
  /** Drop exact duplicate rows (`true`), or rows duplicated on `subset`. */
  drop_duplicates: z.union([z.boolean(), z.strictObject({ subset: z.array(columnName).min(1) })])
    .default(true),
  /** Strip leading and trailing white space from every string column. */
  trim_strings: z.boolean().default(true),
  /** Per-column case normalisation of strings. */
  normalize_case: z.record(columnName, z.enum(["lower", "upper"])).default({}),
  /** Per-column values that mean "missing" and become null. */
  na_values: z.record(columnName, z.array(z.union([z.string(), z.number()]))).default({}),
  /** Per-column null handling. */
  nulls: z.record(columnName, NullStrategySchema).default({}),
  /** Per-column quantile clipping, e.g. `{ lower: 0.01, upper: 0.99 }`. */
  clip: z.record(
    columnName,
    z.strictObject({
      lower: z.number().min(0).max(1).default(0),
      upper: z.number().min(0).max(1).default(1),
    }),
  ).default({}),
});

// ---------------------------------------------------------------- split

/** `split`: how rows are divided into train, validation and test. */
export const SplitConfigSchema = z.strictObject({
  /** `random`, `stratified` (by target), `group` (no group in two splits) or `time` (ordered). */
  method: z.enum(["random", "stratified", "group", "time"]).default("stratified"),
  ratios: z.strictObject({
    train: fraction.default(0.7),
    val: z.number().min(0).lt(1).default(0.15),
    test: fraction.default(0.15),
  }).default({ train: 0.7, val: 0.15, test: 0.15 }),
  seed: nonNegativeInt.default(42),
  /** Column to stratify on; defaults to `data.target`. */
  stratify_by: columnName.nullable().default(null),
  /** Column holding the group key, for `group`. */
  group_column: columnName.nullable().default(null),
  /** Column to order by, for `time`. */
  time_column: columnName.nullable().default(null),
  /** Folds for cross-validation. */
  folds: z.int().min(2).default(5),
});

// ---------------------------------------------------------------- features

/** A derived feature built from existing columns as a polars expression. */
export const DerivedFeatureSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    name: columnName,
    kind: z.enum(["ratio", "product", "difference", "sum"]),
    columns: z.tuple([columnName, columnName]),
  }),
  z.strictObject({
    name: columnName,
    kind: z.literal("date_part"),
    column: columnName,
    part: z.enum(["year", "month", "day", "weekday", "hour", "minute"]),
  }),
  z.strictObject({
    name: columnName,
    kind: z.literal("bucket"),
    column: columnName,
    boundaries: z.array(z.number()).min(1),
  }),
]);

/** One transformer in a feature step: a registry kind and its parameters. */
export const TransformerSpecSchema = z.strictObject({
  kind: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});

/**
 * A named group of columns and the transformers applied to them in order; an empty list passes
 * the columns through unchanged (numeric or boolean columns only: the tree families need no
 * scaling).
 *
 * `columns` is a list of names, or a selector like scikit-learn's `make_column_selector`,
 * resolved against the training split when the feature pipeline is fitted (the resolved names
 * are recorded in `features.json`, so prediction uses exactly those):
 * `{ dtype: numeric | text | date | bool, pattern: "regex", exclude: [names] }`, with `dtype`,
 * `pattern` or both. `dtype` matches the column type (`numeric`: integers and floats; `text`:
 * strings and categoricals; `date`: dates and datetimes; `bool`: booleans). `pattern` is a
 * JavaScript regular expression searched in the column name, as scikit-learn's `re.search`:
 * `"mm"` matches `"Beak Length (mm)"`; anchor it (`"^Beak"`, `"\(mm\)$"`) to match the start,
 * end or whole name. A selector needs `dtype`, `pattern` or both, and a pattern that compiles;
 * both are checked when the feature pipeline is built. A selector never takes the target, `data.id_columns`, `exclude`, a column
 * another step names in its list, or one an earlier selector step took; columns keep the
 * frame's order.
 */
export const FeatureStepSchema = z.strictObject({
  name: z.string().min(1),
  columns: z.union([
    z.array(columnName).min(1),
    z.strictObject({
      dtype: z.enum(["numeric", "text", "date", "bool"]).optional(),
      pattern: z.string().min(1).optional(),
      exclude: z.array(columnName).default([]),
    }),
  ]),
  transformers: z.array(TransformerSpecSchema),
});

/** A feature selector applied after the transformers. */
export const SelectorSpecSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("variance_threshold"),
    threshold: z.number().min(0).default(0),
  }),
  z.strictObject({
    kind: z.literal("correlation"),
    threshold: z.number().gt(0).max(1).default(0.95),
  }),
  z.strictObject({
    kind: z.literal("top_k"),
    k: positiveInt,
    score: z.enum(["anova_f", "mutual_info", "f_regression"]),
  }),
]);

/** `features`: derived columns, the feature pipeline and selection. */
export const FeaturesConfigSchema = z.strictObject({
  derived: z.array(DerivedFeatureSchema).default([]),
  steps: z.array(FeatureStepSchema).default([]),
  selection: z.array(SelectorSpecSchema).default([]),
});

// ---------------------------------------------------------------- training

/** `training`: the optimisation loop. */
export const TrainingConfigSchema = z.strictObject({
  epochs: positiveInt.default(200),
  batch_size: positiveInt.default(32),
  learning_rate: z.number().positive().default(0.01),
  optimizer: z.enum(["adam", "sgd", "rmsprop"]).default("adam"),
  seed: nonNegativeInt.default(42),
  early_stopping: z.strictObject({
    enabled: z.boolean().default(true),
    patience: positiveInt.default(20),
    min_delta: z.number().min(0).default(0),
    restore_best: z.boolean().default(true),
  }).default({ enabled: true, patience: 20, min_delta: 0, restore_best: true }),
  /** `none`, `balanced`, or an explicit weight per class label. */
  class_weights: z.union([
    z.enum(["none", "balanced"]),
    z.record(z.string(), z.number().positive()),
  ])
    .default("none"),
  /** tfjs backend; `wasm` falls back to `cpu` with one log line when WebAssembly cannot start. */
  backend: z.enum(["wasm", "cpu"]).default("wasm"),
  /**
   * Training threads. Networks share each batch (data-parallel gradients; results depend on
   * it, so it is part of the run's config; pays for large batches only). `gbdt` shares the
   * histograms and partitions of nodes of 50,000 rows or more, in fixed chunks, and
   * `random_forest` grows tree `t` on thread `t mod threads`: both give the same trees at any
   * thread count.
   */
  threads: positiveInt.max(64).default(1),
  /**
   * What a network's training steps run on: `kernels`, the project's WebAssembly kernels
   * (forward, backward and optimiser in SIMD; relu, tanh and sigmoid hidden layers, other
   * activations fall back to tfjs ops with one log line), or `tfjs`, tfjs ops. The engines agree
   * up to float rounding; it is part of the run's config, and runs on one engine are identical.
   */
  engine: z.enum(["kernels", "tfjs"]).default("kernels"),
});

// ---------------------------------------------------------------- registry and serve

/** `registry`: where runs live and the promotion gate. */
export const RegistryConfigSchema = z.strictObject({
  /**
   * Where runs are recorded: a folder (relative to the project root), or an
   * `s3://bucket/prefix` in S3-compatible storage (runs are published with `run.json` last).
   */
  experiments_dir: z.string().min(1).default("models/experiments"),
  /**
   * Where each project's production lives: a folder, or an `s3://bucket/prefix` (the pointer is
   * swapped by a conditional write). An `s3://` URL is checked when it is first used.
   */
  production_dir: z.string().min(1).default("models/production"),
  /** Metric the gate compares; higher is better except for error metrics. */
  primary_metric: z.string().min(1).default("f1_macro"),
  /** Smallest improvement over production that the gate accepts. */
  min_improvement: z.number().min(0).default(0),
});

/** The scopes a service token may carry: `admin` may do everything `predict` may, and reload. */
export const TOKEN_SCOPES = ["predict", "admin"] as const;
/** A token scope. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/**
 * One entry of `serve.tokens`: the sha256 of a bearer token (never the token itself) and what
 * it may do. `deno task token` prints a new token and this entry.
 */
export const ServeTokenSchema = z.strictObject({
  /** A label for the logs and the config reader; never the token. */
  name: z.string().min(1).max(64),
  scope: z.enum(TOKEN_SCOPES),
  /** The token's sha256, 64 lowercase hex digits. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, {
    error:
      "expected the 64 lowercase hex digits of the token's sha256, never the token (deno task token prints both)",
  }),
});

/** An allowed browser origin: scheme, host and optional port, nothing after. */
const origin = z.string().regex(/^https?:\/\/[A-Za-z0-9.\-\[\]:]+$/, {
  error: 'expected an origin such as "https://app.example.com" (scheme, host, port; no path)',
});

/**
 * `serve.batching`: adaptive micro-batching. Concurrent requests for one model are scored with
 * one call; a request waits for more, at most `max_wait_ms`, only while requests keep arriving.
 */
export const ServeBatchingConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Longest a request waits for others to join its batch, in milliseconds. */
  max_wait_ms: positiveInt.max(1000).default(2),
  /** A batch is scored as soon as it holds this many rows; a larger request is scored alone. */
  max_rows: positiveInt.max(10_000).default(256),
});

/**
 * `serve.drift`: live drift monitoring. The service keeps a sample of the recent rows each model
 * scored and checks it against the run's training profile on a schedule.
 */
export const ServeDriftConfigSchema = z.strictObject({
  /** Keep rows and check drift at all. */
  enabled: z.boolean().default(true),
  /** Seconds between two checks, at most a day. */
  interval_s: positiveInt.max(86_400).default(60),
  /** Most recent rows kept per model (the memory bound), at most 100000. */
  reservoir_rows: positiveInt.max(100_000).default(1000),
  /** Fewest rows kept before a model is checked; at most `reservoir_rows`. */
  min_rows: positiveInt.max(100_000).default(100),
}).refine((drift) => drift.min_rows <= drift.reservoir_rows, {
  path: ["min_rows"],
  params: { expected: "at most serve.drift.reservoir_rows (no check would ever run)" },
});

/** `serve`: the HTTP prediction service. */
export const ServeConfigSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.int().min(0).max(65535).default(8000),
  max_body_bytes: positiveInt.default(10 * 1024 * 1024),
  max_rows: positiveInt.default(10_000),
  /**
   * Bearer tokens, as sha256 and scope; empty turns authentication off. Give them through
   * `DENO_MLOPS__SERVE__TOKENS` in a deployment; the tokens themselves stay with the clients.
   */
  tokens: z.array(ServeTokenSchema).default([]),
  /** Browser origins allowed to call the service (CORS); empty refuses every browser origin. */
  cors_origins: z.array(origin).default([]),
  /** Most requests served at once; more are answered 503 with `Retry-After`. */
  max_concurrent_requests: positiveInt.default(512),
  /** Largest total size of a request's header names and values, in bytes (431 above). */
  max_header_bytes: positiveInt.max(32 * 1024).default(16 * 1024),
  /** Milliseconds a request body may take to arrive (408 after). */
  body_timeout_ms: positiveInt.default(10_000),
  /** Milliseconds scoring one request may take (503 with `Retry-After` after). */
  scoring_timeout_ms: positiveInt.default(10_000),
  batching: ServeBatchingConfigSchema.prefault({}),
  /** Live drift monitoring of the rows each model scores. */
  drift: ServeDriftConfigSchema.prefault({}),
});

/** The whole of `config/config.yaml`. */
export const MainConfigSchema = z.strictObject({
  project: ProjectConfigSchema.prefault({}),
  data: DataConfigSchema.prefault({}),
  validation: ValidationConfigSchema.prefault({}),
  cleaning: CleaningConfigSchema.prefault({}),
  split: SplitConfigSchema.prefault({}),
  features: FeaturesConfigSchema.prefault({}),
  training: TrainingConfigSchema.prefault({}),
  registry: RegistryConfigSchema.prefault({}),
  serve: ServeConfigSchema.prefault({}),
});

// ---------------------------------------------------------------- model_config.yaml

/** The family `model.family` names when no config file sets it. */
export const DEFAULT_MODEL_FAMILY = "mlp";

/**
 * `model`: which family and its hyperparameters. The shape is the same for every family; each
 * family's own params schema (registered with {@link registerModelParams}) checks and defaults
 * `params` while the config is loaded, so a bad value is reported at `model.params.<key>`.
 */
export const ModelConfigSchema = z.strictObject({
  family: z.string().min(1),
  params: z.record(z.string(), z.unknown()).prefault({}),
});

/** The params schema of each model family, keyed by family name; filled by the model layer. */
const MODEL_PARAMS = new Map<string, z.ZodType>();
let modelFileCache: typeof ModelFileSchema | null = null;

/**
 * Registers the params schema of a model family, so that config loading checks and defaults
 * `model.params` for it. The model layer calls this for each family it registers; the config
 * layer itself knows no family.
 *
 * @param family the name written in `model.family`, e.g. `"mlp"`
 * @param params the zod schema of `model.params` for that family, defaults included
 * @throws {TypeError} when a schema is already registered under that name
 * @example
 * ```ts
 * registerModelParams("constant", z.strictObject({ value: z.number().default(0) }));
 * ```
 */
export function registerModelParams(family: string, params: z.ZodType): void {
  if (MODEL_PARAMS.has(family)) {
    throw new TypeError(
      `Cannot register model params for "${family}": a family of that name is already registered; choose another name`,
    );
  }
  MODEL_PARAMS.set(family, params);
  modelFileCache = null;
}

/**
 * The families whose params schemas are registered, in registration order.
 *
 * @returns the family names
 * @example
 * ```ts
 * modelParamsFamilies(); // ["mlp", "linear", "baseline"]
 * ```
 */
export function modelParamsFamilies(): string[] {
  return [...MODEL_PARAMS.keys()];
}

/**
 * The schema `config/model_config.yaml` is validated with now: {@link ModelFileSchema} with
 * `model` checked as one of the registered families (`params` by that family's schema). With no
 * family registered (the model layer not loaded), `model.params` is taken as given.
 *
 * @returns the schema; typed as {@link ModelFileSchema}, whose output it matches
 * @example
 * ```ts
 * modelFileSchema().parse({ model: { family: "linear" } }).model; // { family: "linear", params: { l2: 0 } }
 * ```
 */
export function modelFileSchema(): typeof ModelFileSchema {
  if (modelFileCache !== null) return modelFileCache;
  const options = [...MODEL_PARAMS].map(([family, params]) =>
    z.strictObject({ family: z.literal(family), params: params.prefault({}) })
  );
  const [first, ...rest] = options;
  const model = first === undefined ? ModelConfigSchema : z.discriminatedUnion("family", [
    first,
    ...rest,
  ]);
  modelFileCache = z.strictObject({
    model: model.prefault({ family: DEFAULT_MODEL_FAMILY }),
    search: ModelFileSchema.shape.search,
  }) as unknown as typeof ModelFileSchema;
  return modelFileCache;
}

/** One hyperparameter's search space: a list of values, or a numeric range. */
export const SearchSpaceSchema = z.union([
  z.array(z.unknown()).min(1),
  z.strictObject({
    low: z.number(),
    high: z.number(),
    scale: z.enum(["linear", "log"]).default("linear"),
    integer: z.boolean().default(false),
  }),
]);

/**
 * The whole of `config/model_config.yaml`, with `model.params` unchecked; config loading uses
 * {@link modelFileSchema}, which checks them by family.
 */
export const ModelFileSchema = z.strictObject({
  model: ModelConfigSchema.prefault({ family: DEFAULT_MODEL_FAMILY }),
  /** Search spaces keyed by dotted config path, e.g. `training.learning_rate`. */
  search: z.record(z.string(), SearchSpaceSchema).default({}),
});

// ---------------------------------------------------------------- logging_config.yaml

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

/** The whole of `config/logging_config.yaml`. */
export const LoggingFileSchema = z.strictObject({
  logging: z.strictObject({
    /** Lowest level logged for categories not listed in `categories`. */
    level: z.enum(LOG_LEVELS).default("info"),
    /** `auto`: readable text on a terminal, JSON lines otherwise (files, CI). */
    format: z.enum(["auto", "text", "json"]).default("auto"),
    /** Also write JSON lines to this file (relative to the project root); `null` for none. */
    file: z.string().min(1).nullable().default(null),
    /** Lowest level per category, e.g. `{ data: debug }`. */
    categories: z.record(z.string(), z.enum(LOG_LEVELS)).default({}),
  }).prefault({}),
});

/** The typed, validated, fully resolved configuration. */
export type Config =
  & z.infer<typeof MainConfigSchema>
  & z.infer<typeof ModelFileSchema>
  & z.infer<typeof LoggingFileSchema>;

/** `config.project`. */
export type ProjectConfig = Config["project"];
/** `config.data`. */
export type DataConfig = Config["data"];
/** `config.data.derive_target` when set. */
export type TargetRule = NonNullable<DataConfig["derive_target"]>;
/** `config.validation`. */
export type ValidationConfig = Config["validation"];
/** Rules for one column in `config.validation.columns`. */
export type ColumnRules = z.infer<typeof ColumnRulesSchema>;
/** `config.cleaning`. */
export type CleaningConfig = Config["cleaning"];
/** One null strategy in `config.cleaning.nulls`. */
export type NullStrategy = z.infer<typeof NullStrategySchema>;
/** `config.split`. */
export type SplitConfig = Config["split"];
/** `config.features`. */
export type FeaturesConfig = Config["features"];
/** One entry of `config.features.derived`. */
export type DerivedFeature = z.infer<typeof DerivedFeatureSchema>;
/** One entry of `config.features.steps`. */
export type FeatureStep = z.infer<typeof FeatureStepSchema>;
/** One entry of `config.features.selection`. */
export type SelectorSpec = z.infer<typeof SelectorSpecSchema>;
/** `config.training`. */
export type TrainingConfig = Config["training"];
/** `config.model`. */
export type ModelConfig = Config["model"];
/** `config.search`. */
export type SearchConfig = Config["search"];
/** `config.registry`. */
export type RegistryConfig = Config["registry"];
/** `config.serve`. */
export type ServeConfig = Config["serve"];
/** `config.logging`. */
export type LoggingConfig = Config["logging"];
