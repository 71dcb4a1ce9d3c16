/**
 * Feature selection after the feature pipeline: variance threshold, correlation pruning and
 * top-k by a univariate score, with scores defined exactly like scikit-learn's.
 *
 * `FeatureSelector` applies the selectors of `config.features.selection` in order, each one
 * seeing the survivors of the one before, learns the kept columns on the training split, and
 * serialises to JSON like the transformers. The scoring functions (`anovaF`, `fRegression`,
 * `mutualInfoClassif`) live in `selection_scores.ts` and the steps in `_selection_steps.ts`.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import { z } from "zod";
import { ArtifactError, didYouMean, NotFittedError, SchemaMismatchError } from "../errors.ts";
import { SelectorSpecSchema } from "../config/schema.ts";
import type { SelectorSpec } from "../config/schema.ts";
import { readColumns, runSelector } from "./_selection_steps.ts";
import type { SelectionStep } from "./_selection_steps.ts";

export type { DroppedFeature, SelectionStep } from "./_selection_steps.ts";

// ---------------------------------------------------------------- FeatureSelector

/** The version of the JSON state that {@link FeatureSelector.toJSON} writes. */
export const FEATURE_SELECTOR_VERSION = 1;

/** Options of {@link FeatureSelector}. */
export interface FeatureSelectorOptions {
  /**
   * The selectors, applied in order (`config.features.selection`).
   * @default []
   */
  selectors?: readonly SelectorSpec[];
  /**
   * Seed of the tie-breaking noise of `mutual_info` scores; each column uses
   * `new Random(seed).derive(column)`, so a column's score does not depend on the others.
   * `null` adds no noise.
   * @default 42
   */
  seed?: number | null;
  /**
   * Neighbours of the `mutual_info` estimator.
   * @default 3
   */
  nNeighbors?: number;
}

/** Defaults of {@link FeatureSelectorOptions}. */
export const DEFAULT_FEATURE_SELECTOR_OPTIONS: Readonly<Required<FeatureSelectorOptions>> = {
  selectors: [],
  seed: 42,
  nNeighbors: 3,
};

/** What every selector did, in order. */
export interface SelectionReport {
  /** One entry per selector, in config order. */
  steps: SelectionStep[];
}

/** A number in JSON state: non-finite values are written as strings. */
export type JsonNumber = number | "Infinity" | "-Infinity" | "NaN";

/** One {@link SelectionStep} as JSON (a type alias, so it is assignable to JSON value types). */
export type SelectionStepJson = {
  /** See {@link SelectionStep.kind}. */
  kind: SelectorSpec["kind"];
  /** See {@link SelectionStep.score}. */
  score: string;
  /** See {@link SelectionStep.kept}. */
  kept: string[];
  /** See {@link SelectionStep.dropped}; the score as a {@link JsonNumber}. */
  dropped: { feature: string; score: JsonNumber; reason: string }[];
  /** See {@link SelectionStep.scores}. */
  scores: Record<string, JsonNumber>;
  /** See {@link SelectionStep.pValues}. */
  pValues?: Record<string, JsonNumber>;
  /** See {@link SelectionStep.notes}. */
  notes: string[];
};

/**
 * The JSON form of a fitted {@link FeatureSelector}: `{ kind, version, params, state }`, the
 * shape of the transformers' `TransformerState` (params in snake_case, as in `features.json`).
 */
export type FeatureSelectorState = {
  /** Always `"FeatureSelector"`. */
  kind: "FeatureSelector";
  /** {@link FEATURE_SELECTOR_VERSION} when written. */
  version: number;
  /** The constructor options, defaults filled in. */
  params: { selectors: SelectorSpec[]; seed: number | null; n_neighbors: number };
  /** What fit learned. */
  state: {
    /** The columns of the frame passed to `fit`, in order. */
    columns: string[];
    /** The columns `transform` keeps, in order. */
    kept: string[];
    /** The selection report. */
    report: { steps: SelectionStepJson[] };
  };
};

const JsonNumberSchema = z.union([z.number(), z.enum(["Infinity", "-Infinity", "NaN"])]);

