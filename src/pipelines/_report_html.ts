/**
 * The HTML of run reports and of the runs comparison page: pure functions from loaded values to
 * one self-contained page each (inline CSS, charts as inline SVG, no request of any kind).
 *
 * Kept apart from `report.ts`, which reads run folders and rebuilds test splits, so that
 * `training_pipeline.ts` can write the report of a new run without an import cycle.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import type { CleaningReport, ValidationReport } from "../data/mod.ts";
import type { SelectionReport } from "../features/mod.ts";
import { featureGroups, permutationImportance } from "../models/mod.ts";
import type {
  BaseModel,
  PermutationImportanceResult,
  RunRecord,
  Targets,
  TrainingHistory,
} from "../models/mod.ts";
import { getProjectLogger, METRIC_DIRECTIONS, rocCurve } from "../utils/mod.ts";
import type { Logger, Matrix, RocCurve } from "../utils/mod.ts";
import {
  plotConfusionMatrix,
  plotFeatureScores,
  plotLearningCurves,
  plotPredictedVsActual,
  plotResiduals,
  plotRocCurves,
  plotRunComparison,
  plotScatter,
  toSVG,
} from "../viz/mod.ts";
import type { RunMetric } from "../viz/mod.ts";

/** What cleaning, validation and selection reported when the run was trained (`reports.json`). */
export interface RunReports {
  /** The raw data checked against the validation schema. */
  validation: ValidationReport | null;
  /** What cleaning did. */
  cleaning: CleaningReport | null;
  /** What feature selection did, or `null` without selection. */
  selection: SelectionReport | null;
}

/** Metrics by split, as in `metrics.json` (`SplitMetrics` objects or their parsed JSON). */
export type MetricsBySplit = { [split in "train" | "val" | "test"]: object | null };

/** Everything a run report shows, loaded from a run folder or held by the training job. */
export interface RunReportInput {
  /** `run.json` (its `artifacts` are not shown, so a record still being written will do). */
  record: Omit<RunRecord, "artifacts">;
  /** The resolved config, as stored in `config.yaml`. */
  configYaml: string;
  /** The target column (`data.target`). */
  target: string;
  /** `metrics.json`: the model's and the baseline's metrics by split. */
  metrics: { primary_metric: string; model: MetricsBySplit; baseline: MetricsBySplit };
  /** `history.json`. */
  history: TrainingHistory;
  /** `reports.json`. */
  reports: RunReports;
  /** The fitted model. */
  model: BaseModel;
  /** The model's input columns, in matrix order. */
  names: readonly string[];
  /** The feature pipeline's input columns, which group one-hot columns for importance. */
  inputColumns: readonly string[];
}

/** Options of {@link buildRunReport}. */
export interface RunReportOptions {
  /**
   * The run's test split as the model sees it; without it the ROC curves, prediction plots and
   * permutation importance are replaced by a note.
   * @default null
   */
  test?: { x: Matrix; y: Targets } | null;
  /**
   * Why the test split is not given, shown in place of the charts that need it.
   * @default null
   */
  testUnavailable?: string | null;
  /**
   * Shuffles per input for permutation importance (1–100).
   * @default 5
   */
  repeats?: number;
  /**
   * Most test rows permutation importance scores; a larger test split is sampled (seeded), so
   * the report of a run on millions of rows stays quick to write.
   * @default 10000
   */
  importanceRows?: number;
  /**
   * The time printed in the footer; `null` takes the current time.
   * @default null
   */
  generatedAt?: Date | null;
  /**
   * Where a chart that cannot be drawn is logged; `null` for the `pipeline` project logger.
   * @default null
   */
  logger?: Logger | null;
}

/**
 * Defaults of {@link RunReportOptions}.
 *
 * @example
 * ```ts
 * await buildRunReport(input, { ...DEFAULT_RUN_REPORT_OPTIONS, repeats: 10 });
 * ```
 */
export const DEFAULT_RUN_REPORT_OPTIONS: Readonly<Required<RunReportOptions>> = {
  test: null,
  testUnavailable: null,
  repeats: 5,
  importanceRows: 10_000,
  generatedAt: null,
  logger: null,
};

/**
 * Builds a run's report: one self-contained HTML page with what it was trained on, the
 * resolved config, metrics beside the baseline, learning curves, the confusion matrix and ROC
 * curves (classification) or predicted against actual and residuals (regression), feature
 * scores, permutation importance on the test split, timings and the environment.
 *
 * The page holds no script and loads nothing: styles are inline, charts are inline SVG, and a
 * Content-Security-Policy of `default-src 'none'` makes any request fail. A chart that cannot
 * be drawn is replaced by a note saying why (class `chart-error`), so the report of a finished
 * run is always written.
 *
 * @param input the run's record, config, metrics, history, reports and model
 * @param options the test split, importance repeats and the footer time
 * @returns the HTML document
 * @throws {RangeError} when `repeats` or `importanceRows` is out of range
 * @example
 * ```ts
 * const html = await buildRunReport(input, { test: { x: xTest, y: yTest } });
 * await Deno.writeTextFile(`${dir}/report.html`, html);
 * ```
 */
