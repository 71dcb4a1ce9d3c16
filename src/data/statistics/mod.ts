/**
 * Statistics for comparing distributions, matching scipy: the two-sample Kolmogorov–Smirnov
 * test ({@link ksTwoSample}), the chi-squared and proportion z tests on counts, and the
 * Wasserstein and Jensen–Shannon distances. Data drift is built on them.
 *
 * @module
 */
export { DEFAULT_KS_OPTIONS, ksTwoSample } from "./ks.ts";
export { logGamma } from "./gamma.ts";
export type { KsOptions, KsResult } from "./ks.ts";
export { chiSquareSf, chiSquareTest, proportionZTest, unionKeys } from "./count_tests.ts";
export type { ChiSquareResult, ZTestResult } from "./count_tests.ts";
export {
  DEFAULT_JENSEN_SHANNON_OPTIONS,
  jensenShannonDistance,
  quantileWassersteinDistance,
  wassersteinDistance,
} from "./distances.ts";
export type { JensenShannonOptions } from "./distances.ts";
export { classBalance, IMBALANCE_RATIO } from "./imbalance.ts";
export type { ClassBalance } from "./imbalance.ts";
export {
  DEFAULT_ORDER_STATISTICS_OPTIONS,
  EMPTY_MOMENTS,
  linearQuantiles,
  mergeMoments,
  momentsOf,
  orderStatistics,
} from "./streaming.ts";
export type { Moments, NumberSource, OrderStatisticsOptions } from "./streaming.ts";
