/**
 * Executes the three notebooks through the headless runner (the real Deno kernel) with small
 * parameters, and checks the executed copies: no cell error, every chart cell keeps an SVG
 * picture of its charts (or says why it draws none), and the experiments notebook records a
 * run. Each notebook runs on the default profile (penguins, classification), on `cars`
 * (regression, a date column) and on a seattle-weather profile written here (five imbalanced
 * classes, a date column). Runs go to a temporary registry, never to `models/`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNotebookParameters, runNotebook } from "../../src/notebook/mod.ts";
import { listRunIds } from "../../src/models/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VEGA_DATA = join(ROOT, "node_modules", "vega-datasets", "data");

/** The cars profile, reading the pinned package's file (data/raw/ holds it only after data:pull). */
const CARS = { profile: "cars", overrides: [`data.path=${join(VEGA_DATA, "cars.json")}`] };

/**
 * A classification profile for vega-datasets' seattle-weather.csv, as a user would write it:
 * five imbalanced classes (sun and rain about 44% each, snow about 2%) and a date column.
 */
function weatherProfile(): string {
  return `project:
  name: weather
data:
  path: ${join(VEGA_DATA, "seattle-weather.csv")}
  target: weather
  task: classification
  dtypes:
    date: date
    precipitation: float
    temp_max: float
    temp_min: float
    wind: float
validation:
  strict: true
  min_rows: 100
  columns:
    date: { dtype: date, nullable: false }
    precipitation: { dtype: float, nullable: false, min: 0, max: 100 }
    temp_max: { dtype: float, nullable: false, min: -20, max: 50 }
    temp_min: { dtype: float, nullable: false, min: -20, max: 50 }
    wind: { dtype: float, nullable: false, min: 0, max: 20 }
    weather: { dtype: string, nullable: false, allowed: [drizzle, fog, rain, snow, sun] }
cleaning:
  drop_duplicates: true
split:
  method: stratified
features:
  derived:
    - { name: month, kind: date_part, column: date, part: month }
  steps:
    - name: numeric
      columns: [precipitation, temp_max, temp_min, wind, month]
      transformers:
        - kind: StandardScaler
registry:
  primary_metric: f1_macro
`;
}

/** Writes the weather profile into `dir`; returns its path, for the `profile` parameter. */
async function writeWeatherProfile(dir: string): Promise<string> {
  const path = join(dir, "weather.yaml");
  await Deno.writeTextFile(path, weatherProfile());
  return path;
}

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

/** A profile and the overrides it needs, for {@link execute}. */
interface ProfileParams {
  profile: string;
  overrides?: string[];
}

/**
 * Runs one notebook with the quick parameters it declares (and a profile, when given); returns
 * the result and its cells.
 */
