import assert from "node:assert/strict";
// The contract random_forest shares with gbdt (learning, save/load, seeds, bad targets and
// params, corrupt files) is in tree_family_contract_test.ts.
import { RandomForestModel, type Targets } from "../../../src/models/mod.ts";
import {
  addForestRows,
  binMatrix,
  bootstrapCounts,
  featuresPerSplit,
  findImpuritySplit,
  flattenTrees,
  growImpurityTree,
  learnBinEdges,
  occupiedBins,
  treeSeed,
  treeValueBinned,
  weightedImpurity,
} from "../../../src/models/trees/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";

const STRIDE_2 = 3; // two classes + count

/** A two-class histogram: `bins[b]` = [class 0 weight, class 1 weight, rows]. */
function histogram(bins: Record<number, [number, number, number]>): Float64Array {
  const h = new Float64Array(256 * STRIDE_2);
  for (const [b, values] of Object.entries(bins)) h.set(values, Number(b) * STRIDE_2);
  return h;
}

function sumOf(h: Float64Array, stride: number): Float64Array {
  const totals = new Float64Array(stride);
  for (let i = 0; i < h.length; i++) totals[i % stride]! += h[i]!;
  return totals;
}

// ------------------------------------------------------------------ criteria, by hand

Deno.test("weightedImpurity() matches hand-computed Gini, entropy and squared error", () => {
  // Gini of [2, 2]: 4 · (1 − 0.25 − 0.25) = 2; entropy: 4 · 1 bit = 4.
  assert.equal(weightedImpurity("gini", Float64Array.of(2, 2, 4), 0, 3), 2);
  assert.equal(weightedImpurity("entropy", Float64Array.of(2, 2, 4), 0, 3), 4);
  // Entropy of [3, 1]: 4 · (−¾·log2 ¾ − ¼·log2 ¼) = 4 · 0.811278…
  assert.ok(
    Math.abs(weightedImpurity("entropy", Float64Array.of(3, 1, 4), 0, 3) - 4 * 0.8112781245) <
      1e-9,
  );
  // A pure node has no impurity.
  assert.equal(weightedImpurity("gini", Float64Array.of(5, 0, 5), 0, 3), 0);
  assert.equal(weightedImpurity("entropy", Float64Array.of(0, 5, 5), 0, 3), 0);
  // Squared error of y = 1, 2, 3: Σ(y − 2)² = 2 (weight, Σwy, Σwy², rows).
  assert.equal(weightedImpurity("squared_error", Float64Array.of(3, 6, 14, 3), 0, 4), 2);
  // Weights count: class 1 weighted 3× is a [2, 6] node: 8 − (4 + 36) / 8 = 3.
  assert.equal(weightedImpurity("gini", Float64Array.of(2, 6, 4), 0, 3), 3);
});

Deno.test("findImpuritySplit() picks the hand-computed best Gini and entropy cut", () => {
  // bins: 0 → [2, 0], 1 → [2, 0], 2 → [0, 1], 3 → [1, 1]; totals [5, 2], 7 rows.
  const h = histogram({ 0: [2, 0, 2], 1: [2, 0, 2], 2: [0, 1, 1], 3: [1, 1, 2] });
  const node = { totals: sumOf(h, 3), feature: 0, valueBins: 4 };
  // Gini: parent 7 − 29/7 = 20/7; after bin 0: 0 + (5 − 13/5) → 0.457; after bin 1:
  // 0 + (3 − 5/3) → 32/21 = 1.524; after bin 2: (5 − 17/5) + (2 − 1) → 0.257.
  const gini = findImpuritySplit(h, node, { criterion: "gini", stride: 3, minSamplesLeaf: 1 });
  assert.equal(gini?.bin, 1);
  assert.ok(Math.abs(gini!.gain - 32 / 21) < 1e-12, `${gini!.gain}`);
  const log2 = Math.log2;
  const parent = 7 * log2(7) - 5 * log2(5) - 2 * log2(2);
  const entropy = findImpuritySplit(h, node, {
    criterion: "entropy",
    stride: 3,
    minSamplesLeaf: 1,
  });
  assert.equal(entropy?.bin, 1);
  assert.ok(Math.abs(entropy!.gain - (parent - (3 * log2(3) - 2 * log2(2)))) < 1e-12);
  // min_samples_leaf 3 still allows 4 | 3; 4 allows no cut.
  assert.equal(
    findImpuritySplit(h, node, { criterion: "gini", stride: 3, minSamplesLeaf: 3 })?.bin,
    1,
  );
  assert.equal(
    findImpuritySplit(h, node, { criterion: "gini", stride: 3, minSamplesLeaf: 4 }),
    null,
  );
});

