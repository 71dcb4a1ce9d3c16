import assert from "node:assert/strict";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import {
  countInlineRows,
  MAX_INLINE_ROWS,
  plotBox,
  plotCorrelation,
  plotCounts,
  plotHistogram,
  plotMissingValues,
  plotPairGrid,
  plotScatter,
  THEME,
  type TopLevelSpec,
} from "../../src/viz/mod.ts";

type Row = Record<string, unknown>;

/** Reads a nested property of a spec, e.g. `at(spec, "encoding", "x", "field")`. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function rowsOf(spec: TopLevelSpec, ...path: (string | number)[]): Row[] {
  return at(spec, ...path, "data", "values") as Row[];
}

function subtitle(spec: TopLevelSpec): string {
  return (at(spec, "title", "subtitle") as string[]).join("\n");
}

const penguins = pl.DataFrame({
  species: ["Adelie", "Adelie", "Gentoo", "Gentoo", "Chinstrap", "Adelie", null],
  mass: [3750, 3800, 5000, null, 3700, 3650, 4000],
  beak: [39.1, 39.5, 47.3, 46.1, 46.5, NaN, 40.2],
  flipper: [181, 186, 215, 211, 192, 190, 188],
});

let bigFrame: DataFrame | undefined;

/** A 1,000,000-row frame, built once: two numeric columns, a class and a unique id. */
function million(): DataFrame {
  if (bigFrame !== undefined) return bigFrame;
  const n = 1_000_000;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const id = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.sin(i) * 100;
    y[i] = i % 1000 === 0 ? NaN : Math.cos(i * 0.7) * 50 + x[i]! * 0.1;
    id[i] = i;
  }
  const labels = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
  const cls = Array.from({ length: n }, (_, i) => labels[(i * 7) % 10]!);
  const frame = pl.DataFrame({ x, y, id, cls });
  bigFrame = frame;
  return frame;
}

// -- histogram ------------------------------------------------------------------------------

Deno.test("plotHistogram() counts [1, 2, 2, 3] into two bins as numpy does", () => {
  const spec = plotHistogram(pl.DataFrame({ v: [1, 2, 2, 3] }), { column: "v", bins: 2 });
  assert.deepEqual(rowsOf(spec), [
    { bin_start: 1, bin_end: 2, count: 1 },
    { bin_start: 2, bin_end: 3, count: 3 },
  ]);
  assert.deepEqual(at(spec, "mark"), { type: "bar", binSpacing: 1 });
  assert.equal(at(spec, "encoding", "x", "field"), "bin_start");
  assert.deepEqual(at(spec, "encoding", "x", "bin"), { binned: true, step: 1 });
  assert.equal(at(spec, "encoding", "x", "title"), "v");
  assert.equal(at(spec, "encoding", "x2", "field"), "bin_end");
  assert.equal(at(spec, "encoding", "y", "field"), "count");
  assert.equal(at(spec, "title", "text"), "Distribution of v");
  assert.match(subtitle(spec), /2 bins of width 1 \(fixed bin count\)/);
});

Deno.test("plotHistogram() rounds the Freedman–Diaconis width to a nice one and states the rule", () => {
  // n = 8, IQR = 5.25 - 1.75 = 3.5, width = 2 · 3.5 / 8^(1/3) = 3.5, range 7 → 2 bins, and the
  // nice width giving 2 bins from a multiple of it is 5.
  const df = pl.DataFrame({ v: [0, 1, 2, 3, 4, 5, 6, 7] });
  const spec = plotHistogram(df, { column: "v", minBins: 1 });
  assert.deepEqual(rowsOf(spec), [
    { bin_start: 0, bin_end: 5, count: 5 },
    { bin_start: 5, bin_end: 10, count: 3 },
  ]);
  assert.deepEqual(at(spec, "encoding", "x", "bin"), { binned: true, step: 5 });
  assert.match(
    subtitle(spec),
    /2 bins of width 5 \(Freedman–Diaconis rule, rounded to a nice width, whole-number values, kept within 1–100 bins\)/,
  );
  const clamped = plotHistogram(df, { column: "v" });
  assert.equal(rowsOf(clamped).length, 7, "the default minBins of 5 rules out width 2");
});

