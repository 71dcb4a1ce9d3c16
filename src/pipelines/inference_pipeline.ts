/**
 * The inference pipeline: score a file with a recorded run (or the production run) through the
 * same validate → clean → transform code as training, batch by batch, with a per-row report of
 * the rows that cannot be scored and a drift check against the run's training profile.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import {
  applyCleaning,
  driftReport,
  ensureLocalData,
  isDatetimeFormat,
  openBatchWriter,
  readBatches,
  stageOutput,
  strftimePattern,
} from "../data/mod.ts";
import type { BatchTextOptions, ColumnSignature, DriftOptions, DriftReport } from "../data/mod.ts";
import type { CleaningConfig } from "../config/mod.ts";
import { addDerivedFeatures, transformerFromJson } from "../features/mod.ts";
import { ConfigError, DataValidationError, SchemaMismatchError } from "../errors.ts";
import type { ValidationIssue } from "../errors.ts";
import { dtypeKind, getProjectLogger, isIntegerDtype, Random } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { featureMatrixForRun } from "./run_artifacts.ts";
import type { RunArtifacts } from "./run_artifacts.ts";
import {
  describeInputKind,
  labelsFromProbabilities,
  refusalLimits,
  tooFarProblem,
  trainingRange,
} from "./scoring_rules.ts";

/** One row that cannot be scored, and why. */
export interface RowProblem {
  /** 1-based data row of the input (header excluded). */
  row: number;
  /** The column at fault. */
  column: string;
  /** What is wrong, e.g. `not a number: "abc"` or `missing value`. */
  problem: string;
}

/** Options of {@link predictFile}. */
export interface PredictFileOptions {
  /** The input file (CSV, TSV, Parquet, JSON, NDJSON, Arrow). */
  input: string;
  /** The output file; its extension picks the format (CSV, TSV, Parquet, JSON, NDJSON). */
  output: string;
  /** `fail`: no output and a per-row report when any row cannot be scored; `skip`: score the rest. @default "fail" */
  onError?: "fail" | "skip";
  /**
   * With `skip`, where rejected rows go (input columns + row + reasons).
   * @default the output path with its extension replaced: `preds.csv` → `preds.rejected.csv`
   */
  rejected?: string | null;
  /** Input columns copied unchanged into the output, in this order. @default the run's `data.id_columns` found in the input */
  keep?: string[] | null;
  /** Rows read, checked and scored at a time: the memory bound. @default 100000 */
  batchRows?: number;
  /**
   * How a delimited input is written (`separator`, `quote`, `encoding`, `null_markers`), as
   * for `readBatches`. @default the run's `config.data`, as the training file was read
   */
  data?: BatchTextOptions;
  /** Rows kept (seeded reservoir) to compare with the training profile; 0 turns drift off. @default 50000 */
  driftSampleRows?: number;
  /** Drift thresholds. @default Evidently's defaults */
  drift?: DriftOptions;
  /**
   * Score one part of the input, for N processes that each write their own output (a
   * Kubernetes Indexed Job): part `index` of `count` holds batches `index`, `index + count`, …
   * of `batchRows` rows, so the parts together hold every row exactly once. `null` scores all.
   * @default null
   */
  partition?: InputPartition | null;
  /** Where logs go. @default the "inference" project logger */
  logger?: Logger;
}

/** One part of an input split across processes: part `index` (from 0) of `count`. */
export interface InputPartition {
  /** This part, `0 <= index < count`. */
  index: number;
  /** How many parts there are. */
  count: number;
}

/**
 * Reads `K/N` (part K of N, from 0) as an {@link InputPartition}.
 *
 * @param text e.g. `"2/4"`
 * @returns the partition
 * @throws {ConfigError} when it is not two integers with `0 <= K < N`
 * @example
 * ```ts
 * parsePartition("2/4"); // { index: 2, count: 4 }
 * ```
 */
export function parsePartition(text: string): InputPartition {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new ConfigError(
      `Cannot read the partition "${text}": write K/N with 0 <= K < N, e.g. 0/4 for the first of four parts`,
    );
  }
  return { index, count };
}

