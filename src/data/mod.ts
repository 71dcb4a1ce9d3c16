/**
 * The data layer: load files into polars frames (through pluggable data sources and formats), validate them against the configured schema,
 * clean them and split them into train, validation and test.
 *
 * @module
 */
// -- loader and validator (exports added below this line)
export {
  DEFAULT_LOAD_OPTIONS,
  detectFormat,
  loadDataset,
  readTextSample,
  scanDataset,
} from "./loader.ts";
export type { LoadOptions } from "./loader.ts";
export {
  dataFormat,
  dataFormatExtensions,
  dataFormatFor,
  dataFormatNames,
  isDatetimeFormat,
  registerDataFormat,
  strftimePattern,
} from "./formats/mod.ts";
export type {
  DataFile,
  DataFormatEntry,
  FormatReadOptions,
  FormatScanOptions,
  TextReadOptions,
} from "./formats/mod.ts";
export {
  dataSourceFor,
  dataSourceSchemes,
  ensureLocalData,
  fingerprintData,
  LOCAL_SCHEME,
  LOCAL_SOURCE,
  locationScheme,
  registerDataSource,
  remoteCacheDir,
  S3_CACHE_ENV,
  S3_SOURCE,
  stageOutput,
} from "./sources/mod.ts";
export type { DataSource, DataStat, StagedWrite } from "./sources/mod.ts";
export { DEFAULT_VALIDATE_OPTIONS, formatValidationReport, validate } from "./validator.ts";
export type { ValidateOptions, ValidationReport } from "./validator.ts";
export {
  checkConfigColumns,
  datasetColumns,
  DEFAULT_CHECK_CONFIG_COLUMNS_OPTIONS,
  findUnknownConfigColumns,
} from "./config_columns.ts";
export type {
  CheckConfigColumnsOptions,
  ColumnsConfig,
  UnknownConfigColumn,
} from "./config_columns.ts";
// -- cleaner and splitter (exports added below this line)
export {
  applyCleaning,
  cleanFrame,
  DEFAULT_APPLY_CLEANING_OPTIONS,
  DEFAULT_CLEAN_FRAME_OPTIONS,
  fitCleaning,
  formatCleaningReport,
} from "./cleaner.ts";
export type {
  ApplyCleaningOptions,
  CleanFrameOptions,
  CleanFrameResult,
  CleaningReport,
  CleaningResult,
  CleaningState,
  CleaningStep,
  CleaningStepName,
  ClipState,
  FillState,
  FillValue,
} from "./cleaner.ts";
export { compileCleaningRow } from "./cleaning_row.ts";
export type { RowCleaning } from "./cleaning_row.ts";
export {
  changeCase,
  compileDateFormat,
  DateValue,
  greaterThan,
  LARGEST_EXACT_INTEGER,
  lessThan,
  MONTH_NAMES,
  monthAbbreviation,
  moveUlps,
  parseFloatText,
  rowNumber,
  RowRefused,
  RowUnsupported,
  shapeDate,
  stripText,
} from "./row_values.ts";
export type { DateShape, RowColumn, RowDtype, RowValue, ShapedDate } from "./row_values.ts";
export {
  decodeRowRanges,
  DEFAULT_SPLIT_OPTIONS,
  encodeRowRanges,
  kFold,
  planStreamedSplit,
  splitFrame,
  splitIndices,
  stratifiedKFold,
  timeSplitBoundaries,
} from "./splitter.ts";
export type {
  Fold,
  Label,
  RowRanges,
  SplitFrames,
  SplitIndices,
  SplitOptions,
  StreamedSplit,
} from "./splitter.ts";
// -- datasets
export { pullDatasets, readManifest } from "./datasets.ts";
export type { DatasetManifest, ManifestEntry, PullOptions, PullResult } from "./datasets.ts";
export {
  DEFAULT_PROFILE_OPTIONS,
  inputSignature,
  PROFILE_VERSION,
  profileFrame,
} from "./profile.ts";
export type {
  ColumnProfile,
  ColumnSignature,
  DataProfile,
  InputSignature,
  ProfileOptions,
} from "./profile.ts";
export { deriveTarget } from "./target.ts";
export {
  DEFAULT_READ_BATCHES_OPTIONS,
  openBatchWriter,
  readBatches,
  readTypedBatches,
} from "./batches.ts";
export type { BatchTextOptions, BatchWriter, ReadBatchesOptions, RowBatch } from "./batches.ts";
export {
  DEFAULT_DRIFT_OPTIONS,
  DRIFT_REPORT_VERSION,
  driftReport,
  formatDriftSummary,
} from "./drift.ts";
export {
  chiSquareSf,
  chiSquareTest,
  classBalance,
  IMBALANCE_RATIO,
  jensenShannonDistance,
  ksTwoSample,
  logGamma,
  proportionZTest,
  quantileWassersteinDistance,
  wassersteinDistance,
} from "./statistics/mod.ts";
export {
  DEFAULT_ORDER_STATISTICS_OPTIONS,
  EMPTY_MOMENTS,
  linearQuantiles,
  mergeMoments,
  momentsOf,
  orderStatistics,
} from "./statistics/mod.ts";
export type { ClassBalance } from "./statistics/mod.ts";
export type { Moments, NumberSource, OrderStatisticsOptions } from "./statistics/mod.ts";
export type {
  ColumnDrift,
  DatasetDrift,
  DriftOptions,
  DriftReport,
  DriftTestName,
} from "./drift.ts";
// -- profile proposals (`deno task init`)
export {
  DATE_FORMAT_CANDIDATES,
  describeColumns,
  findNullMarkers,
  isClassTarget,
  NULL_MARKER_CANDIDATES,
  proposalToYaml,
  proposeCleaning,
  PROPOSED_FAMILIES,
  PROPOSED_GBDT_PARAMS,
  proposeFeatures,
  proposeProfile,
  proposeProfileForFile,
  proposeTask,
  proposeValidation,
  sniffDialect,
} from "./proposal/mod.ts";
export type {
  ColumnFacts,
  ProfileProposal,
  ProposalComment,
  ProposedFamily,
  ProposeProfileForFileOptions,
  ProposeProfileOptions,
  ProposeValidationOptions,
  SniffedDialect,
} from "./proposal/mod.ts";