Deno.test("findImpuritySplit() sends missing values to the side that lowers the impurity", () => {
  // bin 0 → [3, 0], bin 1 → [0, 3], missing → [3, 0]: missing left makes both children pure.
  const h = histogram({ 0: [3, 0, 3], 1: [0, 3, 3], 255: [3, 0, 3] });
  const split = findImpuritySplit(h, { totals: sumOf(h, 3), feature: 2, valueBins: 2 }, {
    criterion: "gini",
    stride: 3,
    minSamplesLeaf: 1,
  });
  assert.deepEqual(
    { feature: split?.feature, bin: split?.bin, missingLeft: split?.missingLeft },
    { feature: 2, bin: 0, missingLeft: true },
  );
  // 9 − (36 + 9)/9 = 4 before, 0 after.
  assert.ok(Math.abs(split!.gain - 4) < 1e-12);
});

Deno.test("findImpuritySplit() with squared error cuts between the two target levels", () => {
  // bin 0: y = 1, 1; bin 1: y = 1; bin 2: y = 5, 5 (weight, Σwy, Σwy², rows).
  const h = new Float64Array(256 * 4);
  h.set([2, 2, 2, 2], 0);
  h.set([1, 1, 1, 1], 4);
  h.set([2, 10, 50, 2], 8);
  const totals = sumOf(h, 4);
  const split = findImpuritySplit(h, { totals, feature: 0, valueBins: 3 }, {
    criterion: "squared_error",
    stride: 4,
    minSamplesLeaf: 1,
  });
  assert.equal(split?.bin, 1);
  // Parent: 53 − 13²/5 = 19.2; children pure.
  assert.ok(Math.abs(split!.gain - 19.2) < 1e-9);
  // A constant target has nothing to split.
  const flat = new Float64Array(256 * 4);
  flat.set([2, 6, 18, 2], 0);
  flat.set([2, 6, 18, 2], 4);
  assert.equal(
    findImpuritySplit(flat, { totals: sumOf(flat, 4), feature: 0, valueBins: 2 }, {
      criterion: "squared_error",
      stride: 4,
      minSamplesLeaf: 1,
    }),
    null,
  );
});

Deno.test("featuresPerSplit() resolves sqrt, log2, fractions, all and the task defaults", () => {
  assert.equal(featuresPerSplit("sqrt", 10, "classification"), 3);
  assert.equal(featuresPerSplit("log2", 10, "classification"), 3);
  assert.equal(featuresPerSplit(0.5, 10, "regression"), 5);
  assert.equal(featuresPerSplit(0.01, 10, "regression"), 1);
  assert.equal(featuresPerSplit("all", 10, "classification"), 10);
  assert.equal(featuresPerSplit(null, 10, "classification"), 3);
  assert.equal(featuresPerSplit(null, 10, "regression"), 10);
  assert.equal(featuresPerSplit("log2", 1, "classification"), 1);
});