/** What a prediction job did. */
export interface PredictionSummary {
  /** The run that scored the rows. */
  run_id: string;
  input: string;
  /** The output file, or `null` when the job failed. */
  output: string | null;
  rows_read: number;
  rows_scored: number;
  rows_rejected: number;
  /** The rejected-rows file, when rows were skipped. */
  rejected_file: string | null;
  /** The first problems found (at most 50). */
  problems: RowProblem[];
  /**
   * Per categorical column: values never seen in training (the encoder's policy applies), among
   * the rows that were scored; rejected rows are not counted.
   */
  unseen_categories: Record<string, number>;
  /**
   * Per numeric column: values outside the training range (scored all the same), among the rows
   * that were scored; rejected rows are not counted.
   */
  out_of_range: Record<string, number>;
  /** Input columns the run does not use (ignored unless kept). */
  extra_columns: string[];
  /**
   * The drift check on a sample of the scored rows (rejected rows left out), or `null` when
   * turned off.
   */
  drift: DriftReport | null;
  seconds: number;
}

/**
 * Scores `input` with `run` and writes predictions to `output`.
 *
 * Each batch is checked against the run's `schema.json` (a missing column fails the job; extra
 * columns are reported and ignored), values are parsed to the training types, the run's
 * cleaning (fills, clips) and fitted features are applied, and the model predicts.
 * Classification writes `prediction` and one `proba_<class>` column per class; regression writes
 * `prediction`. Kept columns come first, unchanged and in order. The output is written to a
 * temporary file and renamed at the end, so it is never left half-written.
 *
 * @param run the opened run
 * @param options input, output, error policy and drift settings
 * @returns the summary (rows, rejects, unseen categories, drift)
 * @throws {DataValidationError} with every row problem (row, column, problem) when
 *   `onError` is `fail` and a row cannot be scored; no output is written
 * @throws {SchemaMismatchError} when the input lacks a column the run needs
 * @throws {ArtifactError} when the input cannot be read or the output written
 * @example
 * ```ts
 * const summary = await predictFile(run, { input: "new.csv", output: "scored.csv" });
 * ```
 */
