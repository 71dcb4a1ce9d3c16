/**
 * `SimpleImputer`: fills missing values with a statistic learned on the training split (mean,
 * median, most frequent value) or with a constant.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import { z } from "zod";
import { SchemaMismatchError } from "../../errors.ts";
import {
  categoryValues,
  COLUMNS_PARAM,
  dtypeName,
  INPUT_COLUMNS_STATE,
  isNumericDtype,
  isTextDtype,
  jsonParams,
  namesOut,
  notFitted,
  observedValues,
  parseOptions,
  readState,
  replaceColumns,
  requireColumnArrays,
  requireColumns,
  requireConsistentState,
  requireFiniteStats,
  requireObserved,
  resolveColumns,
} from "./_base.ts";
import type { Transformer, TransformerState } from "./_base.ts";

const KIND = "SimpleImputer";
const VERSION = 1;

/** The statistics `SimpleImputer` can fill with. */
export const IMPUTE_STRATEGIES = ["mean", "median", "most_frequent", "constant"] as const;
/** One of `IMPUTE_STRATEGIES`. */
export type ImputeStrategy = (typeof IMPUTE_STRATEGIES)[number];

/** Options of `SimpleImputer` (snake_case, as written under `params:` in config). */
export interface SimpleImputerOptions {
  /**
   * Columns to fill: numeric columns for every strategy, text columns for `most_frequent` and
   * `constant`.
   *
   * @default every column of the frame given to `fit`
   */
  columns?: string[];
  /**
   * What to fill with: the training `mean` or `median` (numeric columns), the training
   * `most_frequent` value (ties go to the smallest), or `constant` (`fill_value`).
   *
   * @default "mean"
   */
  strategy?: ImputeStrategy;
  /**
   * The value used by `strategy: "constant"` (required then, refused otherwise): a number for
   * numeric columns, a string for text columns.
   *
   * @default undefined
   */
  fill_value?: number | string;
}

/** The defaults merged under the options given to `SimpleImputer`. */
export const DEFAULT_SIMPLE_IMPUTER_OPTIONS: SimpleImputerOptions = { strategy: "mean" };

/** The strict schema of `SimpleImputer` params, used by `fit` and by config validation. */
export const SIMPLE_IMPUTER_PARAMS = z.strictObject({
  columns: COLUMNS_PARAM,
  strategy: z.enum(IMPUTE_STRATEGIES, {
    error: 'expected "mean", "median", "most_frequent" or "constant"',
  }).optional(),
  fill_value: z.union([z.number(), z.string()], { error: "expected a number or a string" })
    .optional(),
}).superRefine((params, context) => {
  const constant = params.strategy === "constant";
  if (constant && params.fill_value === undefined) {
    context.addIssue({
      code: "custom",
      path: ["fill_value"],
      message: 'expected a fill value when strategy is "constant"',
    });
  }
  if (!constant && params.fill_value !== undefined) {
    context.addIssue({
      code: "custom",
      path: ["fill_value"],
      message: 'expected no fill_value unless strategy is "constant"',
    });
  }
});

/** What `SimpleImputer.fit` learns, per filled column. */
export type SimpleImputerState = {
  /** Columns of the frame given to `fit`, in order. */
  input_columns: string[];
  /** The filled columns. */
  columns: string[];
  /** Whether each column is filled as a number (output Float64) or as text (output String). */
  kinds: ("numeric" | "text")[];
  /** The fill value per column. */
  fill: (number | string)[];
};

const STATE_SCHEMA = z.strictObject({
  input_columns: INPUT_COLUMNS_STATE,
  columns: z.array(z.string()),
  kinds: z.array(z.enum(["numeric", "text"])),
  fill: z.array(z.union([z.number(), z.string()])),
});

/**
 * Fills missing values, as scikit-learn's `SimpleImputer`: a null is missing, and so is NaN in
 * a float column.
 *
 * Numeric columns (every strategy) come out as Float64; text and categorical columns
 * (`most_frequent`, `constant`) come out as String. Boolean and other columns are refused.
 * Statistics ignore missing values; a column with none observed cannot give a statistic and
 * throws (`constant` needs no statistic and accepts it).
 *
 * @example
 * ```ts
 * const imputer = new SimpleImputer({ strategy: "median", columns: ["Body Mass (g)"] }).fit(train);
 * const filled = imputer.transform(val);
 * ```
 */
export class SimpleImputer implements Transformer<SimpleImputerState> {
  /** Registry key. */
  readonly kind = KIND;
  #options: SimpleImputerOptions;
  #params: z.output<typeof SIMPLE_IMPUTER_PARAMS> | null = null;
  #state: SimpleImputerState | null = null;

