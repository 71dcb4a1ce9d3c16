import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import type { LoadedConfig } from "../../src/config/mod.ts";
import { pullDatasets, readManifest } from "../../src/data/mod.ts";
import { promoteRun, readRunFolder, RUN_ARTIFACTS, writeRunFolder } from "../../src/models/mod.ts";

const RUN_REPORT_FILE = RUN_ARTIFACTS.report.file;
import type { RunRecord } from "../../src/models/mod.ts";
import {
  buildRunReport,
  buildRunsPage,
  loadRunReportInput,
  openRun,
  runTraining,
  writeRunReport,
  writeRunsPage,
} from "../../src/pipelines/mod.ts";
import type { RunsPageRun, TrainingResult } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { listDir, makeTempProject, REPO_ROOT, runCli } from "../_helpers/project.ts";

/** Trains a short penguins run in a fresh temporary project. */
async function trainRun(
  overrides: string[] = [],
  root?: string,
): Promise<{ root: string; loaded: LoadedConfig; result: TrainingResult }> {
  const project = root ?? await makeTempProject();
  const loaded = await loadConfig({
    root: project,
    overrides: ["training.epochs=4", ...overrides],
  });
  const result = await runTraining(loaded);
  result.model.dispose();
  return { root: project, loaded, result };
}

/** Ids of the chart figures of a page, in order. */
function chartIds(html: string): string[] {
  return [...html.matchAll(/<figure class="chart" id="chart-([^"]+)">/g)].map((m) => m[1]!);
}