Deno.test("plotHistogram() puts nice bins on round edges free of rounding noise", () => {
  const df = pl.DataFrame({ v: [0.05, 0.3, 0.31, 0.45, 0.62, 0.7, 0.9, 1.17] });
  assert.deepEqual(rowsOf(plotHistogram(df, { column: "v" })), [
    { bin_start: 0, bin_end: 0.25, count: 1 },
    { bin_start: 0.25, bin_end: 0.5, count: 3 },
    { bin_start: 0.5, bin_end: 0.75, count: 2 },
    { bin_start: 0.75, bin_end: 1, count: 1 },
    { bin_start: 1, bin_end: 1.25, count: 1 },
  ]);
  // Masses like the penguins' (2,700–6,300 g) get 250 g bins from 2,500, not 327.3 g from 2,700.
  const mass = pl.DataFrame({ v: Array.from({ length: 300 }, (_, i) => 2700 + i * 12) });
  const edges = rowsOf(plotHistogram(mass, { column: "v" })).map((row) => row.bin_start as number);
  const width = edges[1]! - edges[0]!;
  assert.ok([100, 200, 250, 500].includes(width), `width ${width}`);
  assert.ok(edges.every((edge) => edge % width === 0), `edges ${edges}`);
});

Deno.test("plotHistogram() titles the axis with axisTitle when given", () => {
  const df = pl.DataFrame({ v: [-1.2, 0, 0.4, 1.5] });
  const spec = plotHistogram(df, { column: "v", axisTitle: "v (standard deviations)" });
  assert.equal(at(spec, "encoding", "x", "title"), "v (standard deviations)");
  assert.equal(at(plotHistogram(df, { column: "v" }), "encoding", "x", "title"), "v");
});

