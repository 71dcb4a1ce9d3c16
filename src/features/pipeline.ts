/**
 * `FeaturePipeline`: the configured feature steps, fitted on the training split and applied to
 * every split, at inference too, from its JSON state.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { z } from "zod";
import {
  ArtifactError,
  ConfigError,
  DataValidationError,
  NotFittedError,
  SchemaMismatchError,
} from "../errors.ts";
import type { ConfigIssue, ValidationIssue } from "../errors.ts";
import type { FeaturesConfig } from "../config/mod.ts";
import { dtypeKind, frameToMatrix, isNumericDtype } from "../utils/mod.ts";
import type { Matrix } from "../utils/mod.ts";
import { createTransformer, requireColumns, transformerFromJson } from "./transformers/mod.ts";
import { isColumnSelector, resolveColumnSelector } from "./column_selector.ts";
import type { ColumnSelector } from "./column_selector.ts";
import type { FrameSource, Transformer, TransformerState } from "./transformers/mod.ts";

/** Format version of `FeaturePipeline.toJSON()`; loading refuses other versions. */
export const FEATURE_PIPELINE_VERSION = 1;

/** One step: a name, the input columns it owns, and the transformers applied to them in order. */
export interface FeaturePipelineStep {
  /** Unique step name, e.g. `"numeric"`. */
  name: string;
  /**
   * The input columns this step reads, or a selector resolved against the training split by
   * `fit` (see `FeatureStepSchema`); no column may feed two steps.
   */
  columns: string[] | ColumnSelector;
  /**
   * Applied in order to the step's columns; each sees the previous one's output. None: the
   * step's columns pass through unchanged (they must be numeric or boolean).
   */
  transformers: Transformer[];
}

/** Options of `new FeaturePipeline(...)`. */
export interface FeaturePipelineOptions {
  /** The steps, in output order. */
  steps: FeaturePipelineStep[];
  /**
   * The target column; listing it in a step is refused (target leakage).
   *
   * @default undefined (not checked)
   */
  target?: string;
  /**
   * Row identifier columns; listing one in a step is refused.
   *
   * @default []
   */
  idColumns?: string[];
}

/** The defaults merged under `FeaturePipelineOptions`. */
export const DEFAULT_FEATURE_PIPELINE_OPTIONS: Pick<FeaturePipelineOptions, "idColumns"> = {
  idColumns: [],
};

/** Options of `FeaturePipeline.fromConfig`: what the features must not include. */
export interface FeaturePipelineConfigOptions {
  /** The target column (`data.target`). */
  target: string;
  /**
   * Row identifier columns (`data.id_columns`).
   *
   * @default []
   */
  idColumns?: string[];
}

/** The serialised pipeline, as written to `features.json`. */
export type FeaturePipelineState = {
  /** `FEATURE_PIPELINE_VERSION` when written. */
  version: number;
  /**
   * Each step with its input columns (resolved, for a step configured with a selector, which is
   * kept in `selector`) and its fitted transformers' states.
   */
  steps: {
    name: string;
    columns: string[];
    selector?: ColumnSelector;
    transformers: TransformerState[];
  }[];
};

const STATE_SCHEMA = z.strictObject({
  version: z.number(),
  steps: z.array(
    z.strictObject({
      name: z.string().min(1),
      columns: z.array(z.string().min(1)).min(1),
      selector: z.strictObject({
        dtype: z.enum(["numeric", "text", "date", "bool"]).optional(),
        pattern: z.string().optional(),
        exclude: z.array(z.string()).optional(),
      }).optional(),
      transformers: z.array(z.unknown()),
    }),
  ).min(1),
});

/**
 * Turns raw columns into the model's numeric features, like scikit-learn's `ColumnTransformer`
 * with `remainder="drop"`: each step applies its transformers in order to its own columns, and
 * the output is the steps' output columns side by side, in step order, all Float64. Nothing
 * else comes through: the target and id columns never do.
 *
 * `fit` learns from the training split only; `transform` applies what was learned to any split
 * and never changes the pipeline. `toJSON` / `fromJSON` carry the fitted state to inference.
 *
 * @example
 * ```ts
 * const pipeline = FeaturePipeline.fromConfig(config.features, { target: config.data.target });
 * const xTrain = pipeline.fitTransformToMatrix(train);
 * const xVal = pipeline.transformToMatrix(val);
 * ```
 */
