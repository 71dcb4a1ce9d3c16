/**
 * The row engine's safety net: probe rows built from a run's training profile, scored by the
 * compiled row engine and by `scoreRows`, and every answer compared, model input bit for bit.
 * The transformer contract test makes a difference in a registered transformer's kernel
 * unreachable; the probe catches what that test cannot see, such as a run folder edited by
 * hand, and names the step whose output differs.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import { dtypeKind, isIntegerDtype } from "../utils/mod.ts";
import { monthAbbreviation } from "../data/mod.ts";
import type { Matrix } from "../utils/mod.ts";
import { scoreRows } from "./inference_pipeline.ts";
import type { ScoredRows } from "./inference_pipeline.ts";
import type { RowScorer, RowScores } from "./_row_scores.ts";
import type { RunArtifacts } from "./run_artifacts.ts";

/** A compiled scorer, as the probe sees it. */
export interface ProbedScorer extends RowScorer {
  /**
   * Names the feature step whose outputs hold a model input column.
   *
   * @param column the model input column
   * @returns the step's name, or `null`
   */
  stepOfModelInput(column: number): string | null;
}

/**
 * Scores probe rows with both engines and describes the first difference, or returns `null`
 * when they agree on everything (the model input compared bit for bit). The contract test of
 * every registered transformer makes a difference in a feature step unreachable; this is the
 * safety net for what that test cannot see (a run folder edited by hand).
 */
export function verifyScorer(
  run: RunArtifacts,
  scorer: ProbedScorer,
  toFrame: (run: RunArtifacts, columns: ReadonlyMap<string, readonly unknown[]>) => DataFrame,
): string | null {
  const batches = probeBatches(run);
  let scoredAny = false;
  for (const columns of batches) {
    const mine = scorer.scoreColumns(columns);
    const inputs: Matrix[] = [];
    let theirs: ScoredRows;
    try {
      theirs = scoreRows(withModelSpy(run, inputs), toFrame(run, columns));
    } catch (error) {
      return `scoreRows refuses the probe rows: ${(error as Error).message}`;
    }
    if (mine.fallback) return `the probe rows fall back: ${mine.reason}`;
    const difference = compareScores(mine, theirs, inputs[0] ?? null, scorer);
    if (difference !== null) return `the probe rows differ from scoreRows: ${difference}`;
    scoredAny ||= mine.predictions !== null;
  }
  return scoredAny ? null : "no probe row could be scored, so nothing was verified";
}
/** Probe rows from the training profile: numbers as numbers, then as text with a bad value. */
function probeBatches(run: RunArtifacts): Map<string, unknown[]>[] {
  const profiles = new Map(run.profile.columns.map((p) => [p.name, p]));
  const percentiles = [50, 0, 100, 25, 75];
  const rows = percentiles.length;
  const typed = new Map<string, unknown[]>();
  for (const column of run.signature.columns) {
    const values: unknown[] = [];
    for (let r = 0; r < rows; r++) {
      if (column.kind === "numeric") {
        const profile = profiles.get(column.name);
        const value = profile?.kind === "numeric"
          ? profile.percentiles[percentiles[r]!] ?? column.min
          : column.min + ((column.max - column.min) * percentiles[r]!) / 100;
        values.push(isIntegerDtype(column.dtype) ? Math.round(value) : value);
      } else if (column.kind === "categorical") {
        values.push(column.categories[r % Math.max(1, column.categories.length)] ?? "a");
      } else {
        // The signature's earliest value when it reads as an ISO date with a 4-digit year (the
        // signature of a Datetime column can hold a far-off year); any valid date probes.
        const earliest = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(column.min)
          ? column.min
          : "2000-01-01T00:00:00";
        values.push(
          dtypeKind(column.dtype) === "date" ? earliest.slice(0, 10) : earliest.slice(0, 19),
        );
      }
    }
    typed.set(column.name, values);
  }
  // Text with spaces around it: parsing strips them, and cleaning does for categories when
  // it trims strings.
  const kinds = new Map(run.signature.columns.map((c) => [c.name, c.kind]));
  const pad = (name: string) =>
    kinds.get(name) !== "categorical" || run.loaded.config.cleaning.trim_strings;
  const text = new Map(
    [...typed].map((
      [name, values],
    ) => [name, values.map((v) => (pad(name) ? ` ${String(v)} ` : String(v)))]),
  );
  const firstNumeric = run.signature.columns.find((c) => c.kind === "numeric");
  if (firstNumeric !== undefined) text.get(firstNumeric.name)![1] = "not a number";
  // Dates written in their data.date_formats format, as the training file wrote them.
  const dateFormats = run.loaded.config.data.date_formats;
  const formatted = new Map(typed);
  let anyFormatted = false;
  for (const column of run.signature.columns) {
    const format = dateFormats[column.name];
    if (column.kind !== "temporal" || format === undefined) continue;
    const values = typed.get(column.name)!.map((v) => formatIsoDate(String(v), format));
    if (values.some((v) => v === null)) continue;
    formatted.set(column.name, values);
    anyFormatted = true;
  }
  return anyFormatted ? [typed, text, formatted] : [typed, text];
}

