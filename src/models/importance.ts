/**
 * Permutation feature importance: how much a fitted model's score drops when the values of one
 * input are shuffled across rows, breaking its link with the target.
 *
 * Columns that come from one input column (the one-hot columns of `Island`) are shuffled
 * together with one row permutation, so the importance belongs to the input a person knows, and
 * the shuffled rows stay valid one-hot rows. {@link featureGroups} builds those groups from the
 * feature pipeline's input columns and output names.
 *
 * @module
 */
import { didYouMean } from "../errors.ts";
import { METRIC_DIRECTIONS, METRICS_BY_TASK, Random, takeRows } from "../utils/mod.ts";
import type { Matrix, MetricDirection } from "../utils/mod.ts";
import type { BaseModel, Targets } from "./base_model.ts";
import { evaluateModel, metricValue } from "./evaluate.ts";

/** Columns of the model's input matrix that are shuffled together. */
export interface FeatureGroup {
  /** The name shown for the group, e.g. the input column `Island`. */
  name: string;
  /** Indexes of the matrix columns in the group, e.g. `[4, 5, 6]`. */
  columns: number[];
}

/** The importance of one group of columns. */
export interface FeatureImportance {
  /** The group name. */
  feature: string;
  /** Indexes of the matrix columns shuffled together. */
  columns: number[];
  /** Mean drop of the metric over the repeats; larger means more important. */
  mean: number;
  /** Population standard deviation of the drops over the repeats. */
  std: number;
  /** The drop of each repeat, in order. */
  drops: number[];
}

/** The result of {@link permutationImportance}. */
export interface PermutationImportanceResult {
  /** The metric that was scored. */
  metric: string;
  /** Whether the metric is maximised or minimised. */
  direction: MetricDirection;
  /** The metric on the unshuffled rows. */
  baseline: number;
  /** Shuffles per group. */
  repeats: number;
  /** The seed the permutations came from. */
  seed: number;
  /** Rows scored (a seeded sample when the input had more than `maxRows`). */
  rows: number;
  /** Rows of the input; more than `rows` when a sample was scored. */
  totalRows: number;
  /** One entry per group, most important first (ties keep group order). */
  importances: FeatureImportance[];
}

/** Options of {@link permutationImportance}. */
export interface PermutationImportanceOptions {
  /**
   * The metric whose drop is measured, a key of `METRIC_DIRECTIONS` that fits the model's task;
   * `null` takes `f1_macro` for classification and `rmse` for regression.
   * @default null
   */
  metric?: string | null;
  /**
   * Shuffles per group (1–100); the result gives their mean and standard deviation.
   * @default 5
   */
  repeats?: number;
  /**
   * Seed of the permutations. Each group draws from its own stream derived from the seed and
   * the group name, so adding a group never changes another group's result.
   * @default 0
   */
  seed?: number;
  /**
   * The groups of columns to shuffle together; `null` shuffles each column alone, named by its
   * index (`"0"`, `"1"`, ...) or by `names`.
   * @default null
   */
  groups?: readonly FeatureGroup[] | null;
  /**
   * Names of the matrix columns, used when `groups` is `null`.
   * @default null
   */
  names?: readonly string[] | null;
  /**
   * Most rows scored: a larger input is replaced by a seeded sample of this many rows (drawn
   * without replacement, kept in input order), as scikit-learn's `max_samples`; `null` scores
   * every row. Each shuffle predicts all scored rows, so this bounds the cost on big splits.
   * @default null
   */
  maxRows?: number | null;
}

/**
 * Defaults of {@link PermutationImportanceOptions}.
 *
 * @example
 * ```ts
 * permutationImportance(model, x, y, { ...DEFAULT_PERMUTATION_IMPORTANCE_OPTIONS, repeats: 10 });
 * ```
 */
export const DEFAULT_PERMUTATION_IMPORTANCE_OPTIONS: Readonly<
  Required<PermutationImportanceOptions>
> = {
  metric: null,
  repeats: 5,
  seed: 0,
  groups: null,
  names: null,
  maxRows: null,
};

const CLASSIFICATION_METRICS: ReadonlySet<string> = new Set(METRICS_BY_TASK.classification);

/**
 * Measures permutation feature importance on labelled rows (use the test split).
 *
 * For each group and each repeat, the rows of the group's columns are permuted with one seeded
 * permutation (the other columns stay), the model predicts again, and the drop of the metric
 * is recorded: `baseline − shuffled` for metrics that are maximised, `shuffled − baseline` for
 * errors and losses, so a positive drop always means the model needed that input. A drop near
 * 0 means the model does not use it; a negative one means shuffling helped by chance.
 *
 * @param model a fitted model
 * @param x the features, `model.inputDim` columns
 * @param y the targets of the same rows
 * @param options the metric, repeats, seed, column groups and the most rows to score
 * @returns the baseline score and each group's mean and standard deviation of the drop
 * @throws {TypeError} when `y` does not fit the model's task, or a group is malformed
 * @throws {RangeError} when there are fewer than 2 rows, the lengths differ, `repeats` or
 *   `maxRows` is out of range, a column index is outside the matrix or in two groups, the metric is unknown or of
 *   the other task, or the metric is undefined on the unshuffled rows
 * @example
 * ```ts
 * const result = permutationImportance(model, xTest, yTest, { metric: "f1_macro", repeats: 5, seed: 42 });
 * result.importances[0]; // { feature: "Beak Length (mm)", mean: 0.31, std: 0.04, ... }
 * ```
 */