export async function buildRunReport(
  input: RunReportInput,
  options: RunReportOptions = {},
): Promise<string> {
  const settings = { ...DEFAULT_RUN_REPORT_OPTIONS, ...options };
  if (!Number.isInteger(settings.repeats) || settings.repeats < 1 || settings.repeats > 100) {
    throw new RangeError(
      `Cannot build the report of run "${input.record.id}": "repeats" is ${settings.repeats}, expected an integer from 1 to 100`,
    );
  }
  if (!Number.isInteger(settings.importanceRows) || settings.importanceRows < 2) {
    throw new RangeError(
      `Cannot build the report of run "${input.record.id}": "importanceRows" is ${settings.importanceRows}, expected an integer of at least 2`,
    );
  }
  const logger = settings.logger ?? getProjectLogger("pipeline");
  const { record, history, reports } = input;
  const metrics = metricValues(input.metrics);
  const charts = new ChartRenderer(logger, record.id);
  const test = settings.test;
  const missingTest = `<p class="note">Not drawn: the test split is not available${
    settings.testUnavailable ? ` (${esc(settings.testUnavailable)})` : ""
  }.</p>`;

  const evaluation: string[] = [];
  let importance: PermutationImportanceResult | null = null;
  let importanceProblem: string | null = null;
  const testMetrics = metrics.model.test;
  if (record.task === "classification") {
    const cm = testMetrics?.["confusion_matrix"];
    const labels = testMetrics?.["labels"];
    evaluation.push(
      Array.isArray(cm) && Array.isArray(labels)
        ? await charts.figure(
          "confusion-matrix",
          "Confusion matrix on the test split",
          () =>
            plotConfusionMatrix({ labels: labels as string[], matrix: cm as number[][] }, {
              title: "Confusion matrix (test)",
            }),
        )
        : `<p class="note">No confusion matrix in metrics.json.</p>`,
    );
  }
  if (test) {
    const predictions = input.model.predict(test.x);
    if (test.y.kind === "classification") {
      const y = test.y;
      evaluation.push(
        await charts.figure(
          "roc",
          "ROC curves on the test split, one class against the rest",
          () => plotRocCurves(rocCurves(y, predictions), { title: "ROC curves (test)" }),
        ),
      );
    } else {
      const target = input.target;
      const actual = test.y.values;
      evaluation.push(
        await charts.figure(
          "predicted-vs-actual",
          "Predicted against actual on the test split",
          () => plotPredictedVsActual(actual, predictions, { target, seed: record.seeds.split }),
        ),
        await charts.figure(
          "residuals",
          "Residuals on the test split",
          () => plotResiduals(actual, predictions, { target, seed: record.seeds.split }),
        ),
      );
    }
    try {
      importance = permutationImportance(input.model, test.x, test.y, {
        metric: Object.hasOwn(METRIC_DIRECTIONS, metrics.primary_metric)
          ? metrics.primary_metric
          : null,
        repeats: settings.repeats,
        seed: record.seeds.training,
        groups: featureGroups(input.inputColumns, input.names),
        maxRows: settings.importanceRows,
      });
    } catch (error) {
      importanceProblem = (error as Error).message;
      logger.warn("Report of run {id}: permutation importance not computed: {message}", {
        id: record.id,
        message: importanceProblem,
      });
    }
  } else {
    evaluation.push(missingTest);
  }

  const learning = history && Array.isArray(history.epochs) && history.epochs.length > 0
    ? await charts.figure(
      "learning-curves",
      "Loss and metric per epoch",
      () => plotLearningCurves(history),
    )
    : `<p class="note">No epochs in history.json.</p>`;

  const selectionCharts: string[] = [];
  for (const [i, step] of (reports.selection?.steps ?? []).entries()) {
    const scores = Object.entries(step.scores).map(([feature, score]) => ({
      feature,
      score: typeof score === "number" ? score : NaN,
      kept: step.kept.includes(feature),
    }));
    selectionCharts.push(
      await charts.figure(
        `selection-${i}`,
        `Selector ${
          i + 1
        }: ${step.kind} (${step.kept.length} kept, ${step.dropped.length} dropped)`,
        () =>
          plotFeatureScores(scores, {
            scoreName: step.score,
            title: `Feature scores: ${step.kind}`,
          }),
      ),
    );
  }
  const importanceChart = importance
    ? await charts.figure(
      "permutation-importance",
      `Mean drop of ${importance.metric} when one input is shuffled (${importance.repeats} repeats, seed ${importance.seed})`,
      () =>
        plotFeatureScores(
          importance!.importances.map((entry) => ({ feature: entry.feature, score: entry.mean })),
          { scoreName: `drop in ${importance!.metric}`, title: "Permutation importance (test)" },
        ),
    )
    : test
    ? `<p class="note chart-error">Permutation importance not computed: ${
      esc(importanceProblem ?? "unknown reason")
    }</p>`
    : missingTest;

  const primary = metrics.primary_metric || record.primary.metric;
  const primaryTest = num(metrics.model.test?.[primary]);
  const baselineTest = num(metrics.baseline.test?.[primary]);
  const sections = [
    section("overview", "Overview", [
      `<div class="cards">${
        [
          card(
            `${primary} (test)`,
            fmt(primaryTest),
            primaryTest === null ? "" : `baseline ${fmt(baselineTest)}`,
          ),
          card(`${primary} (val)`, fmt(num(metrics.model.val?.[primary])), ""),
          card(
            "rows (train / val / test)",
            `${record.rows.train} / ${record.rows.val} / ${record.rows.test}`,
            `${record.rows.raw} raw, ${record.rows.clean} after cleaning`,
          ),
          card("model", esc(record.family), esc(record.task)),
        ].join("")
      }</div>`,
      keyValues([
        ["run", `<code>${esc(record.id)}</code>`],
        ["project", esc(record.project)],
        ["profile", esc(record.profile ?? "none")],
        ["created", esc(record.created)],
        ["task", esc(record.task)],
        ["model family", esc(record.family)],
        ["primary metric", `${esc(primary)} (${direction(primary)})`],
      ]),
    ]),
    section("data", "Data", [
      "<h3>Inputs</h3>",
      table(
        ["file", "sha256", "bytes", "rows"],
        record.data.map((d) => [
          `<code>${esc(d.path)}</code>`,
          `<code title="${esc(d.sha256)}">${esc(d.sha256.slice(0, 16))}…</code>`,
          numCell(d.bytes),
          numCell(d.rows),
        ]),
      ),
      `<p>Test split fingerprint: <code title="${esc(record.test_fingerprint)}">${
        esc(record.test_fingerprint.slice(0, 16))
      }…</code> (runs with the same fingerprint were tested on the same rows).</p>`,
      "<h3>Rows per split</h3>",
      table(
        ["raw", "after cleaning", "train", "val", "test"],
        [[
          numCell(record.rows.raw),
          numCell(record.rows.clean),
          numCell(record.rows.train),
          numCell(record.rows.val),
          numCell(record.rows.test),
        ]],
      ),
      "<h3>Validation of the raw data</h3>",
      validationSummary(reports.validation),
      "<h3>Cleaning</h3>",
      cleaningSummary(reports.cleaning),
    ]),
    section("metrics", "Metrics", [
      metricTable(metrics, primary),
      record.task === "classification" ? perClassTable(metrics.model.test) : "",
    ]),
    section("training", "Learning curves", [learning, trainingFacts(history)]),
    section(
      "evaluation",
      record.task === "classification"
        ? "Confusion matrix and ROC curves"
        : "Predicted against actual, residuals",
      [`<div class="charts">${evaluation.join("")}</div>`],
    ),
    section("features", "Features", [
      "<h3>Feature scores</h3>",
      selectionCharts.length > 0
        ? `<div class="charts">${selectionCharts.join("")}</div>`
        : `<p class="note">No feature selection is configured (features.selection), so there are no selector scores; the model uses all ${input.names.length} features: ${
          input.names.map((n) => `<code>${esc(n)}</code>`).join(", ")
        }.</p>`,
      "<h3>Permutation importance on the test split</h3>",
      importanceChart,
      importance ? importanceTable(importance, input.names) : "",
    ]),
    section("model", "Model", [`<pre>${esc(input.model.summary())}</pre>`]),
    section("config", "Resolved config", [
      `<p>The config that produced the run (<code>config.yaml</code> in the run folder).</p>`,
      `<pre>${esc(input.configYaml)}</pre>`,
    ]),
    section("environment", "Timings and environment", [
      "<h3>Stage timings</h3>",
      timingTable(record.stages),
      "<h3>Environment</h3>",
      keyValues([
        [
          "git commit",
          record.git.commit === null
            ? "unknown (no git)"
            : `<code>${esc(record.git.commit)}</code>${
              record.git.dirty ? " with uncommitted changes" : ""
            }`,
        ],
        ...Object.entries(record.versions).map(([name, version]) =>
          [esc(name), `<code>${esc(version)}</code>`] as [string, string]
        ),
        ["split seed", numCell(record.seeds.split)],
        ["training seed", numCell(record.seeds.training)],
        ["config hash", `<code>${esc(record.config_hash)}</code>`],
        ["run format", numCell(record.format_version)],
      ]),
    ]),
  ];
  const generated = (settings.generatedAt ?? new Date()).toISOString();
  return page({
    title: `Run ${record.id}`,
    heading: `Run report <code>${esc(record.id)}</code>`,
    subtitle: `${esc(record.project)} · ${esc(record.family)} · ${esc(record.task)}`,
    nav: [
      ["overview", "Overview"],
      ["data", "Data"],
      ["metrics", "Metrics"],
      ["training", "Learning curves"],
      ["evaluation", "Evaluation"],
      ["features", "Features"],
      ["model", "Model"],
      ["config", "Config"],
      ["environment", "Environment"],
    ],
    body: sections.join("\n"),
    footer: `Generated ${esc(generated)} by deno-mlops. Rebuild with <code>deno task report ${
      esc(record.id)
    }</code>.`,
    script: null,
  });
}