/** Asserts that a page can make no request: no external reference of any kind. */
function assertSelfContained(html: string, scripts: "none" | "inline"): void {
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  assert.doesNotMatch(html, /\s(src|srcset)=/, "no element loads a resource");
  assert.doesNotMatch(html, /(href|xlink:href)="(https?:|\/\/|file:)/, "no external link");
  assert.doesNotMatch(html, /url\((?!#)/, "no CSS or SVG url() other than in-page ids");
  assert.doesNotMatch(html, /@import|@font-face|<link|<iframe|<img/);
  const scriptTags = html.match(/<script\b[^>]*>/g) ?? [];
  if (scripts === "none") assert.deepEqual(scriptTags, []);
  else assert.deepEqual(scriptTags, ["<script>"]);
}

/** The page without its footer line, which holds the time it was generated. */
function withoutFooter(html: string): string {
  return html.replace(/<footer>.*<\/footer>/, "<footer></footer>");
}

Deno.test("runTraining() writes report.html with every section and chart, outside run.json's checksums", async () => {
  using _logs = captureLogs({ level: "error" });
  const { loaded, result } = await trainRun();
  assert.ok(result.dir);
  assert.ok(listDir(result.dir).includes(RUN_REPORT_FILE));
  assert.equal(Object.hasOwn(result.record.artifacts, RUN_REPORT_FILE), false);
  assert.ok(Object.hasOwn(result.record.artifacts, "metrics.json"));
  await readRunFolder(loaded.config.registry.experiments_dir, result.id);

  const html = await Deno.readTextFile(`${result.dir}/${RUN_REPORT_FILE}`);
  assertSelfContained(html, "none");
  const sections = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);
  assert.deepEqual(sections, [
    "overview",
    "data",
    "metrics",
    "training",
    "evaluation",
    "features",
    "model",
    "config",
    "environment",
  ]);
  assert.deepEqual(chartIds(html), [
    "learning-curves",
    "confusion-matrix",
    "roc",
    "permutation-importance",
  ]);
  assert.doesNotMatch(html, /class="[^"]*chart-error/);
  for (const id of chartIds(html)) {
    const figure = html.slice(html.indexOf(`id="chart-${id}"`));
    assert.match(figure, /^[^>]*><svg [^>]*width="\d+" height="\d+"/, `chart ${id} is inline SVG`);
  }
  // vega numbers clip paths clip1, clip2, ... in every SVG; each chart's ids are made unique.
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(new Set(ids).size, ids.length, "every id in the page is unique");

  assert.match(html, new RegExp(`<h1>Run report <code>${result.id}</code></h1>`));
  assert.match(html, /78cf4a8811209198…/, "the data fingerprint");
  assert.match(
    html,
    new RegExp(
      `<code>split\\.json</code>; <code>deno task split --run ${result.id}</code> writes them`,
    ),
  );
  assert.match(
    html,
    new RegExp(
      [344, 333, 233, 50, 50].map((n) => `<td><span class="num">${n}</span></td>`).join(""),
    ),
    "rows: raw, after cleaning, train, val, test",
  );
  assert.match(html, /6 rule\(s\) broken/, "the raw penguins data breaks 6 validation rules");
  assert.match(
    html,
    /<td>na_values<\/td><td>Sex<\/td><td>null if in \[&quot;\.&quot;\]<\/td><td><span class="num">1<\/span>/,
  );
  const f1 = (result.metrics.test as { f1_macro: number }).f1_macro;
  const baseline = (result.baseline.test as { f1_macro: number }).f1_macro;
  assert.match(
    html,
    new RegExp(
      `<td>f1_macro <span class="badge">primary</span></td><td>higher is better</td>.*?<td>${
        f1.toFixed(4)
      }</td><td>[\\d.]+</td><td>${baseline.toFixed(4)}</td><td><span class="better">\\+${
        (f1 - baseline).toFixed(4)
      } ▲`,
    ),
  );
  const importance = html.slice(html.indexOf('id="importance-table"'));
  const inputs = [...importance.matchAll(/<tr><td>([^<]+)<\/td><td><code>/g)].map((m) => m[1]);
  assert.deepEqual(
    [...inputs].sort(),
    [
      "Beak Depth (mm)",
      "Beak Length (mm)",
      "Body Mass (g)",
      "Flipper Length (mm)",
      "Island",
      "Sex",
    ],
    "one row per input column, the one-hot columns grouped",
  );
  assert.match(
    importance,
    /<td>Island<\/td><td><code>Island_Biscoe<\/code>, <code>Island_Dream<\/code>, <code>Island_Torgersen<\/code><\/td>/,
  );
  assert.match(html, /<th>split seed<\/th><td><span class="num">42<\/span>/);
  assert.match(html, /<th>tfjs<\/th><td><code>4\.22\.0<\/code>/);
  assert.match(html, /<td>train<\/td><td><span class="num">[\d.]+<\/span>/, "stage timings");
  assert.match(
    html,
    /features:\n {2}derived: \[\]\n {2}steps:\n {4}- name: numeric/,
    "the resolved config",
  );
});

Deno.test("writeRunReport() rebuilds the training report identically and the run stays verifiable", async () => {
  using _logs = captureLogs({ level: "error" });
  const { loaded, result } = await trainRun();
  const experiments = loaded.config.registry.experiments_dir;
  const path = `${result.dir}/${RUN_REPORT_FILE}`;
  const original = await Deno.readTextFile(path);
  await Deno.writeTextFile(path, "stale");

  const written = await writeRunReport(result.id, loaded);
  assert.deepEqual(written, { id: result.id, path, testSplit: true, note: null });
  const rebuilt = await Deno.readTextFile(path);
  assert.equal(withoutFooter(rebuilt), withoutFooter(original));
  assert.match(rebuilt, new RegExp(`Rebuild with <code>deno task report ${result.id}</code>`));
  await readRunFolder(experiments, result.id);
  assert.deepEqual(
    listDir(result.dir!).filter((name) => name.startsWith(".")),
    [],
    "no temporary file is left",
  );
});

Deno.test("writeRunReport() still writes the report, with a note, when the test split cannot be rebuilt", async () => {
  using _logs = captureLogs({ level: "error" });
  const { root, loaded, result } = await trainRun();
  const experiments = loaded.config.registry.experiments_dir;
  const csvPath = `${root}/data/raw/penguins.csv`;
  const csv = await Deno.readTextFile(csvPath);

  // One row fewer: the stratified split moves, so the test split's fingerprint changes.
  await Deno.writeTextFile(csvPath, csv.trimEnd().split("\n").slice(0, -1).join("\n") + "\n");
  const changed = await writeRunReport(result.id, loaded);
  assert.equal(changed.testSplit, false);
  assert.match(
    changed.note!,
    /^the input data changed since the run: the rebuilt test split's fingerprint/,
  );

  await Deno.remove(csvPath);
  const missing = await writeRunReport(result.id, loaded);
  assert.equal(missing.testSplit, false);
  assert.match(missing.note!, /^the test split cannot be rebuilt: .*penguins\.csv/);
  const html = await Deno.readTextFile(missing.path);
  assert.deepEqual(chartIds(html), ["learning-curves", "confusion-matrix"]);
  assert.match(
    html,
    /Not drawn: the test split is not available \(the test split cannot be rebuilt/,
  );
  await readRunFolder(experiments, result.id);
});

Deno.test("buildRunReport() samples big test splits for importance and refuses bad options; writeRunReport() refuses an unknown run", async () => {
  using _logs = captureLogs({ level: "error" });
  const { loaded, result } = await trainRun();
  await assert.rejects(
    () => writeRunReport(`${result.id}x`, loaded),
    {
      name: "ArtifactError",
      message: new RegExp(`it does not exist.*did you mean "${result.id}"`),
    },
  );
  const run = await openRun(result.id, loaded);
  try {
    const input = await loadRunReportInput(run);
    const test = { x: result.features.x.test, y: result.features.y.test };
    const sampled = await buildRunReport(input, { test, importanceRows: 20 });
    assert.match(sampled, /Baseline f1_macro on a seeded sample of 20 of the 50 test rows: /);
    const without = await buildRunReport(input, { testUnavailable: "no data here" });
    assert.match(without, /Not drawn: the test split is not available \(no data here\)/);
    await assert.rejects(() => buildRunReport(input, { repeats: 0 }), {
      name: "RangeError",
      message: /"repeats" is 0, expected an integer from 1 to 100/,
    });
    await assert.rejects(() => buildRunReport(input, { importanceRows: 1 }), {
      name: "RangeError",
      message: /"importanceRows" is 1, expected an integer of at least 2/,
    });
  } finally {
    run.model.dispose();
  }
});

Deno.test("a gbdt run's report shows importance by gain and split count per input, and curves per round", async () => {
  using _logs = captureLogs({ level: "error" });
  const { result } = await trainRun(["model.family=gbdt", "model.params.rounds=8"]);
  const html = await Deno.readTextFile(`${result.dir}/${RUN_REPORT_FILE}`);
  assertSelfContained(html, "none");
  assert.deepEqual(chartIds(html), [
    "learning-curves",
    "confusion-matrix",
    "roc",
    "permutation-importance",
    "tree-importance-gain",
    "tree-importance-splits",
  ]);
  assert.match(html, /<figcaption>Loss and metric per round<\/figcaption>/);
  assert.match(html, /aria-label="X-axis titled 'round'/);
  assert.match(html, /<th>rounds run<\/th>/);
  assert.match(html, /loss: the plain log-loss, with no penalty/, "gbdt's l2 is not in its loss");
  assert.doesNotMatch(html, /L2 penalty/);
  assert.doesNotMatch(html, /X-axis titled 'epoch'|epochs run/);
  // Trees read Island as one category-code column (no one-hot), split by sets of islands.
  assert.match(
    html,
    /<table id="tree-importance-table">.*<td>Island<\/td><td><code>Island<\/code><\/td>/s,
  );
  assert.match(
    html,
    /<table id="categorical-inputs-table">.*<td><code>Island<\/code><\/td><td><span class="num">3<\/span><\/td><td><span class="num">3<\/span><\/td><td><span class="num">0<\/span><\/td>/s,
  );
  assert.doesNotMatch(html, /more categories than the 255 bins/);
  assert.doesNotMatch(html, /class="[^"]*chart-error/);
});

Deno.test("an mlp run's report has no tree importance and keeps its epochs and L2 label", async () => {
  using _logs = captureLogs({ level: "error" });
  const { result } = await trainRun(["model.params.l2=0.001"]);
  const html = await Deno.readTextFile(`${result.dir}/${RUN_REPORT_FILE}`);
  assert.doesNotMatch(html, /tree-importance/);
  assert.match(html, /<figcaption>Loss and metric per epoch<\/figcaption>/);
  assert.match(html, /log-loss \+ L2 penalty/);
});

Deno.test("a regression run's report shows predicted against actual and residuals, not ROC", async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  await Deno.copyFile(
    `${REPO_ROOT}/config/profiles/cars.yaml`,
    `${root}/config/profiles/cars.yaml`,
  );
  await import("vega-datasets"); // makes sure the package is in node_modules
  const manifest = await readManifest(`${REPO_ROOT}/data/manifest.json`);
  await pullDatasets({
    sourceDir: `${REPO_ROOT}/node_modules/vega-datasets/data`,
    targetDir: `${root}/data/raw`,
    manifest: { ...manifest, files: manifest.files.filter((f) => f.name === "cars.json") },
  });
  const profile = "config/profiles/cars.yaml";
  const loaded = await loadConfig({ root, profile, overrides: ["training.epochs=3"] });
  const result = await runTraining(loaded, { profile });
  result.model.dispose();
  const html = await Deno.readTextFile(`${result.dir}/${RUN_REPORT_FILE}`);
  assertSelfContained(html, "none");
  assert.deepEqual(chartIds(html), [
    "learning-curves",
    "predicted-vs-actual",
    "residuals",
    "permutation-importance",
  ]);
  assert.match(html, /<td>rmse <span class="badge">primary<\/span><\/td><td>lower is better<\/td>/);
  assert.match(html, /actual Miles_per_Gallon/, "the axes name the target");
  assert.match(html, /<td>Origin<\/td><td><code>Origin_Europe<\/code>, <code>Origin_Japan<\/code>/);
  assert.doesNotMatch(html, /class="[^"]*chart-error/);
});

function pageRun(id: string, fields: Partial<RunsPageRun>): RunsPageRun {
  return {
    id,
    created: "2026-11-27T07:45:12.000Z",
    project: "penguins",
    profile: "none",
    family: "mlp",
    primary: { metric: "f1_macro", val: 0.9, test: 0.8 },
    params: {},
    production: false,
    problem: null,
    report: null,
    ...fields,
  };
}

Deno.test("buildRunsPage() lists runs in a sortable table, highlights production and plots each varying numeric hyperparameter", async () => {
  using _logs = captureLogs({ level: "error" });
  const params = (lr: number) => ({
    "model.params.hidden_units": "[32,16]",
    "model.params.dropout": 0.1,
    "training.learning_rate": lr,
    "training.epochs": 5,
  });
  const html = await buildRunsPage({
    experimentsDir: "models/experiments",
    productionId: "run-b",
    runs: [
      pageRun("run-c", {
        params: params(0.05),
        primary: { metric: "f1_macro", val: 0.5, test: null },
      }),
      pageRun("run-b", {
        params: params(0.01),
        production: true,
        report: "experiments/run-b/report.html",
      }),
      pageRun("run-a", {
        params: params(0.001),
        primary: { metric: "f1_macro", val: 1, test: 0.95 },
      }),
      pageRun("run-x", {
        created: null,
        project: null,
        primary: null,
        problem: "corrupt: run.json",
      }),
    ],
    studies: [
      {
        id: "study-1",
        status: "finished",
        trials: 6,
        planned: 6,
        metric: "f1_macro",
        best: 0.97,
        bestStd: 0.01,
        params: "learning_rate=0.01",
        run: "run-b",
        report: "experiments/run-b/report.html",
        problem: null,
      },
      {
        id: "study-2",
        status: null,
        trials: null,
        planned: null,
        metric: null,
        best: null,
        bestStd: null,
        params: null,
        run: null,
        report: null,
        problem: "study.json is <broken>",
      },
    ],
  }, { generatedAt: new Date("2026-11-27T08:00:00Z") });
  assertSelfContained(html, "inline");
  const headers = [
    ...html.matchAll(/<th data-column="(\d+)" data-kind="(\w+)"[^>]*>([^<]+)<\/th>/g),
  ]
    .map((m) => `${m[3]}:${m[2]}`);
  assert.deepEqual(headers, [
    "id:text",
    "created:text",
    "project:text",
    "profile:text",
    "family:text",
    "metric:text",
    "val:number",
    "test:number",
    "model.params.dropout:auto",
    "model.params.hidden_units:auto",
    "training.epochs:auto",
    "training.learning_rate:auto",
    "report:text",
  ]);
  const rows = [...html.matchAll(/<tr( class="production")? data-run="([^"]+)">/g)]
    .map((m) => `${m[2]}${m[1] ? "*" : ""}`);
  assert.deepEqual(rows, ["run-c", "run-b*", "run-a", "run-x"]);
  assert.match(html, /<td class="num" data-sort="0.001">0.001<\/td>/);
  assert.match(html, /<td data-sort="">n\/a<\/td>/, "a missing test value sorts last");
  assert.match(html, /<a href="experiments\/run-b\/report.html">report<\/a>/);
  assert.match(html, /<span class="problem">corrupt: run.json<\/span>/);
  assert.deepEqual(chartIds(html), ["primary-metric", "scatter-f1-macro-training-learning-rate"]);
  assert.match(
    html,
    /<code>study-1<\/code><\/td><td>finished<\/td><td><span class="num">6<\/span> of/,
  );
  assert.match(html, /0\.9700 ± 0\.0100/);
  assert.match(html, /study\.json is &lt;broken&gt;/, "text is escaped");
  assert.match(html, /Generated 2026-11-27T08:00:00.000Z by deno-mlops/);
});

Deno.test("writeRunsPage() and the report and runs tasks work on a real registry with a promoted run and a study", async () => {
  using _logs = captureLogs({ level: "error" });
  const first = await trainRun(["training.learning_rate=0.01"]);
  const { root, loaded } = first;
  const second = await trainRun(["training.learning_rate=0.05", "training.epochs=2"], root);
  const registry = loaded.config.registry;
  await promoteRun(registry, "penguins", { runId: first.result.id });
  const experiments = registry.experiments_dir;
  const study = `${experiments}/study-20261127-074512-penguins-1a2b3c4d`;
  await Deno.mkdir(study);
  await Deno.writeTextFile(
    `${study}/study.json`,
    JSON.stringify({
      format_version: 1,
      id: "study-20261127-074512-penguins-1a2b3c4d",
      status: "finished",
      primary_metric: "f1_macro",
      trials_planned: 2,
      trials: [{ id: 0 }, { id: 1 }],
      best: { trial: 1, params: { "training.learning_rate": 0.01 }, mean: 0.98, std: 0.02 },
      final_run: { id: first.result.id, dir: first.result.dir, val: 1, test: 1 },
    }),
  );
  await Deno.mkdir(`${experiments}/study-broken`);
  await Deno.writeTextFile(`${experiments}/study-broken/study.json`, "{");

  const out = `${root}/models/runs.html`;
  const page = await writeRunsPage(registry, out);
  assert.deepEqual(page, { path: out, runs: 2, studies: 2 });
  const html = await Deno.readTextFile(out);
  const rows = [...html.matchAll(/<tr( class="production")? data-run="([^"]+)">/g)]
    .map((m) => `${m[2]}${m[1] ? "*" : ""}`);
  assert.deepEqual(rows, [second.result.id, `${first.result.id}*`]);
  assert.match(
    html,
    new RegExp(`<a href="experiments/${first.result.id}/report.html">report</a>`),
  );
  assert.match(html, /<td class="num" data-sort="0.05">0.05<\/td>/);
  assert.deepEqual(chartIds(html), [
    "primary-metric",
    "scatter-f1-macro-training-epochs",
    "scatter-f1-macro-training-learning-rate",
  ]);
  assert.match(html, /<code>learning_rate=0.01<\/code>/);
  assert.match(
    html,
    new RegExp(`<a href="experiments/${first.result.id}/report.html"><code>${first.result.id}`),
  );
  assert.match(html, /<code>study-broken<\/code> <span class="problem">Cannot open study/);

  const report = await runCli("report.ts", [second.result.id], root);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(
    report.stdout.trim(),
    `report: models/experiments/${second.result.id}/report.html`,
  );
  const noId = await runCli("report.ts", [], root);
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /report: Cannot build a report: give a run id/);
  const unknown = await runCli("report.ts", ["nope"], root);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /report: Cannot open run "nope".*it does not exist/);

  await Deno.remove(out);
  const runs = await runCli("runs.ts", ["--html"], root);
  assert.equal(runs.code, 0, runs.stderr);
  assert.equal(runs.stdout.trim(), "runs page: models/runs.html (2 run(s), 2 study(ies))");
  assert.match(await Deno.readTextFile(out), /<table class="sortable" id="runs-table">/);
  const elsewhere = await runCli("runs.ts", [
    "--html",
    "--out",
    "pages/all.html",
    "--family",
    "linear",
  ], root);
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.equal(elsewhere.stdout.trim(), "runs page: pages/all.html (0 run(s), 2 study(ies))");
  const misuse = await runCli("runs.ts", ["--out", "x.html"], root);
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /--out only applies to --html/);
});