Deno.test("occupiedBins() lists a node's value bins ascending, without the missing bin", () => {
  const column = Uint8Array.of(7, 2, 255, 7, 0, 2);
  const scratch = { seen: new Uint8Array(256), out: new Uint8Array(256) };
  const node = {
    rows: Uint32Array.of(0, 1, 2, 3, 4, 5),
    start: 1,
    end: 6,
    weights: new Float64Array(6),
    counts: new Float64Array(6),
    labels: null,
    values: null,
  };
  assert.deepEqual(Array.from(occupiedBins(column, node, scratch)), [0, 2, 7]);
  assert.ok(scratch.seen.every((v) => v === 0));
});

Deno.test("addForestRows() adds what each tree gives its binned row", () => {
  const { x, labels } = stumpData(51, 80);
  const edges = learnBinEdges(x, 255);
  const binned = binMatrix(x, edges);
  const trees = [1, 2].flatMap((seed) =>
    growImpurityTree(
      {
        binned,
        weights: new Float64Array(x.rows).fill(1),
        counts: new Float64Array(x.rows).fill(1),
        labels,
        values: null,
      },
      {
        criterion: "gini",
        classes: 3,
        maxFeatures: 2,
        maxDepth: 4,
        minSamplesLeaf: 2,
        valueBins: Int32Array.from(edges.thresholds, (t) => t.length + 1),
        thresholds: edges.thresholds,
      },
      new Random(seed),
    )
  );
  const forest = flattenTrees(trees);
  const byTree = new Float64Array(x.rows * 3);
  addForestRows(forest, x, byTree);
  for (let i = 0; i < x.rows; i++) {
    const scores = new Float64Array(3);
    trees.forEach((tree, t) => (scores[t % 3]! += treeValueBinned(tree, binned, i)));
    assert.deepEqual(Array.from(byTree.subarray(i * 3, i * 3 + 3)), Array.from(scores));
    // Two trees of class shares: each row's scores sum to 2.
    assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) - 2) < 1e-6);
  }
});

// ------------------------------------------------------------------ one stump vs brute force

/** Distinct-valued features, 3 classes and a target depending on them. */
function stumpData(seed: number, rows: number) {
  const random = new Random(seed);
  const cols = 3;
  const x = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  const values = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < cols; f++) x[i * cols + f] = Math.fround(random.next() * 10);
    const s = x[i * cols]! + 0.6 * x[i * cols + 1]! + 3 * random.next();
    labels[i] = s < 6 ? 0 : s < 11 ? 1 : 2;
    values[i] = Math.fround(s + random.normal());
  }
  return { x: { data: x, rows, cols } as Matrix, labels, values };
}

/** The best depth-1 split by trying every cut of every feature, and its leaves' predictions. */
function bruteForceStump(
  x: Matrix,
  target: { labels: Int32Array; classes: number; weights: Float64Array } | {
    values: Float32Array;
  },
  criterion: "gini" | "entropy" | "squared_error",
): Float64Array[] {
  const n = x.rows;
  const k = "labels" in target ? target.classes : 1;
  const impurity = (rows: number[]): number => {
    if ("labels" in target) {
      const w = new Float64Array(k);
      for (const i of rows) w[target.labels[i]!]! += target.weights[i]!;
      const total = w.reduce((a, b) => a + b, 0);
      if (total === 0) return 0;
      if (criterion === "gini") return total - w.reduce((a, b) => a + b * b, 0) / total;
      return -w.reduce((a, b) => (b > 0 ? a + b * Math.log2(b / total) : a), 0);
    }
    const mean = rows.reduce((a, i) => a + target.values[i]!, 0) / rows.length;
    return rows.reduce((a, i) => a + (target.values[i]! - mean) ** 2, 0);
  };
  const leaf = (rows: number[]): Float64Array<ArrayBuffer> => {
    if ("labels" in target) {
      const w = new Float64Array(k);
      for (const i of rows) w[target.labels[i]!]! += target.weights[i]!;
      const total = w.reduce((a, b) => a + b, 0);
      return w.map((v) => v / total);
    }
    return Float64Array.of(rows.reduce((a, i) => a + target.values[i]!, 0) / rows.length);
  };
  const all = Array.from({ length: n }, (_, i) => i);
  const parent = impurity(all);
  let best = { gain: 0, left: all, right: [] as number[] };
  for (let f = 0; f < x.cols; f++) {
    const cuts = [...new Set(all.map((i) => x.data[i * x.cols + f]!))].sort((a, b) => a - b);
    for (const cut of cuts.slice(0, -1)) {
      const left = all.filter((i) => x.data[i * x.cols + f]! <= cut);
      const right = all.filter((i) => x.data[i * x.cols + f]! > cut);
      const gain = parent - impurity(left) - impurity(right);
      if (gain > best.gain + 1e-9) best = { gain, left, right };
    }
  }
  const out: Float64Array[] = Array.from({ length: n }, () => new Float64Array(k));
  const l = leaf(best.left);
  const r = leaf(best.right);
  for (const i of best.left) out[i] = l;
  for (const i of best.right) out[i] = r;
  return out;
}

