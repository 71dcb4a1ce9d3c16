import assert from "node:assert/strict";
import { GbdtModel, loadModel } from "../../../src/models/mod.ts";
import {
  addForestRows,
  binMatrix,
  categoryBinOf,
  categoryLookup,
  findBestSplit,
  flattenTrees,
  growTree,
  HISTOGRAM_STRIDE,
  learnBinEdges,
  learnCategoryBins,
  MISSING_BIN,
  newHistogram,
  treeValueBinned,
  valueBinCounts,
} from "../../../src/models/trees/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";

async function tempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await use(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("learnCategoryBins() gives each code a bin, and beyond maxBins keeps the most frequent plus other", () => {
  const small = learnCategoryBins(Float32Array.of(5, 0, 5, NaN, -1, 2.5, 0, 9), 255);
  assert.deepEqual(Array.from(small.codes), [0, 5, 9]);
  assert.equal(small.other, false);
  assert.equal(small.seen, 3);
  // Codes 0..9 with counts 10, 9, ..., 1: four bins keep the three most frequent and "other".
  const column: number[] = [];
  for (let code = 0; code < 10; code++) for (let k = 0; k < 10 - code; k++) column.push(code);
  const big = learnCategoryBins(Float32Array.from(column), 4);
  assert.deepEqual(Array.from(big.codes), [0, 1, 2]);
  assert.equal(big.other, true);
  assert.equal(big.seen, 10);
  const lookup = categoryLookup(big);
  assert.deepEqual([0, 1, 2, 3, 9, 1000].map((v) => categoryBinOf(v, lookup)), [0, 1, 2, 3, 3, 3]);
  // Not a code: missing, whatever the table.
  for (const v of [NaN, -1, 1.5]) assert.equal(categoryBinOf(v, lookup), MISSING_BIN);
  // Without "other", a code the table does not keep is missing too.
  assert.equal(categoryBinOf(7, categoryLookup(small)), MISSING_BIN);
  assert.throws(() => learnCategoryBins(Float32Array.of(3e6), 255), /exceeds/);
});

/** A histogram of one categorical feature from `[grad, hess, count]` per bin. */
function categoryHistogram(bins: Record<number, [number, number, number]>) {
  const h = newHistogram(1);
  let grad = 0;
  let hess = 0;
  let count = 0;
  for (const [bin, [g, hh, c]] of Object.entries(bins)) {
    h.set([g, hh, c], Number(bin) * HISTOGRAM_STRIDE);
    grad += g;
    hess += hh;
    count += c;
  }
  return { h, stats: { grad, hess, count } };
}

Deno.test("a categorical split is the best subset found by brute force over every partition", () => {
  // Six categories and missing values; the best left set ({0, 3, 5, missing}) is not an interval
  // of codes, so no threshold split could find it.
  const { h, stats } = categoryHistogram({
    0: [-300, 100, 100],
    1: [250, 100, 100],
    2: [180, 90, 90],
    3: [-260, 120, 120],
    4: [90, 150, 150],
    5: [-100, 80, 80],
    [MISSING_BIN]: [-150, 60, 60],
  });
  const options = { l2: 1, minSamplesLeaf: 20, minGain: 0 };
  const split = findBestSplit(h, {
    stats,
    features: Int32Array.of(0),
    valueBins: Int32Array.of(6),
    categorical: Uint8Array.of(1),
  }, options)!;
  const bins = [0, 1, 2, 3, 4, 5, MISSING_BIN];
  const score = (g: number, hh: number) => (g * g) / (hh + options.l2);
  let best = -Infinity;
  let bestSet: number[] = [];
  for (let mask = 1; mask < (1 << bins.length) - 1; mask++) {
    let g = 0;
    let hh = 0;
    const set = bins.filter((_, i) => (mask >> i) & 1);
    for (const b of set) {
      g += h[b * HISTOGRAM_STRIDE]!;
      hh += h[b * HISTOGRAM_STRIDE + 1]!;
    }
    const gain = 0.5 * (score(g, hh) + score(stats.grad - g, stats.hess - hh) -
      score(stats.grad, stats.hess));
    // A set and its complement are the same split: keep the one holding bin 0.
    if (gain > best + 1e-9 && set.includes(0)) {
      best = gain;
      bestSet = set;
    }
  }
  assert.ok(split.categories !== null);
  const left = bins.filter((b) => (split.categories![b >>> 5]! >>> (b & 31)) & 1);
  const found = left.includes(0) ? left : bins.filter((b) => !left.includes(b));
  assert.deepEqual(found, bestSet);
  assert.deepEqual(bestSet, [0, 3, 5, MISSING_BIN]);
  assert.ok(Math.abs(split.gain - best) < 1e-9, `gain ${split.gain} vs brute force ${best}`);
  assert.equal(split.missingLeft, left.includes(MISSING_BIN));
  assert.equal(split.left.count + split.right.count, stats.count);
});

Deno.test("categories with fewer than 10 rows in a node are not ordered: they go right", () => {
  const { h, stats } = categoryHistogram({
    0: [-100, 50, 50],
    1: [100, 50, 50],
    2: [-40, 5, 5], // strongly negative, but only 5 rows
  });
  const split = findBestSplit(h, {
    stats,
    features: Int32Array.of(0),
    valueBins: Int32Array.of(3),
    categorical: Uint8Array.of(1),
  }, { l2: 0, minSamplesLeaf: 1, minGain: 0 })!;
  const left = [0, 1, 2].filter((b) => (split.categories![0]! >>> b) & 1);
  assert.deepEqual(left, [0]);
  assert.equal(split.right.count, 55);
});

/** Rows of one categorical feature (6 codes) whose class is set by code parity, plus noise. */
function parity(seed: number, rows: number, options: { missing?: boolean } = {}) {
  const random = new Random(seed);
  const data = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const missing = options.missing === true && random.next() < 0.15;
    const code = missing ? NaN : random.int(6);
    data[i * 2] = code;
    data[i * 2 + 1] = random.normal();
    labels[i] = missing ? 1 : code % 2;
  }
  const x: Matrix = { data, rows, cols: 2 };
  return { x, y: { kind: "classification" as const, labels, classes: ["even", "odd"] } };
}

