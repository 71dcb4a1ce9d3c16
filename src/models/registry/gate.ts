/**
 * The promotion gate: the checks a run must pass before it may replace production.
 *
 * @module
 */
import { ConfigError } from "../../errors.ts";
import { isBetter, METRIC_DIRECTIONS } from "../../utils/mod.ts";
import { assertKnownMetric, numberOrNull } from "./_values.ts";
import type { RunMetricsFile } from "./listing.ts";
import type { RunRecord } from "./run_folder.ts";

/** What the gate needs to know about a run. */
export interface GateRun {
  /** The run id. */
  id: string;
  /** The fields of `run.json` the gate checks. */
  record: Pick<RunRecord, "project" | "family" | "test_fingerprint">;
  /** The run's `metrics.json`. */
  metrics: RunMetricsFile;
}

/** Options of {@link checkPromotionGate}. */
export interface GateOptions {
  /**
   * The metric compared on the test split (`registry.primary_metric`).
   * @default "f1_macro"
   */
  metric?: string;
  /**
   * How much better than production the candidate must be, in the metric's unit
   * (`registry.min_improvement`); the candidate must improve by MORE than this, so with 0 an
   * equal run is refused.
   * @default 0
   */
  minImprovement?: number;
}

/** Defaults of {@link GateOptions}. */
export const DEFAULT_GATE_OPTIONS: Readonly<Required<GateOptions>> = {
  metric: "f1_macro",
  minImprovement: 0,
};

/** The gate's verdict. */
export interface GateResult {
  /** Whether every check passed. */
  ok: boolean;
  /** Why the candidate was refused, one sentence per failed check; empty when `ok`. */
  reasons: string[];
  /** The checks that passed, for the promotion log. */
  passed: string[];
  /**
   * Whether the candidate was refused because it ties production: the same test value of the
   * metric (within 1e-12, so rounding noise counts as equal).
   */
  tie: boolean;
}

/** Differences of the primary metric at most this small are a tie. */
const TIE_TOLERANCE = 1e-12;

/**
 * Decides whether `candidate` may replace `production`.
 *
 * The candidate must have a test value for the metric and beat its own baseline family on it.
 * When production holds a run, the candidate must also belong to the same project, have been
 * evaluated on the same test data (equal `test_fingerprint`), and beat production's test value
 * by more than `minImprovement` in the metric's direction; an equal value is a tie, refused with
 * a reason that says so (`tie`). An empty slot needs only the first two checks.
 *
 * @param candidate the run to promote
 * @param production the run in production, or `null` when the slot is empty
 * @param options the metric and the margin
 * @returns `ok`, the reasons for a refusal, and the checks that passed
 * @throws {ConfigError} when the metric is unknown or the margin is negative
 * @example
 * ```ts
 * const verdict = checkPromotionGate(candidate, production, { metric: "f1_macro", minImprovement: 0.01 });
 * if (!verdict.ok) console.log(verdict.reasons.join("\n"));
 * ```
 */
export function checkPromotionGate(
  candidate: GateRun,
  production: GateRun | null,
  options: GateOptions = {},
): GateResult {
  const { metric, minImprovement } = { ...DEFAULT_GATE_OPTIONS, ...options };
  assertKnownMetric(metric);
  if (!Number.isFinite(minImprovement) || minImprovement < 0) {
    throw new ConfigError(
      `Cannot check the promotion gate: registry.min_improvement is ${minImprovement}, expected a finite number >= 0`,
    );
  }
  const reasons: string[] = [];
  const passed: string[] = [];
  const value = numberOrNull(candidate.metrics.model.test?.[metric]);
  if (value === null) {
    reasons.push(
      `run "${candidate.id}" has no test value for "${metric}" in metrics.json; set registry.primary_metric to a metric of its task`,
    );
    return { ok: false, reasons, passed, tie: false };
  }

  const baseline = numberOrNull(candidate.metrics.baseline.test?.[metric]);
  if (baseline === null) {
    reasons.push(
      `run "${candidate.id}" has no baseline test value for "${metric}" in metrics.json; retrain it so the baseline is recorded`,
    );
  } else if (isBetter(metric, value, baseline)) {
    passed.push(`beats its baseline on test ${metric}: ${compared(value, baseline)}`);
  } else {
    reasons.push(
      `run "${candidate.id}" does not beat its baseline family on test ${metric}: ${
        compared(value, baseline)
      }; a model must beat the baseline before it can serve`,
    );
  }

  if (production === null) {
    passed.push("production is empty, so only the baseline check applies");
    return { ok: reasons.length === 0, reasons, passed, tie: false };
  }
  if (candidate.record.project !== production.record.project) {
    reasons.push(
      `run "${candidate.id}" belongs to project "${candidate.record.project}" but production run "${production.id}" to project "${production.record.project}"; runs are compared only within one project`,
    );
  }
  let tie = false;
  if (candidate.record.test_fingerprint !== production.record.test_fingerprint) {
    reasons.push(
      `run "${candidate.id}" was evaluated on different test data than production run "${production.id}" (test fingerprint ${
        short(candidate.record.test_fingerprint)
      } vs ${
        short(production.record.test_fingerprint)
      }): retrain both on the same data or use --force`,
    );
  }
  const current = numberOrNull(production.metrics.model.test?.[metric]);
  if (current === null) {
    reasons.push(
      `production run "${production.id}" has no test value for "${metric}", so they cannot be compared; use --force to replace it`,
    );
  } else if (Math.abs(value - current) <= TIE_TOLERANCE) {
    tie = true;
    reasons.push(
      `run "${candidate.id}" ties production run "${production.id}" on test ${metric}: ${
        compared(value, current)
      }; a tie does not replace production, the candidate must be better by more than ${minImprovement}`,
    );
  } else if (isBetter(metric, value, current, minImprovement)) {
    passed.push(
      `beats production run "${production.id}" on test ${metric} by more than ${minImprovement}: ${
        compared(value, current)
      }`,
    );
  } else {
    reasons.push(
      `run "${candidate.id}" does not beat production run "${production.id}" on test ${metric} by more than ${minImprovement} (${
        METRIC_DIRECTIONS[metric as keyof typeof METRIC_DIRECTIONS] === "max" ? "higher" : "lower"
      } is better): ${compared(value, current)}`,
    );
  }
  return { ok: reasons.length === 0, reasons, passed, tie };
}

function short(hash: string | undefined): string {
  return typeof hash === "string" && hash.length > 0 ? `${hash.slice(0, 12)}…` : "(none)";
}

function compared(value: number, other: number): string {
  const delta = value - other;
  return `${value.toFixed(4)} vs ${other.toFixed(4)} (${delta >= 0 ? "+" : ""}${delta.toFixed(4)})`;
}