export async function predictFile(
  run: RunArtifacts,
  options: PredictFileOptions,
): Promise<PredictionSummary> {
  const started = performance.now();
  const logger = options.logger ?? getProjectLogger("inference");
  const onError = options.onError ?? "fail";
  const batchRows = options.batchRows ?? 100_000;
  const sampleRows = options.driftSampleRows ?? 50_000;
  const { config } = run.loaded;
  const inputColumns = run.signature.columns.map((c) => c.name);
  const tolerant = nullTolerantColumns(run);
  const classes = [...run.model.classes];

  const summary = emptySummary(run.id, options.input);
  const allProblems: RowProblem[] = [];
  // A remote input is read from its local copy; a remote output is written locally and
  // uploaded whole once complete.
  await ensureLocalData(options.input);
  const staged = await stageOutput(options.output);
  const writer = await openBatchWriter(staged.path);
  let rejectedWriter: Awaited<ReturnType<typeof openBatchWriter>> | null = null;
  let rejectedStaged: Awaited<ReturnType<typeof stageOutput>> | null = null;
  const rejectedPath = options.rejected ??
    `${options.output.replace(/\.[^./]+$/, "")}.rejected.csv`;
  const reservoir = new Reservoir(sampleRows, run.record.seeds.split);
  let keep: string[] | null = null;
  let failed = false;
  const partition = options.partition ?? null;
  let batchNumber = -1;

  try {
    const data = options.data ?? config.data;
    for await (const batch of readBatches(options.input, { batchRows, data })) {
      if (keep === null) {
        keep = resolveKeep(batch.frame.columns, options.keep ?? null, config.data.id_columns);
        requireInputColumns(batch.frame.columns, inputColumns, options.input);
        const used = new Set([...inputColumns, ...keep, config.data.target]);
        summary.extra_columns = batch.frame.columns.filter((c: string) => !used.has(c));
        if (summary.extra_columns.length > 0) {
          logger.info("Ignoring {count} column(s) the run does not use: {columns}", {
            count: summary.extra_columns.length,
            columns: summary.extra_columns,
          });
        }
      }
      batchNumber++;
      if (partition !== null && batchNumber % partition.count !== partition.index) continue;
      summary.rows_read += batch.frame.height;
      const checked = checkBatch(batch.frame, run, batch.firstRow, tolerant);
      countInto(summary.unseen_categories, checked.unseen);
      countInto(summary.out_of_range, checked.outOfRange);
      // Only rows that can be scored: rejected rows are reported in the rejected file, and their
      // values (refused or missing) would skew the drift check.
      const good = checked.badRows.size === 0
        ? { raw: batch.frame, cleaned: checked.cleaned }
        : keepRows(batch.frame, checked.cleaned, checked.badRows);
      reservoir.add(good.cleaned);
      if (checked.problems.length > 0) {
        allProblems.push(...checked.problems.slice(0, Math.max(0, 10_000 - allProblems.length)));
        summary.rows_rejected += checked.badRows.size;
        if (onError === "fail") {
          failed = true;
          continue; // keep checking, so the report lists every bad row; write nothing more
        }
        rejectedStaged ??= await stageOutput(rejectedPath);
        rejectedWriter ??= await openBatchWriter(rejectedStaged.path);
        await rejectedWriter.write(rejectedFrame(batch.frame, batch.firstRow, checked.problems));
      }
      if (failed) continue;
      if (good.raw.height === 0) continue;
      const predictions = scoreCleaned(run, good.cleaned, classes);
      await writer.write(pl.concat([good.raw.select(...keep), predictions], { how: "horizontal" }));
      summary.rows_scored += good.raw.height;
      releaseMemory();
    }
    if (failed) {
      summary.problems = allProblems.slice(0, 50);
      throw new DataValidationError(
        `Cannot score "${options.input}": ${summary.rows_rejected} row(s) cannot be scored, so nothing was written\n${
          formatProblems(allProblems)
        }\nfix the rows, or pass --on-error skip to score the rest and keep the rejected rows in a file`,
        problemIssues(allProblems),
      );
    }
    // Rejected rows first: once the output exists, its rejected file is complete too, also when
    // the process is killed between the two renames.
    if (rejectedWriter) {
      await rejectedWriter.commit();
      await rejectedStaged?.publish();
      summary.rejected_file = rejectedPath;
    }
    await writer.commit();
    await staged.publish();
    summary.output = options.output;
  } catch (error) {
    await writer.abort();
    await rejectedWriter?.abort();
    await staged.discard();
    await rejectedStaged?.discard();
    throw error;
  }
  summary.problems = allProblems.slice(0, 50);
  if (sampleRows > 0 && reservoir.rows > 0) {
    summary.drift = driftReport(run.profile, reservoir.frame(), options.drift ?? {});
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/**
 * The summary of a prediction job before it has read a row: what `predictFile` and
 * `predictOnQueue` fill in.
 *
 * @param runId the run that scores
 * @param input the input location
 * @returns a summary with every count at zero
 * @example
 * ```ts
 * const summary = emptySummary(run.id, "data/raw/new.csv"); // summary.rows_read === 0
 * ```
 */
export function emptySummary(runId: string, input: string): PredictionSummary {
  return {
    run_id: runId,
    input,
    output: null,
    rows_read: 0,
    rows_scored: 0,
    rows_rejected: 0,
    rejected_file: null,
    problems: [],
    unseen_categories: {},
    out_of_range: {},
    extra_columns: [],
    drift: null,
    seconds: 0,
  };
}

/** The outcome of {@link scoreRows}. */
export interface ScoredRows {
  /**
   * Kept columns, `prediction` and (classification) one `proba_<class>` column per class, for
   * the rows that could be scored, in input order; `null` when none could.
   */
  predictions: DataFrame | null;
  /** Every problem found, by row (1-based within the given rows) and column. */
  problems: RowProblem[];
  /** Rows that could not be scored (1-based). */
  rejected: number[];
  /** Per categorical column: values never seen in training, among rows that can be scored. */
  unseen_categories: Record<string, number>;
  /** Per numeric column: values outside the training range, among rows that can be scored. */
  out_of_range: Record<string, number>;
  /** Input columns the run does not use. */
  extra_columns: string[];
}

/**
 * Checks, cleans, transforms and scores rows held in memory, with exactly the code
 * `predictFile` runs on each batch. The HTTP service calls this.
 *
 * @param run the opened run
 * @param rows the input rows (strings are parsed to the training types)
 * @param keep input columns copied into the predictions, in order
 * @returns the predictions of the rows that could be scored and the problems of the others
 * @throws {SchemaMismatchError} when a column the run needs or a kept column is missing
 * @example
 * ```ts
 * const { predictions, problems } = scoreRows(run, pl.DataFrame({ Island: ["Dream"], ... }));
 * ```
 */
export function scoreRows(run: RunArtifacts, rows: DataFrame, keep: string[] = []): ScoredRows {
  const inputColumns = run.signature.columns.map((c) => c.name);
  requireInputColumns(rows.columns, inputColumns, "the request");
  const kept = resolveKeep(rows.columns, keep, []);
  const used = new Set([...inputColumns, ...kept, run.loaded.config.data.target]);
  const checked = checkBatch(rows, run, 1, nullTolerantColumns(run));
  const good = checked.badRows.size === 0
    ? { raw: rows, cleaned: checked.cleaned }
    : keepRows(rows, checked.cleaned, checked.badRows);
  const predictions = good.raw.height === 0 ? null : pl.concat([
    good.raw.select(...kept),
    scoreCleaned(run, good.cleaned, [...run.model.classes]),
  ], { how: "horizontal" });
  return {
    predictions,
    problems: checked.problems,
    rejected: [...checked.badRows].sort((a, b) => a - b).map((i) => i + 1),
    unseen_categories: checked.unseen,
    out_of_range: checked.outOfRange,
    extra_columns: rows.columns.filter((c: string) => !used.has(c)),
  };
}

/**
 * Checks a file against a run's training profile without predicting (`deno task drift`).
 *
 * @param run the opened run
 * @param input the file to check
 * @param options sample size, thresholds, and how the input is written (default: as the run's
 *   `config.data`)
 * @returns the drift report
 * @throws {SchemaMismatchError} when the input lacks a column the run needs
 * @example
 * ```ts
 * const report = await checkDrift(run, "new.csv");
 * ```
 */
export async function checkDrift(
  run: RunArtifacts,
  input: string,
  options: {
    sampleRows?: number;
    drift?: DriftOptions;
    batchRows?: number;
    data?: BatchTextOptions;
  } = {},
): Promise<DriftReport> {
  const reservoir = new Reservoir(options.sampleRows ?? 50_000, run.record.seeds.split);
  const inputColumns = run.signature.columns.map((c) => c.name);
  let first = true;
  const reading = {
    batchRows: options.batchRows ?? 100_000,
    data: options.data ?? run.loaded.config.data,
  };
  for await (const batch of readBatches(input, reading)) {
    if (first) requireInputColumns(batch.frame.columns, inputColumns, input);
    first = false;
    reservoir.add(cleanInputRows(run, batch.frame));
  }
  return driftReport(run.profile, reservoir.frame(), options.drift ?? {});
}

/**
 * Parses and cleans rows as they are before scoring: the input columns turned into the training
 * types (a value that does not parse becomes null) and the run's cleaning applied, every row
 * kept. `checkDrift` compares this with the training profile, batch by batch; the service's live
 * drift check (`driftOfColumns`) does the same, so both agree on the same rows.
 *
 * @param run the opened run
 * @param rows raw rows holding the run's input columns
 * @returns the input columns, parsed and cleaned
 * @throws {SchemaMismatchError} when a column the run needs is missing
 * @example
 * ```ts
 * const cleaned = cleanInputRows(run, batch.frame);
 * driftReport(run.profile, cleaned);
 * ```
 */
export function cleanInputRows(run: RunArtifacts, rows: DataFrame): DataFrame {
  requireInputColumns(rows.columns, run.signature.columns.map((c) => c.name), "the rows");
  // The parsing and cleaning of `checkBatch`, without its checks: a drift check reports no
  // row problems (skipping them took a 1,000-row live check from about 30 to 18 ms).
  return cleanTyped(rows.select(...parsedInputs(rows, run).map((p) => p.parsed)), run);
}

/** Each input column's expression parsing it to its training type, named as the column. */
function parsedInputs(
  raw: DataFrame,
  run: RunArtifacts,
): { column: ColumnSignature; parsed: Expr }[] {
  const dateFormats = run.loaded.config.data.date_formats;
  return run.signature.columns.map((column) => ({
    column,
    parsed: parseColumn(column, raw, dateFormats[column.name] ?? null).alias(column.name),
  }));
}

/** Applies the run's cleaning for scoring (`inferenceCleaning`) to parsed input columns. */
function cleanTyped(typed: DataFrame, run: RunArtifacts): DataFrame {
  const { config } = run.loaded;
  const cleaning = inferenceCleaning(config.cleaning, run.signature.columns.map((c) => c.name));
  return applyCleaning(typed, cleaning, run.cleaningState, { dropRows: false }).frame;
}

/** Builds the output columns for cleaned, valid rows. */
function scoreCleaned(run: RunArtifacts, cleaned: DataFrame, classes: string[]): DataFrame {
  const { derived } = run.loaded.config.features;
  const withDerived = derived.length > 0 ? addDerivedFeatures(cleaned, derived) : cleaned;
  const output = run.model.predict(featureMatrixForRun(run, withDerived));
  if (run.model.task === "regression") {
    return pl.DataFrame({ prediction: pl.Series("prediction", output, pl.Float64) });
  }
  const { labels, probabilities } = labelsFromProbabilities(output, classes);
  return pl.DataFrame([
    pl.Series("prediction", labels, pl.Utf8),
    ...classes.map((c, j) => pl.Series(`proba_${c}`, probabilities[j]!, pl.Float64)),
  ]);
}

interface CheckedBatch {
  /** Input columns parsed to training types with the run's cleaning applied (all rows). */
  cleaned: DataFrame;
  problems: RowProblem[];
  /** Batch positions (0-based) of rows that cannot be scored. */
  badRows: Set<number>;
  unseen: Record<string, number>;
  outOfRange: Record<string, number>;
}

/** Parses, cleans and checks one batch; never throws for bad values, only reports them. */
function checkBatch(
  raw: DataFrame,
  run: RunArtifacts,
  firstRow: number,
  tolerant: Set<string>,
): CheckedBatch {
  const problems: RowProblem[] = [];
  const badRows = new Set<number>();
  const indexed = raw.withRowIndex("__row");
  const inputs = parsedInputs(raw, run);
  const parseChecks: Check[] = [];
  for (const { column, parsed } of inputs) {
    const source = pl.col(column.name);
    parseChecks.push({
      column: column.name,
      mask: source.isNotNull().and(parsed.isNull()),
      problem: (v) => `cannot parse ${JSON.stringify(v)} as ${describeInputKind(column)}`,
    });
    if (column.kind === "numeric") {
      // Any source type: a float column of Parquet or a CSV read as floats can hold NaN and
      // Infinity too, and the model cannot score them.
      const text = dtypeKind(raw.getColumn(column.name).dtype) === "string";
      parseChecks.push({
        column: column.name,
        mask: parsed.isNotNull().and(parsed.isNan().or(parsed.abs().eq(Infinity))),
        problem: (v) => `not a finite number: ${text ? JSON.stringify(v) : String(v)}`,
      });
      const limits = refusalLimits(column);
      if (limits !== null) {
        // Values this far out overflow the model's float32 features (1e308 becomes Infinity),
        // which would fail the whole batch instead of this row.
        const outside = parsed.lt(limits[0]).or(parsed.gt(limits[1]));
        parseChecks.push({
          column: column.name,
          mask: parsed.isNotNull().and(parsed.isNan().not()).and(parsed.abs().eq(Infinity).not())
            .and(outside),
          problem: (v) => tooFarProblem(text ? JSON.stringify(v) : String(v), column),
        });
      }
    }
  }
  collectProblems(indexed, parseChecks, firstRow, problems, badRows);
  const cleaned = cleanTyped(indexed.select(pl.col("__row"), ...inputs.map((p) => p.parsed)), run);

  const missingChecks: Check[] = [];
  const counters: Array<{ kind: "unseen" | "range"; column: string; mask: Expr }> = [];
  const alreadyBad = pl.col("__row").isIn([...badRows]);
  for (const column of run.signature.columns) {
    const value = pl.col(column.name);
    if (!tolerant.has(column.name)) {
      const missing = column.kind === "numeric" ? value.isNull().or(value.isNan()) : value.isNull();
      missingChecks.push({
        column: column.name,
        mask: badRows.size > 0 ? missing.and(alreadyBad.not()) : missing,
        problem: () => "missing value",
      });
    }
    if (column.kind === "categorical") {
      counters.push({
        kind: "unseen",
        column: column.name,
        mask: value.isNotNull().and(value.cast(pl.Utf8).isIn(column.categories).not()),
      });
    } else {
      const range = trainingRange(column);
      if (range !== null) {
        counters.push({
          kind: "range",
          column: column.name,
          mask: value.lt(range[0]).or(value.gt(range[1])),
        });
      }
    }
  }
  collectProblems(cleaned, missingChecks, firstRow, problems, badRows);
  const unseen: Record<string, number> = {};
  const outOfRange: Record<string, number> = {};
  if (counters.length > 0) {
    // Counted over the rows that can be scored: a rejected row is reported once, as rejected.
    const scorable = badRows.size > 0 ? pl.col("__row").isIn([...badRows]).not() : null;
    const sums = cleaned.select(
      ...counters.map((c, i) =>
        (scorable === null ? c.mask : c.mask.and(scorable)).cast(pl.UInt32).sum().alias(`c${i}`)
      ),
    ).row(0) as number[];
    counters.forEach((c, i) => {
      const count = Number(sums[i] ?? 0);
      if (count > 0) (c.kind === "unseen" ? unseen : outOfRange)[c.column] = count;
    });
  }
  problems.sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));
  return { cleaned: cleaned.drop("__row"), problems, badRows, unseen, outOfRange };
}

