/**
 * The row engine: scores a few rows held as plain JavaScript values with no polars call, and
 * answers exactly what `scoreRows` answers for the same rows.
 *
 * `scoreRows` pays a fixed cost of a few dozen nodejs-polars calls (about 20 ms) however few
 * rows it gets, and leaves dead native objects behind for the garbage collector. The HTTP
 * service scores one row at a time, so it compiles each run it loads into a {@link RowScorer}.
 * The engine only composes the row forms the steps own:
 *
 *   parse (`_row_parse.ts`) → cleaning (`compileCleaningRow`, data) → derived features
 *   (`compileDerivedRow`, features) → each feature step's transformers (`compileRow`) → model
 *
 * Each row form replicates polars' semantics value by value, so the model input is identical
 * to the bit; the transformer contract test checks every registered kind for it. Whether a
 * column's nulls are a problem of the row is asked of the steps (`nullTolerantColumns`).
 *
 * Whatever the engine cannot reproduce exactly is never approximated:
 * - a run using something no row form reproduces, or a config the polars path refuses, does
 *   not compile (`compileRowScorer` returns `null`);
 * - rows that need a case the engine leaves to polars (a date written in a form other than
 *   `YYYY-MM-DD[(T| )HH:MM:SS[.fff]]` or the column's `data.date_formats` format, an integer beyond 2^53, a transformer refusing a value, a
 *   `log1p` within a few ulps of a Float32 rounding boundary) are answered with a
 *   {@link RowFallback}, and the caller scores them with `scoreRows`.
 *
 * As a safety net, before a compiled scorer is returned it scores probe rows built from the
 * run's training profile and compares everything, model input included, with `scoreRows`; on
 * any difference it logs a warning naming the step and the run does not compile.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import {
  compileCleaningRow,
  greaterThan,
  lessThan,
  RowRefused,
  RowUnsupported,
} from "../data/mod.ts";
import type { RowCleaning, RowColumn, RowValue } from "../data/mod.ts";
import { compileDerivedRow, transformerFromJson } from "../features/mod.ts";
import type { DerivedRow, RowKernel, Transformer } from "../features/mod.ts";
import { ArtifactError, SchemaMismatchError } from "../errors.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger, Matrix } from "../utils/mod.ts";
import { nullTolerantColumns } from "./inference_pipeline.ts";
import type { RowProblem } from "./inference_pipeline.ts";
import { verifyScorer } from "./_row_probe.ts";
import type { RowPredictions, RowScoreOutcome, RowScorer, RowScores } from "./_row_scores.ts";
import { inputColumns, parseColumn } from "./_row_parse.ts";
import type { InputColumn } from "./_row_parse.ts";
import type { RunArtifacts } from "./run_artifacts.ts";
import { labelsFromProbabilities, trainingRange } from "./scoring_rules.ts";

export type {
  RowFallback,
  RowPredictions,
  RowScoreOutcome,
  RowScorer,
  RowScores,
} from "./_row_scores.ts";

/** Options of {@link compileRowScorer}. */
export interface CompileRowScorerOptions {
  /**
   * Score probe rows (built from the training profile) with both engines and refuse to
   * compile on any difference.
   * @default true
   */
  verify?: boolean;
  /**
   * Called with the reason when the run does not compile.
   * @default null
   */
  onUnsupported?: ((reason: string) => void) | null;
  /**
   * Where a difference found by the probe rows is logged as a warning.
   * @default the "pipelines" project logger
   */
  logger?: Logger | null;
}

/** Defaults of {@link CompileRowScorerOptions}. */
export const DEFAULT_COMPILE_ROW_SCORER_OPTIONS: Readonly<Required<CompileRowScorerOptions>> = {
  verify: true,
  onUnsupported: null,
  logger: null,
};

/**
 * Compiles a run into a row engine, or returns `null` when the run uses something the engine
 * cannot reproduce exactly (the caller then scores with `scoreRows`).
 *
 * Supported: every input kind of the signature; all cleaning steps; every derived feature kind;
 * every registered transformer (each compiles its own row kernel); the feature selector.
 *
 * @param run the loaded run
 * @param options verification, the callback told why a run does not compile, and the logger
 *   warned when the probe rows differ
 * @returns the compiled scorer, or `null`
 * @example
 * ```ts
 * const scorer = compileRowScorer(run);
 * const outcome = scorer?.score([{ Island: "Dream", ... }]);
 * if (outcome === undefined || outcome.fallback) scoreRows(run, frame);
 * ```
 */
