import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { rocCurve } from "../../src/utils/mod.ts";
import {
  countInlineRows,
  PALETTE,
  plotBox,
  plotConfusionMatrix,
  plotCorrelation,
  plotCounts,
  plotFeatureScores,
  plotHistogram,
  plotLearningCurves,
  plotMissingValues,
  plotPairGrid,
  plotPredictedVsActual,
  plotResiduals,
  plotRocCurves,
  plotRunComparison,
  plotScatter,
  THEME,
  type TopLevelSpec,
  toSVG,
  toVegaSpec,
} from "../../src/viz/mod.ts";
import { withCapturedLogs } from "../_helpers/logs.ts";

const islands = pl.DataFrame({
  island: ["Biscoe", "Dream", "Biscoe", "Torgersen", "Dream", "Biscoe"],
});

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

Deno.test("toSVG() renders one bar per value with its text labels", async () => {
  const svg = await toSVG(plotCounts(islands, { column: "island", width: 200, height: 90 }));
  assert.ok(svg.startsWith("<svg"), svg.slice(0, 40));
  const width = Number(svg.match(/<svg[^>]* width="([\d.]+)"/)?.[1]);
  const height = Number(svg.match(/<svg[^>]* height="([\d.]+)"/)?.[1]);
  assert.ok(width > 200 && height > 90, `size ${width} × ${height}`);
  assert.equal(count(svg, /aria-roledescription="bar"/g), 3);
  for (const label of ["Biscoe", "Dream", "Torgersen", "Counts of island", "rows"]) {
    assert.ok(svg.includes(`>${label}</text>`), `text "${label}" is drawn`);
  }
});