export class FeaturePipeline {
  #options: FeaturePipelineOptions;
  #featureNames: string[][] | null = null;
  // Each step's input columns once selectors are resolved (`fit`, `fromJSON`); `null` before.
  #selected: string[][] | null = null;
  // The selector each step was configured with (`null`: a list of names), for `toJSON`.
  #selectors: (ColumnSelector | null)[] = [];

  /**
   * @param options the steps and the columns they must not use; stored unchanged and checked by
   *   `fit`
   */
  constructor(options: FeaturePipelineOptions) {
    this.#options = options;
    this.#selectors = options.steps.map((step) =>
      isColumnSelector(step.columns) ? step.columns : null
    );
  }

  /**
   * Builds an unfitted pipeline from the `features` config, checking every step and
   * transformer spec with its key path.
   *
   * @param features the `features` config slice (only `steps` is used here)
   * @param options the target and id columns, which must not be features
   * @returns the pipeline, not fitted
   * @throws {ConfigError} listing every problem: no steps, a repeated step name, a column in two
   *   steps, the target or an id column as a feature, an unknown transformer kind or bad params
   * @example
   * ```ts
   * FeaturePipeline.fromConfig(config.features, { target: "Species" });
   * ```
   */
  static fromConfig(
    features: Pick<FeaturesConfig, "steps">,
    options: FeaturePipelineConfigOptions,
  ): FeaturePipeline {
    const idColumns = options.idColumns ?? DEFAULT_FEATURE_PIPELINE_OPTIONS.idColumns ?? [];
    const issues = stepIssues(features.steps, options.target, idColumns, "features.steps");
    const steps: FeaturePipelineStep[] = [];
    features.steps.forEach((step, i) => {
      const transformers: Transformer[] = [];
      step.transformers.forEach((spec, j) => {
        try {
          transformers.push(createTransformer(spec, `features.steps[${i}].transformers[${j}]`));
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          issues.push(...error.issues);
        }
      });
      const columns = isColumnSelector(step.columns)
        ? { ...step.columns, exclude: [...(step.columns.exclude ?? [])] }
        : [...step.columns];
      steps.push({ name: step.name, columns, transformers });
    });
    throwIssues(issues);
    return new FeaturePipeline({ steps, target: options.target, idColumns });
  }

  /**
   * Rebuilds a fitted pipeline from `toJSON()` output, transformers included.
   *
   * @param json the parsed `features.json`
   * @returns a fitted pipeline
   * @throws {ArtifactError} when the shape or version is wrong, a transformer kind is unknown,
   *   or a transformer state is invalid
   * @example
   * ```ts
   * const pipeline = FeaturePipeline.fromJSON(JSON.parse(await Deno.readTextFile(path)));
   * ```
   */
  static fromJSON(json: unknown): FeaturePipeline {
    const action = "Cannot load feature pipeline from JSON";
    const version = typeof json === "object" && json !== null
      ? (json as Record<string, unknown>).version
      : undefined;
    if (version !== undefined && version !== FEATURE_PIPELINE_VERSION) {
      throw new ArtifactError(
        `${action}: unsupported version ${
          JSON.stringify(version)
        }, expected ${FEATURE_PIPELINE_VERSION}; refit the pipeline with this version of deno-mlops`,
      );
    }
    const parsed = STATE_SCHEMA.safeParse(json);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "root"}: ${issue.message}`)
        .join("; ");
      throw new ArtifactError(
        `${action}: expected { version, steps: [{ name, columns, transformers }] }: ${detail}`,
      );
    }
    const steps = parsed.data.steps.map((step) => ({
      name: step.name,
      columns: step.columns,
      transformers: step.transformers.map((state) => transformerFromJson(state)),
    }));
    const selectors = parsed.data.steps.map((step) =>
      step.selector === undefined ? null : withoutUndefined(step.selector as ColumnSelector)
    );
    const issues = stepIssues(steps, undefined, [], "steps");
    if (issues.length > 0) {
      throw new ArtifactError(
        `${action}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
      );
    }
    const featureNames = steps.map((step) =>
      step.transformers.at(-1)?.featureNamesOut() ?? [...step.columns]
    );
    const repeated = findRepeated(featureNames.flat());
    if (repeated !== undefined) {
      throw new ArtifactError(`${action}: output column "${repeated}" is produced twice`);
    }
    const pipeline = new FeaturePipeline({ steps });
    pipeline.#featureNames = featureNames;
    pipeline.#selectors = selectors;
    return pipeline;
  }

  /** Whether `fit` or `fromJSON` has fitted every step. */
  get isFitted(): boolean {
    return this.#featureNames !== null;
  }

  /**
   * The columns a row must contain: every step's input columns, in step order. Known before
   * `fit` unless a step selects its columns with a selector, which `fit` resolves.
   *
   * @returns the input column names
   * @throws {NotFittedError} before `fit` when a step has a column selector
   * @example
   * ```ts
   * pipeline.inputColumns(); // ["Beak Length (mm)", ..., "Island"]
   * ```
   */
  inputColumns(): string[] {
    return this.#stepColumns().flat();
  }

  /** Each step's input columns: the configured lists, or the ones `fit` selected. */
  #stepColumns(): string[][] {
    if (this.#selected !== null) return this.#selected;
    const steps = this.#options.steps;
    const lists = steps.map((step) => isColumnSelector(step.columns) ? null : step.columns);
    if (lists.every((list) => list !== null)) return lists as string[][];
    const step = steps[lists.indexOf(null)]!;
    throw new NotFittedError(
      `Cannot list the input columns of feature pipeline: step "${step.name}" selects its columns with a selector, which is resolved by fit(); call fit() on the training split first`,
    );
  }

  /**
   * Fits every step's transformers, in order, on the training split; replaces any earlier state.
   *
   * @param df the TRAIN split only; it may hold other columns (the target, ids), which are ignored
   * @returns this pipeline, fitted
   * @throws {ConfigError} when the steps are invalid (see `fromConfig`) or a step outputs a
   *   non-numeric column
   * @throws {SchemaMismatchError} when an input column is missing
   * @throws {DataValidationError} when the frame has no rows or an input column is all null
   * @example
   * ```ts
   * pipeline.fit(train);
   * ```
   */
  fit(df: DataFrame): this {
    this.#fit(df);
    return this;
  }

  /**
   * Fits every step's transformers, in order, on a training split that arrives in batches
   * (out-of-core training); replaces any earlier state. Each transformer reads the batches
   * through the transformers before it in its step, so the state equals `fit`'s on the whole
   * split: exactly for counts and categories, within float rounding for means, variances and
   * quantiles. Column selectors resolve on the first batch's schema.
   *
   * @param source the TRAIN batches; called once per pass (a step takes one to a few)
   * @returns this pipeline, fitted
   * @throws {ConfigError} as `fit`, or when a transformer kind has no batch fit
   * @throws {SchemaMismatchError} as `fit`
   * @throws {DataValidationError} as `fit`
   * @example
   * ```ts
   * await pipeline.fitBatches(frameSource([train.slice(0, 50_000), train.slice(50_000)]));
   * ```
   */
  async fitBatches(source: FrameSource): Promise<this> {
    this.#featureNames = null;
    this.#selected = null;
    const options = { ...DEFAULT_FEATURE_PIPELINE_OPTIONS, ...this.#options };
    const idColumns = options.idColumns ?? [];
    throwIssues(stepIssues(options.steps, options.target, idColumns, "steps"));
    const action = "Cannot fit feature pipeline";
    let first: DataFrame | null = null;
    for await (const frame of source()) {
      if (frame.height > 0) {
        first = frame;
        break;
      }
    }
    if (first === null) requireObservedInputs(pl.DataFrame({}), []);
    const schema = first!;
    const selected = selectColumns(schema, options.steps, options.target, idColumns);
    const steps = options.steps.map((step, i) => ({ ...step, columns: selected[i]! }));
    throwIssues(stepIssues(steps, options.target, idColumns, "steps"));
    requireColumns(schema, selected.flat(), action);
    await requireObservedBatches(source, schema, steps);
    const featureNames: string[][] = [];
    for (const step of steps) {
      for (const [i, transformer] of step.transformers.entries()) {
        if (transformer.fitBatches === undefined) {
          throw new ConfigError(
            `${action} in batches: step "${step.name}" uses "${transformer.kind}", which has no streaming fit; use another transformer kind, or set data.out_of_core to false to train in memory`,
          );
        }
        const before = step.transformers.slice(0, i);
        await transformer.fitBatches(async function* () {
          for await (const frame of source()) {
            let out = frame.select(...step.columns);
            for (const previous of before) out = previous.transform(out);
            yield out;
          }
        });
      }
      // The output names and types, from the fitted step on a few rows.
      const sample = requireNumericOutput(
        runStep(step, schema.head(Math.min(schema.height, 64)), false),
        step.name,
        action,
      );
      featureNames.push(sample.columns);
    }
    requireUniqueFeatureNames(featureNames, options.steps, action);
    this.#featureNames = featureNames;
    this.#selected = selected;
    return this;
  }

  /**
   * Fits on `df` and returns its features, computing the training output only once.
   *
   * @param df the TRAIN split
   * @returns the feature frame (all Float64)
   * @throws {ConfigError} as `fit`
   * @throws {SchemaMismatchError} as `fit`
   * @throws {DataValidationError} as `fit`
   * @example
   * ```ts
   * const features = pipeline.fitTransform(train);
   * ```
   */
  fitTransform(df: DataFrame): DataFrame {
    return hstack(this.#fit(df).map(toFloat64));
  }

  /**
   * Fits on `df` and returns its features as a dense row-major Float32 matrix (as
   * `transformToMatrix` gives them), computing the training output only once.
   *
   * @param df the TRAIN split
   * @returns the matrix, columns in `featureNamesOut()` order
   * @throws {ConfigError} as `fit`
   * @throws {SchemaMismatchError} as `fit`, or when a feature holds nulls
   * @throws {DataValidationError} as `fit`
   * @example
   * ```ts
   * const xTrain = pipeline.fitTransformToMatrix(train);
   * const xVal = pipeline.transformToMatrix(val);
   * ```
   */
  fitTransformToMatrix(df: DataFrame): Matrix {
    return frameToMatrix(hstack(this.#fit(df)));
  }

  /**
   * Returns the features of `df` using the fitted state; the pipeline does not change.
   *
   * @param df any split, or new rows; extra columns are ignored
   * @returns the feature frame: the steps' outputs in order, all Float64, nothing else
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when an input column is missing or has the wrong type
   * @throws {DataValidationError} when a transformer refuses a value (unknown category, null)
   * @example
   * ```ts
   * const valFeatures = pipeline.transform(val);
   * ```
   */
  transform(df: DataFrame): DataFrame {
    return hstack(this.#transformSteps(df).map(toFloat64));
  }

  /**
   * Returns the features of `df` as a dense row-major Float32 matrix, columns in
   * `featureNamesOut()` order.
   *
   * @param df any split
   * @returns the matrix
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} as `transform`, or when a feature holds nulls
   * @throws {DataValidationError} as `transform`
   * @example
   * ```ts
   * const x = pipeline.transformToMatrix(val); // { data: Float32Array, rows, cols }
   * ```
   */
  transformToMatrix(df: DataFrame): Matrix {
    // The steps' own outputs, not their Float64 copies: frameToMatrix reads Boolean indicators
    // and other exact types into the same Float32 values, without a full-size Float64 frame.
    return frameToMatrix(hstack(this.#transformSteps(df)));
  }

  /**
   * The output features that hold category codes: the outputs a step's last transformer names
   * in `categoryCodeColumns()` (an `OrdinalEncoder`'s columns). Tree families split them by
   * sets of categories; a transformer after the encoder makes them numbers again.
   *
   * @returns the names, in output order
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * pipeline.categoryCodeFeatures(); // ["Island", "Sex"]
   * ```
   */
  categoryCodeFeatures(): string[] {
    const names = this.#requireFitted("list the category features of");
    return this.#options.steps.flatMap((step, i) => {
      const codes = new Set(step.transformers.at(-1)?.categoryCodeColumns?.() ?? []);
      return names[i]!.filter((name) => codes.has(name));
    });
  }

  /**
   * The output feature names, in output order.
   *
   * @returns the names
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * pipeline.featureNamesOut(); // ["Beak Length (mm)", ..., "Island_Biscoe", ...]
   * ```
   */
  featureNamesOut(): string[] {
    return this.#requireFitted("list the features of").flat();
  }

  /**
   * Returns the fitted state as JSON-ready data.
   *
   * @returns `{ version, steps: [{ name, columns, transformers }] }`
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * await Deno.writeTextFile("features.json", JSON.stringify(pipeline.toJSON()));
   * ```
   */
  toJSON(): FeaturePipelineState {
    this.#requireFitted("serialise");
    return {
      version: FEATURE_PIPELINE_VERSION,
      steps: this.#options.steps.map((step, i) => {
        const selector = this.#selectors[i] ?? null;
        return {
          name: step.name,
          columns: [...this.#stepColumns()[i]!],
          ...(selector === null ? {} : { selector: copySelector(selector) }),
          transformers: step.transformers.map((transformer) => transformer.toJSON()),
        };
      }),
    };
  }

  /** Fits every step and returns the steps' outputs on `df`, each checked to be numeric. */
  #fit(df: DataFrame): DataFrame[] {
    // A refit that fails half way has refitted some transformers: the pipeline is then unfitted,
    // never a mix of old and new state.
    this.#featureNames = null;
    this.#selected = null;
    const options = { ...DEFAULT_FEATURE_PIPELINE_OPTIONS, ...this.#options };
    const idColumns = options.idColumns ?? [];
    throwIssues(stepIssues(options.steps, options.target, idColumns, "steps"));
    const selected = selectColumns(df, options.steps, options.target, idColumns);
    const steps = options.steps.map((step, i) => ({ ...step, columns: selected[i]! }));
    throwIssues(stepIssues(steps, options.target, idColumns, "steps"));
    const action = "Cannot fit feature pipeline";
    requireColumns(df, selected.flat(), action);
    requireObservedInputs(df, steps);
    const frames = steps.map((step) =>
      requireNumericOutput(runStep(step, df, true), step.name, action)
    );
    const featureNames = frames.map((frame) => frame.columns);
    requireUniqueFeatureNames(featureNames, options.steps, action);
    this.#featureNames = featureNames;
    this.#selected = selected;
    return frames;
  }

  /** Every step's output on `df` with the fitted state, checked against the fitted names. */
  #transformSteps(df: DataFrame): DataFrame[] {
    const featureNames = this.#requireFitted("transform with");
    const action = "Cannot transform with feature pipeline";
    const columns = this.#stepColumns();
    requireColumns(df, columns.flat(), action);
    return this.#options.steps.map((step, i) => {
      const output = runStep({ ...step, columns: columns[i]! }, df, false);
      const expected = featureNames[i]!;
      if (JSON.stringify(output.columns) !== JSON.stringify(expected)) {
        throw new SchemaMismatchError(
          `${action}: step "${step.name}" produced ${JSON.stringify(output.columns)}, expected ${
            JSON.stringify(expected)
          }; a column was renamed or reordered since fit`,
        );
      }
      return requireNumericOutput(output, step.name, action);
    });
  }

  #requireFitted(action: string): string[][] {
    if (this.#featureNames === null) {
      throw new NotFittedError(
        `Cannot ${action} feature pipeline: it is not fitted, call fit() on the training split first`,
      );
    }
    return this.#featureNames;
  }
}