async function execute(
  name: string,
  dir: string,
  profile: ProfileParams | null = null,
  extra: Record<string, unknown> = {},
) {
  const path = join(ROOT, "notebooks", name);
  const declared = new Set((await readNotebookParameters(path)).map((p) => p.name));
  const quick = { ...quickParams(join(dir, "registry")), ...extra };
  if (profile !== null) {
    quick["profile"] = profile.profile;
    quick["overrides"] = [...(quick["overrides"] as string[]), ...(profile.overrides ?? [])];
  }
  const params = Object.fromEntries(
    Object.entries(quick).filter(([key]) => declared.has(key)),
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
  const streamText = (cell: ExecutedCell) =>
    (cell.outputs ?? []).filter((o) => o.output_type === "stream")
      .map((o) => joined((o as { text?: unknown }).text) ?? "").join("");
  const errors = cells.flatMap((cell) => cell.outputs ?? []).filter((o) =>
    o.output_type === "error"
  );
  assert.deepEqual(errors, [], `${name} has error outputs`);
  const charts = cells.filter(isChartCell);
  assert.ok(charts.length > 0, `${name} has no chart cell`);
  return charts.map((cell) => {
    const outputs = cell.outputs ?? [];
    const svgs = outputs.filter((o) => joined(o.data?.["image/svg+xml"])?.startsWith("<svg"));
    // A section that does not apply to the data (no date column, say) says so instead.
    assert.ok(
      svgs.length >= 1 || /^no chart: /m.test(streamText(cell)),
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
    // missing values, class counts, column scores, 4 histograms, 4 box plots, 2 categorical
    // counts, heatmap, pair grid; no date column, so no target over time
    assert.equal(svgs.reduce((a, b) => a + b, 0), 15);
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
    // The families compared include gbdt, with its rounds capped by epochs (3 → 30).
    const printed = executed.cells.flatMap((c) => c.outputs ?? [])
      .map((o) => [(o as { text?: string | string[] }).text ?? ""].flat().join("")).join("");
    assert.match(printed, /\bgbdt +rounds +\d+: val /);
    assert.match(printed, /\blinear +epochs +\d+: val /);
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

Deno.test("03_model_experiments.ipynb refuses folds=1 before its kernel starts, naming --param and the range", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-03-folds-" });
  try {
    const path = join(ROOT, "notebooks", "03_model_experiments.ipynb");
    const { epochs, overrides } = quickParams(join(dir, "registry"));
    const params = { epochs, overrides, folds: 1 };
    await assert.rejects(
      () => runNotebook(path, { params, out: join(dir, "executed") }),
      {
        name: "ConfigError",
        message:
          /parameter "folds" of notebook ".*03_model_experiments\.ipynb": expected an integer of at least 2 \(the parameters cell says "\[integer >= 2\]"\), got 1; e\.g\. --param folds=5/,
      },
    );
    await assert.rejects(() => Deno.stat(join(dir, "executed")), Deno.errors.NotFound);
    await assert.rejects(
      () => Deno.stat(join(dir, "registry", "experiments")),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The titles of the vega-lite charts of an executed notebook, in order. */
function chartTitles(cells: ExecutedCell[]): string[] {
  return cells.flatMap((c) => c.outputs ?? [])
    .map((o) => o.data?.["application/vnd.vegalite.v6+json"] as { title?: { text?: string } })
    .flatMap((spec) => spec?.title?.text ?? []);
}

/** Everything the cells printed. */
function printed(cells: ExecutedCell[]): string {
  return cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "stream")
    .map((o) => joined((o as { text?: unknown }).text) ?? "").join("");
}

Deno.test("01_eda.ipynb with profile=cars explores a regression target: distribution, over time, scatter plots", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-01-cars-" });
  try {
    const { executed } = await execute("01_eda.ipynb", dir, CARS);
    assert.equal(executed.metadata.deno_mlops?.status, "ok");
    const svgs = checkExecuted("01_eda cars", executed.cells);
    // missing values, target histogram, target over time, column scores, 6 histograms,
    // 6 scatter plots, Origin counts and box plot, heatmap, pair grid
    assert.equal(svgs.reduce((a, b) => a + b, 0), 20);
    const titles = chartTitles(executed.cells);
    assert.ok(
      titles.includes("Distribution of Miles_per_Gallon (cleaned data)"),
      titles.join("\n"),
    );
    assert.ok(titles.includes("Mean Miles_per_Gallon per year of Year"), titles.join("\n"));
    assert.ok(titles.includes("Miles_per_Gallon against Weight_in_lbs"), titles.join("\n"));
    assert.ok(titles.includes("Miles_per_Gallon per Origin"), titles.join("\n"));
    assert.equal(titles.some((t) => /spread per/.test(t)), false, "a class chart on a number");
    const text = printed(executed.cells);
    assert.match(
      text,
      /target "Miles_per_Gallon" \(regression\); 406 raw rows, 398 after cleaning/,
    );
    assert.match(
      text,
      /ranked by absolute Pearson correlation with the target:\n\s+1\. Weight_in_lbs: 0\.832/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("02_feature_engineering.ipynb with profile=cars scores features for regression and round-trips the pipeline", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-02-cars-" });
  try {
    const { executed } = await execute("02_feature_engineering.ipynb", dir, CARS);
    assert.equal(executed.metadata.deno_mlops?.status, "ok");
    checkExecuted("02_feature_engineering cars", executed.cells);
    const titles = chartTitles(executed.cells);
    assert.ok(
      titles.includes("F (linear regression) per feature (train); the top 6 are kept"),
      titles.join("\n"),
    );
    const text = printed(executed.cells);
    assert.match(text, /no chart: mutual information is scored against classes/);
    assert.match(text, /rebuilt from JSON transforms the test split identically: true/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("03_model_experiments.ipynb with profile=cars trains a regression run: predicted against actual and residuals", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-03-cars-" });
  try {
    const { result, executed } = await execute("03_model_experiments.ipynb", dir, CARS, {
      folds: 2,
    });
    assert.equal(executed.metadata.deno_mlops?.status, "ok");
    checkExecuted("03_model_experiments cars", executed.cells);
    assert.equal(result.runIds.length, 1);
    assert.match(result.runIds[0]!, /-cars-/);
    assert.match(result.studyIds.join(), /^study-\d{8}-\d{6}-cars-[0-9a-f]{8}$/);
    assert.deepEqual(await listRunIds(join(dir, "registry", "experiments")), result.runIds);
    const titles = chartTitles(executed.cells);
    assert.ok(
      titles.some((t) =>
        /^Predicted against actual Miles_per_Gallon, mlp .* \(test, 60 rows\)$/.test(t)
      ),
      titles.join("\n"),
    );
    assert.ok(
      titles.some((t) => /^Residuals of mlp .* \(test, 60 rows\)$/.test(t)),
      titles.join("\n"),
    );
    assert.equal(titles.some((t) => /Confusion matrix|ROC/.test(t)), false);
    assert.equal(
      titles.at(-1),
      "This run against its baseline on the test split (production is empty)",
    );
    const text = printed(executed.cells);
    assert.match(
      text,
      /target "Miles_per_Gallon" \(regression\), 9 features, numeric, model mlp, primary metric rmse/,
    );
    assert.match(text, /baseline epochs +1: val rmse \d+\.\d{4}, mae \d+\.\d{4}, r2 -?\d+\.\d{4}/);
    assert.match(text, /test rmse \d+\.\d{4}, mae \d+\.\d{4}, r2 -?\d+\.\d{4}/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the three notebooks run on a new classification profile with five imbalanced classes and a date column", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-nb-weather-" });
  try {
    const weather = { profile: await writeWeatherProfile(dir) };
    const eda = await execute("01_eda.ipynb", dir, weather);
    assert.equal(eda.executed.metadata.deno_mlops?.status, "ok");
    checkExecuted("01_eda weather", eda.executed.cells);
    const edaTitles = chartTitles(eda.executed.cells);
    assert.ok(edaTitles.includes("Share of each weather per month of date"), edaTitles.join("\n"));
    assert.ok(edaTitles.includes("precipitation: spread per weather"), edaTitles.join("\n"));
    assert.match(printed(eda.executed.cells), /no chart: the data has no categorical column/);
    // The date column shows in the raw table as a date.
    const html = eda.executed.cells.flatMap((c) => c.outputs ?? [])
      .map((o) => joined(o.data?.["text/html"]) ?? "").join("");
    assert.match(html, />2012-01-01</);

    const features = await execute("02_feature_engineering.ipynb", dir, weather);
    assert.equal(features.executed.metadata.deno_mlops?.status, "ok");
    checkExecuted("02_feature_engineering weather", features.executed.cells);
    assert.ok(
      chartTitles(features.executed.cells).includes(
        "Mutual information with weather per feature (train)",
      ),
    );

    const experiments = await execute("03_model_experiments.ipynb", dir, weather, {
      epochs: 2,
      folds: 2,
    });
    assert.equal(experiments.executed.metadata.deno_mlops?.status, "ok");
    checkExecuted("03_model_experiments weather", experiments.executed.cells);
    assert.equal(experiments.result.runIds.length, 1);
    const confusion = experiments.executed.cells.flatMap((c) => c.outputs ?? [])
      .map((o) => o.data?.["application/vnd.vegalite.v6+json"] as { title?: { text?: string } })
      .find((spec) => spec?.title?.text?.startsWith("Confusion matrix of mlp"));
    assert.ok(confusion !== undefined, "no confusion matrix");
    assert.match(confusion.title!.text!, /\(test, 219 rows\)$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