Deno.test("toSVG() output references nothing outside itself", async () => {
  const svg = await toSVG(plotCorrelation(pl.DataFrame({ a: [1, 2, 3], b: [3, 1, 2] })));
  assert.equal(count(svg, /href=/g), 0);
  assert.equal(count(svg, /@import|<script|<image/g), 0);
  const urls = svg.match(/https?:\/\/[^"\s)]+/g) ?? [];
  for (const url of urls) assert.match(url, /^http:\/\/www\.w3\.org\//, `only namespaces: ${url}`);
});

Deno.test("toSVG() refuses a spec that loads data from a URL", async () => {
  const spec: TopLevelSpec = {
    title: "remote",
    data: { url: "https://example.com/penguins.csv" },
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative" } },
  };
  const logs = await withCapturedLogs(async () => {
    await assert.rejects(() => toSVG(spec), {
      name: "TypeError",
      message: /Cannot render chart "remote": it loads "https:\/\/example.com\/penguins.csv"/,
    });
  });
  assert.ok(
    logs.some((log) => log.message.includes("Loading failed https://example.com/penguins.csv")),
    "vega's own load failure is logged",
  );
});

Deno.test("toVegaSpec() compiles to a vega spec and wraps compile errors", () => {
  const vega = toVegaSpec(plotCounts(islands, { column: "island" })) as Record<string, unknown>;
  assert.match(String(vega.$schema), /schema\/vega\/v6/);
  assert.ok(Array.isArray(vega.marks) && vega.marks.length > 0);
  assert.throws(
    () =>
      toVegaSpec({ title: "bad", data: { values: [] }, mark: "nope" } as unknown as TopLevelSpec),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot compile chart "bad": /);
      assert.ok(error.cause instanceof Error, "the vega-lite error is kept as the cause");
      return true;
    },
  );
  assert.throws(() => toVegaSpec(null as unknown as TopLevelSpec), {
    name: "TypeError",
    message: /Cannot compile chart \(untitled\): expected a vega-lite spec object, got null/,
  });
});

Deno.test("toVegaSpec() sends vega-lite warnings to the viz logger", async () => {
  const spec: TopLevelSpec = {
    data: { values: [{ a: 1 }] },
    mark: "bar",
    encoding: { shape: { field: "a", type: "nominal" } },
  };
  const logs = await withCapturedLogs(() => toVegaSpec(spec));
  const warnings = logs.filter((log) => log.level === "warning");
  assert.equal(warnings.length, 1, JSON.stringify(logs));
  assert.equal(warnings[0]!.category, "deno-mlops.viz");
  assert.match(warnings[0]!.message, /vega: .*shape dropped/);
});

Deno.test("countInlineRows() adds up the data of every layer", () => {
  const spec = plotBox(pl.DataFrame({ v: [1, 2, 3, 4, 100] }), { column: "v" });
  assert.equal(countInlineRows(spec), 2, "one summary row and one outlier");
});

Deno.test("every chart builder's spec renders to SVG with the shared theme", async () => {
  const df = pl.DataFrame({
    species: ["Adelie", "Gentoo", "Adelie", "Chinstrap", "Gentoo", "Adelie"],
    mass: [3750, 5000, 3800, 3700, null, 3650],
    beak: [39.1, 47.3, 39.5, 46.5, 46.1, 36.7],
  });
  const y = [0, 1, 0, 1, 1, 0];
  const scores = [0.2, 0.9, 0.4, 0.6, 0.7, 0.1];
  const specs: Record<string, TopLevelSpec> = {
    histogram: plotHistogram(df, { column: "mass", color: "species" }),
    counts: plotCounts(df, { column: "species" }),
    box: plotBox(df, { column: "mass", group: "species" }),
    scatter: plotScatter(df, { x: "beak", y: "mass", color: "species" }),
    correlation: plotCorrelation(df),
    pairGrid: plotPairGrid(df, { color: "species" }),
    missing: plotMissingValues(df),
    learning: plotLearningCurves({
      epochs: [
        { epoch: 0, loss: 1, val_loss: 1.2, metric: 0.5, val_metric: 0.4 },
        { epoch: 1, loss: 0.5, val_loss: 0.8, metric: 0.8, val_metric: 0.7 },
      ],
      bestEpoch: 1,
      metric: "accuracy",
    }),
    confusion: plotConfusionMatrix({ labels: ["a", "b"], matrix: [[2, 1], [0, 3]] }),
    roc: plotRocCurves({ pos: rocCurve(y, scores) }),
    predicted: plotPredictedVsActual([1, 2, 3], [1.1, 2.2, 2.7]),
    residuals: plotResiduals([1, 2, 3], [1.1, 2.2, 2.7]),
    scores: plotFeatureScores([{ feature: "beak", score: 2 }, { feature: "mass", score: 1 }]),
    runs: plotRunComparison([
      { run_id: "r1", metric: "accuracy", value: 0.9, split: "test" },
      { run_id: "r2", metric: "accuracy", value: 0.8, split: "test" },
    ]),
  };
  const logs = await withCapturedLogs(async () => {
    for (const [name, spec] of Object.entries(specs)) {
      assert.deepEqual((spec as { config?: unknown }).config, THEME, `${name} uses the theme`);
      const svg = await toSVG(spec);
      assert.ok(svg.startsWith("<svg"), `${name} renders`);
      const title = (spec as { title: { text: string } }).title.text;
      assert.ok(svg.includes(`>${title}</text>`), `${name} shows its title "${title}"`);
    }
  });
  const problems = logs.filter((log) => log.level === "warning" || log.level === "error");
  assert.deepEqual(problems.map((log) => log.message), [], "no chart makes vega warn");
});

Deno.test("THEME uses the colour-blind-safe palette and specs get their own copy", () => {
  assert.equal(PALETTE.length, 8);
  assert.deepEqual((THEME.range as { category: string[] }).category, [...PALETTE]);
  const a = plotCounts(islands, { column: "island" }) as { config?: unknown };
  const b = plotCounts(islands, { column: "island" }) as { config?: unknown };
  assert.notEqual(a.config, b.config);
  assert.notEqual(a.config, THEME);
});
