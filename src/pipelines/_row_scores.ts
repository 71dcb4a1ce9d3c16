/**
 * What the row engine answers: the compiled scorer's interface and its results. They sit apart
 * from `row_scorer.ts` so the probe in `_row_probe.ts` can name them without importing the
 * scorer that runs it; `row_scorer.ts` re-exports them.
 *
 * @module
 */
import type { Matrix } from "../utils/mod.ts";
import type { RowProblem } from "./inference_pipeline.ts";

/** The predictions of the rows the row engine could score, in input order. */
export interface RowPredictions {
  /** Kept input columns (the `keep` argument), values as given. */
  kept: Map<string, unknown[]>;
  /** The predicted class, or the predicted value for regression. */
  prediction: (string | number)[];
  /** The classes, in the model's order (empty for regression). */
  classes: readonly string[];
  /** Classification: one array per class (`proba_<class>`), aligned with `classes`. */
  probabilities: Float64Array[] | null;
}

/** What the row engine answers for rows it can score exactly: the fields of `ScoredRows`. */
export interface RowScores {
  /** Always `false`: these are the answers. */
  fallback: false;
  /** The predictions of the rows that could be scored, or `null` when none could. */
  predictions: RowPredictions | null;
  /** Every problem found, by row (1-based) and column, in `scoreRows` order. */
  problems: RowProblem[];
  /** Rows that could not be scored (1-based). */
  rejected: number[];
  /** Per categorical column: values never seen in training. */
  unseen_categories: Record<string, number>;
  /** Per numeric column: values outside the training range. */
  out_of_range: Record<string, number>;
  /** Input columns the run does not use. */
  extra_columns: string[];
  /** The model input of the scored rows, or `null` when none could be scored. */
  input: Matrix | null;
}

/** The row engine's answer when the rows need the polars path to be answered exactly. */
export interface RowFallback {
  /** Always `true`: score these rows with `scoreRows`. */
  fallback: true;
  /** Why, e.g. `date "2020-1-2" of "Year" is not in a form the row engine parses`. */
  reason: string;
}

/** The outcome of scoring rows with a {@link RowScorer}. */
export type RowScoreOutcome = RowScores | RowFallback;

/** A run compiled for scoring rows without polars; `compileRowScorer` (`row_scorer.ts`) builds it. */
export interface RowScorer {
  /** The run it scores with. */
  readonly runId: string;
  /**
   * Scores row objects (values as JSON gives them: text, numbers, booleans, null).
   *
   * @param rows the rows; a field missing from a row is null
   * @param keep input fields copied into the predictions, in order
   * @returns the scores, or a fallback when `scoreRows` must answer these rows
   * @throws {SchemaMismatchError} when no row holds a column the run needs, or a kept column
   * @throws {TypeError} when a value is an object, an array or another non-JSON-scalar value
   */
  score(rows: readonly Record<string, unknown>[], keep?: readonly string[]): RowScoreOutcome;
  /**
   * Scores rows given column by column (the map's order is the column order).
   *
   * @param columns the values of each column, all of the same length
   * @param keep input columns copied into the predictions, in order
   * @returns the scores, or a fallback when `scoreRows` must answer these rows
   * @throws {SchemaMismatchError} when a column the run needs, or a kept column, is missing
   * @throws {TypeError} when a value is not text, a number, a boolean or null
   * @throws {RangeError} when the columns differ in length
   */
  scoreColumns(
    columns: ReadonlyMap<string, readonly unknown[]>,
    keep?: readonly string[],
  ): RowScoreOutcome;
}