/** A row check: rows where `mask` holds cannot be scored because of `column`. */
interface Check {
  column: string;
  mask: Expr;
  problem: (value: unknown) => string;
}

/**
 * Evaluates every check in one pass; only checks that hit any row pay for extracting the rows.
 */
function collectProblems(
  frame: DataFrame,
  checks: Check[],
  firstRow: number,
  problems: RowProblem[],
  badRows: Set<number>,
): void {
  if (checks.length === 0) return;
  const counts = frame.select(
    ...checks.map((c, i) => c.mask.fillNull(false).cast(pl.UInt32).sum().alias(`k${i}`)),
  ).row(0) as number[];
  checks.forEach((check, i) => {
    if (Number(counts[i] ?? 0) === 0) return;
    const hits = frame
      .select(pl.col("__row"), pl.col(check.column).alias("__value"), check.mask.alias("__hit"))
      .filter(pl.col("__hit"));
    const rows = hits.getColumn("__row").toArray() as number[];
    const values = hits.getColumn("__value").toArray();
    rows.forEach((row, j) => {
      badRows.add(row);
      problems.push({
        row: firstRow + row,
        column: check.column,
        problem: check.problem(values[j]),
      });
    });
  });
}

/**
 * The expression that turns a raw column into the training type, null where it fails. A date
 * column with a `data.date_formats` entry reads text in that format first, then ISO text.
 */