export function permutationImportance(
  model: BaseModel,
  x: Matrix,
  y: Targets,
  options: PermutationImportanceOptions = {},
): PermutationImportanceResult {
  const settings = { ...DEFAULT_PERMUTATION_IMPORTANCE_OPTIONS, ...options };
  const action = "Cannot compute permutation importance";
  const rows = x.rows;
  const length = y.kind === "classification" ? y.labels.length : y.values.length;
  if (y.kind !== model.task) {
    throw new TypeError(
      `${action}: the targets are for ${y.kind} but model "${model.family}" does ${model.task}; pass the targets of the model's task`,
    );
  }
  if (length !== rows) {
    throw new RangeError(`${action}: ${rows} feature rows but ${length} targets`);
  }
  if (rows < 2) {
    throw new RangeError(`${action}: ${rows} row(s) cannot be shuffled; pass at least 2 rows`);
  }
  if (!Number.isInteger(settings.repeats) || settings.repeats < 1 || settings.repeats > 100) {
    throw new RangeError(
      `${action}: "repeats" is ${settings.repeats}, expected an integer from 1 to 100`,
    );
  }
  if (!Number.isSafeInteger(settings.seed)) {
    throw new TypeError(`${action}: "seed" is ${settings.seed}, expected a safe integer`);
  }
  if (settings.maxRows !== null && (!Number.isInteger(settings.maxRows) || settings.maxRows < 2)) {
    throw new RangeError(
      `${action}: "maxRows" is ${settings.maxRows}, expected an integer of at least 2 or null`,
    );
  }
  const metric = settings.metric ?? (model.task === "classification" ? "f1_macro" : "rmse");
  checkMetric(metric, model.task, action);
  const groups = settings.groups === null
    ? Array.from({ length: x.cols }, (_, j) => ({
      name: settings.names?.[j] ?? String(j),
      columns: [j],
    }))
    : checkGroups(settings.groups, x.cols, action);
  const direction = METRIC_DIRECTIONS[metric as keyof typeof METRIC_DIRECTIONS];
  const sample = settings.maxRows !== null && rows > settings.maxRows
    ? sampleRows(x, y, settings.maxRows, settings.seed)
    : { x, y };
  return measure(model, sample.x, sample.y, {
    metric,
    direction,
    groups,
    repeats: settings.repeats,
    seed: settings.seed,
    totalRows: rows,
  });
}

function measure(
  model: BaseModel,
  x: Matrix,
  y: Targets,
  settings: {
    metric: string;
    direction: MetricDirection;
    groups: readonly FeatureGroup[];
    repeats: number;
    seed: number;
    totalRows: number;
  },
): PermutationImportanceResult {
  const action = "Cannot compute permutation importance";
  const { metric, direction, groups } = settings;
  const rows = x.rows;
  const score = (matrix: Matrix) => metricValue(evaluateModel(model, matrix, y), metric);
  const baseline = score(x);
  if (baseline === null) {
    throw new RangeError(
      `${action}: "${metric}" is undefined on these ${rows} rows (e.g. one class only for roc_auc); choose another metric`,
    );
  }

  const work = new Float32Array(x.data);
  const shuffled: Matrix = { data: work, rows, cols: x.cols };
  const importances: FeatureImportance[] = groups.map((group) => {
    const rng = new Random(new Random(settings.seed).derive(group.name));
    const drops: number[] = [];
    for (let r = 0; r < settings.repeats; r++) {
      const order = rng.permutation(rows);
      for (let i = 0; i < rows; i++) {
        const from = order[i]! * x.cols;
        const to = i * x.cols;
        for (const j of group.columns) work[to + j] = x.data[from + j]!;
      }
      const value = score(shuffled);
      // A metric that becomes undefined after shuffling tells nothing about this repeat.
      drops.push(value === null ? NaN : direction === "max" ? baseline - value : value - baseline);
    }
    for (let i = 0; i < rows; i++) {
      for (const j of group.columns) work[i * x.cols + j] = x.data[i * x.cols + j]!;
    }
    const finite = drops.filter(Number.isFinite);
    const mean = finite.length === 0 ? NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
    const variance = finite.length === 0
      ? NaN
      : finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length;
    return {
      feature: group.name,
      columns: [...group.columns],
      mean,
      std: Math.sqrt(variance),
      drops,
    };
  });
  const ranked = importances
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) =>
      (Number.isNaN(b.entry.mean) ? -Infinity : b.entry.mean) -
        (Number.isNaN(a.entry.mean) ? -Infinity : a.entry.mean) || a.i - b.i
    )
    .map(({ entry }) => entry);
  return {
    metric,
    direction,
    baseline,
    repeats: settings.repeats,
    seed: settings.seed,
    rows,
    totalRows: settings.totalRows,
    importances: ranked,
  };
}

