import assert from "node:assert/strict";
import {
  BaseModel,
  featureGroups,
  LinearModel,
  permutationImportance,
} from "../../src/models/mod.ts";
import type { ModelTask, Targets, TrainingHistory } from "../../src/models/mod.ts";
import { type Matrix, Random, rootMeanSquaredError } from "../../src/utils/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";

/** A fitted model whose predictions are a fixed function of the rows, for exact expectations. */
class FunctionModel extends BaseModel {
  readonly family = "linear" as const;
  readonly isFitted = true;
  readonly #predict: (row: Float32Array) => number[];

  constructor(
    readonly task: ModelTask,
    readonly inputDim: number,
    readonly classes: readonly string[],
    predict: (row: Float32Array) => number[],
  ) {
    super();
    this.#predict = predict;
  }

  fit(): Promise<TrainingHistory> {
    throw new Error("FunctionModel is fitted by construction");
  }

  predict(x: Matrix): Float32Array {
    const out: number[] = [];
    for (let i = 0; i < x.rows; i++) {
      out.push(...this.#predict(x.data.subarray(i * x.cols, (i + 1) * x.cols)));
    }
    return Float32Array.from(out);
  }

  save(): Promise<void> {
    return Promise.resolve();
  }

  summary(): string {
    return "function model";
  }

  dispose(): void {}
}

/** y = x0 on 20 rows; x1 is noise the model ignores. */
function regressionData(): { x: Matrix; y: Targets & { kind: "regression" } } {
  const rng = new Random(3);
  const rows = 20;
  const data = new Float32Array(rows * 2);
  const values = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    data[i * 2] = i;
    data[i * 2 + 1] = rng.normal();
    values[i] = i;
  }
  return { x: { data, rows, cols: 2 }, y: { kind: "regression", values } };
}

Deno.test("permutationImportance() measures the rmse rise of each shuffled column with the seeded streams", () => {
  const { x, y } = regressionData();
  const model = new FunctionModel("regression", 2, [], (row) => [row[0]!]);
  const before = new Float32Array(x.data);
  const result = permutationImportance(model, x, y, {
    metric: "rmse",
    repeats: 3,
    seed: 9,
    names: ["signal", "noise"],
  });
  assert.deepEqual(Array.from(x.data), Array.from(before), "the input matrix is unchanged");
  assert.equal(result.metric, "rmse");
  assert.equal(result.direction, "min");
  assert.equal(result.baseline, 0);
  assert.equal(result.rows, 20);
  assert.equal(result.totalRows, 20);
  assert.deepEqual(result.importances.map((i) => i.feature), ["signal", "noise"]);

  // Each repeat of "signal" predicts x0 in the permuted order: its rmse is the drop.
  const rng = new Random(new Random(9).derive("signal"));
  const expected = [0, 1, 2].map(() => {
    const order = rng.permutation(20);
    return rootMeanSquaredError(y.values, Float32Array.from(order, (k) => k));
  });
  const signal = result.importances[0]!;
  assert.deepEqual(signal.columns, [0]);
  signal.drops.forEach((drop, r) => assertClose(drop, expected[r]!, 1e-6, `repeat ${r}`));
  const mean = expected.reduce((a, b) => a + b, 0) / 3;
  assertClose(signal.mean, mean, 1e-6);
  assertClose(
    signal.std,
    Math.sqrt(expected.reduce((a, b) => a + (b - mean) ** 2, 0) / 3),
    1e-6,
  );
  assert.ok(signal.mean > 5, `shuffling the signal must hurt, got ${signal.mean}`);
  assert.deepEqual(result.importances[1], {
    feature: "noise",
    columns: [1],
    mean: 0,
    std: 0,
    drops: [0, 0, 0],
  });

  const again = permutationImportance(model, x, y, {
    metric: "rmse",
    repeats: 3,
    seed: 9,
    names: ["signal", "noise"],
  });
  assert.deepEqual(again, result, "the same seed gives the same result");
});

Deno.test("permutationImportance() shuffles a group's columns with one permutation, keeping one-hot rows valid", () => {
  // Class = argmax of the one-hot columns 1..3; column 0 is ignored.
  const rows = 30;
  const data = new Float32Array(rows * 4);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = i % 3;
    data[i * 4] = i;
    data[i * 4 + 1 + (i % 3)] = 1;
  }
  const x: Matrix = { data, rows, cols: 4 };
  const y: Targets = { kind: "classification", labels, classes: ["a", "b", "c"] };
  const seen: number[] = [];
  const model = new FunctionModel("classification", 4, y.classes, (row) => {
    seen.push(row[1]! + row[2]! + row[3]!);
    return [row[1]! * 0.8 + 0.1, row[2]! * 0.8 + 0.1, row[3]! * 0.8 + 0.1].map((p) => p / 1.1);
  });
  const groups = featureGroups(["id", "Island"], ["id", "Island_a", "Island_b", "Island_c"]);
  assert.deepEqual(groups, [{ name: "id", columns: [0] }, { name: "Island", columns: [1, 2, 3] }]);
  const result = permutationImportance(model, x, y, { metric: "accuracy", repeats: 4, groups });
  assert.equal(result.direction, "max");
  assert.equal(result.baseline, 1);
  assert.ok(seen.every((sum) => sum === 1), "every shuffled row is still one-hot");
  assert.deepEqual(result.importances.map((i) => i.feature), ["Island", "id"]);
  const island = result.importances[0]!;
  assert.equal(island.drops.length, 4);
  assert.ok(island.mean > 0.3, `the encoded input matters, got ${island.mean}`);
  assert.deepEqual(result.importances[1]!.drops, [0, 0, 0, 0]);
});