/**
 * Writes an ISO date (`YYYY-MM-DD[THH:MM:SS]`) in a strftime format, or `null` when the format
 * uses a directive this does not write (the row engine then does not read it either).
 */
function formatIsoDate(iso: string, format: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?/.exec(iso);
  if (match === null) return null;
  const [, year, month, day, hour = "00", minute = "00", second = "00"] = match;
  const parts: Record<string, string> = {
    Y: year!,
    m: month!,
    d: day!,
    e: String(Number(day)).padStart(2, " "),
    b: monthAbbreviation(Number(month)),
    h: monthAbbreviation(Number(month)),
    H: hour,
    M: minute,
    S: second,
    T: `${hour}:${minute}:${second}`,
    R: `${hour}:${minute}`,
    F: `${year}-${month}-${day}`,
    "%": "%",
  };
  let out = "";
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      out += format[i];
      continue;
    }
    const part = parts[format[i + 1] ?? ""];
    if (part === undefined) return null;
    out += part;
    i++;
  }
  return out;
}

/** The run with a model that records the matrices it is given. */
function withModelSpy(run: RunArtifacts, inputs: Matrix[]): RunArtifacts {
  const model = new Proxy(run.model, {
    get(target, property) {
      if (property === "predict") {
        return (x: Matrix, ...rest: unknown[]) => {
          inputs.push(x);
          return (target.predict as (x: Matrix, ...rest: unknown[]) => Float32Array)(x, ...rest);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...run, model };
}

/** Names what differs between the row engine's and `scoreRows`' answers, or `null`. */
function compareScores(
  mine: RowScores,
  theirs: ScoredRows,
  input: Matrix | null,
  scorer: ProbedScorer,
): string | null {
  const fields = [
    "problems",
    "rejected",
    "unseen_categories",
    "out_of_range",
    "extra_columns",
  ] as const;
  const differing: string[] = fields.filter((field) =>
    JSON.stringify(mine[field]) !== JSON.stringify(theirs[field])
  );
  if (!sameBits(mine.input, input)) {
    const column = firstDifferentColumn(mine.input, input);
    const step = column === null ? null : scorer.stepOfModelInput(column);
    differing.push(`the model input${step === null ? "" : ` (from step "${step}")`}`);
  }
  return differing.length === 0 ? null : differing.join(", ");
}

/** Whether two matrices (or their absence) hold the same Float32 bits. */
function sameBits(a: Matrix | null, b: Matrix | null): boolean {
  const view = (m: Matrix | null) =>
    m === null
      ? []
      : [m.rows, m.cols, ...new Uint32Array(m.data.buffer, m.data.byteOffset, m.data.length)];
  return JSON.stringify(view(a)) === JSON.stringify(view(b));
}

/** The first model input column whose Float32 bits differ, or `null`. */
function firstDifferentColumn(a: Matrix | null, b: Matrix | null): number | null {
  if (a === null || b === null || a.cols !== b.cols || a.rows !== b.rows) return null;
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i % a.cols;
  return null;
}