export function compileRowScorer(
  run: RunArtifacts,
  options: CompileRowScorerOptions = {},
): RowScorer | null {
  const settings = { ...DEFAULT_COMPILE_ROW_SCORER_OPTIONS, ...options };
  let scorer: CompiledRowScorer;
  try {
    scorer = new CompiledRowScorer(run);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    settings.onUnsupported?.(error.reason);
    return null;
  }
  if (settings.verify) {
    const difference = verifyScorer(run, scorer, columnsToFrame);
    if (difference !== null) {
      // Never silent: a difference means a row form disagrees with its frame path.
      (settings.logger ?? getProjectLogger("pipelines")).warn(
        "Run {run_id} scores with scoreRows only, the row engine disagrees: {difference}",
        { run_id: run.id, difference },
      );
      settings.onUnsupported?.(difference);
      return null;
    }
  }
  return scorer;
}

/**
 * Gathers row objects into columns: every field of any row, in the order first seen; a field
 * missing from a row is `undefined` there.
 *
 * @param rows the rows
 * @returns the columns
 * @example
 * ```ts
 * rowsToColumns([{ a: 1 }, { b: "x" }]); // Map { a: [1, undefined], b: [undefined, "x"] }
 * ```
 */
export function rowsToColumns(rows: readonly Record<string, unknown>[]): Map<string, unknown[]> {
  const columns = new Map<string, unknown[]>();
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      let values = columns.get(key);
      if (values === undefined) {
        values = new Array<unknown>(rows.length).fill(undefined);
        columns.set(key, values);
      }
      values[i] = row[key];
    }
  });
  return columns;
}

/**
 * Builds the polars frame `scoreRows` scores for the same columns: the definition of "the same
 * rows" the row engine answers like. A numeric input column whose values are all numbers (or
 * null) is Float64; any other column is text, numbers and booleans written as `String(value)`.
 * A column of another input is Float64 when all its values are numbers, else text.
 *
 * @param run the run (its signature decides the input columns)
 * @param columns the values per column, in column order
 * @returns the frame
 * @throws {TypeError} when a value is not text, a number, a boolean or null
 * @throws {RangeError} when the columns differ in length
 * @example
 * ```ts
 * const frame = columnsToFrame(run, rowsToColumns(rows));
 * scoreRows(run, frame);
 * ```
 */
export function columnsToFrame(
  run: RunArtifacts,
  columns: ReadonlyMap<string, readonly unknown[]>,
): DataFrame {
  const kinds = new Map(run.signature.columns.map((c) => [c.name, c.kind]));
  columnLength(columns);
  const series = [...columns].map(([name, raw]) => {
    const values = raw.map((value, i) => scalar(value, name, i));
    const kind = kinds.get(name);
    const numeric = (kind === "numeric" || kind === undefined) &&
      values.every((v) => v === null || typeof v === "number");
    if (numeric) return pl.Series(name, values, pl.Float64);
    return pl.Series(name, values.map((v) => (v === null ? null : String(v))), pl.Utf8);
  });
  return series.length === 0 ? pl.DataFrame({}) : pl.DataFrame(series);
}

/**
 * Builds the polars frame `scoreRows` scores for the same row objects (see
 * {@link columnsToFrame}).
 *
 * @param run the run
 * @param rows the rows
 * @returns the frame
 * @throws {TypeError} when a value is not text, a number, a boolean or null
 * @example
 * ```ts
 * scoreRows(run, rowsToFrame(run, [{ Island: "Dream", ... }]));
 * ```
 */
export function rowsToFrame(
  run: RunArtifacts,
  rows: readonly Record<string, unknown>[],
): DataFrame {
  return columnsToFrame(run, rowsToColumns(rows));
}

// ---------------------------------------------------------------- values

/** Thrown while compiling: the run uses something the row engine does not reproduce. */
class Unsupported {
  constructor(readonly reason: string) {}
}

function scalar(value: unknown, column: string, row: number): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "boolean") return String(value);
  throw new TypeError(
    `Cannot score the rows: field "${column}" of row ${row + 1} is ${
      Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value
    }, expected text, a number, a boolean or null`,
  );
}