Deno.test("plotHistogram() falls back to Sturges' rule when the IQR is 0", () => {
  const df = pl.DataFrame({ v: [5, 5, 5, 5, 5, 5, 5, 9] });
  const spec = plotHistogram(df, { column: "v", minBins: 1 });
  // Sturges asks for 4 bins over whole numbers 5–9: one bin per value, centred on it.
  assert.deepEqual(rowsOf(spec).map((row) => row.count), [7, 0, 0, 0, 1]);
  assert.match(subtitle(spec), /Sturges' rule, as the IQR is 0/);
});

Deno.test("plotHistogram() gives whole numbers whole-number bins, one per value when few", () => {
  // Hours 0–23 over many rows: Freedman–Diaconis asks for bins narrower than 1.
  // Most rows at 11–13 (a small IQR), a few at every hour.
  const hours = pl.DataFrame({
    v: Array.from({ length: 5000 }, (_, i) => (i < 240 ? i % 24 : 11 + (i % 3))),
  });
  const rows = rowsOf(plotHistogram(hours, { column: "v" }));
  assert.equal(rows.length, 24);
  assert.deepEqual(rows[0], { bin_start: -0.5, bin_end: 0.5, count: rows[0]!.count });
  assert.deepEqual(rows.at(-1), { bin_start: 22.5, bin_end: 23.5, count: rows.at(-1)!.count });
  assert.equal(rows.reduce((sum, row) => sum + (row.count as number), 0), 5000);
  const ticks = at(plotHistogram(hours, { column: "v" }), "encoding", "x", "axis", "values");
  assert.deepEqual(ticks, Array.from({ length: 24 }, (_, h) => h), "ticks on the values");
  // The same values plus a half keep fractional widths.
  const fractions = hours.select(pl.col("v").add(0.5));
  const width = rowsOf(plotHistogram(fractions, { column: "v" }))
    .map((row) => (row.bin_end as number) - (row.bin_start as number))[0]!;
  assert.ok(width < 1, `width ${width}`);
});

Deno.test("plotHistogram() puts equal values in one bin and leaves out null, NaN and infinity", () => {
  const df = pl.DataFrame({ v: [3, null, NaN, Infinity, 3, 3] });
  const spec = plotHistogram(df, { column: "v" });
  assert.deepEqual(rowsOf(spec), [{ bin_start: 2.5, bin_end: 3.5, count: 3 }]);
  assert.match(subtitle(spec), /n = 3\n3 rows with a missing or non-finite value left out/);
});

Deno.test("plotHistogram() stacks one count per bin and colour group, empty bins included", () => {
  const spec = plotHistogram(penguins, { column: "mass", bins: 2, color: "species" });
  // mass 3650–5000, width 675: [3650, 4325) and [4325, 5000].
  assert.deepEqual(rowsOf(spec), [
    { bin_start: 3650, bin_end: 4325, count: 3, group: "Adelie" },
    { bin_start: 4325, bin_end: 5000, count: 0, group: "Adelie" },
    { bin_start: 3650, bin_end: 4325, count: 1, group: "(missing)" },
    { bin_start: 4325, bin_end: 5000, count: 0, group: "(missing)" },
    { bin_start: 3650, bin_end: 4325, count: 1, group: "Chinstrap" },
    { bin_start: 4325, bin_end: 5000, count: 0, group: "Chinstrap" },
    { bin_start: 3650, bin_end: 4325, count: 0, group: "Gentoo" },
    { bin_start: 4325, bin_end: 5000, count: 1, group: "Gentoo" },
  ]);
  assert.deepEqual(at(spec, "encoding", "color", "scale", "domain"), [
    "Adelie",
    "(missing)",
    "Chinstrap",
    "Gentoo",
  ]);
});

Deno.test("plotHistogram() names a missing column with the closest match", () => {
  assert.throws(() => plotHistogram(penguins, { column: "mas" }), {
    name: "SchemaMismatchError",
    message: /Cannot plot histogram of "mas": missing column "mas" \(did you mean "mass"\)/,
  });
});

Deno.test("plotHistogram() throws TypeError for a non-numeric column", () => {
  assert.throws(() => plotHistogram(penguins, { column: "species" }), {
    name: "TypeError",
    message: /column "species" \(String\) must be numeric/,
  });
});

Deno.test("plotHistogram() throws RangeError for a bin count outside 1 to maxBins", () => {
  assert.throws(() => plotHistogram(penguins, { column: "mass", bins: 0 }), {
    name: "RangeError",
    message: /option "bins" must be an integer from 1 to 100, got 0/,
  });
  assert.throws(() => plotHistogram(penguins, { column: "mass", maxBins: 501 }), RangeError);
});

// -- counts ---------------------------------------------------------------------------------

Deno.test("plotCounts() keeps the top values and sums the rest as (other)", () => {
  const df = pl.DataFrame({ island: ["a", "b", "a", "c", "a", "b", null] });
  const spec = plotCounts(df, { column: "island", topN: 2 });
  assert.deepEqual(rowsOf(spec), [
    { value: "a", count: 3, share: 3 / 7 },
    { value: "b", count: 2, share: 2 / 7 },
    { value: "(other)", count: 2, share: 2 / 7 },
  ]);
  assert.equal(at(spec, "mark", "type"), "bar");
  assert.equal(at(spec, "encoding", "y", "field"), "value");
  assert.deepEqual(at(spec, "encoding", "y", "sort"), ["a", "b", "(other)"]);
  assert.equal(at(spec, "encoding", "x", "field"), "count");
  assert.match(subtitle(spec), /4 distinct values in 7 rows\ntop 2 shown; 2 other values/);
});

Deno.test("plotCounts() counts nulls as (missing) and numbers as text", () => {
  const spec = plotCounts(pl.DataFrame({ n: [1, 2, 2, null] }), { column: "n" });
  assert.deepEqual(rowsOf(spec).map((row) => [row.value, row.count]), [
    ["2.0", 2],
    ["(missing)", 1],
    ["1.0", 1],
  ]);
});

// -- box plot -------------------------------------------------------------------------------

Deno.test("plotBox() summarises each group with quartiles, Tukey whiskers and outliers", () => {
  const df = pl.DataFrame({
    g: ["A", "A", "A", "A", "A", "B", "B", "B"],
    v: [1, 2, 3, 4, 100, 5, 6, 7],
  });
  const spec = plotBox(df, { column: "v", group: "g" });
  assert.deepEqual(rowsOf(spec), [
    {
      group: "A",
      count: 5,
      min: 1,
      q1: 2,
      median: 3,
      q3: 4,
      max: 100,
      lower: 1,
      upper: 4,
      outliers: 1,
    },
    {
      group: "B",
      count: 3,
      min: 5,
      q1: 5.5,
      median: 6,
      q3: 6.5,
      max: 7,
      lower: 5,
      upper: 7,
      outliers: 0,
    },
  ]);
  assert.deepEqual(rowsOf(spec, "layer", 3), [{ group: "A", value: 100 }]);
  const layers = at(spec, "layer") as Row[];
  assert.deepEqual(layers.map((layer) => at(layer, "mark", "type")), [
    "rule",
    "bar",
    "tick",
    "point",
  ]);
  assert.equal(at(spec, "encoding", "x", "field"), "group");
  assert.equal(at(layers[1], "encoding", "y", "field"), "q1");
  assert.equal(at(layers[1], "encoding", "y2", "field"), "q3");
});

Deno.test("plotBox() draws at most maxOutliers per box, the farthest first", () => {
  const values = [...Array.from({ length: 20 }, () => 10), -50, 100, 300, 200];
  const spec = plotBox(pl.DataFrame({ v: values }), { column: "v", maxOutliers: 2 });
  assert.deepEqual(rowsOf(spec, "layer", 3), [
    { group: "all rows", value: 300 },
    { group: "all rows", value: 200 },
  ]);
  assert.equal(rowsOf(spec)[0]!.outliers, 4);
  assert.match(subtitle(spec), /2 of 4 outliers drawn \(at most 2 per box, the farthest first\)/);
});

// -- scatter --------------------------------------------------------------------------------

Deno.test("plotScatter() keeps complete rows and colours them by class", () => {
  const spec = plotScatter(penguins, { x: "beak", y: "mass", color: "species" });
  assert.deepEqual(rowsOf(spec), [
    { x: 39.1, y: 3750, group: "Adelie" },
    { x: 39.5, y: 3800, group: "Adelie" },
    { x: 47.3, y: 5000, group: "Gentoo" },
    { x: 46.5, y: 3700, group: "Chinstrap" },
    { x: 40.2, y: 4000, group: "(missing)" },
  ]);
  assert.equal(at(spec, "mark", "type"), "point");
  assert.equal(at(spec, "encoding", "x", "title"), "beak");
  assert.equal(at(spec, "encoding", "y", "title"), "mass");
  assert.equal(at(spec, "encoding", "color", "field"), "group");
  assert.match(subtitle(spec), /all 5 rows\n2 rows with a missing or non-finite "beak" or "mass"/);
});

Deno.test("plotScatter() draws the same seeded sample for the same seed", () => {
  const n = 10_000;
  const df = pl.DataFrame({ a: Array.from({ length: n }, (_, i) => i), b: new Float64Array(n) });
  const first = plotScatter(df, { x: "a", y: "b", sampleSize: 100, seed: 1 });
  const again = plotScatter(df, { x: "a", y: "b", sampleSize: 100, seed: 1 });
  const other = plotScatter(df, { x: "a", y: "b", sampleSize: 100, seed: 2 });
  assert.deepEqual(first, again);
  assert.notDeepEqual(rowsOf(first), rowsOf(other));
  const xs = rowsOf(first).map((row) => row.x as number);
  assert.equal(new Set(xs).size, 100, "rows are drawn without replacement");
  assert.deepEqual(xs, [...xs].sort((p, q) => p - q), "rows keep frame order");
  assert.match(subtitle(first), /seeded sample of 100 of 10,000 rows \(seed 1\)/);
});

Deno.test("plotScatter() rejects a non-numeric axis and a bad sample size", () => {
  assert.throws(() => plotScatter(penguins, { x: "species", y: "mass" }), TypeError);
  assert.throws(
    () => plotScatter(penguins, { x: "beak", y: "mass", sampleSize: 6000 }),
    { name: "RangeError", message: /option "sampleSize" must be an integer from 1 to 5000/ },
  );
});

// -- correlation ----------------------------------------------------------------------------

Deno.test("plotCorrelation() gives Pearson r of every column pair over complete rows", () => {
  const df = pl.DataFrame({
    a: [1, 2, 3, 4, null],
    b: [2, 4, 6, 8, 1],
    c: [4, 3, 2, 1, 0],
    k: [1, 1, 1, 1, 1],
  });
  const spec = plotCorrelation(df);
  const r = Object.fromEntries(rowsOf(spec).map((row) => [`${row.y}|${row.x}`, row.r]));
  assert.equal(rowsOf(spec).length, 16);
  assert.ok(Math.abs((r["a|b"] as number) - 1) < 1e-12);
  assert.ok(Math.abs((r["c|a"] as number) + 1) < 1e-12);
  assert.equal(r["a|a"], 1);
  assert.equal(r["k|a"], null, "r with a constant column is undefined");
  const layers = at(spec, "layer") as Row[];
  assert.equal(at(layers[0], "mark", "type"), "rect");
  assert.deepEqual(at(layers[0], "encoding", "color", "scale", "domain"), [-1, 1]);
  assert.equal(at(layers[1], "encoding", "text", "field"), "r");
  assert.match(subtitle(spec), /4 complete rows of 5/);
});

Deno.test("plotCorrelation() needs two numeric columns", () => {
  assert.throws(() => plotCorrelation(penguins, { columns: ["mass"] }), {
    name: "RangeError",
    message: /expected 2 to 70 numeric columns, got 1/,
  });
  assert.throws(() => plotCorrelation(penguins, { columns: ["mass", "species"] }), TypeError);
});

// -- pair grid ------------------------------------------------------------------------------

Deno.test("plotPairGrid() lays out one scatter per column pair from complete rows", () => {
  const spec = plotPairGrid(penguins, { columns: ["mass", "flipper"], color: "species" });
  assert.deepEqual(rowsOf(spec), [
    { mass: 3750, flipper: 181, group: "Adelie" },
    { mass: 3800, flipper: 186, group: "Adelie" },
    { mass: 5000, flipper: 215, group: "Gentoo" },
    { mass: 3700, flipper: 192, group: "Chinstrap" },
    { mass: 3650, flipper: 190, group: "Adelie" },
    { mass: 4000, flipper: 188, group: "(missing)" },
  ]);
  const panels = at(spec, "concat") as Row[];
  assert.equal(panels.length, 4);
  const panel = panels[2];
  assert.equal(at(panel, "mark", "type"), "point");
  assert.equal(at(panel, "encoding", "x", "field"), "mass");
  assert.equal(at(panel, "encoding", "y", "field"), "flipper");
  assert.equal(at(panel, "encoding", "color", "field"), "group");
});

Deno.test("plotPairGrid() aligns its panels in a grid and shows each column's histogram on the diagonal", () => {
  const spec = plotPairGrid(penguins, { columns: ["mass", "beak", "flipper"], color: "species" });
  // A wrapped concat is laid out as a grid; rows of an hconcat in a vconcat are not aligned.
  assert.equal(at(spec, "columns"), 3);
  assert.equal(at(spec, "vconcat"), undefined);
  const panels = at(spec, "concat") as Row[];
  assert.equal(panels.length, 9);
  for (const [i, name] of ["mass", "beak", "flipper"].entries()) {
    const diagonal = panels[i * 3 + i];
    assert.equal(at(diagonal, "mark", "type"), "bar");
    assert.equal(at(diagonal, "encoding", "x", "field"), name);
    assert.deepEqual(at(diagonal, "encoding", "x", "bin"), { maxbins: 20 });
    assert.equal(at(diagonal, "encoding", "y", "aggregate"), "count");
    assert.equal(at(diagonal, "encoding", "color", "field"), "group");
  }
  assert.equal(at(panels[1], "mark", "type"), "point");
  assert.match(subtitle(spec), /diagonal: histogram of each column/);
});

Deno.test("plotPairGrid() escapes dots and brackets in field names but not in titles", () => {
  const df = pl.DataFrame({ "a.b": [1, 2], "c[0]": [3, 4] });
  const panel = at(plotPairGrid(df), "concat", 2);
  assert.equal(at(panel, "encoding", "x", "field"), "a\\.b");
  assert.equal(at(panel, "encoding", "x", "title"), "a.b");
  assert.equal(at(panel, "encoding", "y", "field"), "c\\[0\\]");
});

Deno.test("plotPairGrid() refuses more columns than maxFeatures", () => {
  assert.throws(
    () => plotPairGrid(penguins, { columns: ["mass", "beak", "flipper"], maxFeatures: 2 }),
    { name: "RangeError", message: /expected 2 to 2 numeric columns, got 3/ },
  );
});

// -- missing values -------------------------------------------------------------------------

Deno.test("plotMissingValues() gives the null (and NaN) share of each column per row block", () => {
  const df = pl.DataFrame({
    a: [null, null, null, null, null, 1, 2, 3, 4, 5],
    b: [1, 2, 3, 4, 5, 6, 7, 8, 9, NaN],
    s: ["x", "y", null, "z", "w", "v", "u", "t", "r", "q"],
  });
  const spec = plotMissingValues(df, { blocks: 2 });
  assert.deepEqual(rowsOf(spec), [
    { column: "a", block: 0, row_start: 0, row_end: 4, missing_share: 1 },
    { column: "a", block: 1, row_start: 5, row_end: 9, missing_share: 0 },
    { column: "b", block: 0, row_start: 0, row_end: 4, missing_share: 0 },
    { column: "b", block: 1, row_start: 5, row_end: 9, missing_share: 0.2 },
    { column: "s", block: 0, row_start: 0, row_end: 4, missing_share: 0.2 },
    { column: "s", block: 1, row_start: 5, row_end: 9, missing_share: 0 },
  ]);
  assert.equal(at(spec, "mark", "type"), "rect");
  assert.equal(at(spec, "encoding", "color", "field"), "missing_share");
  assert.match(subtitle(spec), /2 blocks of ~5 rows\n7 of 30 values missing in 10 rows/);
});

Deno.test("plotMissingValues() uses fewer blocks when columns × blocks would pass the cap", () => {
  const wide = pl.DataFrame(
    Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`c${i}`, new Float64Array(1000).fill(i, 0, 1)]),
    ),
  ).withColumns(pl.col("c0").cast(pl.Float64).replace(0, NaN));
  const spec = plotMissingValues(wide);
  assert.equal(rowsOf(spec).length, MAX_INLINE_ROWS);
  assert.match(subtitle(spec), /in 50 blocks of ~20 rows/);
});