/**
 * Runs a step's transformers in order (`fitting`: each is fitted on the previous one's output
 * first). The last one's compact output is kept when it has one: Boolean indicators instead of
 * Float64 copies, the same values once cast (see `toFloat64`).
 */
function runStep(
  step: FeaturePipelineStep & { columns: string[] },
  df: DataFrame,
  fitting: boolean,
): DataFrame {
  let frame = df.select(...step.columns);
  const last = step.transformers.length - 1;
  step.transformers.forEach((transformer, i) => {
    if (i === last && transformer.transformCompact !== undefined) {
      frame = (fitting ? transformer.fit(frame) : transformer).transformCompact!(frame);
    } else {
      frame = fitting ? transformer.fitTransform(frame) : transformer.transform(frame);
    }
  });
  return frame;
}

/** Returns `frame` after checking that every column is numeric or Boolean. */
function requireNumericOutput(frame: DataFrame, stepName: string, action: string): DataFrame {
  const bad = frame.columns.filter((name) => {
    const dtype = dtypeOf(frame, name);
    return !isNumericDtype(dtype) && dtypeKind(dtype) !== "bool";
  });
  if (bad.length > 0) {
    const described = bad.map((name) => `"${name}" (${dtypeOf(frame, name)})`).join(", ");
    throw new ConfigError(
      `${action}: step "${stepName}" outputs non-numeric ${
        bad.length === 1 ? "column" : "columns"
      } ${described}, expected numbers; add a OneHotEncoder or OrdinalEncoder to the step`,
    );
  }
  return frame;
}