/** One run on the comparison page. */
export interface RunsPageRun {
  /** The run id. */
  id: string;
  /** ISO time the run finished, or `null` when unknown. */
  created: string | null;
  /** `project.name`, or `null` when unknown. */
  project: string | null;
  /** The profile name (`none` without one), or `null` when unknown. */
  profile: string | null;
  /** The model family, or `null` when unknown. */
  family: string | null;
  /** The primary metric and its values, or `null` when unknown. */
  primary: { metric: string; val: number | null; test: number | null } | null;
  /** Hyperparameters by config path, e.g. `training.learning_rate`; lists as JSON text. */
  params: Record<string, number | string | boolean | null>;
  /** Whether the run is in production. */
  production: boolean;
  /** Why the run cannot be read, or `null`. */
  problem: string | null;
  /** A link to its report, relative to the page, or `null` when it has none. */
  report: string | null;
}

/** One hyperparameter study on the comparison page (from its `study.json`). */
export interface RunsPageStudy {
  /** The study id (its folder name). */
  id: string;
  /** `running`, `interrupted` or `finished`, or `null` when unknown. */
  status: string | null;
  /** Trials finished, or `null` when unknown. */
  trials: number | null;
  /** Trials planned, or `null` when unknown. */
  planned: number | null;
  /** The metric trials were ranked by, or `null` when unknown. */
  metric: string | null;
  /** The best trial's mean score over the folds, or `null`. */
  best: number | null;
  /** Its standard deviation over the folds, or `null`. */
  bestStd: number | null;
  /** The best trial's values as `name=value` text, or `null`. */
  params: string | null;
  /** The run that refitted the best trial, or `null`. */
  run: string | null;
  /** A link to that run's report, relative to the page, or `null`. */
  report: string | null;
  /** Why the study could not be read, or `null`. */
  problem: string | null;
}