function assertPredicts(predicted: Float32Array, expected: Float64Array[], what: string): void {
  const k = expected[0]!.length;
  for (let i = 0; i < expected.length; i++) {
    for (let c = 0; c < k; c++) {
      const diff = Math.abs(predicted[i * k + c]! - expected[i]![c]!);
      assert.ok(
        diff < 1e-5,
        `${what}: row ${i} class ${c}: ${predicted[i * k + c]} vs ${expected[i]![c]}`,
      );
    }
  }
}

const STUMP = { n_estimators: 1, bootstrap: false, max_features: "all", max_depth: 1 } as const;

Deno.test("one tree of depth 1 without bootstrap, on all features, is the brute-force best stump", async () => {
  const { x, labels, values } = stumpData(21, 60);
  const classes = ["a", "b", "c"];
  for (const criterion of ["gini", "entropy"] as const) {
    for (const classWeights of [null, Float32Array.of(1, 4, 0.5)]) {
      const model = new RandomForestModel({
        task: "classification",
        inputDim: 3,
        classes,
        params: { ...STUMP, criterion },
      });
      await model.fit(x, { kind: "classification", labels, classes }, { classWeights, seed: 5 });
      const weights = Float64Array.from(labels, (l) => classWeights?.[l] ?? 1);
      assertPredicts(
        model.predict(x),
        bruteForceStump(x, { labels, classes: 3, weights }, criterion),
        `${criterion}, weights ${classWeights}`,
      );
    }
  }
  const regressor = new RandomForestModel({ task: "regression", inputDim: 3, params: STUMP });
  await regressor.fit(x, { kind: "regression", values });
  assertPredicts(
    regressor.predict(x),
    bruteForceStump(x, { values }, "squared_error"),
    "squared error",
  );
});

Deno.test("class weights change the split a weighted impurity prefers", async () => {
  // Feature 0 isolates class 0 (4 rows); feature 1 isolates class 2 (2 rows). Unweighted Gini
  // prefers feature 0; weighing class 2 by 10 makes feature 1's cut the better one.
  const rows = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
    [1, 0, 1],
    [1, 0, 1],
    [1, 0, 1],
    [1, 1, 2],
    [1, 1, 2],
  ];
  const x: Matrix = {
    data: Float32Array.from(rows.flatMap((r) => [r[0]!, r[1]!])),
    rows: rows.length,
    cols: 2,
  };
  const y: Targets = {
    kind: "classification",
    labels: Int32Array.from(rows, (r) => r[2]!),
    classes: ["a", "b", "c"],
  };
  const model = new RandomForestModel({
    task: "classification",
    inputDim: 2,
    classes: ["a", "b", "c"],
    params: STUMP,
  });
  await model.fit(x, y);
  // Row 4 (class b) shares the right leaf with c when feature 0 splits.
  assert.ok(model.predict(x)[4 * 3 + 2]! > 0);
  await model.fit(x, y, { classWeights: Float32Array.of(1, 1, 10) });
  // With feature 1 splitting, class b rows sit with class a, away from c.
  assert.equal(model.predict(x)[4 * 3 + 2], 0);
});