/** The step output as the pipeline's frames hold it: every column Float64. */
function toFloat64(frame: DataFrame): DataFrame {
  return frame.select(...frame.columns.map((name) => pl.col(name).cast(pl.Float64)));
}

// The polars dtype name, e.g. "Float64"; the typings do not expose `variant`.
function dtypeOf(frame: DataFrame, name: string): string {
  return (frame.schema[name] as unknown as { variant: string }).variant;
}

function hstack(frames: DataFrame[]): DataFrame {
  return frames.length === 1 ? frames[0]! : pl.concat(frames, { how: "horizontal" });
}

function requireObservedInputs(
  df: DataFrame,
  steps: readonly (FeaturePipelineStep & { columns: string[] })[],
): void {
  if (df.height === 0) {
    throw new DataValidationError(
      "Cannot fit feature pipeline: the training frame has no rows, expected at least one; check the split ratios and the cleaning rules",
      [{ column: null, rule: "min_rows", count: 0, message: "0 rows", examples: [], rows: [] }],
    );
  }
  const columns = steps.flatMap((step) => step.columns.map((column) => ({ step, column })));
  const counts = df.select(
    ...columns.map(({ column }, i) => {
      const values = dtypeOf(df, column).startsWith("Float")
        ? pl.col(column).fillNan(null)
        : pl.col(column);
      return values.count().alias(`c${i}`);
    }),
  ).row(0) as unknown[];
  const empty = columns.filter((_, i) => Number(counts[i]) === 0);
  if (empty.length === 0) return;
  const issues: ValidationIssue[] = empty.map(({ step, column }) => ({
    column,
    rule: "nullable",
    count: df.height,
    message:
      `column "${column}" (step "${step.name}") is entirely null or NaN in ${df.height} rows`,
    examples: [],
    rows: [],
  }));
  throw new DataValidationError(
    `Cannot fit feature pipeline: ${
      issues.map((issue) => issue.message).join(", ")
    }, expected observed values; impute it in cleaning or drop it from features.steps`,
    issues,
  );
}