/** Everything the comparison page shows. */
export interface RunsPageInput {
  /** The experiments folder, as shown in the heading. */
  experimentsDir: string;
  /** The production run id, or `null` when production is empty or unreadable. */
  productionId: string | null;
  /** The runs, newest first. */
  runs: readonly RunsPageRun[];
  /** The studies. */
  studies: readonly RunsPageStudy[];
}

/** Options of {@link buildRunsPage}. */
export interface RunsPageOptions {
  /**
   * The time printed in the footer; `null` takes the current time.
   * @default null
   */
  generatedAt?: Date | null;
  /**
   * Where a chart that cannot be drawn is logged; `null` for the `pipeline` project logger.
   * @default null
   */
  logger?: Logger | null;
  /**
   * Most runs in the bar chart of the primary metric (the newest; the table lists all).
   * @default 20
   */
  maxChartRuns?: number;
}

/**
 * Defaults of {@link RunsPageOptions}.
 *
 * @example
 * ```ts
 * await buildRunsPage(input, { ...DEFAULT_RUNS_PAGE_OPTIONS, maxChartRuns: 10 });
 * ```
 */
export const DEFAULT_RUNS_PAGE_OPTIONS: Readonly<Required<RunsPageOptions>> = {
  generatedAt: null,
  logger: null,
  maxChartRuns: 20,
};

/**
 * Builds the comparison page of all runs and studies: a table sortable by any column (click a
 * header: ascending, again: descending; numbers sort as numbers), the production run
 * highlighted, a bar chart of the primary metric, one scatter plot of the primary metric
 * against each numeric hyperparameter that varies between runs, and the studies.
 *
 * The page is self-contained: inline CSS, inline SVG charts, and one small inline script for
 * sorting; its Content-Security-Policy forbids every request.
 *
 * @param input the runs, the production id and the studies
 * @param options the footer time, the logger and the bar chart's size
 * @returns the HTML document
 * @throws {RangeError} when `maxChartRuns` is not an integer from 1 to 100
 * @example
 * ```ts
 * const html = await buildRunsPage({ experimentsDir: "models/experiments", productionId: null, runs, studies: [] });
 * ```
 */