function parseColumn(column: ColumnSignature, raw: DataFrame, dateFormat: string | null): Expr {
  const value = pl.col(column.name);
  const sourceType = raw.getColumn(column.name).dtype.variant;
  if (column.kind === "categorical") return value.cast(pl.Utf8);
  if (column.kind === "numeric") {
    const asFloat = sourceType === "String"
      ? value.str.strip().cast(pl.Float64, false)
      : value.cast(pl.Float64, false);
    if (!isIntegerDtype(column.dtype)) return asFloat;
    // Integer columns: a fractional value does not parse.
    return pl.when(asFloat.eq(asFloat.floor())).then(asFloat).otherwise(pl.lit(null)).cast(
      pl.Int64,
      false,
    );
  }
  if (sourceType !== "String") return value.cast(pl.Datetime("ms"), false);
  const text = value.str.strip();
  const iso = text.str.strptime(pl.Datetime("ms"), dateFormatOf(raw, column.name, dateFormat));
  if (dateFormat === null) return iso;
  return pl.when(inDateFormat(text, dateFormat)).then(parseInFormat(text, dateFormat))
    .otherwise(iso);
}

/** Text parsed with a column's strftime format, as a `Datetime("ms")`; null where it fails. */
function parseInFormat(text: Expr, format: string): Expr {
  return isDatetimeFormat(format)
    ? text.str.strptime(pl.Datetime("ms"), format)
    : text.str.strptime(pl.Date, format).cast(pl.Datetime("ms"));
}