/** `requireObservedInputs` over batches: a column is empty when no batch observes a value. */
async function requireObservedBatches(
  source: FrameSource,
  schema: DataFrame,
  steps: readonly (FeaturePipelineStep & { columns: string[] })[],
): Promise<void> {
  const columns = steps.flatMap((step) => step.columns);
  const seen = new Set<string>();
  let rows = 0;
  for await (const frame of source()) {
    rows += frame.height;
    const open = columns.filter((column) => !seen.has(column));
    if (open.length === 0 || frame.height === 0) continue;
    const counts = frame.select(
      ...open.map((column, i) =>
        (dtypeOf(frame, column).startsWith("Float") ? pl.col(column).fillNan(null) : pl.col(column))
          .count().alias(`c${i}`)
      ),
    ).row(0) as unknown[];
    open.forEach((column, i) => {
      if (Number(counts[i]) > 0) seen.add(column);
    });
  }
  if (seen.size === new Set(columns).size) return;
  // The empty columns fail as the in-memory check fails them, on a frame of their nulls.
  const empty = schema.head(0).select(
    ...columns.filter((column) => !seen.has(column)).map((column) => pl.col(column)),
  );
  const nulls = pl.DataFrame(
    Object.fromEntries(empty.columns.map((name) => [name, [null]])),
  );
  requireObservedInputs(
    rows > 0 ? nulls : empty,
    steps.map((step) => ({ ...step, columns: step.columns.filter((c) => !seen.has(c)) })).filter(
      (step) => step.columns.length > 0,
    ),
  );
}

