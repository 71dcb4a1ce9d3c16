/**
 * Seeded synthetic data for the model tests: Gaussian blobs and a linear regression target.
 *
 * @module
 */
import { type Matrix, Random } from "../../src/utils/mod.ts";
import type { EpochLogs, Targets, TrainingHistory } from "../../src/models/mod.ts";

/** A feature matrix with its targets. */
export interface Dataset {
  /** Features. */
  x: Matrix;
  /** Targets. */
  y: Targets;
}

/**
 * Returns `rows` points around `classes` well-separated centres in `cols` dimensions.
 *
 * @param options size, number of classes, spread, seed and scale of the features
 * @returns the matrix and classification targets (classes "c0", "c1", ...)
 */
export function blobs(
  options: {
    rows?: number;
    cols?: number;
    classes?: number;
    spread?: number;
    seed?: number;
    scale?: number;
  } = {},
): Dataset & { y: Extract<Targets, { kind: "classification" }> } {
  const { rows = 150, cols = 4, classes = 3, spread = 0.6, seed = 7, scale = 1 } = options;
  const rng = new Random(seed);
  const centres = Array.from(
    { length: classes },
    (_, c) =>
      Array.from({ length: cols }, (_, j) => (j % classes === c ? 3 : 0) + (j === 0 ? c : 0)),
  );
  const data = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < cols; j++) {
      data[i * cols + j] = (centres[c]![j]! + spread * rng.normal()) * scale;
    }
  }
  return {
    x: { data, rows, cols },
    y: {
      kind: "classification",
      labels,
      classes: Array.from({ length: classes }, (_, c) => `c${c}`),
    },
  };
}

/**
 * Returns `y = 2·x0 − x1 + 0.5·x2 + 1 + noise` on standard-normal features.
 *
 * @param options size, noise and seed
 * @returns the matrix and regression targets
 */
export function linearTarget(
  options: { rows?: number; noise?: number; seed?: number } = {},
): Dataset & { y: Extract<Targets, { kind: "regression" }> } {
  const { rows = 150, noise = 0.05, seed = 11 } = options;
  const rng = new Random(seed);
  const cols = 3;
  const data = new Float32Array(rows * cols);
  const values = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = rng.normal();
    values[i] = 2 * data[i * cols]! - data[i * cols + 1]! + 0.5 * data[i * cols + 2]! + 1 +
      noise * rng.normal();
  }
  return { x: { data, rows, cols }, y: { kind: "regression", values } };
}

/**
 * Returns the rows of a dataset at `indexes`.
 *
 * @param set the dataset
 * @param start first row
 * @param end row after the last
 * @returns the slice, sharing no memory with `set`
 */
export function sliceRows<T extends Dataset>(set: T, start: number, end: number): T {
  const { cols } = set.x;
  const x: Matrix = { data: set.x.data.slice(start * cols, end * cols), rows: end - start, cols };
  const y: Targets = set.y.kind === "classification"
    ? { kind: "classification", labels: set.y.labels.slice(start, end), classes: set.y.classes }
    : { kind: "regression", values: set.y.values.slice(start, end) };
  return { ...set, x, y };
}

/** A training history with every timing zeroed, to compare two runs of the same training. */
export function withoutSeconds(history: TrainingHistory): unknown {
  return {
    ...history,
    seconds: 0,
    epochs: history.epochs.map((e: EpochLogs) => ({ ...e, seconds: 0 })),
  };
}