const StateSchema = z.strictObject({
  kind: z.literal("FeatureSelector"),
  version: z.literal(FEATURE_SELECTOR_VERSION),
  params: z.strictObject({
    selectors: z.array(SelectorSpecSchema),
    seed: z.int().nullable(),
    n_neighbors: z.int().positive(),
  }),
  state: z.strictObject({
    columns: z.array(z.string()),
    kept: z.array(z.string()).min(1),
    report: z.strictObject({
      steps: z.array(z.strictObject({
        kind: z.enum(["variance_threshold", "correlation", "top_k"]),
        score: z.string(),
        kept: z.array(z.string()),
        dropped: z.array(
          z.strictObject({ feature: z.string(), score: JsonNumberSchema, reason: z.string() }),
        ),
        scores: z.record(z.string(), JsonNumberSchema),
        pValues: z.record(z.string(), JsonNumberSchema).optional(),
        notes: z.array(z.string()),
      })),
    }),
  }),
});

interface Fitted {
  columns: string[];
  kept: string[];
  report: SelectionReport;
}

/**
 * Selects feature columns by the selectors of `config.features.selection`, applied in order.
 *
 * Works on the all-numeric frame the feature pipeline outputs, with the target as numbers:
 * class indexes for classification, values for regression. Each selector sees only the
 * survivors of the one before:
 * - `variance_threshold` keeps columns whose population variance is above `threshold`
 *   (like scikit-learn's `VarianceThreshold`; with threshold 0 it drops constant columns).
 * - `correlation` walks the columns in order and drops a column when |Pearson r| with an
 *   earlier **kept** column exceeds `threshold`, so of each correlated pair the earlier column
 *   stays, and a column is never dropped because of one that is already gone. A constant
 *   column correlates with nothing.
 * - `top_k` keeps the `k` columns with the highest score (`anova_f` — {@link anovaF},
 *   `mutual_info` — {@link mutualInfoClassif}, `f_regression` — {@link fRegression}), in input
 *   order. Ties go to the earlier column (scikit-learn's `SelectKBest` keeps the later one);
 *   a `NaN` score ranks last. `k` above the number of columns keeps all and notes it.
 *
 * @example
 * ```ts
 * const selector = new FeatureSelector({ selectors: config.features.selection });
 * const trainX = selector.fit(trainFeatures, trainY).transform(trainFeatures);
 * selector.report().steps[0]?.dropped; // [{ feature, score, reason }, ...]
 * const again = FeatureSelector.fromJSON(selector.toJSON());
 * ```
 */
export class FeatureSelector {
  /** Registry key of the JSON state. */
  readonly kind = "FeatureSelector";
  readonly #options: FeatureSelectorOptions;
  #fitted: Fitted | null = null;

  /**
   * @param options the selectors, noise seed and neighbour count; stored unchanged
   */
  constructor(options: FeatureSelectorOptions = {}) {
    this.#options = options;
  }

  /** Whether `fit` (or `fromJSON`) has run. */
  get isFitted(): boolean {
    return this.#fitted !== null;
  }