Deno.test("gbdt separates a category set in one split that a threshold on the codes cannot", async () => {
  const train = parity(1, 600);
  const params = { rounds: 1, max_leaves: 2, learning_rate: 1, early_stopping_rounds: 0 };
  const categorical = new GbdtModel({
    task: "classification",
    inputDim: 2,
    classes: ["even", "odd"],
    categorical: [0],
    params,
  });
  await categorical.fit(train.x, train.y);
  const numeric = new GbdtModel({
    task: "classification",
    inputDim: 2,
    classes: ["even", "odd"],
    params,
  });
  await numeric.fit(train.x, train.y);
  const accuracy = (model: GbdtModel) => {
    const p = model.predict(train.x);
    let right = 0;
    for (let i = 0; i < train.x.rows; i++) {
      right += Number((p[i * 2 + 1]! > 0.5 ? 1 : 0) === train.y.labels[i]);
    }
    return right / train.x.rows;
  };
  assert.equal(accuracy(categorical), 1);
  assert.ok(accuracy(numeric) < 0.75, `one threshold on parity codes: ${accuracy(numeric)}`);
});

Deno.test("missing and unseen categories follow the side the split learned for missing values", async () => {
  const train = parity(2, 800, { missing: true });
  const model = new GbdtModel({
    task: "classification",
    inputDim: 2,
    classes: ["even", "odd"],
    categorical: [0],
    params: { rounds: 20, max_leaves: 4, early_stopping_rounds: 0 },
  });
  await model.fit(train.x, train.y);
  // Missing rows were all "odd": NaN, the encoder's −1 for an unseen category, a fractional
  // value and a code never seen (no "other" bin) all score as missing did.
  const rows = Float32Array.of(NaN, 0, -1, 0, 2.5, 0, 40, 0, 0, 0, 1, 0);
  const p = model.predict({ data: rows, rows: 6, cols: 2 });
  const odd = [0, 1, 2, 3, 4, 5].map((i) => p[i * 2 + 1]!);
  for (const i of [1, 2, 3]) assert.equal(odd[i], odd[0]);
  assert.ok(odd[0]! > 0.9, `missing scores odd: ${odd[0]}`);
  assert.ok(odd[4]! < 0.1 && odd[5]! > 0.9, `code 0 even, code 1 odd: ${odd[4]}, ${odd[5]}`);
});

Deno.test("more than 255 categories: the 254 most frequent split alone, the rest share other, and the summary says so", async () => {
  const random = new Random(3);
  const rows = 6000;
  const data = new Float32Array(rows);
  const values = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    // Codes 0..299; the first 200 twice as frequent as the rest.
    const code = random.next() < 0.8 ? random.int(200) : 200 + random.int(100);
    data[i] = code;
    values[i] = code >= 200 ? 5 : code % 3;
  }
  const model = new GbdtModel({
    task: "regression",
    inputDim: 1,
    categorical: [0],
    params: { rounds: 30, min_samples_leaf: 5, early_stopping_rounds: 0 },
  });
  await model.fit({ data, rows, cols: 1 }, { kind: "regression", values });
  const [feature] = model.categoricalFeatures();
  assert.equal(feature?.categories, 300);
  assert.equal(feature?.kept, 254);
  assert.equal(feature?.other, true);
  assert.match(
    model.summary(),
    /categorical column 0: 300 categories: the 254 most frequent split on their own, the 46 rarer share one "other" bin/,
  );
  // Rare codes share one bin, so they all score alike (they all have target 5 here).
  const rare = model.predict({ data: Float32Array.of(296, 297, 298, 299, 5000), rows: 5, cols: 1 });
  assert.ok(new Set(rare).size === 1, `one score for the other bin: ${Array.from(rare)}`);
  assert.ok(Math.abs(rare[0]! - 5) < 0.5, `other bin ≈ 5: ${rare[0]}`);
});