/**
 * Each step's input columns in `df`: a list as configured, a selector resolved. Selectors never
 * take the target, an id column or a column a step lists by name, and take what an earlier
 * selector took no more, so every column feeds one step at most.
 */
function selectColumns(
  df: DataFrame,
  steps: readonly FeaturePipelineStep[],
  target: string | undefined,
  idColumns: readonly string[],
): string[][] {
  const taken = new Set<string>([...(target === undefined ? [] : [target]), ...idColumns]);
  for (const step of steps) {
    if (!isColumnSelector(step.columns)) { for (const column of step.columns) taken.add(column); }
  }
  return steps.map((step, i) => {
    if (!isColumnSelector(step.columns)) return step.columns;
    const selected = resolveColumnSelector(df, step.columns, {
      step: step.name,
      path: `features.steps[${i}]`,
      taken,
    });
    for (const column of selected) taken.add(column);
    return selected;
  });
}

function copySelector(selector: ColumnSelector): ColumnSelector {
  return withoutUndefined({
    dtype: selector.dtype,
    pattern: selector.pattern,
    exclude: [...(selector.exclude ?? [])],
  });
}

function withoutUndefined(selector: ColumnSelector): ColumnSelector {
  return Object.fromEntries(
    Object.entries(selector).filter(([, value]) => value !== undefined),
  ) as ColumnSelector;
}

