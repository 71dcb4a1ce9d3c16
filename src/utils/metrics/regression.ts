/**
 * Regression metrics: MAE, RMSE, R², MAPE and the regression report.
 *
 * @module
 */
import { checkNumericPair, FLOAT64_EPSILON } from "./_checks.ts";
import type { NumericArray, RegressionMetrics } from "./names.ts";

/**
 * Mean absolute difference between targets and predictions.
 *
 * Definition (sklearn `mean_absolute_error`): `mae = (1/n) · Σᵢ |yTrue[i] − yPred[i]|`, in the
 * target's unit. Range [0, ∞); 0 is perfect.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns the mean absolute error
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * meanAbsoluteError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // (0.5 + 0.5 + 0 + 1) / 4 = 0.5
 * ```
 */
export function meanAbsoluteError(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("mae", yTrue, yPred);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.abs(yTrue[i]! - yPred[i]!);
  return total / n;
}

/**
 * Square root of the mean squared difference between targets and predictions.
 *
 * Definition (sklearn `root_mean_squared_error`):
 * `rmse = √((1/n) · Σᵢ (yTrue[i] − yPred[i])²)`, in the target's unit. Range [0, ∞); 0 is
 * perfect.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns the root mean squared error
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * rootMeanSquaredError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // √(1.5 / 4) = 0.6123…
 * ```
 */
export function rootMeanSquaredError(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("rmse", yTrue, yPred);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const difference = yTrue[i]! - yPred[i]!;
    total += difference * difference;
  }
  return Math.sqrt(total / n);
}

/**
 * Coefficient of determination: the share of the target's variance that the predictions explain.
 *
 * Definition (sklearn `r2_score` with its default `force_finite=True`):
 * `SS_res = Σᵢ (yTrue[i] − yPred[i])²`, `SS_tot = Σᵢ (yTrue[i] − mean(yTrue))²` (two passes, so
 * no cancellation), `r2 = 1 − SS_res / SS_tot`. Edge cases:
 * - constant `yTrue` (`SS_tot = 0`): 1.0 when the predictions are perfect (`SS_res = 0`), else
 *   0.0, never NaN or −∞ (that is what `force_finite=True` does). A target is constant when all
 *   its values are equal; that is checked directly, so rounding in the mean cannot turn a
 *   constant target into a tiny nonzero `SS_tot`;
 * - fewer than two samples: `NaN` (sklearn warns "R^2 score is not well-defined with less than
 *   two samples" and returns NaN).
 *
 * Range (−∞, 1]; 1 is perfect, 0 is no better than predicting the mean.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns R², or `NaN` with a single sample
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * r2Score([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // 1 − 1.5 / 29.1875 = 0.9486…
 * r2Score([5, 5, 5], [5, 5, 6]); // 0 (constant target, imperfect predictions)
 * ```
 */
export function r2Score(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("r2", yTrue, yPred);
  if (n < 2) return NaN;
  let residual = 0;
  let sum = 0;
  let constant = true;
  const first = yTrue[0]!;
  for (let i = 0; i < n; i++) {
    const difference = yTrue[i]! - yPred[i]!;
    residual += difference * difference;
    sum += yTrue[i]!;
    if (yTrue[i] !== first) constant = false;
  }
  if (residual === 0) return 1;
  if (constant) return 0;
  const mean = sum / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const deviation = yTrue[i]! - mean;
    total += deviation * deviation;
  }
  return 1 - residual / total;
}

/**
 * Mean absolute error relative to the size of the target, as a fraction.
 *
 * Definition (sklearn `mean_absolute_percentage_error`):
 * `mape = (1/n) · Σᵢ |yTrue[i] − yPred[i]| / max(|yTrue[i]|, ε)` with
 * `ε = numpy.finfo(float64).eps = 2^-52`. It is a fraction, not a percent: 0.25 means 25 %.
 * A zero target does not give infinity but a very large value (`|error| · 2^52`), as in sklearn.
 * Range [0, ∞); 0 is perfect.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns the mean absolute percentage error as a fraction
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * meanAbsolutePercentageError([3, -0.5, 2, 7], [2.5, 0, 2, 8]); // (1/6 + 1 + 0 + 1/7) / 4 = 0.3273…
 * ```
 */
export function meanAbsolutePercentageError(yTrue: NumericArray, yPred: NumericArray): number {
  const n = checkNumericPair("mape", yTrue, yPred);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += Math.abs(yTrue[i]! - yPred[i]!) / Math.max(Math.abs(yTrue[i]!), FLOAT64_EPSILON);
  }
  return total / n;
}

/**
 * Every regression metric of one split.
 *
 * @param yTrue true values
 * @param yPred predicted values, one per sample
 * @returns {@link meanAbsoluteError}, {@link rootMeanSquaredError}, {@link r2Score},
 *   {@link meanAbsolutePercentageError} and the sample count
 * @throws {TypeError} when an argument is not a typed float array or a number array
 * @throws {RangeError} when the inputs are empty or differ in length, or a value is NaN or
 *   infinite
 * @example
 * ```ts
 * regressionReport([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
 * // { mae: 0.5, rmse: 0.6123…, r2: 0.9486…, mape: 0.3273…, n: 4 }
 * ```
 */
export function regressionReport(yTrue: NumericArray, yPred: NumericArray): RegressionMetrics {
  const n = checkNumericPair("regression_report", yTrue, yPred);
  return {
    mae: meanAbsoluteError(yTrue, yPred),
    rmse: rootMeanSquaredError(yTrue, yPred),
    r2: r2Score(yTrue, yPred),
    mape: meanAbsolutePercentageError(yTrue, yPred),
    n,
  };
}
