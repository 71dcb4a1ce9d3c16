import assert from "node:assert/strict";
import {
  addForestRows,
  binMatrix,
  flattenTrees,
  growTree,
  learnBinEdges,
  treeValueBinned,
} from "../../../src/models/trees/mod.ts";
import { Random } from "../../../src/utils/mod.ts";
import { assertClose } from "../../_helpers/assert_frame.ts";

/** 120 rows × 3 features on a grid of 12 values, a tenth of them missing, and a noisy target. */
function problem(seed: number) {
  const random = new Random(seed);
  const rows = 120;
  const cols = 3;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = random.next() < 0.1 ? NaN : random.int(12) / 4;
  const y = Float64Array.from({ length: rows }, (_, i) => {
    const a = data[i * cols + 1]!;
    return (a !== a ? 1.5 : a > 1.2 ? 2 : -1) + random.normal();
  });
  return { x: { data, rows, cols }, y };
}

/** The best stump by brute force: every threshold and missing side of every feature. */
function bruteForceStump(
  x: { data: Float32Array; rows: number; cols: number },
  y: Float64Array,
  l2: number,
  minLeaf: number,
) {
  const score = (g: number, h: number) => (g * g) / (h + l2);
  let gTotal = 0;
  for (const v of y) gTotal -= v;
  let best = { gain: 0, feature: -1, threshold: NaN, missingLeft: false, left: NaN, right: NaN };
  for (let f = 0; f < x.cols; f++) {
    const values = [
      ...new Set(
        Array.from({ length: x.rows }, (_, i) => x.data[i * x.cols + f]!).filter((v) => v === v),
      ),
    ]
      .sort((a, b) => a - b);
    const candidates = [...values.slice(0, -1).map((v, j) => (v + values[j + 1]!) / 2), Infinity];
    for (const threshold of candidates) {
      for (const missingLeft of [false, true]) {
        let gl = 0;
        let nl = 0;
        for (let i = 0; i < x.rows; i++) {
          const v = x.data[i * x.cols + f]!;
          if (v !== v ? missingLeft : v <= threshold) {
            gl -= y[i]!;
            nl++;
          }
        }
        const nr = x.rows - nl;
        if (nl < minLeaf || nr < minLeaf) continue;
        const gain = 0.5 * (score(gl, nl) + score(gTotal - gl, nr) - score(gTotal, x.rows));
        if (gain > best.gain + 1e-9) {
          best = {
            gain,
            feature: f,
            threshold,
            missingLeft,
            left: -gl / (nl + l2),
            right: -(gTotal - gl) / (nr + l2),
          };
        }
      }
    }
  }
  return best;
}

for (const seed of [1, 2, 3, 4, 5]) {
  Deno.test(`a depth-1 tree equals the best stump found by brute force (seed ${seed})`, () => {
    const { x, y } = problem(seed);
    const edges = learnBinEdges(x, 255);
    const binned = binMatrix(x, edges);
    const grad = Float64Array.from(y, (v) => -v);
    const hess = new Float64Array(x.rows).fill(1);
    const tree = growTree(binned, {
      grad,
      hess,
      rows: Uint32Array.from({ length: x.rows }, (_, i) => i),
    }, {
      maxLeaves: 31,
      maxDepth: 1,
      learningRate: 1,
      l2: 1,
      minSamplesLeaf: 5,
      minGain: 0,
      features: Int32Array.of(0, 1, 2),
      valueBins: Int32Array.from(edges.thresholds, (t) => t.length + 1),
      thresholds: edges.thresholds,
    });
    const best = bruteForceStump(x, y, 1, 5);
    assert.equal(tree.feature.length, 3);
    assert.equal(tree.feature[0], best.feature);
    assertClose(tree.gain[0]!, best.gain, 1e-5 * best.gain);
    assert.equal(tree.threshold[0], Math.fround(best.threshold));
    assert.equal(tree.missingLeft[0], best.missingLeft ? 1 : 0);
    assertClose(tree.value[tree.left[0]!]!, best.left, 1e-6);
    assertClose(tree.value[tree.right[0]!]!, best.right, 1e-6);
  });
}

Deno.test("growTree() stops at max_leaves and routes raw and binned rows alike", () => {
  const { x, y } = problem(9);
  const edges = learnBinEdges(x, 255);
  const binned = binMatrix(x, edges);
  const grad = Float64Array.from(y, (v) => -v);
  const hess = new Float64Array(x.rows).fill(1);
  for (const maxLeaves of [1, 2, 5, 8]) {
    const tree = growTree(binned, {
      grad,
      hess,
      rows: Uint32Array.from({ length: x.rows }, (_, i) => i),
    }, {
      maxLeaves,
      maxDepth: Infinity,
      learningRate: 0.1,
      l2: 1,
      minSamplesLeaf: 3,
      minGain: 0,
      features: Int32Array.of(0, 1, 2),
      valueBins: Int32Array.from(edges.thresholds, (t) => t.length + 1),
      thresholds: edges.thresholds,
    });
    const leaves = Array.from(tree.feature).filter((f) => f < 0).length;
    // Up to 5 leaves every split gains; beyond, growth may stop when no split gains.
    if (maxLeaves <= 5) assert.equal(leaves, maxLeaves);
    else assert.ok(leaves <= maxLeaves);
    let leafRows = 0;
    for (let n = 0; n < tree.feature.length; n++) {
      if (tree.feature[n]! < 0) leafRows += tree.count[n]!;
    }
    assert.equal(leafRows, x.rows);
    const scores = new Float64Array(x.rows);
    addForestRows(flattenTrees([tree]), x, scores);
    for (let i = 0; i < x.rows; i++) assert.equal(scores[i], treeValueBinned(tree, binned, i));
    if (maxLeaves === 1) {
      assertClose(
        tree.value[0]!,
        0.1 * (y.reduce((a, b) => a + b, 0) / (x.rows + 1)),
        1e-6,
      );
    }
  }
});