function columnLength(columns: ReadonlyMap<string, readonly unknown[]>): number {
  let count: number | null = null;
  for (const [name, values] of columns) {
    if (count === null) count = values.length;
    else if (values.length !== count) {
      throw new RangeError(
        `Cannot score the rows: column "${name}" has ${values.length} values, expected ${count} like the first column`,
      );
    }
  }
  return count ?? 0;
}

// ---------------------------------------------------------------- compiling

/** One feature step: its transformers' kernels, run one after the other on its columns. */
interface StepProgram {
  name: string;
  /** Positions of the step's input columns in the row (inputs, then derived features). */
  sources: number[];
  kernels: RowKernel[];
  /** The largest ulp slack of its kernels: a row is also evaluated that many steps off. */
  slackUlps: number;
  /** The step's output names, in order. */
  outputs: string[];
}

/** Runs a compile step, turning a refusal to compile (or to load the state) into `Unsupported`. */
function compiling<T>(where: string, compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    if (error instanceof RowUnsupported) throw new Unsupported(`${where}${error.reason}`);
    if (error instanceof ArtifactError) throw new Unsupported(`${where}${error.message}`);
    throw error;
  }
}

class CompiledRowScorer implements RowScorer {
  readonly runId: string;
  #run: RunArtifacts;
  #inputs: InputColumn[];
  /** Input columns whose nulls are not a problem of the row. */
  #tolerant: Set<string>;
  #cleaning: RowCleaning;
  #derived: DerivedRow;
  #steps: StepProgram[];
  /** Positions of the model's input columns among the steps' outputs. */
  #matrixColumns: number[];
  #matrixNames: string[];
  #target: string;
  #classes: string[];