  /**
   * Learns which columns to keep from the training features and target; refitting replaces it.
   *
   * @param x the training features: numeric columns without nulls, NaN or infinities
   * @param y the target of each row: class indexes (for `anova_f`, `mutual_info`) or values
   * @returns this selector, fitted
   * @throws {SchemaMismatchError} when `x` has no columns, or a column is not numeric or holds
   *   null, NaN or infinite values
   * @throws {TypeError} when `y` does not have one value per row of `x`
   * @throws {RangeError} when a target value is not finite, options are out of range, or there
   *   are too few rows for a score
   * @throws {ConfigError} when a class score gets a non-integer target, or
   *   `variance_threshold` would drop every column
   * @example
   * ```ts
   * new FeatureSelector({ selectors: [{ kind: "top_k", k: 2, score: "anova_f" }] }).fit(x, y);
   * ```
   */
  fit(x: DataFrame, y: number[] | Int32Array | Float64Array): this {
    const { selectors, seed, nNeighbors } = {
      ...DEFAULT_FEATURE_SELECTOR_OPTIONS,
      ...this.#options,
    };
    if (seed !== null && !Number.isSafeInteger(seed)) {
      throw new RangeError(
        `Cannot fit "FeatureSelector": seed is ${seed}, expected a safe integer or null`,
      );
    }
    if (!Number.isInteger(nNeighbors) || nNeighbors < 1) {
      throw new RangeError(
        `Cannot fit "FeatureSelector": nNeighbors is ${nNeighbors}, expected a positive integer`,
      );
    }
    const columns = readColumns(x);
    if (y.length !== x.height) {
      throw new TypeError(
        `Cannot fit "FeatureSelector": the frame has ${x.height} rows but y has ${y.length} values, expected one target value per row`,
      );
    }
    const target = Float64Array.from(y);
    const bad = target.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RangeError(
        `Cannot fit "FeatureSelector": y[${bad}] is ${
          target[bad]
        }, expected a finite number; drop rows with a missing target first`,
      );
    }
    let current = [...columns.keys()];
    const steps: SelectionStep[] = [];
    selectors.forEach((spec, index) => {
      const path = `features.selection[${index}]`;
      const step = runSelector(spec, path, current, columns, target, { seed, nNeighbors });
      steps.push(step);
      current = step.kept;
    });
    this.#fitted = { columns: [...columns.keys()], kept: current, report: { steps } };
    return this;
  }

  /**
   * Returns a new frame with only the kept columns, in the order they had at fit.
   *
   * @param x a frame with (at least) the kept columns
   * @returns the selected columns
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a kept column is missing
   * @example
   * ```ts
   * const selected = selector.transform(testFeatures);
   * ```
   */
  transform(x: DataFrame): DataFrame {
    const fitted = this.#requireFitted("transform");
    const missing = fitted.kept.filter((c) => !x.columns.includes(c));
    if (missing.length > 0) {
      const first = missing[0]!;
      throw new SchemaMismatchError(
        `Cannot transform with "FeatureSelector": missing column "${first}"${
          didYouMean(first, x.columns)
        } (expected ${JSON.stringify(fitted.kept)}, found ${JSON.stringify(x.columns)})`,
      );
    }
    return x.select(...fitted.kept);
  }

  /**
   * Fits on `x` and `y`, then returns `transform(x)`.
   *
   * @param x the training features
   * @param y the training target
   * @returns the selected training features
   * @throws {SchemaMismatchError} see {@link FeatureSelector.fit}
   * @throws {TypeError} see {@link FeatureSelector.fit}
   * @throws {RangeError} see {@link FeatureSelector.fit}
   * @throws {ConfigError} see {@link FeatureSelector.fit}
   * @example
   * ```ts
   * const trainX = new FeatureSelector({ selectors }).fitTransform(x, y);
   * ```
   */
  fitTransform(x: DataFrame, y: number[] | Int32Array | Float64Array): DataFrame {
    return this.fit(x, y).transform(x);
  }

  /**
   * Returns the columns `transform` keeps, in order.
   *
   * @returns a copy of the kept column names
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * selector.keptColumns(); // ["Beak Length (mm)", "Flipper Length (mm)"]
   * ```
   */
  keptColumns(): string[] {
    return [...this.#requireFitted("list kept columns of").kept];
  }

  /**
   * Returns the output column names: the same as {@link FeatureSelector.keptColumns}, under the
   * name the transformers use.
   *
   * @returns a copy of the kept column names
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * selector.featureNamesOut(); // ["Beak Length (mm)", "Flipper Length (mm)"]
   * ```
   */
  featureNamesOut(): string[] {
    return [...this.#requireFitted("list output columns of").kept];
  }

  /**
   * Returns what each selector kept, dropped and scored.
   *
   * @returns a copy of the report
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * for (const step of selector.report().steps) console.log(step.kind, step.dropped);
   * ```
   */
  report(): SelectionReport {
    return structuredClone(this.#requireFitted("report on").report);
  }

  /**
   * Returns the JSON state `{ kind, version, params, state }`; non-finite scores are strings.
   *
   * @returns a plain object for `JSON.stringify`
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * await Deno.writeTextFile("selector.json", JSON.stringify(selector.toJSON()));
   * ```
   */
  toJSON(): FeatureSelectorState {
    const fitted = this.#requireFitted("serialise");
    const { selectors, seed, nNeighbors } = {
      ...DEFAULT_FEATURE_SELECTOR_OPTIONS,
      ...this.#options,
    };
    return {
      kind: "FeatureSelector",
      version: FEATURE_SELECTOR_VERSION,
      params: { selectors: structuredClone([...selectors]), seed, n_neighbors: nNeighbors },
      state: {
        columns: [...fitted.columns],
        kept: [...fitted.kept],
        report: { steps: fitted.report.steps.map(stepToJson) },
      },
    };
  }

  /**
   * Rebuilds a fitted selector from {@link FeatureSelector.toJSON} output, without refitting.
   *
   * @param json the parsed JSON state
   * @returns a fitted selector that transforms like the original
   * @throws {ArtifactError} when the state is not a valid `FeatureSelector` state of this version
   * @example
   * ```ts
   * const selector = FeatureSelector.fromJSON(JSON.parse(await Deno.readTextFile("selector.json")));
   * ```
   */
  static fromJSON(json: unknown): FeatureSelector {
    const parsed = StateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined || issue.path.length === 0
        ? "the root"
        : `"${issue.path.join(".")}"`;
      throw new ArtifactError(
        `Cannot load "FeatureSelector" state: invalid value at ${where}: ${
          issue?.message ?? "unknown problem"
        } (expected the output of toJSON() with version ${FEATURE_SELECTOR_VERSION}); refit and save it again`,
        { cause: parsed.error },
      );
    }
    const { params, state } = parsed.data;
    const unknownKept = state.kept.filter((c) => !state.columns.includes(c));
    if (unknownKept.length > 0) {
      throw new ArtifactError(
        `Cannot load "FeatureSelector" state: kept columns ${
          JSON.stringify(unknownKept)
        } are not among the fitted columns ${
          JSON.stringify(state.columns)
        }; refit and save it again`,
      );
    }
    const selector = new FeatureSelector({
      selectors: params.selectors,
      seed: params.seed,
      nNeighbors: params.n_neighbors,
    });
    selector.#fitted = {
      columns: state.columns,
      kept: state.kept,
      report: { steps: state.report.steps.map(stepFromJson) },
    };
    return selector;
  }

  #requireFitted(action: string): Fitted {
    if (this.#fitted === null) {
      throw new NotFittedError(
        `Cannot ${action} "FeatureSelector": it is not fitted, call fit() on the training split first`,
      );
    }
    return this.#fitted;
  }
}