  /**
   * @param options columns, `strategy` and `fill_value`; stored unchanged and validated by `fit`
   */
  constructor(options: SimpleImputerOptions = {}) {
    this.#options = options;
  }

  /** Whether `fit` or `fromJSON` has given this imputer its fill values. */
  get isFitted(): boolean {
    return this.#state !== null;
  }

  /**
   * Learns the fill value of each column; replaces any earlier state.
   *
   * @param df the training split
   * @returns this imputer, fitted
   * @throws {TypeError} when an option has the wrong type
   * @throws {RangeError} when an option is out of range
   * @throws {SchemaMismatchError} when a column is missing, of a type the strategy cannot fill,
   *   or of a type `fill_value` does not match
   * @throws {DataValidationError} when a column has no observed value (except for `constant`)
   * @example
   * ```ts
   * new SimpleImputer().fit(pl.DataFrame({ a: [1, null, 3] })); // fills with 2
   * ```
   */
  fit(df: DataFrame): this {
    // A failed fit leaves the transformer unfitted, never with the previous split's state.
    this.#state = null;
    const action = `Cannot fit "${KIND}"`;
    const params = parseOptions(
      SIMPLE_IMPUTER_PARAMS,
      { ...DEFAULT_SIMPLE_IMPUTER_OPTIONS, ...this.#options },
      KIND,
    );
    const strategy = params.strategy ?? "mean";
    const columns = resolveColumns(df, params.columns, action);
    const kinds = columns.map((name) => columnKind(df, name, action));
    requireStrategyFits(columns, kinds, strategy, params.fill_value, df, action);
    if (strategy !== "constant") requireObserved(df, columns, action);
    const fill = learnFill(df, columns, kinds, strategy, params.fill_value);
    requireFiniteStats(
      KIND,
      Object.fromEntries(
        columns.flatMap((name, i) => typeof fill[i] === "number" ? [[name, [fill[i]]]] : []),
      ),
    );
    this.#params = params;
    this.#state = { input_columns: df.columns, columns, kinds, fill };
    return this;
  }

  /**
   * Returns a new frame with the missing values of each fitted column filled.
   *
   * @param df a frame with the fitted columns (others pass through unchanged)
   * @returns the filled frame: numeric columns as Float64, text columns as String
   * @throws {NotFittedError} before `fit`
   * @throws {SchemaMismatchError} when a fitted column is missing or changed between number and
   *   text
   * @example
   * ```ts
   * imputer.transform(pl.DataFrame({ a: [null, 5] })); // a: [2, 5]
   * ```
   */
  transform(df: DataFrame): DataFrame {
    const state = this.#requireState("transform with");
    const action = `Cannot transform with "${KIND}"`;
    requireColumns(df, state.columns, action);
    state.columns.forEach((name, i) => {
      const kind = columnKind(df, name, action);
      if (kind !== state.kinds[i]) {
        throw new SchemaMismatchError(
          `${action}: column "${name}" is ${dtypeName(df, name)}, expected ${
            state.kinds[i] === "numeric" ? "a numeric" : "a text"
          } column as in training; cast it back in cleaning`,
        );
      }
    });
    const outputs = new Map<string, Expr[]>(
      state.columns.map((name, i) => {
        const values = state.kinds[i] === "numeric" ? observedValues(name) : categoryValues(name);
        return [name, [values.fillNull(pl.lit(state.fill[i]!)).alias(name)]];
      }),
    );
    return replaceColumns(df, outputs);
  }

  /**
   * Fits on `df` and returns `df` transformed.
   *
   * @param df the training split
   * @returns the filled frame
   * @throws {SchemaMismatchError} as `fit`
   * @throws {DataValidationError} as `fit`
   * @example
   * ```ts
   * new SimpleImputer().fitTransform(pl.DataFrame({ a: [1, null, 3] })); // a: [1, 2, 3]
   * ```
   */
  fitTransform(df: DataFrame): DataFrame {
    return this.fit(df).transform(df);
  }

  /**
   * Returns the output column names for a frame laid out like the one given to `fit`.
   *
   * @returns the names; filling keeps every name
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * new SimpleImputer().fit(pl.DataFrame({ a: [1] })).featureNamesOut(); // ["a"]
   * ```
   */
  featureNamesOut(): string[] {
    const state = this.#requireState("list the features of");
    return namesOut(state.input_columns, new Map());
  }

  /**
   * Returns the fitted state as JSON-ready data.
   *
   * @returns `{ kind, version, params, state }`
   * @throws {NotFittedError} before `fit`
   * @example
   * ```ts
   * JSON.stringify(imputer.toJSON());
   * ```
   */
  toJSON(): TransformerState<SimpleImputerState> {
    const state = this.#requireState("serialise");
    return {
      kind: KIND,
      version: VERSION,
      params: jsonParams(this.#params ?? {}),
      state: structuredClone(state),
    };
  }

  /**
   * Rebuilds a fitted imputer from `toJSON()` output.
   *
   * @param json the serialised imputer
   * @returns a fitted imputer
   * @throws {ArtifactError} when the kind, version, params or state are wrong
   * @example
   * ```ts
   * const copy = SimpleImputer.fromJSON(JSON.parse(JSON.stringify(imputer)));
   * ```
   */
  static fromJSON(json: TransformerState): SimpleImputer {
    const { params, state } = readState(json, KIND, VERSION, SIMPLE_IMPUTER_PARAMS, STATE_SCHEMA);
    requireColumnArrays(KIND, state, { kinds: state.kinds, fill: state.fill });
    state.kinds.forEach((kind, i) => {
      requireConsistentState(
        kind === "numeric" ? typeof state.fill[i] === "number" : typeof state.fill[i] === "string",
        KIND,
        `fill value ${JSON.stringify(state.fill[i])} of column "${
          state.columns[i]
        }" does not match its kind "${kind}"`,
      );
    });
    const imputer = new SimpleImputer(params as SimpleImputerOptions);
    imputer.#params = params;
    imputer.#state = state;
    return imputer;
  }

  #requireState(action: string): SimpleImputerState {
    if (this.#state === null) throw notFitted(KIND, action);
    return this.#state;
  }
}

function columnKind(df: DataFrame, name: string, action: string): "numeric" | "text" {
  const dtype = dtypeName(df, name);
  if (isNumericDtype(dtype)) return "numeric";
  if (isTextDtype(dtype)) return "text";
  throw new SchemaMismatchError(
    `${action}: column "${name}" is ${dtype}, expected a numeric or text column; cast it in cleaning or leave it out with the columns option`,
  );
}

function requireStrategyFits(
  columns: readonly string[],
  kinds: readonly ("numeric" | "text")[],
  strategy: ImputeStrategy,
  fillValue: number | string | undefined,
  df: DataFrame,
  action: string,
): void {
  columns.forEach((name, i) => {
    const kind = kinds[i]!;
    if ((strategy === "mean" || strategy === "median") && kind === "text") {
      throw new SchemaMismatchError(
        `${action}: column "${name}" is ${
          dtypeName(df, name)
        }, strategy "${strategy}" needs a numeric column; use "most_frequent" or "constant" for text, or leave it out with the columns option`,
      );
    }
    const fillMatches = kind === "numeric"
      ? typeof fillValue === "number"
      : typeof fillValue === "string";
    if (strategy === "constant" && !fillMatches) {
      throw new SchemaMismatchError(
        `${action}: fill_value ${
          JSON.stringify(fillValue)
        } is a ${typeof fillValue} but column "${name}" is ${dtypeName(df, name)}, expected a ${
          kind === "numeric" ? "number" : "string"
        }; use one imputer per kind of column with the columns option`,
      );
    }
  });
}

function learnFill(
  df: DataFrame,
  columns: readonly string[],
  kinds: readonly ("numeric" | "text")[],
  strategy: ImputeStrategy,
  fillValue: number | string | undefined,
): (number | string)[] {
  if (strategy === "constant") return columns.map(() => fillValue!);
  if (strategy === "most_frequent") {
    return columns.map((name, i) => mostFrequentValue(df, name, kinds[i]!));
  }
  const row = df.select(
    ...columns.map((name, i) => {
      const values = observedValues(name);
      return (strategy === "mean" ? values.mean() : values.median()).alias(`s${i}`);
    }),
  ).row(0) as unknown[];
  return columns.map((_, i) => Number(row[i]));
}

// Ties go to the smallest value, as scikit-learn does: polars' mode() returns every most
// frequent value and min() picks the smallest, so millions of distinct values never reach JS.
function mostFrequentValue(df: DataFrame, name: string, kind: "numeric" | "text"): number | string {
  const values = kind === "numeric" ? observedValues(name) : categoryValues(name);
  const best = df.select(values.dropNulls().mode().min().alias("value"));
  // requireObserved ran first, so there is a value.
  return best.getColumn("value").toArray()[0] as number | string;
}
