/**
 * The HTML of the runs comparison page: a pure function from loaded runs and studies to one
 * self-contained page with sortable tables and a metric chart.
 *
 * @module
 */
import pl from "nodejs-polars";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { plotRunComparison, plotScatter } from "../viz/mod.ts";
import type { RunMetric } from "../viz/mod.ts";
import {
  cell,
  ChartRenderer,
  esc,
  fmt,
  numberCell,
  numCell,
  page,
  section,
  slug,
  SORT_SCRIPT,
  table,
} from "./_html.ts";

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

function paramOrder(key: string): number {
  return key.startsWith("model.") ? 0 : 1;
}
