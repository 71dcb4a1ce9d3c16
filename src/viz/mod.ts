/**
 * Charts for notebooks and run reports: builders that turn polars frames and training results
 * into vega-lite specs, and headless rendering of those specs to self-contained SVG.
 *
 * Builders aggregate before they build (bins, value counts, five-number summaries, seeded
 * samples, correlation matrices, thinned curves), so a spec never carries more than
 * {@link MAX_INLINE_ROWS} rows of inline data, and every spec shares the {@link THEME}.
 *
 * @module
 */
export { DEFAULT_CHART_OPTIONS, FONT, MAX_INLINE_ROWS, PALETTE, PRIMARY, THEME } from "./theme.ts";
export type { ChartOptions } from "./theme.ts";
export {
  DEFAULT_BOX_PLOT_OPTIONS,
  DEFAULT_COUNTS_OPTIONS,
  DEFAULT_HISTOGRAM_OPTIONS,
  plotBox,
  plotCounts,
  plotHistogram,
} from "./distribution_charts.ts";
export type { BoxPlotOptions, CountsOptions, HistogramOptions } from "./distribution_charts.ts";
export {
  DEFAULT_CORRELATION_OPTIONS,
  DEFAULT_PAIR_GRID_OPTIONS,
  DEFAULT_SCATTER_OPTIONS,
  plotCorrelation,
  plotPairGrid,
  plotScatter,
} from "./relation_charts.ts";
export type { CorrelationOptions, PairGridOptions, ScatterOptions } from "./relation_charts.ts";
export { DEFAULT_MISSING_VALUES_OPTIONS, plotMissingValues } from "./missing_values_chart.ts";
export type { MissingValuesOptions } from "./missing_values_chart.ts";
export {
  DEFAULT_LEARNING_CURVES_OPTIONS,
  DEFAULT_RUN_COMPARISON_OPTIONS,
  describeLossCurve,
  describeTrainingObjective,
  plotLearningCurves,
  plotRunComparison,
  trainingObjective,
} from "./training_charts.ts";
export type {
  EpochPoint,
  LearningCurveInput,
  LearningCurvesOptions,
  RunComparisonOptions,
  RunMetric,
  TrainingObjective,
  TrainingObjectiveOptions,
} from "./training_charts.ts";
export {
  DEFAULT_CONFUSION_MATRIX_OPTIONS,
  DEFAULT_ROC_CURVES_OPTIONS,
  plotConfusionMatrix,
  plotRocCurves,
} from "./classification_charts.ts";
export type {
  ConfusionMatrixInput,
  ConfusionMatrixOptions,
  RocCurvesOptions,
} from "./classification_charts.ts";
export {
  DEFAULT_PREDICTION_PLOT_OPTIONS,
  plotPredictedVsActual,
  plotResiduals,
} from "./regression_charts.ts";
export type { PredictionPlotOptions } from "./regression_charts.ts";
export { DEFAULT_FEATURE_SCORES_OPTIONS, plotFeatureScores } from "./feature_charts.ts";
export type { FeatureScore, FeatureScoresOptions } from "./feature_charts.ts";
export { DEFAULT_TARGET_OVER_TIME_OPTIONS, plotTargetOverTime } from "./target_charts.ts";
export type { TargetOverTimeOptions, TimePeriod } from "./target_charts.ts";
export { countInlineRows, DEFAULT_RENDER_OPTIONS, toSVG, toVegaSpec } from "./render.ts";
export type { RenderOptions } from "./render.ts";
export type { TopLevelSpec } from "vega-lite";
export { pipelineChart } from "./pipeline_chart.ts";
export type { PipelineGraph, PipelineGraphNode, PipelineNodeStatus } from "./pipeline_chart.ts";
