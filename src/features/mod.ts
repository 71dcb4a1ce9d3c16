/**
 * The feature layer: stateful transformers (scalers, encoders, imputers, binners) and the
 * `FeaturePipeline` that applies the configured steps, fitted on the training split only and
 * saved as JSON for inference; plus stateless engineered features and feature selection.
 *
 * @module
 */
export {
  createTransformer,
  DEFAULT_LOG1P_TRANSFORMER_OPTIONS,
  DEFAULT_MIN_MAX_SCALER_OPTIONS,
  DEFAULT_ONE_HOT_ENCODER_OPTIONS,
  DEFAULT_ORDINAL_ENCODER_OPTIONS,
  DEFAULT_QUANTILE_BINNER_OPTIONS,
  DEFAULT_ROBUST_SCALER_OPTIONS,
  DEFAULT_SIMPLE_IMPUTER_OPTIONS,
  DEFAULT_STANDARD_SCALER_OPTIONS,
  frameSource,
  IMPUTE_STRATEGIES,
  Log1pTransformer,
  MinMaxScaler,
  OneHotEncoder,
  OrdinalEncoder,
  QuantileBinner,
  RobustScaler,
  SimpleImputer,
  StandardScaler,
  TRANSFORMER_KINDS,
  transformerFromJson,
  transformerKinds,
} from "./transformers/mod.ts";
export type {
  FrameSource,
  ImputeStrategy,
  InputPolicy,
  JsonObject,
  JsonValue,
  Log1pTransformerOptions,
  Log1pTransformerState,
  MinMaxScalerOptions,
  MinMaxScalerState,
  OneHotEncoderOptions,
  OneHotEncoderReport,
  OneHotEncoderState,
  OrdinalEncoderOptions,
  OrdinalEncoderState,
  QuantileBinnerOptions,
  QuantileBinnerState,
  RobustScalerOptions,
  RobustScalerState,
  RowKernel,
  SimpleImputerOptions,
  SimpleImputerState,
  StandardScalerOptions,
  StandardScalerState,
  Transformer,
  TransformerFromJson,
  TransformerSpec,
  TransformerState,
} from "./transformers/mod.ts";
export {
  DEFAULT_FEATURE_PIPELINE_OPTIONS,
  FEATURE_PIPELINE_VERSION,
  FeaturePipeline,
} from "./pipeline.ts";
export type {
  FeaturePipelineConfigOptions,
  FeaturePipelineOptions,
  FeaturePipelineState,
  FeaturePipelineStep,
} from "./pipeline.ts";
export { isColumnSelector, resolveColumnSelector, SELECTOR_DTYPES } from "./column_selector.ts";
export { TREE_DROPPED_TRANSFORMERS, treeFeatureSteps } from "./tree_steps.ts";
export type { ColumnSelector, ResolveSelectorOptions, SelectorDtype } from "./column_selector.ts";
// -- engineer and selector (exports added below this line)
export { addDerivedFeatures, derivedFeatureExpr } from "./engineer.ts";
export { compileDerivedRow } from "./engineer_row.ts";
export type { DerivedRow } from "./engineer_row.ts";
export {
  anovaF,
  DEFAULT_MUTUAL_INFO_OPTIONS,
  fDistributionSurvival,
  fRegression,
  MAX_DISCRETE_VALUES,
  mutualInfoClassif,
  regularizedIncompleteBeta,
} from "./selection_scores.ts";
export type { BetaShape, FDegrees, FTestResult, MutualInfoOptions } from "./selection_scores.ts";
export {
  DEFAULT_FEATURE_SELECTOR_OPTIONS,
  FEATURE_SELECTOR_VERSION,
  FeatureSelector,
} from "./selector.ts";
export type {
  DroppedFeature,
  FeatureSelectorOptions,
  FeatureSelectorState,
  JsonNumber,
  SelectionReport,
  SelectionStep,
  SelectionStepJson,
} from "./selector.ts";
