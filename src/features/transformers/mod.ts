/**
 * Feature transformers: stateful fit/transform steps (scalers, encoders, imputers, binners)
 * that learn from the training split only, transform any split with what they learned, and
 * serialise to JSON so inference rebuilds them without refitting.
 *
 * Every transformer works on all columns of the frame it is given, or on its `columns` option,
 * and keeps the other columns unchanged and in place. A fitted transformer also compiles its
 * row form (`compileRow`: the same transform for one row of plain values, used by the serving
 * row engine) and answers its input policy (`inputPolicy`: dtypes, nulls, unseen categories). `createTransformer` builds one from a
 * config spec and `transformerFromJson` rebuilds a fitted one from an artifact.
 *
 * @module
 */
export type {
  FrameSource,
  InputPolicy,
  JsonObject,
  JsonValue,
  RowKernel,
  Transformer,
  TransformerFromJson,
  TransformerState,
} from "./_base.ts";
export { frameSource, requireColumns } from "./_base.ts";
export {
  createTransformer,
  TRANSFORMER_KINDS,
  transformerFromJson,
  transformerKinds,
} from "./_registry.ts";
export type { TransformerSpec } from "./_registry.ts";
export { DEFAULT_STANDARD_SCALER_OPTIONS, StandardScaler } from "./standard_scaler.ts";
export type { StandardScalerOptions, StandardScalerState } from "./standard_scaler.ts";
export { DEFAULT_MIN_MAX_SCALER_OPTIONS, MinMaxScaler } from "./min_max_scaler.ts";
export type { MinMaxScalerOptions, MinMaxScalerState } from "./min_max_scaler.ts";
export { DEFAULT_ROBUST_SCALER_OPTIONS, RobustScaler } from "./robust_scaler.ts";
export type { RobustScalerOptions, RobustScalerState } from "./robust_scaler.ts";
export { DEFAULT_ONE_HOT_ENCODER_OPTIONS, OneHotEncoder } from "./one_hot_encoder.ts";
export type {
  OneHotEncoderOptions,
  OneHotEncoderReport,
  OneHotEncoderState,
} from "./one_hot_encoder.ts";
export { DEFAULT_ORDINAL_ENCODER_OPTIONS, OrdinalEncoder } from "./ordinal_encoder.ts";
export type { OrdinalEncoderOptions, OrdinalEncoderState } from "./ordinal_encoder.ts";
export {
  DEFAULT_SIMPLE_IMPUTER_OPTIONS,
  IMPUTE_STRATEGIES,
  SimpleImputer,
} from "./simple_imputer.ts";
export type { ImputeStrategy, SimpleImputerOptions, SimpleImputerState } from "./simple_imputer.ts";
export { DEFAULT_LOG1P_TRANSFORMER_OPTIONS, Log1pTransformer } from "./log1p_transformer.ts";
export type { Log1pTransformerOptions, Log1pTransformerState } from "./log1p_transformer.ts";
export { DEFAULT_QUANTILE_BINNER_OPTIONS, QuantileBinner } from "./quantile_binner.ts";
export type { QuantileBinnerOptions, QuantileBinnerState } from "./quantile_binner.ts";