  constructor(run: RunArtifacts) {
    this.#run = run;
    this.runId = run.id;
    const { config } = run.loaded;
    this.#target = config.data.target;
    this.#classes = [...run.model.classes];
    this.#inputs = compiling(
      "",
      () => inputColumns(run.signature.columns, config.data.date_formats),
    );
    const parsed = this.#inputs.map((c): RowColumn => ({ name: c.name, dtype: c.dtype }));
    this.#cleaning = compiling(
      "",
      () => compileCleaningRow(config.cleaning, run.cleaningState, parsed),
    );
    this.#derived = compiling(
      "",
      () => compileDerivedRow(config.features.derived, this.#cleaning.columns),
    );
    this.#steps = compileSteps(run, this.#derived.columns);
    this.#tolerant = nullTolerantColumns(run);
    const outputs = this.#steps.flatMap((step) => step.outputs);
    if (JSON.stringify(outputs) !== JSON.stringify(run.pipeline.featureNamesOut())) {
      throw new Unsupported("the steps' outputs differ from the pipeline's feature names");
    }
    let selected = outputs;
    if (run.selector !== null) {
      const kept = run.selector.keptColumns();
      const missing = kept.filter((name) => !outputs.includes(name));
      if (missing.length > 0) {
        throw new Unsupported(`the selector keeps ${JSON.stringify(missing)}, not features`);
      }
      selected = kept;
    }
    const absent = run.names.filter((name) => !selected.includes(name));
    if (absent.length > 0) {
      throw new Unsupported(`model inputs ${JSON.stringify(absent)} are not features`);
    }
    this.#matrixNames = [...run.names];
    this.#matrixColumns = run.names.map((name) => outputs.indexOf(name));
  }

  /** The step whose outputs hold a model input column, for messages. */
  stepOfModelInput(column: number): string | null {
    const name = this.#matrixNames[column];
    return this.#steps.find((step) => name !== undefined && step.outputs.includes(name))?.name ??
      null;
  }

  score(rows: readonly Record<string, unknown>[], keep: readonly string[] = []): RowScoreOutcome {
    return this.scoreColumns(rowsToColumns(rows), keep);
  }

  scoreColumns(
    columns: ReadonlyMap<string, readonly unknown[]>,
    keep: readonly string[] = [],
  ): RowScoreOutcome {
    const found = [...columns.keys()];
    const needed = this.#inputs.map((c) => c.name);
    const missing = needed.filter((name) => !columns.has(name));
    if (missing.length > 0) {
      throw new SchemaMismatchError(
        `Cannot score "the request": missing column(s) ${
          JSON.stringify(missing)
        } that the model needs (expected ${JSON.stringify(needed)}, found ${
          JSON.stringify(found)
        })`,
      );
    }
    const absentKept = keep.filter((name) => !columns.has(name));
    if (absentKept.length > 0) {
      throw new SchemaMismatchError(
        `Cannot keep column(s) ${
          JSON.stringify(absentKept)
        } in the output: the input has no such column (found ${JSON.stringify(found)})`,
      );
    }
    const count = columnLength(columns);
    // Every value is checked, as columnsToFrame checks them for the polars path.
    const scalars = new Map(
      [...columns].map(([name, values]) => [name, values.map((v, i) => scalar(v, name, i))]),
    );
    const raw = this.#inputs.map((c) => scalars.get(c.name)!);
    try {
      return this.#score(columns, raw, count, keep);
    } catch (error) {
      if (error instanceof RowRefused) return { fallback: true, reason: error.reason };
      throw error;
    }
  }

  #score(
    columns: ReadonlyMap<string, readonly unknown[]>,
    rawColumns: (string | number | null)[][],
    count: number,
    keep: readonly string[],
  ): RowScores {
    const outputNames = new Set([
      "prediction",
      ...(this.#run.model.task === "regression" ? [] : this.#classes.map((c) => `proba_${c}`)),
    ]);
    const clash = keep.find((name) => outputNames.has(name));
    if (clash !== undefined) throw new RowRefused(`kept column "${clash}" clashes with an output`);

    const problems: RowProblem[] = [];
    const bad = new Set<number>();
    // Parse, recording problems check by check as `scoreRows` does.
    const parsed: RowValue[][] = this.#inputs.map((input, j) => {
      const { values, problems: found } = parseColumn(input, rawColumns[j]!);
      for (const list of found) {
        for (const problem of list) {
          bad.add(problem.row - 1);
          problems.push(problem);
        }
      }
      return values;
    });
    // Clean every row.
    const rows: RowValue[][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const row = parsed.map((values): RowValue => values[i] ?? null);
      this.#cleaning.clean(row);
      rows[i] = row;
    }
    const parseBad = new Set(bad);
    this.#inputs.forEach((input, j) => {
      if (this.#tolerant.has(input.name)) return;
      const kind = input.signature.kind;
      for (let i = 0; i < count; i++) {
        if (parseBad.has(i)) continue;
        const value = rows[i]![j]!;
        if (value === null || (kind === "numeric" && Number.isNaN(value))) {
          bad.add(i);
          problems.push({ row: i + 1, column: input.name, problem: "missing value" });
        }
      }
    });
    // Counted over the rows that can be scored, as `scoreRows` counts them.
    const unseen: Record<string, number> = {};
    const outOfRange: Record<string, number> = {};
    this.#inputs.forEach((input, j) => {
      let hits = 0;
      if (input.signature.kind === "categorical") {
        const categories = new Set(input.signature.categories);
        for (let i = 0; i < count; i++) {
          if (bad.has(i)) continue;
          const value = rows[i]![j];
          if (value !== null && !categories.has(value as string)) hits++;
        }
        if (hits > 0) unseen[input.name] = hits;
        return;
      }
      const range = trainingRange(input.signature);
      if (range === null) return;
      for (let i = 0; i < count; i++) {
        if (bad.has(i)) continue;
        const value = rows[i]![j];
        if (
          typeof value === "number" && (lessThan(value, range[0]) || greaterThan(value, range[1]))
        ) hits++;
      }
      if (hits > 0) outOfRange[input.name] = hits;
    });
    problems.sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));

    const used = new Set([...this.#inputs.map((c) => c.name), ...keep, this.#target]);
    const result: RowScores = {
      fallback: false,
      predictions: null,
      problems,
      rejected: [...bad].sort((a, b) => a - b).map((i) => i + 1),
      unseen_categories: unseen,
      out_of_range: outOfRange,
      extra_columns: [...columns.keys()].filter((name) => !used.has(name)),
      input: null,
    };
    const good: number[] = [];
    for (let i = 0; i < count; i++) if (!bad.has(i)) good.push(i);
    if (good.length === 0) return result;

    const input = this.#matrix(good.map((i) => rows[i]!));
    const output = this.#run.model.predict(input);
    result.input = input;
    result.predictions = this.#predictions(output, good, columns, keep);
    return result;
  }

  /** Derived features, feature steps and selection of the rows to score, as the model input. */
  #matrix(rows: RowValue[][]): Matrix {
    const cols = this.#matrixColumns.length;
    const data = new Float32Array(rows.length * cols);
    rows.forEach((cleaned, r) => {
      const row = [...cleaned];
      this.#derived.derive(row);
      const features: RowValue[] = [];
      for (const step of this.#steps) features.push(...runStep(step, row));
      for (let j = 0; j < cols; j++) {
        const value = features[this.#matrixColumns[j]!]!;
        if (value === null) {
          throw new RowRefused(
            `feature "${this.#matrixNames[j]}" is null, which the model input refuses`,
          );
        }
        data[r * cols + j] = value as number;
      }
    });
    return { data, rows: rows.length, cols };
  }

  #predictions(
    output: Float32Array,
    good: number[],
    columns: ReadonlyMap<string, readonly unknown[]>,
    keep: readonly string[],
  ): RowPredictions {
    const kept = new Map(
      keep.map((name) => {
        const values = columns.get(name)!;
        return [name, good.map((i) => values[i] ?? null)];
      }),
    );
    if (this.#run.model.task === "regression") {
      return { kept, prediction: Array.from(output), classes: [], probabilities: null };
    }
    const { labels, probabilities } = labelsFromProbabilities(output, this.#classes);
    return { kept, prediction: labels, classes: this.#classes, probabilities };
  }
}

/**
 * Runs one feature step on a row. When a kernel is inexact (a libm function such as `log1p`),
 * the row is also run that many ulps off either side; every later kernel is non-decreasing, so
 * polars' result lies between, and a different Float32 rounding sends the row to polars.
 */
function runStep(step: StepProgram, row: RowValue[]): RowValue[] {
  const evaluate = (shift: number) => {
    let values = step.sources.map((source): RowValue => row[source] ?? null);
    try {
      for (const kernel of step.kernels) values = kernel.apply(values, shift);
    } catch (error) {
      if (error instanceof RowRefused) throw new RowRefused(`step "${step.name}": ${error.reason}`);
      throw error;
    }
    return values;
  };
  const values = evaluate(0);
  if (step.slackUlps > 0) {
    const low = evaluate(-step.slackUlps);
    const high = evaluate(step.slackUlps);
    values.forEach((value, k) => {
      const f32 = (v: RowValue) => (typeof v === "number" ? Math.fround(v) : v);
      if (!Object.is(f32(low[k]!), f32(value)) || !Object.is(f32(high[k]!), f32(value))) {
        throw new RowRefused(
          `a result in step "${step.name}" lies too close to a Float32 rounding boundary`,
        );
      }
    });
  }
  return values;
}

/**
 * The feature steps as chains of row kernels: each step's transformers are rebuilt from their
 * fitted state and asked for their kernels; the row engine knows no transformer kind.
 */
function compileSteps(run: RunArtifacts, frame: readonly RowColumn[]): StepProgram[] {
  const state = run.pipeline.toJSON();
  if (state.version !== 1) throw new Unsupported(`feature pipeline version ${state.version}`);
  const frameNames = frame.map((c) => c.name);
  return state.steps.map((step) => {
    const where = `step "${step.name}": `;
    const sources = step.columns.map((name) => {
      const position = frameNames.indexOf(name);
      if (position < 0) throw new Unsupported(`step "${step.name}" reads missing "${name}"`);
      return position;
    });
    let columns: readonly RowColumn[] = sources.map((k) => frame[k]!);
    const kernels: RowKernel[] = [];
    let last: Transformer | null = null;
    for (const json of step.transformers) {
      const transformer = compiling(where, () => transformerFromJson(json));
      const kernel = compiling(where, () => transformer.compileRow(columns));
      kernels.push(kernel);
      columns = kernel.columns;
      last = transformer;
    }
    const outputs = columns.map((c) => c.name);
    const expected = last === null ? step.columns : last.featureNamesOut();
    if (JSON.stringify(outputs) !== JSON.stringify(expected)) {
      throw new Unsupported(`step "${step.name}" outputs ${JSON.stringify(outputs)}`);
    }
    const nonNumeric = columns.find((c) => c.dtype !== "f64" && c.dtype !== "i64");
    if (nonNumeric !== undefined) {
      throw new Unsupported(`step "${step.name}" outputs non-numeric "${nonNumeric.name}"`);
    }
    const slackUlps = Math.max(0, ...kernels.map((k) => k.slackUlps));
    return { name: step.name, sources, kernels, slackUlps, outputs };
  });
}