Deno.test("writeRunFolder() leaves report.html out of the checksums, so rebuilding it keeps the run valid", async () => {
  const dir = await Deno.makeTempDir();
  const record: Omit<RunRecord, "artifacts"> = {
    format_version: 1,
    id: "run-a",
    created: "2026-11-27T07:45:12.000Z",
    project: "penguins",
    profile: null,
    task: "classification",
    family: "mlp",
    git: { commit: null, dirty: null },
    versions: {},
    seeds: { split: 42, training: 42 },
    config_hash: "ab".repeat(32),
    data: [],
    test_fingerprint: "cd".repeat(32),
    rows: { raw: 10, clean: 10, train: 6, val: 2, test: 2 },
    primary: { metric: "f1_macro", val: 0.9, test: 0.8 },
    stages: {},
  };
  const written = await writeRunFolder(dir, record, async (d) => {
    await Deno.writeTextFile(`${d}/metrics.json`, "{}");
    await Deno.writeTextFile(`${d}/${RUN_REPORT_FILE}`, "<p>first</p>");
  });
  assert.deepEqual(Object.keys(written.record.artifacts), ["metrics.json"]);
  await Deno.writeTextFile(`${written.dir}/${RUN_REPORT_FILE}`, "<p>rebuilt</p>");
  await readRunFolder(dir, "run-a");
});