function stepIssues(
  steps: readonly {
    name: string;
    columns: readonly string[] | ColumnSelector;
    transformers: readonly unknown[];
  }[],
  target: string | undefined,
  idColumns: readonly string[],
  prefix: string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  function issue(path: string, message: string): void {
    // Steps no longer know their file and line: "" and 0 mean unknown.
    issues.push({ file: "", line: 0, column: 0, path, message });
  }
  if (steps.length === 0) issue(prefix, "expected at least one feature step, got none");
  const names = new Map<string, number>();
  const owners = new Map<string, string>();
  const ids = new Set(idColumns);
  steps.forEach((step, i) => {
    const at = `${prefix}[${i}]`;
    const earlier = names.get(step.name);
    if (earlier !== undefined) {
      issue(
        `${at}.name`,
        `step name "${step.name}" is already used by ${prefix}[${earlier}]; names must be unique`,
      );
    }
    names.set(step.name, i);
    // A selector's columns are checked when fit resolves it.
    if (isColumnSelector(step.columns)) {
      const selector = step.columns;
      if (selector.dtype === undefined && selector.pattern === undefined) {
        issue(
          `${at}.columns`,
          `a column selector needs dtype, pattern or both, e.g. { dtype: numeric }`,
        );
      }
      if (selector.pattern !== undefined) {
        try {
          new RegExp(selector.pattern);
        } catch (error) {
          issue(
            `${at}.columns.pattern`,
            `"${selector.pattern}" is not a valid JavaScript regular expression (${
              (error as Error).message
            }); escape special characters such as ( ) [ ] with \\`,
          );
        }
      }
      return;
    }
    if (step.columns.length === 0) issue(`${at}.columns`, "expected at least one column, got none");
    step.columns.forEach((column, k) => {
      const path = `${at}.columns[${k}]`;
      const owner = owners.get(column);
      if (owner !== undefined) {
        issue(
          path,
          `column "${column}" is already used by ${owner}; a column may feed only one step`,
        );
      }
      owners.set(column, path);
      if (column === target) {
        issue(
          path,
          `column "${column}" is the target; using it as a feature leaks the answer into the model, remove it`,
        );
      }
      if (ids.has(column)) {
        issue(
          path,
          `column "${column}" is an id column; ids identify rows and are never features, remove it`,
        );
      }
    });
  });
  return issues;
}

function throwIssues(issues: ConfigIssue[]): void {
  if (issues.length === 0) return;
  throw new ConfigError(
    `Cannot build feature pipeline: ${
      issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
    }`,
    issues,
  );
}

function findRepeated(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Refuses two steps that produce the same output column, naming both steps. */
function requireUniqueFeatureNames(
  featureNames: readonly string[][],
  steps: readonly { name: string }[],
  action: string,
): void {
  const repeated = findRepeated(featureNames.flat());
  if (repeated === undefined) return;
  const owners = steps.filter((_, i) => featureNames[i]!.includes(repeated));
  throw new ConfigError(
    `${action}: output column "${repeated}" is produced by steps ${
      owners.map((step) => `"${step.name}"`).join(" and ")
    }; rename a column so every feature name is unique`,
  );
}
