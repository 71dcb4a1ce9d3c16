/**
 * The live drift results in the Prometheus text format, appended to `GET /metrics`: per model
 * and feature the drift score, its threshold and whether it drifted; per model the share of
 * drifted features, the dataset verdict, the rows kept and the time of the latest check.
 *
 * @module
 */
import { formatLabels, METRIC_PREFIX } from "./metrics.ts";
import type { DriftSnapshot } from "./live_drift.ts";

/**
 * Renders the drift metrics of the given models. Snapshots with monitoring off give nothing
 * (not even the `# HELP` lines); a model still collecting rows gives only its rows kept.
 *
 * Families (prefix `deno_mlops_serve`): `_drift_score{model,feature,test}` (the p-value of a
 * test or the distance, whichever `_drift_threshold` bounds), `_drift_threshold{model,feature,
 * test}`, `_drift_detected{model,feature}` (0/1), `_dataset_drift_share{model}`,
 * `_dataset_drift{model}` (0/1), `_drift_reservoir_rows{model}` and
 * `_drift_last_check_timestamp_seconds{model}`.
 *
 * @param snapshots one per served model (see `LiveDrift.snapshot`)
 * @returns the exposition lines, ending with a newline, or `""` when there is nothing to show
 * @example
 * ```ts
 * const text = metrics.render(states) + renderDriftMetrics([drift.snapshot("penguins", runId)]);
 * ```
 */
export function renderDriftMetrics(snapshots: readonly DriftSnapshot[]): string {
  const shown = snapshots.filter((s) => s.enabled);
  if (shown.length === 0) return "";
  const checked = shown.filter((s) => s.report !== null);
  const p = METRIC_PREFIX;
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => {
    out.push(`# HELP ${p}_${name} ${help}`, `# TYPE ${p}_${name} ${type}`);
  };

  family(
    "drift_score",
    "gauge",
    "Latest live drift check, by model, feature and test: the p-value (ks, chisquare, z) or distance (wasserstein, jensenshannon) compared with the threshold.",
  );
  for (const s of checked) {
    for (const column of s.report!.columns) {
      if (column.score === null) continue;
      const key = formatLabels({ model: s.model, feature: column.column, test: column.test });
      out.push(`${p}_drift_score{${key}} ${formatValue(column.score)}`);
    }
  }
  family(
    "drift_threshold",
    "gauge",
    "The bound of drift_score: a test drifts at a p-value below it, a distance at or above it.",
  );
  for (const s of checked) {
    for (const column of s.report!.columns) {
      if (column.score === null) continue;
      const key = formatLabels({ model: s.model, feature: column.column, test: column.test });
      out.push(`${p}_drift_threshold{${key}} ${formatValue(column.threshold)}`);
    }
  }
  family("drift_detected", "gauge", "1 when the feature drifted in the latest live check.");
  for (const s of checked) {
    for (const column of s.report!.columns) {
      const key = formatLabels({ model: s.model, feature: column.column });
      out.push(`${p}_drift_detected{${key}} ${column.drifted ? 1 : 0}`);
    }
  }
  family(
    "dataset_drift_share",
    "gauge",
    "Share of the tested features that drifted in the latest live check.",
  );
  for (const s of checked) {
    out.push(
      `${p}_dataset_drift_share{${formatLabels({ model: s.model })}} ${
        formatValue(s.report!.dataset.share_drifted)
      }`,
    );
  }
  family(
    "dataset_drift",
    "gauge",
    "1 when the recent rows drifted: the share of drifted features reached the report's dataset_share.",
  );
  for (const s of checked) {
    out.push(
      `${p}_dataset_drift{${formatLabels({ model: s.model })}} ${
        s.report!.dataset.drifted ? 1 : 0
      }`,
    );
  }
  family(
    "drift_reservoir_rows",
    "gauge",
    "Recent rows kept for the live drift check, by model (at most serve.drift.reservoir_rows).",
  );
  for (const s of shown) {
    out.push(`${p}_drift_reservoir_rows{${formatLabels({ model: s.model })}} ${s.reservoir.rows}`);
  }
  family(
    "drift_last_check_timestamp_seconds",
    "gauge",
    "Time of the latest live drift check (Unix seconds), by model.",
  );
  for (const s of checked) {
    if (s.checked_at === null) continue;
    const seconds = Date.parse(s.checked_at) / 1000;
    out.push(
      `${p}_drift_last_check_timestamp_seconds{${formatLabels({ model: s.model })}} ${seconds}`,
    );
  }
  return out.join("\n") + "\n";
}

/** A sample value as Prometheus writes it (`NaN`, `+Inf`, `-Inf` spelled its way). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
