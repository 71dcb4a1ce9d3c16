/**
 * Input checks shared by the metrics: labels, probabilities and numbers, with messages that
 * name the offending index.
 *
 * @module
 */
import type { LabelArray, NumericArray, ProbabilityArray } from "./names.ts";

/** Largest allowed `|row sum − 1|` for a probability row: `numpy.allclose` defaults. */
const ROW_SUM_TOLERANCE = 1e-8 + 1e-5;

/** `numpy.finfo(numpy.float64).eps` = 2^-52. */
export const FLOAT64_EPSILON = Number.EPSILON;

/** `numpy.finfo(numpy.float32).eps` = 2^-23. */
export const FLOAT32_EPSILON = 2 ** -23;

export function checkClassCount(metric: string, k: number, minimum: number): void {
  if (!Number.isInteger(k) || k < minimum) {
    throw new RangeError(
      `Cannot compute "${metric}": k is ${
        describe(k)
      }, expected an integer number of classes >= ${minimum}`,
    );
  }
}

export function checkLabelPair(
  metric: string,
  yTrue: LabelArray,
  yPred: LabelArray,
  k: number,
): number {
  const n = checkLabels(metric, "yTrue", yTrue, k);
  const m = checkLabels(metric, "yPred", yPred, k, false);
  checkSameLength(metric, "yTrue", n, "yPred", m);
  return n;
}

/** Checks that `labels` holds integers in [0, k) and returns its length. */
export function checkLabels(
  metric: string,
  name: string,
  labels: LabelArray,
  k: number,
  requireRows = true,
): number {
  if (!(labels instanceof Int32Array) && !Array.isArray(labels)) {
    throw new TypeError(
      `Cannot compute "${metric}": ${name} must be an Int32Array or an array of class indexes, found ${
        describe(labels)
      }`,
    );
  }
  if (requireRows && labels.length === 0) {
    throw new RangeError(`Cannot compute "${metric}": ${name} is empty; pass at least one sample`);
  }
  const range = Number.isFinite(k) ? `[0, ${k})` : "[0, ∞)";
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= k) {
      throw new RangeError(
        `Cannot compute "${metric}": ${name}[${i}] is ${
          describe(label)
        }, expected an integer class index in ${range}`,
      );
    }
  }
  return labels.length;
}

export function checkSameLength(
  metric: string,
  firstName: string,
  first: number,
  secondName: string,
  second: number,
): void {
  if (first !== second) {
    throw new RangeError(
      `Cannot compute "${metric}": ${firstName} has ${first} values but ${secondName} has ${second}; pass one value per sample in each`,
    );
  }
}

export function checkNumbers(metric: string, name: string, values: NumericArray): void {
  if (
    !(values instanceof Float64Array) && !(values instanceof Float32Array) && !Array.isArray(values)
  ) {
    throw new TypeError(
      `Cannot compute "${metric}": ${name} must be a Float64Array, Float32Array or number array, found ${
        describe(values)
      }`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot compute "${metric}": ${name}[${i}] is ${
          describe(value)
        }, expected a finite number; drop or impute it before evaluating`,
      );
    }
  }
}

export function checkNumericPair(metric: string, yTrue: NumericArray, yPred: NumericArray): number {
  checkNumbers(metric, "yTrue", yTrue);
  checkNumbers(metric, "yPred", yPred);
  checkSameLength(metric, "yTrue", yTrue.length, "yPred", yPred.length);
  if (yTrue.length === 0) {
    throw new RangeError(`Cannot compute "${metric}": yTrue is empty; pass at least one sample`);
  }
  return yTrue.length;
}

/** Checks that `proba` is an `n × k` matrix of probabilities whose rows sum to 1. */
export function checkProbabilities(
  metric: string,
  proba: ProbabilityArray,
  n: number,
  k: number,
): void {
  if (!(proba instanceof Float64Array) && !(proba instanceof Float32Array)) {
    throw new TypeError(
      `Cannot compute "${metric}": proba must be a Float32Array or Float64Array (row-major n × k), found ${
        describe(proba)
      }`,
    );
  }
  if (proba.length !== n * k) {
    throw new RangeError(
      `Cannot compute "${metric}": proba has ${proba.length} values but yTrue has ${n} values and k is ${k}; pass a row-major n × k matrix of ${
        n * k
      } values`,
    );
  }
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const index = i * k + j;
      const p = proba[index]!;
      if (!(p >= 0 && p <= 1)) {
        throw new RangeError(
          `Cannot compute "${metric}": proba[${index}] (row ${i}, class ${j}) is ${p}, expected a probability in [0, 1]`,
        );
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new RangeError(
        `Cannot compute "${metric}": proba row ${i} sums to ${sum}, expected 1 (within 1e-5); pass probabilities (apply softmax to logits)`,
      );
    }
  }
}

export function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return (value as object).constructor?.name ?? typeof value;
}