/**
 * True where text is written in the strftime format: it matches the format's whole pattern
 * (the one the training loader checks values against) and polars parses it.
 */
function inDateFormat(text: Expr, format: string): Expr {
  const pattern = strftimePattern(format);
  const parses = parseInFormat(text, format).isNotNull();
  return (pattern === null ? parses : text.str.contains(pattern).and(parses)).fillNull(false);
}

/** ISO 8601 forms accepted for dates and times, most specific first. */
const DATE_FORMATS = [
  "%Y-%m-%dT%H:%M:%S%.f",
  "%Y-%m-%d %H:%M:%S%.f",
  "%Y-%m-%dT%H:%M:%S",
  "%Y-%m-%d %H:%M:%S",
  "%Y-%m-%d",
];

/**
 * Picks the ISO format of a text date column from its first non-null values, so the whole
 * column is parsed once; values in another form then fail to parse and are reported by row.
 * Values in the column's own `data.date_formats` format do not decide it.
 */
function dateFormatOf(raw: DataFrame, name: string, own: string | null): string {
  const sample = raw.select(pl.col(name).dropNulls().head(100).str.strip().alias(name));
  const parses = DATE_FORMATS.map((format) =>
    (sample.select(pl.col(name).str.strptime(pl.Datetime("ms"), format)).getColumn(name)
      .toArray() as unknown[]).map((value) => value !== null)
  );
  const inOwn = own === null
    ? null
    : sample.select(inDateFormat(pl.col(name), own).alias(name)).getColumn(name)
      .toArray() as boolean[];
  // Values no format parses are reported row by row; they must not decide the format for the
  // valid values around them.
  const parseable = sample.getColumn(name).toArray().map((_, i) =>
    inOwn?.[i] !== true && parses.some((p) => p[i])
  );
  const index = parses.findIndex((p) => parseable.every((ok, i) => !ok || p[i]));
  return DATE_FORMATS[Math.max(0, index)]!;
}