// ------------------------------------------------------------------ out of bag

Deno.test("the out-of-bag score is computed from the out-of-bag rows only (one tree, by hand)", async () => {
  const { x, labels, values } = stumpData(31, 50);
  const classes = ["a", "b", "c"];
  const seed = 9;
  const counts = bootstrapCounts(x.rows, new Random(treeSeed(seed, 0)));
  const oob = [...counts.keys()].filter((i) => counts[i] === 0);
  assert.ok(oob.length > 5 && oob.length < 40, `${oob.length} out-of-bag rows`);

  const classifier = new RandomForestModel({
    task: "classification",
    inputDim: 3,
    classes,
    params: { n_estimators: 1 },
  });
  await classifier.fit(x, { kind: "classification", labels, classes }, { seed });
  const p = classifier.predict(x);
  let correct = 0;
  for (const i of oob) {
    const row = Array.from(p.subarray(i * 3, i * 3 + 3));
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
  }
  assert.deepEqual(classifier.oobScore, {
    name: "accuracy",
    value: correct / oob.length,
    rows: oob.length,
  });
  // In-bag rows are (nearly) memorised; the out-of-bag score is lower than the training fit.
  let fit = 0;
  for (let i = 0; i < x.rows; i++) {
    const row = Array.from(p.subarray(i * 3, i * 3 + 3));
    if (row.indexOf(Math.max(...row)) === labels[i]) fit++;
  }
  assert.ok(classifier.oobScore!.value < fit / x.rows);

  const regressor = new RandomForestModel({
    task: "regression",
    inputDim: 3,
    params: { n_estimators: 1 },
  });
  await regressor.fit(x, { kind: "regression", values }, { seed });
  const v = regressor.predict(x);
  const mean = oob.reduce((a, i) => a + values[i]!, 0) / oob.length;
  const residual = oob.reduce((a, i) => a + (v[i]! - values[i]!) ** 2, 0);
  const total = oob.reduce((a, i) => a + (values[i]! - mean) ** 2, 0);
  const score = regressor.oobScore!;
  assert.equal(score.name, "r2");
  assert.equal(score.rows, oob.length);
  assert.ok(Math.abs(score.value - (1 - residual / total)) < 1e-5, `${score.value}`);
});

Deno.test("the out-of-bag rows of a forest are those some tree left out; none without bootstrap", async () => {
  const { x, labels } = stumpData(41, 30);
  const classes = ["a", "b", "c"];
  const seed = 4;
  const left = new Set<number>();
  for (let t = 0; t < 3; t++) {
    const counts = bootstrapCounts(x.rows, new Random(treeSeed(seed, t)));
    counts.forEach((c, i) => c === 0 && left.add(i));
  }
  const model = new RandomForestModel({
    task: "classification",
    inputDim: 3,
    classes,
    params: { n_estimators: 3 },
  });
  const history = await model.fit(x, { kind: "classification", labels, classes }, { seed });
  assert.equal(model.oobScore?.rows, left.size);
  assert.equal(history.epochs.length, 3);
  assert.equal(history.epochs.at(-1)!.metric, model.oobScore!.value);
  assert.match(model.summary(), /3 trees, \d+ leaves, out-of-bag accuracy 0\.\d{4} on \d+ rows/);

  const full = new RandomForestModel({
    task: "classification",
    inputDim: 3,
    classes,
    params: { n_estimators: 2, bootstrap: false },
  });
  await full.fit(x, { kind: "classification", labels, classes });
  assert.equal(full.oobScore, null);
  assert.match(full.summary(), /no out-of-bag score \(bootstrap off\)/);
});