Deno.test("the report shows per-class scores after the averages for balanced classes and first for imbalanced ones", async () => {
  using _logs = captureLogs({ level: "error" });
  const { loaded, result } = await trainRun();
  const run = await openRun(result.id, loaded);
  try {
    const input = await loadRunReportInput(run);
    const order = (html: string): [number, number] => {
      const metrics = html.slice(html.indexOf('<section id="metrics">'));
      const section = metrics.slice(0, metrics.indexOf("</section>"));
      return [section.indexOf('id="metrics-table"'), section.indexOf("Per class on the test")];
    };
    // Penguins: the rarest training class (Chinstrap, 48 rows) is 0.47 of the largest.
    const balanced = await buildRunReport(input, { testUnavailable: "not needed" });
    const [table, perClass] = order(balanced);
    assert.ok(table >= 0 && perClass > table, "balanced: the averages first");
    assert.doesNotMatch(balanced, /The classes are imbalanced/);

    // The same run as if Chinstrap had 20 training rows against Adelie's 102: 0.196 < 0.25.
    const metrics = structuredClone(input.metrics) as typeof input.metrics;
    const train = metrics.model.train as { per_class: Record<string, { support: number }> };
    const supports = Object.fromEntries(
      Object.entries(train.per_class).map(([name, scores]) => [name, scores.support]),
    );
    assert.deepEqual(supports, { Adelie: 102, Chinstrap: 48, Gentoo: 83 });
    train.per_class["Chinstrap"]!.support = 20;
    const imbalanced = await buildRunReport({ ...input, metrics }, {
      testUnavailable: "not needed",
    });
    const [table2, perClass2] = order(imbalanced);
    assert.ok(perClass2 >= 0 && table2 > perClass2, "imbalanced: the per-class scores first");
    assert.match(
      imbalanced,
      /The classes are imbalanced: the rarest, &quot;Chinstrap&quot;, has 20 train rows against 102 of the largest \(a ratio of 0\.196, below 0\.25\)/,
    );
  } finally {
    run.model.dispose();
  }
});