export async function buildRunsPage(
  input: RunsPageInput,
  options: RunsPageOptions = {},
): Promise<string> {
  const settings = { ...DEFAULT_RUNS_PAGE_OPTIONS, ...options };
  if (
    !Number.isInteger(settings.maxChartRuns) || settings.maxChartRuns < 1 ||
    settings.maxChartRuns > 100
  ) {
    throw new RangeError(
      `Cannot build the runs page: "maxChartRuns" is ${settings.maxChartRuns}, expected an integer from 1 to 100`,
    );
  }
  const logger = settings.logger ?? getProjectLogger("pipeline");
  const charts = new ChartRenderer(logger, "runs page");
  const runs = input.runs;
  const paramKeys = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].sort(
    (a, b) => paramOrder(a) - paramOrder(b) || a.localeCompare(b),
  );

  const header = [
    ["id", "text"],
    ["created", "text"],
    ["project", "text"],
    ["profile", "text"],
    ["family", "text"],
    ["metric", "text"],
    ["val", "number"],
    ["test", "number"],
    ...paramKeys.map((key) => [key, "auto"]),
    ["report", "text"],
  ] as const;
  const rows = runs.map((run) => {
    const cells = [
      cell(
        run.id,
        `<code>${esc(run.id)}</code>${
          run.production ? ' <span class="badge">production</span>' : ""
        }${run.problem ? ` <span class="problem">${esc(run.problem)}</span>` : ""}`,
      ),
      cell(run.created ?? "", esc(run.created?.replace("T", " ").slice(0, 19) ?? "")),
      cell(run.project ?? "", esc(run.project ?? "")),
      cell(run.profile ?? "", esc(run.profile ?? "")),
      cell(run.family ?? "", esc(run.family ?? "")),
      cell(run.primary?.metric ?? "", esc(run.primary?.metric ?? "")),
      numberCell(run.primary?.val ?? null),
      numberCell(run.primary?.test ?? null),
      ...paramKeys.map((key) => {
        const value = run.params[key];
        if (value === undefined || value === null) return cell("", "");
        if (typeof value === "number") return numberCell(value);
        return cell(String(value), `<code>${esc(String(value))}</code>`);
      }),
      cell(run.report ?? "", run.report ? `<a href="${esc(run.report)}">report</a>` : ""),
    ];
    return `<tr${run.production ? ' class="production"' : ""} data-run="${esc(run.id)}">${
      cells.join("")
    }</tr>`;
  });
  const tableHtml = runs.length === 0
    ? `<p class="note">No runs in <code>${
      esc(input.experimentsDir)
    }</code> yet; train one with <code>deno task train</code>.</p>`
    : `<p>Click a column header to sort by it (again to reverse). ${
      input.productionId
        ? `The production run <code>${esc(input.productionId)}</code> is highlighted.`
        : "Production is empty."
    }</p><div class="scroll"><table class="sortable" id="runs-table"><thead><tr>${
      header.map(([name, kind], j) =>
        `<th data-column="${j}" data-kind="${kind}" tabindex="0" aria-sort="none">${esc(name)}</th>`
      ).join("")
    }</tr></thead><tbody>${rows.join("\n")}</tbody></table></div>`;

  const chartParts: string[] = [];
  const metricRows: RunMetric[] = [];
  for (const run of runs.slice(0, settings.maxChartRuns)) {
    if (!run.primary) continue;
    for (const split of ["val", "test"] as const) {
      const value = run.primary[split];
      if (value !== null) {
        metricRows.push({ run_id: run.id, metric: run.primary.metric, value, split });
      }
    }
  }
  if (metricRows.length > 0) {
    chartParts.push(
      await charts.figure(
        "primary-metric",
        `The primary metric of the ${Math.min(runs.length, settings.maxChartRuns)} newest runs`,
        () => plotRunComparison(metricRows, { title: "Primary metric by run", maxRuns: 100 }),
      ),
    );
  }
  const metricNames = [...new Set(runs.flatMap((run) => run.primary ? [run.primary.metric] : []))];
  for (const metric of metricNames) {
    const withMetric = runs.filter((run) => run.primary?.metric === metric);
    for (const key of paramKeys) {
      const points = withMetric.filter((run) => typeof run.params[key] === "number");
      if (new Set(points.map((run) => run.params[key])).size < 2) continue;
      const xs: number[] = [];
      const ys: number[] = [];
      const splits: string[] = [];
      for (const run of points) {
        for (const split of ["val", "test"] as const) {
          const value = run.primary![split];
          if (value === null) continue;
          xs.push(run.params[key] as number);
          ys.push(value);
          splits.push(split);
        }
      }
      if (xs.length === 0) continue;
      const frame = pl.DataFrame({ [key]: xs, [metric]: ys, split: splits });
      chartParts.push(
        await charts.figure(
          `scatter-${slug(metric)}-${slug(key)}`,
          `${metric} against ${key} (${points.length} runs)`,
          () =>
            plotScatter(frame, {
              x: key,
              y: metric,
              color: "split",
              width: 280,
              height: 220,
              title: `${metric} against ${key}`,
            }),
        ),
      );
    }
  }
  const chartsHtml = chartParts.length === 0
    ? `<p class="note">No charts: there are no runs with a primary metric.</p>`
    : `<div class="charts">${chartParts.join("")}</div>${
      chartParts.length === 1 && runs.length > 0
        ? `<p class="note">No hyperparameter scatter plots: no numeric hyperparameter varies between runs.</p>`
        : ""
    }`;

  const studies = input.studies.length === 0
    ? `<p class="note">No studies in <code>${esc(input.experimentsDir)}</code>.</p>`
    : table(
      [
        "study",
        "status",
        "trials",
        "metric",
        "best (mean ± std over folds)",
        "best values",
        "final run",
      ],
      input.studies.map((study) => [
        `<code>${esc(study.id)}</code>${
          study.problem ? ` <span class="problem">${esc(study.problem)}</span>` : ""
        }`,
        esc(study.status ?? ""),
        study.trials === null
          ? ""
          : `${numCell(study.trials)}${
            study.planned === null ? "" : ` of ${numCell(study.planned)}`
          }`,
        esc(study.metric ?? ""),
        study.best === null
          ? ""
          : `${fmt(study.best)}${study.bestStd === null ? "" : ` ± ${fmt(study.bestStd)}`}`,
        study.params === null ? "" : `<code>${esc(study.params)}</code>`,
        study.run === null
          ? ""
          : study.report
          ? `<a href="${esc(study.report)}"><code>${esc(study.run)}</code></a>`
          : `<code>${esc(study.run)}</code>`,
      ]),
      "studies-table",
    );

  const generated = (settings.generatedAt ?? new Date()).toISOString();
  return page({
    title: "Runs",
    heading: "Runs and studies",
    subtitle: `${runs.length} run(s) in <code>${esc(input.experimentsDir)}</code> · production: ${
      input.productionId ? `<code>${esc(input.productionId)}</code>` : "empty"
    }`,
    nav: [["runs", "Runs"], ["charts", "Charts"], ["studies", "Studies"]],
    body: [
      section("runs", "Runs", [tableHtml]),
      section("charts", "Metrics against hyperparameters", [chartsHtml]),
      section("studies", "Studies", [studies]),
    ].join("\n"),
    footer: `Generated ${
      esc(generated)
    } by deno-mlops. Rebuild with <code>deno task runs --html</code>.`,
    script: SORT_SCRIPT,
  });
}