Deno.test("a saved categorical gbdt predicts exactly what the trained one did, and edited bins are refused", async () => {
  const train = parity(4, 500, { missing: true });
  const model = new GbdtModel({
    task: "classification",
    inputDim: 2,
    classes: ["even", "odd"],
    categorical: [0],
    params: { rounds: 15, early_stopping_rounds: 0 },
  });
  await model.fit(train.x, train.y);
  await tempDir(async (dir) => {
    await model.save(dir);
    const loaded = await loadModel(dir);
    assert.deepEqual(Array.from(loaded.predict(train.x)), Array.from(model.predict(train.x)));
    assert.equal(loaded.summary(), model.summary());
    const params = JSON.parse(await Deno.readTextFile(`${dir}/params.json`));
    assert.deepEqual(params.state.categories, [
      { feature: 0, codes: [0, 1, 2, 3, 4, 5], other: false, seen: 6 },
    ]);
    params.state.categories[0].codes = [0, 2, 1, 3, 4, 5];
    await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify(params));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /category bins of column 0 are inconsistent/,
    });
    // Without the bins, the categorical nodes have no table: refused, not walked as numbers.
    delete params.state.categories;
    await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify(params));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /splits feature 0 by category, but the feature has no category table/,
    });
  });
});

Deno.test("a version 1 trees file (before categorical splits) still loads and predicts the same", async () => {
  const train = parity(5, 300);
  const model = new GbdtModel({
    task: "classification",
    inputDim: 2,
    classes: ["even", "odd"],
    params: { rounds: 5, early_stopping_rounds: 0 },
  });
  await model.fit(train.x, train.y);
  await tempDir(async (dir) => {
    await model.save(dir);
    const v2 = await Deno.readFile(`${dir}/trees.bin`);
    const view = new DataView(v2.buffer);
    assert.equal(view.getUint32(4, true), 2);
    assert.equal(view.getUint32(12, true), 0, "no category sets");
    // Version 1: the same nodes after a 12-byte header (magic, version, node count).
    const v1 = new Uint8Array(v2.length - 4);
    v1.set(v2.subarray(0, 12));
    v1.set(v2.subarray(16), 12);
    new DataView(v1.buffer).setUint32(4, 1, true);
    await Deno.writeFile(`${dir}/trees.bin`, v1);
    const loaded = await loadModel(dir);
    assert.deepEqual(Array.from(loaded.predict(train.x)), Array.from(model.predict(train.x)));
  });
});

Deno.test("a categorical column index out of range is refused when the model is built", () => {
  assert.throws(
    () => new GbdtModel({ task: "regression", inputDim: 2, categorical: [2] }),
    /categorical column 2 is out of range or repeated, expected distinct integers in \[0, 2\)/,
  );
  assert.throws(
    () => new GbdtModel({ task: "regression", inputDim: 2, categorical: [1, 1] }),
    RangeError,
  );
});

Deno.test("prediction on raw rows walks every tree as training did on the binned rows (mixed splits, several blocks)", () => {
  const random = new Random(6);
  const rows = 5000;
  const data = new Float32Array(rows * 2);
  const grad = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const code = random.next() < 0.05 ? NaN : random.int(12);
    const v = random.next() < 0.05 ? NaN : random.normal();
    data.set([code, v], i * 2);
    grad[i] = (code % 3 === 0 ? 1 : -1) + (v > 0.3 ? 0.5 : 0) + 0.1 * random.normal();
  }
  const x = { data, rows, cols: 2 };
  const categorical = Uint8Array.of(1, 0);
  const edges = learnBinEdges(x, 255, { categorical });
  const binned = binMatrix(x, edges);
  const trees = [1, -1, 0.5].map((sign) =>
    growTree(binned, {
      grad: Float64Array.from(grad, (g) => sign * g),
      hess: new Float64Array(rows).fill(1),
      rows: Uint32Array.from({ length: rows }, (_, i) => i),
    }, {
      maxLeaves: 8,
      maxDepth: Infinity,
      learningRate: 0.5,
      l2: 1,
      minSamplesLeaf: 20,
      minGain: 0,
      features: Int32Array.of(0, 1),
      valueBins: valueBinCounts(edges),
      thresholds: edges.thresholds,
      categorical,
    })
  );
  assert.ok(trees.every((tree) => tree.categorical.includes(1)), "every tree splits by category");
  assert.ok(trees.some((tree) => tree.feature.includes(1)), "and by threshold");
  const lookups = edges.categories!.map((bins) => bins === null ? null : categoryLookup(bins));
  const scores = new Float64Array(rows);
  addForestRows(flattenTrees(trees, lookups), x, scores);
  for (let i = 0; i < rows; i++) {
    let expected = 0;
    for (const tree of trees) expected += treeValueBinned(tree, binned, i);
    assert.equal(scores[i], expected, `row ${i}`);
  }
});