Deno.test("permutationImportance() ranks the used inputs of a trained linear model first", async () => {
  const { x, y } = regressionData();
  const model = new LinearModel({ task: "regression", inputDim: 2, seed: 1 });
  try {
    await model.fit(x, y, { epochs: 60, batchSize: 20, learningRate: 0.1, seed: 1 });
    const result = permutationImportance(model, x, y, { names: ["signal", "noise"], seed: 1 });
    assert.equal(result.metric, "rmse", "regression defaults to rmse");
    assert.equal(result.repeats, 5);
    assert.equal(result.importances[0]!.feature, "signal");
    assert.ok(result.importances[0]!.mean > 10 * Math.abs(result.importances[1]!.mean));
  } finally {
    model.dispose();
  }
});

Deno.test("permutationImportance() scores a seeded sample of maxRows rows of a larger input", () => {
  const { x, y } = regressionData();
  const model = new FunctionModel("regression", 2, [], (row) => [row[0]!]);
  const seen = new Set<number>();
  const watching = new FunctionModel("regression", 2, [], (row) => {
    seen.add(row[0]!);
    return [row[0]!];
  });
  const result = permutationImportance(watching, x, y, { maxRows: 8, seed: 5, repeats: 2 });
  assert.equal(result.rows, 8);
  assert.equal(result.totalRows, 20);
  assert.equal(seen.size, 8, "only the sampled rows are ever predicted");
  assert.deepEqual(permutationImportance(model, x, y, { maxRows: 8, seed: 5, repeats: 2 }), result);
  assert.equal(permutationImportance(model, x, y, { maxRows: 50 }).rows, 20);
  assert.throws(() => permutationImportance(model, x, y, { maxRows: 1 }), {
    name: "RangeError",
    message: /"maxRows" is 1, expected an integer of at least 2 or null/,
  });
});

Deno.test("permutationImportance() refuses bad metrics, repeats, groups and shapes with clear errors", () => {
  const { x, y } = regressionData();
  const model = new FunctionModel("regression", 2, [], (row) => [row[0]!]);
  assert.throws(() => permutationImportance(model, x, y, { metric: "rsme" }), {
    name: "RangeError",
    message: /unknown metric "rsme": did you mean "rmse"/,
  });
  assert.throws(() => permutationImportance(model, x, y, { metric: "accuracy" }), {
    name: "RangeError",
    message: /"accuracy" is not a regression metric; use "rmse" or "mae"/,
  });
  assert.throws(() => permutationImportance(model, x, y, { repeats: 0 }), {
    name: "RangeError",
    message: /"repeats" is 0, expected an integer from 1 to 100/,
  });
  assert.throws(
    () =>
      permutationImportance(model, x, y, {
        groups: [{ name: "a", columns: [0, 1] }, { name: "b", columns: [1] }],
      }),
    { name: "RangeError", message: /column 1 is in groups "a" and "b"/ },
  );
  assert.throws(
    () => permutationImportance(model, x, y, { groups: [{ name: "a", columns: [2] }] }),
    { name: "RangeError", message: /group "a" names column 2, outside the 2 columns/ },
  );
  const short: Targets = { kind: "regression", values: new Float32Array(3) };
  assert.throws(() => permutationImportance(model, x, short), {
    name: "RangeError",
    message: /20 feature rows but 3 targets/,
  });
  const labels: Targets = { kind: "classification", labels: new Int32Array(20), classes: ["a"] };
  assert.throws(() => permutationImportance(model, x, labels), {
    name: "TypeError",
    message: /targets are for classification but model "linear" does regression/,
  });
});

Deno.test("featureGroups() assigns each output to the longest matching input and keeps unknown names alone", () => {
  assert.deepEqual(
    featureGroups(
      ["Sex", "Sex_code", "mass"],
      ["mass", "Sex_code_A", "Sex_MALE", "Sex_code_B", "Sex_FEMALE", "hour_sin"],
    ),
    [
      { name: "mass", columns: [0] },
      { name: "Sex_code", columns: [1, 3] },
      { name: "Sex", columns: [2, 4] },
      { name: "hour_sin", columns: [5] },
    ],
  );
  assert.throws(() => featureGroups(["a"], ["a", "a"]), {
    name: "RangeError",
    message: /"a" appears twice/,
  });
});