// -- charts -----------------------------------------------------------------------------------

/** Renders chart specs to figures, turning a failure into a visible note. */
class ChartRenderer {
  readonly #logger: Logger;
  readonly #context: string;

  constructor(logger: Logger, context: string) {
    this.#logger = logger;
    this.#context = context;
  }

  async figure(id: string, caption: string, build: () => TopLevelSpec): Promise<string> {
    try {
      const svg = scopeSvgIds(await toSVG(build(), { logger: this.#logger }), id);
      return `<figure class="chart" id="chart-${esc(id)}">${svg}<figcaption>${
        esc(caption)
      }</figcaption></figure>`;
    } catch (error) {
      const message = (error as Error).message;
      this.#logger.warn("{context}: chart {id} not drawn: {message}", {
        context: this.#context,
        id,
        message,
      });
      return `<p class="note chart-error" data-chart="${esc(id)}">Chart "${
        esc(caption)
      }" not drawn: ${esc(message)}</p>`;
    }
  }
}

/**
 * Renames every `id` of an SVG, and the references to it, to `<chart>-<n>` in order of
 * appearance: several inline SVGs in one page never point at each other's clip paths or
 * gradients (vega numbers them per process), and the same chart always gets the same ids.
 */
function scopeSvgIds(svg: string, chart: string): string {
  const names = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!names.has(match[1]!)) names.set(match[1]!, `${slug(chart)}-${names.size + 1}`);
  }
  const rename = (id: string) => names.get(id) ?? id;
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id) => ` id="${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${rename(id)})`)
    .replace(/(xlink:href|href)="#([^"]+)"/g, (_, attr, id) => `${attr}="#${rename(id)}"`);
}

function rocCurves(
  y: Extract<Targets, { kind: "classification" }>,
  proba: Float32Array,
): Record<string, RocCurve> {
  const k = y.classes.length;
  const curves: Record<string, RocCurve> = {};
  y.classes.forEach((name, j) => {
    const positive = Int32Array.from(y.labels, (label) => (label === j ? 1 : 0));
    const scores = Float64Array.from({ length: y.labels.length }, (_, i) => proba[i * k + j]!);
    curves[name] = rocCurve(positive, scores);
  });
  return curves;
}

// -- sections -------------------------------------------------------------------------------

type MetricValues = Record<"train" | "val" | "test", Record<string, unknown> | null>;

function metricValues(metrics: RunReportInput["metrics"]): {
  primary_metric: string;
  model: MetricValues;
  baseline: MetricValues;
} {
  const splits = (by: MetricsBySplit): MetricValues => ({
    train: by?.train as Record<string, unknown> | null ?? null,
    val: by?.val as Record<string, unknown> | null ?? null,
    test: by?.test as Record<string, unknown> | null ?? null,
  });
  return {
    primary_metric: metrics.primary_metric,
    model: splits(metrics.model),
    baseline: splits(metrics.baseline),
  };
}

