/**
 * Shared utilities: seeded randomness, hashing and fingerprints, logging, metrics, and the
 * ownership of temporary files (so crashed writers' leftovers can be cleaned).
 *
 * @module
 */
export { Random } from "./random.ts";
export { canonicalJson, fingerprintFile, fingerprintFrame, hashJson, sha256Hex } from "./hash.ts";
export type { FileFingerprint } from "./hash.ts";
export { frameToMatrix, takeRows } from "./matrix.ts";
export { pathExists } from "./fs.ts";
export { DEFAULT_ATOMIC_WRITE_OPTIONS, writeFileAtomic } from "./atomic_write.ts";
export type { AtomicWriteOptions } from "./atomic_write.ts";
export type { Matrix } from "./matrix.ts";
export {
  DEFAULT_LEFTOVER_OPTIONS,
  guardLeftover,
  leftoverReason,
  removeLeftovers,
} from "./leftovers.ts";
export type { LeftoverOptions } from "./leftovers.ts";
export {
  accuracy,
  balancedAccuracy,
  classificationReport,
  confusionMatrix,
  isBetter,
  logLoss,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  METRIC_DIRECTIONS,
  METRICS_BY_TASK,
  precisionRecallF1,
  r2Score,
  regressionReport,
  rocAuc,
  rocCurve,
  rootMeanSquaredError,
} from "./metrics/mod.ts";
export type {
  ClassificationMetricName,
  ClassificationMetrics,
  ClassScores,
  LabelArray,
  MetricDirection,
  MetricName,
  MetricTask,
  NumericArray,
  PrecisionRecallF1,
  ProbabilityArray,
  RegressionMetricName,
  RegressionMetrics,
  RocCurve,
} from "./metrics/mod.ts";
export {
  captureLogs,
  DEFAULT_LOGGING_OPTIONS,
  formatJsonLine,
  getProjectLogger,
  LOG_LEVELS,
  resetLogging,
  resolveLogFormat,
  ROOT_CATEGORY,
  setupLogging,
} from "./logger.ts";
export type {
  LogCapture,
  Logger,
  LoggingOptions,
  LogLevel,
  LogRecord,
  Sink,
  TerminalInfo,
} from "./logger.ts";
export {
  DATE_DTYPES,
  dtypeKind,
  dtypeVariant,
  FLOAT_DTYPES,
  INTEGER_DTYPES,
  isDateDtype,
  isIntegerDtype,
  isNumericDtype,
  isTemporalDtype,
  isTextDtype,
  NUMERIC_DTYPES,
  TEMPORAL_DTYPES,
  TEXT_DTYPES,
} from "./dtypes.ts";
export type { DtypeKind, DtypeLike } from "./dtypes.ts";