/**
 * Groups the model's input columns by the raw input column each comes from, so one-hot columns
 * of one input are shuffled together.
 *
 * A feature belongs to the input column whose name it equals, or whose name followed by `_`
 * starts it (`Island_Biscoe` → `Island`); the longest such input wins, so `Sex_code_A` goes to
 * `Sex_code` when both `Sex` and `Sex_code` are inputs. A feature that matches no input forms a
 * group of its own. Groups keep the order of their first feature.
 *
 * @param inputColumns the feature pipeline's input columns (`pipeline.inputColumns()`)
 * @param featureNames the model's input columns in matrix order (`features.json` names)
 * @returns one group per input column that feeds the model
 * @throws {RangeError} when a feature name appears twice
 * @example
 * ```ts
 * featureGroups(["Beak Length (mm)", "Island"], ["Beak Length (mm)", "Island_Biscoe", "Island_Dream"]);
 * // [{ name: "Beak Length (mm)", columns: [0] }, { name: "Island", columns: [1, 2] }]
 * ```
 */
export function featureGroups(
  inputColumns: readonly string[],
  featureNames: readonly string[],
): FeatureGroup[] {
  if (new Set(featureNames).size !== featureNames.length) {
    const repeated = featureNames.find((name, i) => featureNames.indexOf(name) !== i);
    throw new RangeError(
      `Cannot group features: "${repeated}" appears twice in the feature names; pass the names of features.json`,
    );
  }
  const byLength = [...inputColumns].sort((a, b) => b.length - a.length);
  const groups = new Map<string, number[]>();
  featureNames.forEach((name, j) => {
    const owner = byLength.find((input) => name === input || name.startsWith(`${input}_`)) ??
      name;
    const columns = groups.get(owner);
    if (columns) columns.push(j);
    else groups.set(owner, [j]);
  });
  return [...groups].map(([name, columns]) => ({ name, columns }));
}

/** A seeded sample of `n` rows without replacement, kept in input order. */
function sampleRows(x: Matrix, y: Targets, n: number, seed: number): { x: Matrix; y: Targets } {
  const picked = new Random(new Random(seed).derive("rows")).permutation(x.rows).subarray(0, n)
    .sort();
  return {
    x: takeRows(x, picked),
    y: y.kind === "classification"
      ? { ...y, labels: Int32Array.from(picked, (i) => y.labels[i]!) }
      : { kind: "regression", values: Float32Array.from(picked, (i) => y.values[i]!) },
  };
}

function checkMetric(metric: string, task: BaseModel["task"], action: string): void {
  const names = Object.keys(METRIC_DIRECTIONS);
  if (!Object.hasOwn(METRIC_DIRECTIONS, metric)) {
    throw new RangeError(
      `${action}: unknown metric "${metric}"${didYouMean(metric, names)} (expected one of ${
        JSON.stringify(names)
      })`,
    );
  }
  if (CLASSIFICATION_METRICS.has(metric) !== (task === "classification")) {
    throw new RangeError(
      `${action}: "${metric}" is not a ${task} metric; use ${
        task === "classification" ? '"f1_macro" or "accuracy"' : '"rmse" or "mae"'
      }`,
    );
  }
}

function checkGroups(
  groups: readonly FeatureGroup[],
  cols: number,
  action: string,
): FeatureGroup[] {
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new TypeError(`${action}: "groups" must be a non-empty array of { name, columns }`);
  }
  const owner = new Map<number, string>();
  const names = new Set<string>();
  for (const [i, group] of groups.entries()) {
    if (
      typeof group !== "object" || group === null || typeof group.name !== "string" ||
      !Array.isArray(group.columns) || group.columns.length === 0
    ) {
      throw new TypeError(
        `${action}: groups[${i}] must be { name: string, columns: number[] } with at least one column`,
      );
    }
    if (names.has(group.name)) {
      throw new RangeError(`${action}: group name "${group.name}" appears twice`);
    }
    names.add(group.name);
    for (const j of group.columns) {
      if (!Number.isInteger(j) || j < 0 || j >= cols) {
        throw new RangeError(
          `${action}: group "${group.name}" names column ${j}, outside the ${cols} columns of the matrix`,
        );
      }
      const other = owner.get(j);
      if (other !== undefined) {
        throw new RangeError(
          `${action}: column ${j} is in groups "${other}" and "${group.name}"; a column belongs to one group`,
        );
      }
      owner.set(j, group.name);
    }
  }
  return [...groups];
}
