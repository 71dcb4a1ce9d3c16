/**
 * The selection steps `FeatureSelector` runs, one per entry of `config.features.selection`:
 * variance threshold, correlation pruning and top-k by a univariate score, over the training
 * columns read once as Float64 arrays. The step reports (`SelectionStep`, `DroppedFeature`) are
 * defined here and re-exported by `selector.ts`.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { ConfigError, SchemaMismatchError } from "../errors.ts";
import type { SelectorSpec } from "../config/schema.ts";
import { isNumericDtype, Random } from "../utils/mod.ts";
import { anovaF, fRegression, mutualInfoClassif, stableMean } from "./selection_scores.ts";

/** A feature a selector removed, with its score and a readable reason. */
export interface DroppedFeature {
  /** The column name. */
  feature: string;
  /** The score that decided it (see {@link SelectionStep.score}). */
  score: number;
  /** Why it was dropped, e.g. `variance 0 is not above the threshold 0`. */
  reason: string;
}

/** What one selector did. */
export interface SelectionStep {
  /** The selector kind, as in config. */
  kind: SelectorSpec["kind"];
  /**
   * What `scores` hold: `variance` (population variance; with threshold 0, the smaller of the
   * variance and the range, as scikit-learn does), `max_abs_correlation` (for a kept column the
   * largest |r| with an earlier kept column, 0 for none; for a dropped one the |r| with the kept
   * column that caused the drop), or the `top_k` score: `anova_f`, `mutual_info`,
   * `f_regression`.
   */
  score: string;
  /** Columns this step kept, in input order. */
  kept: string[];
  /** Columns this step removed, in input order. */
  dropped: DroppedFeature[];
  /** The score of every column the step saw. */
  scores: Record<string, number>;
  /** p-values of every column the step saw, for the F-test scores only. */
  pValues?: Record<string, number>;
  /** Remarks, e.g. that `k` exceeded the number of columns and all were kept. */
  notes: string[];
}

export function readColumns(x: DataFrame): Map<string, Float64Array> {
  if (x.width === 0) {
    throw new SchemaMismatchError(
      `Cannot fit "FeatureSelector": the frame has no columns, expected the feature pipeline output`,
    );
  }
  const columns = new Map<string, Float64Array>();
  for (const name of x.columns) {
    const series = x.getColumn(name);
    if (!isNumericDtype(series.dtype)) {
      throw new SchemaMismatchError(
        `Cannot fit "FeatureSelector": column "${name}" is ${series.dtype.variant}, expected a numeric column; encode it in the feature pipeline first`,
      );
    }
    if (series.nullCount() > 0) {
      throw new SchemaMismatchError(
        `Cannot fit "FeatureSelector": column "${name}" has ${series.nullCount()} null values; impute or drop them first`,
      );
    }
    const values = Float64Array.from(series.cast(pl.Float64).toArray() as number[]);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new SchemaMismatchError(
        `Cannot fit "FeatureSelector": column "${name}" holds ${values[bad]} at row ${
          bad + 1
        }, expected finite numbers; impute or clip it first`,
      );
    }
    columns.set(name, values);
  }
  return columns;
}

export interface ScoreOptions {
  seed: number | null;
  nNeighbors: number;
}

export function runSelector(
  spec: SelectorSpec,
  path: string,
  current: readonly string[],
  columns: ReadonlyMap<string, Float64Array>,
  y: Float64Array,
  options: ScoreOptions,
): SelectionStep {
  switch (spec.kind) {
    case "variance_threshold":
      return varianceStep(spec.threshold, path, current, columns);
    case "correlation":
      return correlationStep(spec.threshold, path, current, columns);
    case "top_k":
      return topKStep(spec.k, spec.score, path, current, columns, y, options);
    default: {
      const unknown: { kind?: unknown } = spec;
      throw new ConfigError(
        `Cannot fit "FeatureSelector" at ${path}.kind: unknown selector ${
          JSON.stringify(unknown.kind)
        }, expected one of ["variance_threshold","correlation","top_k"]`,
      );
    }
  }
}

function varianceStep(
  threshold: number,
  path: string,
  current: readonly string[],
  columns: ReadonlyMap<string, Float64Array>,
): SelectionStep {
  if (!(threshold >= 0 && Number.isFinite(threshold))) {
    throw new ConfigError(
      `Cannot fit "FeatureSelector" at ${path}.threshold: found ${threshold}, expected a finite number >= 0`,
    );
  }
  const scores: Record<string, number> = {};
  const kept: string[] = [];
  const dropped: DroppedFeature[] = [];
  for (const name of current) {
    const values = columns.get(name)!;
    const n = values.length;
    const mean = stableMean(values, 0, n);
    let ss = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      ss += (v - mean) ** 2;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const variance = n === 0 ? 0 : ss / n;
    // With threshold 0 the range guards against rounding noise in the variance of a constant.
    const score = threshold === 0 ? Math.min(variance, n === 0 ? 0 : max - min) : variance;
    scores[name] = score;
    if (score > threshold) kept.push(name);
    else {
      dropped.push({
        feature: name,
        score,
        reason: `variance ${formatNumber(score)} is not above the threshold ${threshold}`,
      });
    }
  }
  if (kept.length === 0) {
    const best = current.reduce((a, b) => (scores[b]! > scores[a]! ? b : a), current[0]!);
    throw new ConfigError(
      `Cannot fit "FeatureSelector" at ${path} (variance_threshold): no column has variance above ${threshold} (largest is ${
        formatNumber(scores[best] ?? 0)
      }, for "${best}"); lower ${path}.threshold`,
    );
  }
  return { kind: "variance_threshold", score: "variance", kept, dropped, scores, notes: [] };
}

