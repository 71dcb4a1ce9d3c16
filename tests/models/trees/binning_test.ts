import assert from "node:assert/strict";
import {
  binColumns,
  binMatrix,
  binOf,
  binStride,
  learnBinEdges,
  MISSING_BIN,
} from "../../../src/models/trees/mod.ts";
import { Random } from "../../../src/utils/mod.ts";

function column(values: number[]) {
  return { data: Float32Array.from(values), rows: values.length, cols: 1 };
}

Deno.test("learnBinEdges() cuts midway between distinct values and bins NaN apart", () => {
  const x = column([3, 1, NaN, 2, 2, 1]);
  const edges = learnBinEdges(x, 255);
  assert.deepEqual(Array.from(edges.thresholds[0]!), [1.5, 2.5]);
  assert.deepEqual(Array.from(binMatrix(x, edges).bins), [2, 0, MISSING_BIN, 1, 1, 0]);
  assert.equal(binOf(-Infinity, edges.thresholds[0]!), 0);
  assert.equal(binOf(Infinity, edges.thresholds[0]!), 2);
});

Deno.test("learnBinEdges() gives a constant or all-NaN feature no edges", () => {
  const x = { data: Float32Array.from([4, NaN, 4, NaN, 4, NaN]), rows: 3, cols: 2 };
  const edges = learnBinEdges(x, 255);
  assert.deepEqual(edges.thresholds.map((t) => t.length), [0, 0]);
  // Row-major: each row holds feature 0's bin, then feature 1's.
  assert.deepEqual(Array.from(binMatrix(x, edges).bins), [
    0,
    MISSING_BIN,
    0,
    MISSING_BIN,
    0,
    MISSING_BIN,
  ]);
});

Deno.test("learnBinEdges() makes at most max_bins quantile bins of about equal counts", () => {
  const random = new Random(3);
  const values = Array.from({ length: 10000 }, () => random.normal());
  const x = column(values);
  for (const maxBins of [255, 16]) {
    const edges = learnBinEdges(x, maxBins);
    const t = edges.thresholds[0]!;
    assert.equal(t.length, maxBins - 1);
    for (let i = 1; i < t.length; i++) assert.ok(t[i]! > t[i - 1]!);
    const counts = new Array<number>(maxBins).fill(0);
    for (const b of binMatrix(x, edges).bins) counts[b]! += 1;
    const expected = 10000 / maxBins;
    for (const count of counts) {
      assert.ok(Math.abs(count - expected) <= 2, `${count} vs ${expected}`);
    }
  }
});

Deno.test("learnBinEdges() keeps repeated values in one bin and bins every value below its edge", () => {
  const values = [...new Array(900).fill(0), ...Array.from({ length: 100 }, (_, i) => i + 1)];
  const x = column(values);
  const edges = learnBinEdges(x, 10);
  const t = edges.thresholds[0]!;
  assert.equal(t[0], 0.5);
  const bins = binMatrix(x, edges).bins;
  for (let i = 0; i < values.length; i++) {
    const b = bins[i]!;
    if (b < t.length) assert.ok(values[i]! <= t[b]!);
    if (b > 0) assert.ok(values[i]! > t[b - 1]!);
  }
});

Deno.test("learnBinEdges() refuses max_bins outside [2, 255]", () => {
  assert.throws(() => learnBinEdges(column([1, 2]), 256), {
    name: "RangeError",
    message: /max_bins is 256/,
  });
  assert.throws(() => learnBinEdges(column([1, 2]), 1), { name: "RangeError" });
});

Deno.test("learnBinEdges() learns from the given rows only", () => {
  const x = column([1, 2, 100, 3, 200]);
  const edges = learnBinEdges(x, 255, { rows: Uint32Array.of(0, 1, 3) });
  assert.deepEqual(Array.from(edges.thresholds[0]!), [1.5, 2.5]);
  assert.deepEqual(Array.from(binMatrix(x, edges).bins), [0, 1, 2, 2, 2]);
});

Deno.test("binMatrix() lays rows out padded to a power-of-two stride, and binColumns() transposes them", () => {
  assert.deepEqual([1, 2, 3, 5, 8, 9, 64, 65].map(binStride), [1, 2, 4, 8, 8, 16, 64, 128]);
  const x = {
    data: Float32Array.from([1, 10, 100, 2, 20, NaN, 3, 30, 300]),
    rows: 3,
    cols: 3,
  };
  const binned = binMatrix(x, learnBinEdges(x, 255));
  assert.equal(binned.stride, 4);
  assert.ok(binned.bins.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Array.from(binned.bins), [0, 0, 0, 0, 1, 1, MISSING_BIN, 0, 2, 2, 1, 0]);
  const columns = binColumns(binned);
  assert.deepEqual(columns.map((c) => Array.from(c)), [[0, 1, 2], [0, 1, 2], [0, MISSING_BIN, 1]]);
  assert.equal(binColumns(binned), columns);
});

Deno.test("binMatrix() bins as binOf does, edges and values beyond them included", () => {
  const random = new Random(9);
  // A skewed feature (many edges packed near 0), a uniform one, and one with few values.
  const rows = 20_000;
  const data = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    data[i * 3] = random.next() < 0.02 ? NaN : Math.exp(6 * random.normal());
    data[i * 3 + 1] = random.next() * 100 - 50;
    data[i * 3 + 2] = Math.floor(random.next() * 20);
  }
  const x = { data, rows, cols: 3 };
  const edges = learnBinEdges(x, 255);
  // Values at, just around and far beyond every edge, binned like the training rows.
  const probes: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30];
  for (const t of edges.thresholds) {
    for (const e of t) {
      probes.push(e, Math.fround(e * (1 + 1e-7)), Math.fround(e * (1 - 1e-7)), e + 1e-3, e - 1e-3);
    }
  }
  const probe = {
    data: Float32Array.from(probes.flatMap((v) => [v, v, v])),
    rows: probes.length,
    cols: 3,
  };
  for (const m of [x, probe]) {
    const binned = binMatrix(m, edges);
    for (let i = 0; i < m.rows; i++) {
      for (let f = 0; f < 3; f++) {
        const expected = binOf(m.data[i * 3 + f]!, edges.thresholds[f]!);
        assert.equal(binned.bins[i * binned.stride + f], expected, `row ${i}, feature ${f}`);
      }
    }
  }
});