Deno.test("plotMissingValues() says there are no missing values instead of drawing an empty matrix", () => {
  const df = pl.DataFrame({ a: [1, 2, 3], s: ["x", "y", "z"] });
  const spec = plotMissingValues(df, { title: "After cleaning" });
  assert.deepEqual(rowsOf(spec), [{ text: "no missing values" }]);
  assert.equal(at(spec, "mark", "type"), "text");
  assert.equal(at(spec, "title", "text"), "After cleaning");
  assert.match(
    subtitle(spec),
    /no missing values: all 6 values of 2 columns in 3 rows are present/,
  );
});

// -- every data chart -----------------------------------------------------------------------

Deno.test("every data chart keeps its inline data under the cap for a 1,000,000-row frame", () => {
  const df = million();
  const specs = {
    histogram: plotHistogram(df, { column: "x", color: "cls" }),
    counts: plotCounts(df, { column: "id" }),
    box: plotBox(df, { column: "x", group: "cls" }),
    scatter: plotScatter(df, { x: "x", y: "y", color: "cls" }),
    correlation: plotCorrelation(df, { columns: ["x", "y", "id"] }),
    pairGrid: plotPairGrid(df, { columns: ["x", "y", "id"], color: "cls" }),
    missing: plotMissingValues(df),
  };
  for (const [name, spec] of Object.entries(specs)) {
    const rows = countInlineRows(spec);
    assert.ok(rows > 0 && rows <= MAX_INLINE_ROWS, `${name} carries ${rows} rows`);
    assert.deepEqual(at(spec, "config"), THEME, `${name} uses the theme`);
  }
  assert.equal(countInlineRows(specs.scatter), 2000);
  assert.match(subtitle(specs.scatter), /seeded sample of 2,000 of 999,000 rows \(seed 0\)/);
  assert.match(subtitle(specs.scatter), /1,000 rows with a missing or non-finite "x" or "y"/);
  assert.match(subtitle(specs.scatter), /"cls": top 7 of 10 values coloured/);
  assert.equal(countInlineRows(specs.counts), 21, "20 values and (other)");
  assert.equal(rowsOf(specs.counts).at(-1)?.count, 1_000_000 - 20);
  assert.equal(countInlineRows(specs.missing), 400, "100 blocks of 4 columns");
});