/** Reads every column as Float64 values, checking dtype, nulls and finiteness. */

function encodeNumber(value: number): JsonNumber {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

function decodeNumber(value: JsonNumber): number {
  return typeof value === "number" ? value : Number(value);
}

function mapRecord<A, B>(record: Record<string, A>, f: (value: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

function stepToJson(step: SelectionStep): SelectionStepJson {
  const json: SelectionStepJson = {
    kind: step.kind,
    score: step.score,
    kept: [...step.kept],
    dropped: step.dropped.map((d) => ({ ...d, score: encodeNumber(d.score) })),
    scores: mapRecord(step.scores, encodeNumber),
    notes: [...step.notes],
  };
  if (step.pValues !== undefined) json.pValues = mapRecord(step.pValues, encodeNumber);
  return json;
}

function stepFromJson(
  json: z.infer<typeof StateSchema>["state"]["report"]["steps"][number],
): SelectionStep {
  const step: SelectionStep = {
    kind: json.kind,
    score: json.score,
    kept: json.kept,
    dropped: json.dropped.map((d) => ({ ...d, score: decodeNumber(d.score) })),
    scores: mapRecord(json.scores, decodeNumber),
    notes: json.notes,
  };
  if (json.pValues !== undefined) step.pValues = mapRecord(json.pValues, decodeNumber);
  return step;
}