function correlationStep(
  threshold: number,
  path: string,
  current: readonly string[],
  columns: ReadonlyMap<string, Float64Array>,
): SelectionStep {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new ConfigError(
      `Cannot fit "FeatureSelector" at ${path}.threshold: found ${threshold}, expected a number in (0, 1]`,
    );
  }
  // Unit vectors of the centred columns: r is their dot product; a constant column has none.
  const units = new Map<string, Float64Array | null>();
  for (const name of current) units.set(name, centredUnit(columns.get(name)!));
  const scores: Record<string, number> = {};
  const kept: string[] = [];
  const dropped: DroppedFeature[] = [];
  for (const name of current) {
    const unit = units.get(name)!;
    let strongest = 0;
    let partner: string | null = null;
    let partnerR = 0;
    if (unit !== null) {
      for (const other of kept) {
        const otherUnit = units.get(other)!;
        if (otherUnit === null) continue;
        const r = Math.max(-1, Math.min(1, dot(unit, otherUnit)));
        if (Math.abs(r) > strongest) strongest = Math.abs(r);
        if (partner === null && Math.abs(r) > threshold) {
          partner = other;
          partnerR = r;
        }
      }
    }
    if (partner === null) {
      scores[name] = strongest;
      kept.push(name);
    } else {
      scores[name] = Math.abs(partnerR);
      dropped.push({
        feature: name,
        score: Math.abs(partnerR),
        reason: `|r| = ${
          formatNumber(Math.abs(partnerR))
        } with earlier kept column "${partner}" is above the threshold ${threshold}`,
      });
    }
  }
  return {
    kind: "correlation",
    score: "max_abs_correlation",
    kept,
    dropped,
    scores,
    notes: [],
  };
}

function centredUnit(values: Float64Array): Float64Array | null {
  const n = values.length;
  const mean = stableMean(values, 0, n);
  const out = new Float64Array(n);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    out[i] = values[i]! - mean;
    ss += out[i]! * out[i]!;
  }
  if (ss === 0) return null;
  const norm = Math.sqrt(ss);
  for (let i = 0; i < n; i++) out[i] = out[i]! / norm;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function topKStep(
  k: number,
  score: "anova_f" | "mutual_info" | "f_regression",
  path: string,
  current: readonly string[],
  columns: ReadonlyMap<string, Float64Array>,
  y: Float64Array,
  options: ScoreOptions,
): SelectionStep {
  if (!Number.isInteger(k) || k < 1) {
    throw new ConfigError(
      `Cannot fit "FeatureSelector" at ${path}.k: found ${k}, expected a positive integer`,
    );
  }
  if (score === "anova_f" || score === "mutual_info") {
    const bad = y.findIndex((v) => !Number.isInteger(v) || v < 0);
    if (bad >= 0) {
      throw new ConfigError(
        `Cannot fit "FeatureSelector" at ${path}.score: "${score}" needs class indexes but y[${bad}] is ${
          y[bad]
        }; use score "f_regression" for a regression target, or pass class indexes`,
      );
    }
  }
  const scores: Record<string, number> = {};
  const pValues: Record<string, number> = {};
  for (const name of current) {
    const values = columns.get(name)!;
    if (score === "mutual_info") {
      const seed = options.seed === null ? null : new Random(options.seed).derive(name);
      scores[name] = mutualInfoClassif(values, y, { nNeighbors: options.nNeighbors, seed });
    } else {
      const result = score === "anova_f" ? anovaF(values, y) : fRegression(values, y);
      scores[name] = result.f;
      pValues[name] = result.pValue;
    }
  }
  const rank = (name: string): number => {
    const s = scores[name]!;
    return Number.isNaN(s) ? -Infinity : s;
  };
  // Stable sort, highest first: equal scores keep input order, so the earlier column wins.
  const ranked = [...current].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra === rb ? 0 : rb > ra ? 1 : -1;
  });
  const winners = new Set(ranked.slice(0, k));
  const kept = current.filter((name) => winners.has(name));
  const dropped = current.filter((name) => !winners.has(name)).map((name) => ({
    feature: name,
    score: scores[name]!,
    reason: `${score} score ${formatNumber(scores[name]!)} ranks ${
      ranked.indexOf(name) + 1
    } of ${current.length}, outside the top ${k}`,
  }));
  const notes = k > current.length
    ? [`k = ${k} is more than the ${current.length} columns left; all are kept`]
    : [];
  const step: SelectionStep = { kind: "top_k", score, kept, dropped, scores, notes };
  if (score !== "mutual_info") step.pValues = pValues;
  return step;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) {
    return value.toExponential(4);
  }
  return String(Number(value.toPrecision(6)));
}
