/**
 * Chart builder for feature scores, e.g. from a selector report: one bar per feature, best
 * first, coloured by whether the selector kept it.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import {
  chartTitle,
  checkChartOptions,
  checkInteger,
  formatCount,
  listNames,
  show,
  themeConfig,
  VEGA_LITE_SCHEMA,
} from "./_shared.ts";
import { type ChartOptions, DEFAULT_CHART_OPTIONS, PALETTE } from "./theme.ts";

/** The score of one feature, e.g. from a selector report; `kept` colours the bar. */
export interface FeatureScore {
  /** The feature (column) name. */
  feature: string;
  /** Its score; higher is better. */
  score: number;
  /** Whether the selector kept the feature, when known. */
  kept?: boolean;
}

/** Pixels per bar when the bars would not fit in `height`. */
const BAR_STEP = 16;

/** Options of {@link plotFeatureScores}. */
export interface FeatureScoresOptions extends ChartOptions {
  /**
   * Most bars: the highest scores (1–1000).
   * @default 30
   */
  topN?: number;
  /**
   * What the score is, for the axis title, e.g. `anova_f` or `mutual_info`.
   * @default "score"
   */
  scoreName?: string;
  /**
   * The legend's words for `kept: true` and `kept: false`, e.g. `["drawn", "not drawn"]` when
   * the flag marks something other than a selector's choice.
   * @default ["kept", "dropped"]
   */
  statusLabels?: readonly [string, string];
}

/**
 * Defaults of {@link FeatureScoresOptions}.
 *
 * @example
 * ```ts
 * plotFeatureScores(scores, { ...DEFAULT_FEATURE_SCORES_OPTIONS, topN: 10 });
 * ```
 */
export const DEFAULT_FEATURE_SCORES_OPTIONS: Readonly<Required<FeatureScoresOptions>> = {
  ...DEFAULT_CHART_OPTIONS,
  topN: 30,
  scoreName: "score",
  statusLabels: ["kept", "dropped"],
};

/**
 * Builds a horizontal bar chart of feature scores, highest first.
 *
 * Features are ordered by score (descending), then by name; the `topN` highest are drawn.
 * Features with a non-finite score (an infinite F statistic, a NaN) cannot be drawn to scale:
 * they are left out and named in the subtitle. The data holds `{ feature, score }` rows, plus
 * `status` (`kept` or `dropped`, or the `statusLabels`) when the input says which features were
 * kept.
 *
 * @param scores one score per feature
 * @param options how many bars, the score name and the look
 * @returns a vega-lite bar chart
 * @throws {TypeError} when an entry has no string `feature` or numeric `score`, or a feature
 *   appears twice
 * @throws {RangeError} when `topN` or a size option is out of range
 * @example
 * ```ts
 * const step = selector.report.steps[0];
 * const scores = Object.entries(step.scores).map(([feature, score]) => ({
 *   feature, score, kept: step.kept.includes(feature),
 * }));
 * const spec = plotFeatureScores(scores, { scoreName: step.score });
 * ```
 */
export function plotFeatureScores(
  scores: readonly FeatureScore[],
  options: FeatureScoresOptions = {},
): TopLevelSpec {
  const settings = { ...DEFAULT_FEATURE_SCORES_OPTIONS, ...options };
  const action = "Cannot plot feature scores";
  checkChartOptions(settings, action);
  checkInteger(settings.topN, "topN", 1, 1000, action);
  if (!Array.isArray(scores)) {
    throw new TypeError(`${action}: expected an array of { feature, score }, got ${show(scores)}`);
  }
  const seen = new Set<string>();
  scores.forEach((entry, i) => {
    if (
      typeof entry !== "object" || entry === null || typeof entry.feature !== "string" ||
      typeof entry.score !== "number"
    ) {
      throw new TypeError(
        `${action}: scores[${i}] must be { feature: string, score: number }, got ${show(entry)}`,
      );
    }
    if (seen.has(entry.feature)) {
      throw new TypeError(`${action}: feature "${entry.feature}" appears twice`);
    }
    seen.add(entry.feature);
  });
  const nonFinite = scores.filter((entry) => !Number.isFinite(entry.score)).map((e) => e.feature);
  const ranked = scores.filter((entry) => Number.isFinite(entry.score))
    .sort((a, b) => b.score - a.score || compareText(a.feature, b.feature));
  const shown = ranked.slice(0, settings.topN);
  const withStatus = scores.some((entry) => typeof entry.kept === "boolean");
  const labels = settings.statusLabels as unknown;
  if (
    !Array.isArray(labels) || labels.length !== 2 ||
    !labels.every((label) => typeof label === "string") || labels[0] === labels[1]
  ) {
    throw new TypeError(
      `${action}: option "statusLabels" must be two different strings, got ${show(labels)}`,
    );
  }
  const [kept, dropped] = settings.statusLabels;
  const rows = shown.map((entry) => ({
    feature: entry.feature,
    score: entry.score,
    ...(withStatus ? { status: entry.kept === true ? kept : dropped } : {}),
  }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: chartTitle(settings.title ?? "Feature scores", [
      shown.length < ranked.length
        ? `top ${shown.length} of ${formatCount(ranked.length)} features`
        : `${formatCount(ranked.length)} features`,
      nonFinite.length > 0 ? `left out (non-finite score): ${listNames(nonFinite)}` : "",
    ]),
    width: settings.width,
    // Many bars get a fixed step each, so their labels never overlap.
    height: shown.length * BAR_STEP > settings.height ? { step: BAR_STEP } : settings.height,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      y: { field: "feature", type: "nominal", sort: rows.map((row) => row.feature), title: null },
      x: { field: "score", type: "quantitative", title: settings.scoreName },
      ...(withStatus
        ? {
          color: {
            field: "status",
            type: "nominal",
            title: null,
            scale: { domain: [kept, dropped], range: [PALETTE[0]!, "#bbbbbb"] },
          },
        }
        : {}),
      tooltip: [
        { field: "feature", type: "nominal" },
        { field: "score", type: "quantitative", format: ".4g" },
      ],
    },
    config: themeConfig(),
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