function metricTable(metrics: ReturnType<typeof metricValues>, primary: string): string {
  const splits = ["train", "val", "test"] as const;
  const names = Object.keys(METRIC_DIRECTIONS).filter((name) =>
    splits.some((split) =>
      metrics.model[split]?.[name] !== undefined || metrics.baseline[split]?.[name] !== undefined
    )
  );
  if (names.length === 0) return `<p class="note">metrics.json holds no metrics.</p>`;
  const rows = names.map((name) => {
    const model = (split: (typeof splits)[number]) => num(metrics.model[split]?.[name]);
    const base = (split: (typeof splits)[number]) => num(metrics.baseline[split]?.[name]);
    const testValue = model("test");
    const baseTest = base("test");
    let delta = "";
    if (testValue !== null && baseTest !== null) {
      const d = testValue - baseTest;
      const dir = METRIC_DIRECTIONS[name as keyof typeof METRIC_DIRECTIONS];
      const better = dir === "max" ? d > 0 : d < 0;
      const worse = dir === "max" ? d < 0 : d > 0;
      delta = `<span class="${better ? "better" : worse ? "worse" : ""}">${d >= 0 ? "+" : ""}${
        d.toFixed(4)
      }${better ? " ▲" : worse ? " ▼" : ""}</span>`;
    }
    return [
      `${esc(name)}${name === primary ? ' <span class="badge">primary</span>' : ""}`,
      esc(direction(name)),
      fmt(model("train")),
      fmt(model("val")),
      fmt(testValue),
      fmt(base("val")),
      fmt(baseTest),
      delta,
    ];
  });
  return `<p>The baseline is the <code>baseline</code> family (majority class or mean) trained on the same split. Δ is the test value minus the baseline's; ▲ marks the model better.</p>${
    table(
      ["metric", "better", "train", "val", "test", "baseline val", "baseline test", "Δ test"],
      rows,
      "metrics-table",
    )
  }`;
}

function perClassTable(test: Record<string, unknown> | null): string {
  const perClass = test?.["per_class"];
  if (typeof perClass !== "object" || perClass === null) return "";
  const rows = Object.entries(perClass as Record<string, Record<string, unknown>>).map((
    [name, scores],
  ) => [
    esc(name),
    fmt(num(scores["precision"])),
    fmt(num(scores["recall"])),
    fmt(num(scores["f1"])),
    numCell(num(scores["support"]) ?? 0),
  ]);
  return `<h3>Per class on the test split</h3>${
    table(["class", "precision", "recall", "f1", "support"], rows)
  }`;
}

function trainingFacts(history: TrainingHistory | null): string {
  if (!history || !Array.isArray(history.epochs)) return "";
  return keyValues([
    ["epochs run", numCell(history.epochs.length)],
    ["best epoch", numCell(history.bestEpoch)],
    ["stopped early", history.stoppedEarly ? "yes" : "no"],
    ["best weights restored", history.restoredBest ? "yes" : "no"],
    ["monitored loss", esc(history.monitor ?? "")],
    ["training time", `${fmtSeconds(history.seconds)}`],
  ]);
}

function validationSummary(report: ValidationReport | null): string {
  if (!report) return `<p class="note">No validation report recorded.</p>`;
  const head = `<p>${numCell(report.rows)} rows × ${numCell(report.columns)} columns: ${
    report.ok
      ? '<span class="better">every rule holds</span>'
      : `<span class="worse">${report.issues.length} rule(s) broken</span> (cleaning below fixes them before training)`
  }.</p>`;
  if (report.issues.length === 0) return head;
  return head + table(
    ["column", "rule", "rows", "detail"],
    report.issues.map((issue) => [
      esc(issue.column ?? "(table)"),
      esc(issue.rule),
      numCell(issue.count),
      esc(issue.message),
    ]),
  );
}

function cleaningSummary(report: CleaningReport | null): string {
  if (!report) return `<p class="note">No cleaning report recorded.</p>`;
  const head = `<p>${numCell(report.rowsIn)} rows in, ${numCell(report.rowsOut)} rows out (${
    numCell(report.rowsIn - report.rowsOut)
  } dropped).</p>`;
  if (report.steps.length === 0) return head;
  return head + table(
    ["step", "column", "action", "rows"],
    report.steps.map((step) => [
      esc(step.step),
      esc(step.column ?? "(all)"),
      esc(step.action),
      numCell(step.rows),
    ]),
  );
}

function importanceTable(result: PermutationImportanceResult, names: readonly string[]): string {
  const rows = result.rows < result.totalRows
    ? `a seeded sample of ${result.rows.toLocaleString("en-US")} of the ${
      result.totalRows.toLocaleString("en-US")
    } test rows`
    : `the ${result.rows.toLocaleString("en-US")} test rows`;
  return `<p>Baseline ${esc(result.metric)} on ${rows}: ${
    fmt(result.baseline)
  }. Each input (its one-hot columns together) was shuffled ${result.repeats} times; the drop is ${
    result.direction === "max" ? "baseline − shuffled" : "shuffled − baseline"
  }, so larger means the model relies on it more.</p>${
    table(
      ["input", "model columns", "mean drop", "± std"],
      result.importances.map((entry) => [
        esc(entry.feature),
        entry.columns.map((j) => `<code>${esc(names[j] ?? String(j))}</code>`).join(", "),
        fmt(entry.mean),
        fmt(entry.std),
      ]),
      "importance-table",
    )
  }`;
}

function timingTable(stages: Record<string, number>): string {
  const entries = Object.entries(stages ?? {}).filter(([, s]) => typeof s === "number");
  if (entries.length === 0) return `<p class="note">No stage timings recorded.</p>`;
  const total = entries.reduce((sum, [, s]) => sum + s, 0);
  return table(
    ["stage", "seconds", "share"],
    [
      ...entries.map(([name, s]) => [
        esc(name),
        `<span class="num">${s.toFixed(3)}</span>`,
        `<span class="num">${total > 0 ? ((100 * s) / total).toFixed(1) : "0.0"}%</span>`,
      ]),
      [
        "<strong>total</strong>",
        `<span class="num"><strong>${total.toFixed(3)}</strong></span>`,
        "",
      ],
    ],
  );
}