Deno.test("addForestRows() adds what each tree gives its binned row, tree by tree into score t mod k", () => {
  const { x, y } = problem(4);
  const edges = learnBinEdges(x, 255);
  const binned = binMatrix(x, edges);
  const hess = new Float64Array(x.rows).fill(1);
  const trees = [1, -1, 0.5].map((sign) =>
    growTree(binned, {
      grad: Float64Array.from(y, (v) => sign * v),
      hess,
      rows: Uint32Array.from({ length: x.rows }, (_, i) => i),
    }, {
      maxLeaves: 6,
      maxDepth: 3,
      learningRate: 0.3,
      l2: 1,
      minSamplesLeaf: 4,
      minGain: 0,
      features: Int32Array.of(0, 1, 2),
      valueBins: Int32Array.from(edges.thresholds, (t) => t.length + 1),
      thresholds: edges.thresholds,
    })
  );
  const scores = new Float64Array(x.rows * 2);
  for (let i = 0; i < x.rows; i++) scores.set([1, 2], i * 2);
  addForestRows(flattenTrees(trees), x, scores);
  for (let i = 0; i < x.rows; i++) {
    const v = trees.map((tree) => treeValueBinned(tree, binned, i));
    assert.deepEqual(Array.from(scores.subarray(i * 2, i * 2 + 2)), [1 + v[0]! + v[2]!, 2 + v[1]!]);
  }
});

Deno.test("growTree() takes each leaf's value from the leafValue hook, shrunk, on the same shape", () => {
  const { x, y } = problem(13);
  const edges = learnBinEdges(x, 255);
  const binned = binMatrix(x, edges);
  const grad = Float64Array.from(y, (v) => -v);
  const hess = new Float64Array(x.rows).fill(1);
  const options = {
    maxLeaves: 4,
    maxDepth: Infinity,
    learningRate: 0.5,
    l2: 1,
    minSamplesLeaf: 5,
    minGain: 0,
    features: Int32Array.of(0, 1, 2),
    valueBins: Int32Array.from(edges.thresholds, (t) => t.length + 1),
    thresholds: edges.thresholds,
  };
  const allRows = () => Uint32Array.from({ length: x.rows }, (_, i) => i);
  const newton = growTree(binned, { grad, hess, rows: allRows() }, options);
  const seen: { rows: number[]; grad: number; hess: number; count: number }[] = [];
  const hooked = growTree(binned, { grad, hess, rows: allRows() }, {
    ...options,
    leafValue: (rows, stats) => {
      seen.push({ rows: Array.from(rows), ...stats });
      return Math.max(...Array.from(rows, (r) => y[r]!)); // the largest target of the leaf
    },
  });
  // The shape is the gradients' own: only the leaf values differ.
  for (const key of ["feature", "bin", "threshold", "missingLeft", "left", "right"] as const) {
    assert.deepEqual(hooked[key], newton[key], key);
  }
  const leaves = [...hooked.feature.keys()].filter((n) => hooked.feature[n]! < 0);
  assert.equal(leaves.length, 4);
  assert.equal(seen.length, 4);
  // Every row reaches exactly one leaf, whose value is half its largest target.
  assert.deepEqual(seen.flatMap((s) => s.rows).sort((a, b) => a - b), Array.from(allRows()));
  for (const leaf of seen) {
    assert.equal(leaf.count, leaf.rows.length);
    // Histograms sum the gradients as Float32 values, in Float64.
    const sum = leaf.rows.reduce((a, r) => a + Math.fround(grad[r]!), 0);
    assertClose(leaf.grad, sum, 1e-9 * Math.max(1, Math.abs(sum)));
    assertClose(leaf.hess, leaf.rows.length, 1e-9);
    const value = Math.fround(0.5 * Math.max(...leaf.rows.map((r) => y[r]!)));
    const row = leaf.rows[0]!;
    assert.equal(treeValueBinned(hooked, binned, row), value);
    const raw = new Float64Array(1);
    addForestRows(flattenTrees([hooked]), {
      data: x.data.subarray(row * x.cols, (row + 1) * x.cols),
      rows: 1,
      cols: x.cols,
    }, raw);
    assert.equal(raw[0], value);
  }
});
