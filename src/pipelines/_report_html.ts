/**
 * The HTML of a run report: a pure function from a run's loaded values to one self-contained
 * page (inline CSS, charts as inline SVG, no request of any kind).
 *
 * Kept apart from `report.ts`, which reads run folders and rebuilds test splits, so that
 * `training_pipeline.ts` can write the report of a new run without an import cycle. The runs
 * comparison page is in `_runs_page_html.ts`; the page parts both share are in `_html.ts`.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { CleaningReport, ValidationReport } from "../data/mod.ts";
import type { SelectionReport } from "../features/mod.ts";
import { featureGroups, permutationImportance } from "../models/mod.ts";
import { trainingStepName } from "../models/mod.ts";
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
  trainingObjective,
} from "../viz/mod.ts";
import {
  card,
  ChartRenderer,
  direction,
  esc,
  fmt,
  keyValues,
  num,
  numCell,
  page,
  section,
  table,
} from "./_html.ts";
import {
  categoricalInputsTable,
  cleaningSummary,
  groupTreeImportance,
  importanceTable,
  metricTable,
  metricValues,
  modelCategoricalInputs,
  modelTreeImportance,
  perClassTable,
  timingTable,
  trainingClassBalance,
  trainingFacts,
  treeImportanceTable,
  validationSummary,
} from "./_report_sections.ts";
import type { MetricsBySplit } from "./_report_sections.ts";

export type { MetricsBySplit };

/** What cleaning, validation and selection reported when the run was trained (`reports.json`). */
export interface RunReports {
  /** The raw data checked against the validation schema. */
  validation: ValidationReport | null;
  /** What cleaning did. */
  cleaning: CleaningReport | null;
  /** What feature selection did, or `null` without selection. */
  selection: SelectionReport | null;
}

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
  /**
   * Whether the run folder holds `split.json` (runs recorded before it existed do not).
   * @default false
   */
  splitRecorded?: boolean;
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

  // The loss curves carry the family's L2 penalty; the metrics table's log_loss does not. Tree
  // families record the plain loss per round: their l2 acts on leaf values.
  const objective = trainingObjective(record.task, modelParams(input.configYaml), {
    family: record.family,
  });
  const step = trainingStepName(record.family);
  const learning = history && Array.isArray(history.epochs) && history.epochs.length > 0
    ? await charts.figure(
      "learning-curves",
      `Loss and metric per ${step}`,
      () => plotLearningCurves(history, { objective, step }),
    )
    : `<p class="note">No ${step}s in history.json.</p>`;

  const categoricalInputs = modelCategoricalInputs(input.model);
  // Tree families: importance by split gain and split count, from the trees themselves.
  const treeColumns = modelTreeImportance(input.model);
  const treeImportance = treeColumns === null
    ? null
    : groupTreeImportance(treeColumns, featureGroups(input.inputColumns, input.names));
  const treeCharts = treeImportance === null ? [] : [
    await charts.figure(
      "tree-importance-gain",
      "Total gain of the splits on each input, over all trees (training rows)",
      () =>
        plotFeatureScores(
          treeImportance.map((entry) => ({ feature: entry.feature, score: entry.gain })),
          { scoreName: "total split gain", title: "Importance by gain (trees)" },
        ),
    ),
    await charts.figure(
      "tree-importance-splits",
      "Number of splits on each input, over all trees",
      () =>
        plotFeatureScores(
          treeImportance.map((entry) => ({ feature: entry.feature, score: entry.splits })),
          { scoreName: "splits", title: "Importance by split count (trees)" },
        ),
    ),
  ];

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
  // With imbalanced classes the per-class scores lead: the averages hide the rare classes.
  const imbalance = record.task === "classification" ? trainingClassBalance(metrics.model) : null;
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
      input.splitRecorded
        ? `<p>The input rows of each split are listed in <code>split.json</code>; <code>deno task split --run ${
          esc(record.id)
        }</code> writes them as CSV files, to fit or score another tool on the same rows.</p>`
        : "",
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
    section(
      "metrics",
      "Metrics",
      imbalance?.balance.imbalanced
        ? [perClassTable(metrics.model.test, imbalance), metricTable(metrics, primary)]
        : [metricTable(metrics, primary), perClassTable(metrics.model.test, imbalance)],
    ),
    section("training", "Learning curves", [learning, trainingFacts(history, objective, step)]),
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
      ...(treeImportance === null ? [] : [
        "<h3>Tree importance: split gain and split count</h3>",
        `<div class="charts">${treeCharts.join("")}</div>`,
        treeImportanceTable(treeImportance, input.names),
      ]),
      ...(categoricalInputs.length === 0 ? [] : [
        "<h3>Categorical inputs: split by sets of categories</h3>",
        categoricalInputsTable(categoricalInputs, input.names),
      ]),
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

/** `model.params` of a resolved config's YAML, or `{}` when it has none. */
function modelParams(configYaml: string): Record<string, unknown> {
  const resolved: unknown = parseYaml(configYaml);
  const model = (resolved as { model?: unknown } | null)?.model;
  const params = (model as { params?: unknown } | null | undefined)?.params;
  return typeof params === "object" && params !== null && !Array.isArray(params)
    ? params as Record<string, unknown>
    : {};
}