/**
 * Returns the input columns whose nulls the run handles itself: filled by cleaning, or by a
 * feature step whose first transformer accepts nulls (its `inputPolicy().nulls`). Their nulls are not
 * row problems; `scoreRows` and the row engine both ask this.
 *
 * @param run the opened run
 * @returns the column names
 * @example
 * ```ts
 * nullTolerantColumns(run).has("Sex"); // true when cleaning fills Sex
 * ```
 */
export function nullTolerantColumns(run: RunArtifacts): Set<string> {
  const tolerant = new Set<string>(Object.keys(run.cleaningState.fills ?? {}));
  for (const step of run.pipeline.toJSON().steps) {
    const first = step.transformers[0];
    // The step's first transformer sees the input values: it says whether it takes nulls.
    if (first !== undefined && transformerFromJson(first).inputPolicy().nulls === "accept") {
      for (const column of step.columns) tolerant.add(column);
    }
  }
  return tolerant;
}

function resolveKeep(columns: string[], requested: string[] | null, idColumns: string[]): string[] {
  if (requested === null) return idColumns.filter((c) => columns.includes(c));
  const missing = requested.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new SchemaMismatchError(
      `Cannot keep column(s) ${
        JSON.stringify(missing)
      } in the output: the input has no such column (found ${JSON.stringify(columns)})`,
    );
  }
  return requested;
}

function requireInputColumns(found: string[], needed: string[], input: string): void {
  const missing = needed.filter((c) => !found.includes(c));
  if (missing.length > 0) {
    throw new SchemaMismatchError(
      `Cannot score "${input}": missing column(s) ${
        JSON.stringify(missing)
      } that the model needs (expected ${JSON.stringify(needed)}, found ${JSON.stringify(found)})`,
    );
  }
}

function keepRows(
  raw: DataFrame,
  cleaned: DataFrame,
  bad: Set<number>,
): { raw: DataFrame; cleaned: DataFrame } {
  const ok = pl.Series("__ok", Array.from({ length: raw.height }, (_, i) => !bad.has(i)), pl.Bool);
  const pick = (df: DataFrame) => df.withColumns(ok).filter(pl.col("__ok")).drop("__ok");
  return { raw: pick(raw), cleaned: pick(cleaned) };
}

function rejectedFrame(raw: DataFrame, firstRow: number, problems: RowProblem[]): DataFrame {
  const reasons = new Map<number, string[]>();
  for (const p of problems) {
    const list = reasons.get(p.row) ?? [];
    list.push(`${p.column}: ${p.problem}`);
    reasons.set(p.row, list);
  }
  const rows = [...reasons.keys()].sort((a, b) => a - b);
  const positions = rows.map((r) => r - firstRow);
  const selected = raw.withRowIndex("__pos").filter(pl.col("__pos").isIn(positions)).drop("__pos");
  const asText = selected.select(...selected.columns.map((c) => pl.col(c).cast(pl.Utf8)));
  return pl.concat([
    pl.DataFrame({
      row: pl.Series("row", rows, pl.Int64),
      reason: pl.Series("reason", rows.map((r) => reasons.get(r)!.join("; ")), pl.Utf8),
    }),
    asText,
  ], { how: "horizontal" });
}