// -- html helpers -----------------------------------------------------------------------------

const CSS = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6573; --line: #d9dee5; --accent: #0072B2;
  --bg: #ffffff; --panel: #f6f8fa; --good: #0a7a3d; --bad: #b3261e; --hl: #fff4d6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .subtitle { color: var(--muted); }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 1; }
nav a { margin-right: 16px; color: var(--accent); text-decoration: none; }
main { padding: 8px 32px 32px; max-width: 1400px; }
section { margin-top: 24px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td .num, td.num { font-variant-numeric: tabular-nums; }
td.num { text-align: right; }
table.kv th { text-align: left; width: 180px; background: none; color: var(--muted); font-weight: normal; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable td { white-space: nowrap; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
tr.production td { background: var(--hl); }
tr.production td:first-child { box-shadow: inset 4px 0 0 #E69F00; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; background: #E69F00; color: #fff; font-size: 11px; }
.problem { color: var(--bad); font-size: 12px; }
.better { color: var(--good); }
.worse { color: var(--bad); }
.note { color: var(--muted); font-style: italic; }
.chart-error { color: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 180px; background: var(--panel); }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; }
.card .detail { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; max-width: 640px; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 480px; font-size: 12px; }
code { font-family: Menlo, Consolas, monospace; font-size: 12px; }
.scroll { overflow-x: auto; }
footer { padding: 16px 32px; color: var(--muted); border-top: 1px solid var(--line); font-size: 12px; }
`;

/** Sorts `table.sortable` by a clicked header: ascending, then descending; numbers as numbers. */
const SORT_SCRIPT = `
(function () {
  "use strict";
  function key(row, column) {
    var cell = row.children[column];
    return cell ? cell.getAttribute("data-sort") || "" : "";
  }
  function compare(a, b, numeric) {
    if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1;
    if (numeric) return Number(a) - Number(b);
    return a.localeCompare(b, undefined, { numeric: true });
  }
  function sortBy(table, th) {
    var column = Number(th.getAttribute("data-column"));
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (row) {
      var value = key(row, column);
      return value === "" || isFinite(Number(value));
    });
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var sign = ascending ? 1 : -1;
    rows.sort(function (a, b) {
      var ka = key(a, column), kb = key(b, column);
      if (ka === "" || kb === "") return compare(ka, kb, numeric);
      return sign * compare(ka, kb, numeric);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th); }
      });
    });
  });
})();
`;

function page(parts: {
  title: string;
  heading: string;
  subtitle: string;
  nav: readonly (readonly [string, string])[];
  body: string;
  footer: string;
  script: string | null;
}): string {
  // No request of any kind: styles and (on the runs page) the script are inline only.
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${
    parts.script ? "'unsafe-inline'" : "'none'"
  }; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(parts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${parts.heading}</h1><div class="subtitle">${parts.subtitle}</div></header>
<nav>${parts.nav.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join("")}</nav>
<main>
${parts.body}
</main>
<footer>${parts.footer}</footer>
${parts.script ? `<script>${parts.script}</script>\n` : ""}</body>
</html>
`;
}

function section(id: string, title: string, parts: readonly string[]): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${parts.join("\n")}</section>`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], id = ""): string {
  return `<table${id ? ` id="${id}"` : ""}><thead><tr>${
    header.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function keyValues(rows: readonly (readonly [string, string])[]): string {
  return `<table class="kv"><tbody>${
    rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")
  }</tbody></table>`;
}

function card(label: string, value: string, detail: string): string {
  return `<div class="card"><div class="label">${
    esc(label)
  }</div><div class="value">${value}</div><div class="detail">${detail}</div></div>`;
}

function cell(sortKey: string, html: string): string {
  return `<td data-sort="${esc(sortKey)}">${html}</td>`;
}

function numberCell(value: number | null): string {
  return value === null || !Number.isFinite(value)
    ? cell("", "n/a")
    : `<td class="num" data-sort="${value}">${esc(formatNumber(value))}</td>`;
}

function numCell(value: number): string {
  return `<span class="num">${esc(value.toLocaleString("en-US"))}</span>`;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.001 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(6)))
    : value.toExponential(3);
}

function fmt(value: number | null): string {
  return value === null || !Number.isFinite(value) ? "n/a" : value.toFixed(4);
}

function fmtSeconds(seconds: number): string {
  return typeof seconds === "number" && Number.isFinite(seconds)
    ? `${seconds.toFixed(2)} s`
    : "n/a";
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function direction(metric: string): string {
  const dir = METRIC_DIRECTIONS[metric as keyof typeof METRIC_DIRECTIONS];
  return dir === "max" ? "higher is better" : dir === "min" ? "lower is better" : "unknown";
}

function paramOrder(key: string): number {
  return key.startsWith("model.") ? 0 : 1;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
}

/** Escapes text for HTML content and attribute values. */
function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
