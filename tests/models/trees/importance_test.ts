import assert from "node:assert/strict";
import { GbdtModel, RandomForestModel } from "../../../src/models/mod.ts";
import { treeFeatureImportance } from "../../../src/models/trees/mod.ts";
import type { Tree } from "../../../src/models/trees/mod.ts";

/** A tree from its nodes: `[feature, gain]` per node, −1 for a leaf. */
function tree(nodes: [number, number][]): Tree {
  const n = nodes.length;
  return {
    feature: Int32Array.from(nodes, ([f]) => f),
    bin: new Int32Array(n),
    threshold: new Float32Array(n),
    categorical: new Uint8Array(n),
    categories: new Uint32Array(0),
    missingLeft: new Uint8Array(n),
    left: new Int32Array(n).fill(-1),
    right: new Int32Array(n).fill(-1),
    value: new Float32Array(n),
    gain: Float32Array.from(nodes, ([, g]) => g),
    count: new Float32Array(n),
  };
}

Deno.test("treeFeatureImportance() sums split gains and counts splits per column over every tree", () => {
  const trees = [
    tree([[0, 4], [2, 1.5], [-1, 0], [-1, 0], [-1, 0]]),
    tree([[0, 2], [-1, 0], [-1, 0]]),
    tree([[-1, 0]]),
  ];
  assert.deepEqual(treeFeatureImportance(trees, 4), [
    { feature: 0, gain: 6, splits: 2 },
    { feature: 1, gain: 0, splits: 0 },
    { feature: 2, gain: 1.5, splits: 1 },
    { feature: 3, gain: 0, splits: 0 },
  ]);
  assert.deepEqual(treeFeatureImportance([], 2), [
    { feature: 0, gain: 0, splits: 0 },
    { feature: 1, gain: 0, splits: 0 },
  ]);
});

Deno.test("treeFeatureImportance() refuses a bad width and a split outside it", () => {
  assert.throws(() => treeFeatureImportance([], 0), RangeError);
  assert.throws(
    () => treeFeatureImportance([tree([[5, 1], [-1, 0], [-1, 0]])], 3),
    /tree 0 node 0 splits on column 5, but the model has 3 inputs/,
  );
});

Deno.test("GbdtModel.featureImportance() ranks the informative column first and survives save and load", async () => {
  const rows = 400;
  const data = new Float32Array(rows * 3);
  const values = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = (i * 37) % 101 / 10;
    data.set([(i * 13) % 7, a, 3], i * 3);
    values[i] = a > 5 ? 2 : -1;
  }
  const x = { data, rows, cols: 3 };
  const model = new GbdtModel({ task: "regression", inputDim: 3, params: { rounds: 5 } });
  assert.deepEqual(model.featureImportance().map((entry) => entry.splits), [0, 0, 0]);
  await model.fit(x, { kind: "regression", values });
  const importance = model.featureImportance();
  assert.equal(importance.length, 3);
  assert.ok(importance[1]!.gain > importance[0]!.gain, JSON.stringify(importance));
  assert.ok(importance[1]!.splits >= 5);
  assert.deepEqual(importance[2], { feature: 2, gain: 0, splits: 0 }, "a constant never splits");
  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    const loaded = await GbdtModel.load(dir);
    assert.deepEqual(loaded.featureImportance(), importance);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RandomForestModel.featureImportance() counts each tree once, whatever the number of classes", async () => {
  const rows = 300;
  const data = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = (i * 37) % 101;
    data.set([(i * 13) % 7, a], i * 2);
    labels[i] = a < 33 ? 0 : a < 66 ? 1 : 2;
  }
  const model = new RandomForestModel({
    task: "classification",
    inputDim: 2,
    classes: ["a", "b", "c"],
    params: { n_estimators: 4, max_depth: 1, max_features: "all", bootstrap: false },
  });
  await model.fit({ data, rows, cols: 2 }, {
    kind: "classification",
    labels,
    classes: ["a", "b", "c"],
  });
  const importance = model.featureImportance();
  // Four depth-1 trees, each split once on the informative column: 4 splits, not 4 × 3 classes.
  assert.deepEqual(importance.map((entry) => entry.splits), [0, 4]);
  assert.ok(importance[1]!.gain > 0);
});