function countInto(total: Record<string, number>, add: Record<string, number>): void {
  for (const [key, value] of Object.entries(add)) total[key] = (total[key] ?? 0) + value;
}

/**
 * Formats row problems one per line (`  row 3, Sex: missing value`), at most `limit` of them.
 *
 * @param problems the problems, by row
 * @param limit how many lines at most
 * @returns the lines joined by newlines
 * @example
 * ```ts
 * formatProblems([{ row: 3, column: "Sex", problem: "missing value" }]); // "  row 3, Sex: missing value"
 * ```
 */
export function formatProblems(problems: RowProblem[], limit = 20): string {
  const lines = problems.slice(0, limit).map((p) => `  row ${p.row}, ${p.column}: ${p.problem}`);
  if (problems.length > limit) lines.push(`  … and ${problems.length - limit} more`);
  return lines.join("\n");
}

/**
 * Groups row problems into validation issues (one per column and kind of problem).
 *
 * @param problems the problems, by row
 * @returns the issues, with counts, examples and rows
 * @example
 * ```ts
 * new DataValidationError("Cannot score ...", problemIssues(problems));
 * ```
 */
export function problemIssues(problems: RowProblem[]): ValidationIssue[] {
  const byKey = new Map<string, RowProblem[]>();
  for (const p of problems) {
    const key = `${p.column}\u0000${p.problem.replace(/:.*/, "")}`;
    byKey.set(key, [...(byKey.get(key) ?? []), p]);
  }
  return [...byKey.values()].map((list) => ({
    column: list[0]!.column,
    rule: list[0]!.problem.replace(/:.*/, ""),
    count: list.length,
    message: list[0]!.problem,
    examples: list.slice(0, 5).map((p) => p.problem),
    rows: list.slice(0, 5).map((p) => p.row),
  }));
}

/** A seeded bottom-k sample of rows across batches: memory stays at `capacity` rows. */
class Reservoir {
  #capacity: number;
  #rng: Random;
  #frame: DataFrame | null = null;
  rows = 0;

  constructor(capacity: number, seed: number) {
    this.#capacity = capacity;
    this.#rng = new Random(seed);
  }

  add(batch: DataFrame): void {
    if (this.#capacity === 0 || batch.height === 0) return;
    const keys = new Float64Array(batch.height);
    for (let i = 0; i < keys.length; i++) keys[i] = this.#rng.next();
    const keyed = batch.withColumns(pl.Series("__key", keys, pl.Float64));
    const joined = this.#frame === null
      ? keyed
      : pl.concat([this.#frame, keyed], { how: "vertical" });
    this.#frame = joined.height <= this.#capacity
      ? joined
      : joined.sort("__key").head(this.#capacity);
    this.rows = this.#frame.height;
  }

  frame(): DataFrame {
    return this.#frame === null ? pl.DataFrame({}) : this.#frame.drop("__key");
  }
}

/**
 * Polars frames hold native memory that V8 does not see, so dead batches pile up until a full
 * collection happens for other reasons. When the process runs with `--v8-flags=--expose-gc`
 * (the predict and serve tasks do), collect after each batch to keep memory flat.
 */
function releaseMemory(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * The cleaning applied to rows being scored: no row is dropped for duplicates, and rules for
 * columns that are not model inputs (the target, ids) are left out, since those columns need
 * not be present.
 *
 * @param cleaning `config.cleaning` of the run
 * @param inputs the run's input columns
 * @returns the cleaning config for inference
 */
export function inferenceCleaning(
  cleaning: CleaningConfig,
  inputs: readonly string[],
): CleaningConfig {
  const keep = new Set(inputs);
  const only = <T>(rules: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(rules).filter(([column]) => keep.has(column)));
  return {
    ...cleaning,
    drop_duplicates: false,
    normalize_case: only(cleaning.normalize_case),
    na_values: only(cleaning.na_values),
    nulls: only(cleaning.nulls),
    clip: only(cleaning.clip),
  };
}
