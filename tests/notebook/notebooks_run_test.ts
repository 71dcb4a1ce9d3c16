/**
 * Executes the three notebooks through the headless runner (the real Deno kernel) with small
 * parameters, and checks the executed copies: no cell error, every chart cell keeps an SVG
 * picture of its charts, and the experiments notebook records a run. Runs go to a temporary
 * registry, never to `models/`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNotebookParameters, runNotebook } from "../../src/notebook/mod.ts";
import { listRunIds } from "../../src/models/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The parts of an executed notebook the checks read. */
interface ExecutedCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; data?: Record<string, unknown>; ename?: string }[];
}

/** Small parameters: a few epochs and folds; runs recorded in `registry` only. */
function quickParams(registry: string): Record<string, unknown> {
  return {
    epochs: 3,
    folds: 3,
    tableRows: 2,
    overrides: [
      `registry.experiments_dir=${registry}/experiments`,
      `registry.production_dir=${registry}/production`,
    ],
  };
}

/** Runs one notebook with the quick parameters it declares; returns the result and its cells. */
async function execute(name: string, dir: string) {
  const path = join(ROOT, "notebooks", name);
  const declared = new Set((await readNotebookParameters(path)).map((p) => p.name));
  const params = Object.fromEntries(
    Object.entries(quickParams(join(dir, "registry"))).filter(([key]) => declared.has(key)),
  );
  const result = await runNotebook(path, { params, out: join(dir, "executed") });
  const executed = JSON.parse(await Deno.readTextFile(result.out)) as {
    cells: ExecutedCell[];
    metadata: { deno_mlops?: { status?: string; run_ids?: string[] } };
  };
  return { result, executed };
}

/** nbformat stores text as one string or as a list of lines. */
function joined(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((line) => typeof line === "string")) {
    return value.join("");
  }
  return null;
}

function sourceOf(cell: ExecutedCell): string {
  return joined(cell.source) ?? "";
}

/** A cell that draws a chart: it calls show(...) or trains with the live learning curves. */
function isChartCell(cell: ExecutedCell): boolean {
  return cell.cell_type === "code" && /\b(show|liveTrainingDisplay)\(/.test(sourceOf(cell));
}

/** Checks what every executed notebook must satisfy; returns the chart cells' SVG counts. */
function checkExecuted(name: string, cells: ExecutedCell[]): number[] {
  const errors = cells.flatMap((cell) => cell.outputs ?? []).filter((o) =>
    o.output_type === "error"
  );
  assert.deepEqual(errors, [], `${name} has error outputs`);
  const charts = cells.filter(isChartCell);
  assert.ok(charts.length > 0, `${name} has no chart cell`);
  return charts.map((cell) => {
    const outputs = cell.outputs ?? [];
    const svgs = outputs.filter((o) => joined(o.data?.["image/svg+xml"])?.startsWith("<svg"));
    assert.ok(
      svgs.length >= 1,
      `${name}: a chart cell has no image/svg+xml output:\n${sourceOf(cell).slice(0, 200)}`,
    );
    for (const output of outputs) {
      if (output.data?.["application/vnd.vegalite.v6+json"] !== undefined) {
        assert.match(
          joined(output.data["image/svg+xml"]) ?? "",
          /^<svg/,
          `${name}: a chart lacks its SVG`,
        );
      }
    }
    // The helpers resolve to nothing, so no cell prints a bundle as its result.
    assert.equal(outputs.some((o) => o.output_type === "execute_result"), false);
    return svgs.length;
  });
}

Deno.test("01_eda.ipynb runs through the runner with every chart kept as SVG", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-01-" });
  try {
    const { result, executed } = await execute("01_eda.ipynb", dir);
    assert.equal(executed.metadata.deno_mlops?.status, "ok");
    const svgs = checkExecuted("01_eda", executed.cells);
    // missing values, class balance, 4 histograms, 4 box plots, 4 heatmaps, scatter, pair grid
    assert.equal(svgs.reduce((a, b) => a + b, 0), 16);
    assert.deepEqual(result.runIds, []);
    const html = executed.cells.flatMap((c) => c.outputs ?? [])
      .map((o) => joined(o.data?.["text/html"]) ?? "");
    assert.ok(html.some((h) => h.includes("shape: (344, 7)")), "the raw table is missing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("02_feature_engineering.ipynb runs through the runner and round-trips the pipeline JSON", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-02-" });
  try {
    const { result, executed } = await execute("02_feature_engineering.ipynb", dir);
    assert.equal(executed.metadata.deno_mlops?.status, "ok");
    checkExecuted("02_feature_engineering", executed.cells);
    assert.deepEqual(result.params, {
      overrides: quickParams(join(dir, "registry")).overrides,
      tableRows: 2,
    });
    const text = executed.cells.flatMap((c) => c.outputs ?? [])
      .filter((o) => o.output_type === "stream")
      .map((o) => joined((o as { text?: unknown }).text) ?? "").join("");
    assert.match(text, /rebuilt from JSON transforms the test split identically: true/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("03_model_experiments.ipynb runs through the runner and records one run in the given registry", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-03-" });
  try {
    const { result, executed } = await execute("03_model_experiments.ipynb", dir);
    assert.equal(executed.metadata.deno_mlops?.status, "ok");
    const svgs = checkExecuted("03_model_experiments", executed.cells);
    assert.ok(svgs.length >= 6, `expected at least 6 chart cells, found ${svgs.length}`);
    assert.equal(result.runIds.length, 1);
    assert.deepEqual(executed.metadata.deno_mlops?.run_ids, result.runIds);
    assert.match(result.studyIds.join(), /^study-\d{8}-\d{6}-penguins-[0-9a-f]{8}$/);
    assert.deepEqual(await listRunIds(join(dir, "registry", "experiments")), result.runIds);
    // The registry's production is empty, so the last chart compares the run with its baseline.
    const titles = executed.cells.flatMap((c) => c.outputs ?? [])
      .map((o) => o.data?.["application/vnd.vegalite.v6+json"] as { title?: { text?: string } })
      .flatMap((spec) => spec?.title?.text ?? []);
    assert.equal(
      titles.at(-1),
      "This run against its baseline on the test split (production is empty)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("03_model_experiments.ipynb refuses folds=1 in its first cells, before training, naming --param", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-03-folds-" });
  try {
    const path = join(ROOT, "notebooks", "03_model_experiments.ipynb");
    const { epochs, overrides } = quickParams(join(dir, "registry"));
    const params = { epochs, overrides, folds: 1 };
    await assert.rejects(
      () => runNotebook(path, { params, out: join(dir, "executed") }),
      {
        name: "NotebookExecutionError",
        message:
          /folds = 1: cross-validation needs an integer of at least 2, e\.g\. --param folds=3/,
      },
    );
    await assert.rejects(
      () => Deno.stat(join(dir, "registry", "experiments")),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
