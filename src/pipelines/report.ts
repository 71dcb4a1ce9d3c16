/**
 * Run reports and the runs comparison page, as self-contained HTML files.
 *
 * Every new run gets `report.html` from the training job (see `runTraining`); `writeRunReport`
 * rebuilds it from the run folder, with the test split rebuilt from the run's config snapshot
 * and checked against its recorded fingerprint. The report is a derived view: it is left out of
 * the checksums in `run.json` (a derived artifact of the run catalog), so rebuilding it keeps the run verifiable.
 * `writeRunsPage` writes one page comparing every run and study of an experiments folder.
 *
 * @module
 */
import { dirname, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import type { RegistryConfig } from "../config/mod.ts";
import {
  flattenConfig,
  listProductionProjects,
  listRuns,
  profileName,
  projectProductionDir,
  readProductionPointer,
  readRunMetrics,
  RUN_ARTIFACTS,
  runArtifactPath,
} from "../models/mod.ts";
import type { ListRunsOptions } from "../models/mod.ts";
import { ArtifactError, DataValidationError, SchemaMismatchError } from "../errors.ts";
import { fingerprintFrame, getProjectLogger, pathExists, writeFileAtomic } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { buildRunReport } from "./_report_html.ts";
import type { RunReportInput, RunReports } from "./_report_html.ts";
import { buildRunsPage } from "./_runs_page_html.ts";
import type { RunsPageInput, RunsPageRun, RunsPageStudy } from "./_runs_page_html.ts";
import { featureMatrixForRun, openRun, targetsForRun } from "./run_artifacts.ts";
import type { RunArtifacts, RunLocations } from "./run_artifacts.ts";
import { prepareData } from "./training_pipeline.ts";
import { formatTrialParams, listStudyIds, readStudy } from "./tune/mod.ts";

export { buildRunReport, DEFAULT_RUN_REPORT_OPTIONS } from "./_report_html.ts";
export type {
  MetricsBySplit,
  RunReportInput,
  RunReportOptions,
  RunReports,
} from "./_report_html.ts";
export { buildRunsPage, DEFAULT_RUNS_PAGE_OPTIONS } from "./_runs_page_html.ts";
export type {
  RunsPageInput,
  RunsPageOptions,
  RunsPageRun,
  RunsPageStudy,
} from "./_runs_page_html.ts";

/** The config paths shown as hyperparameters besides every `model.params.*`. */
export const RUNS_PAGE_TRAINING_KEYS: readonly string[] = [
  "training.learning_rate",
  "training.batch_size",
  "training.epochs",
];

/**
 * Reads what a report shows from an opened run folder: `config.yaml`, `metrics.json`,
 * `history.json` and `reports.json`.
 *
 * @param run the opened run (its checksums already verified)
 * @returns the report input, with the run's model
 * @throws {ArtifactError} naming the file when one is missing or not valid JSON
 * @example
 * ```ts
 * const run = await openRunArtifacts("models/experiments", id, root);
 * const html = await buildRunReport(await loadRunReportInput(run));
 * ```
 */
export async function loadRunReportInput(run: RunArtifacts): Promise<RunReportInput> {
  const reports = await RUN_ARTIFACTS.reports.read(run.dir) as Partial<RunReports> | null;
  return {
    record: run.record,
    configYaml: await RUN_ARTIFACTS.config.read(run.dir),
    target: run.loaded.config.data.target,
    metrics: await readRunMetrics(run.dir),
    history: await RUN_ARTIFACTS.history.read(run.dir),
    reports: {
      validation: reports?.validation ?? null,
      cleaning: reports?.cleaning ?? null,
      selection: reports?.selection ?? null,
    },
    model: run.model,
    names: run.names,
    inputColumns: run.pipeline.inputColumns(),
    splitRecorded: Object.hasOwn(run.record.artifacts ?? {}, RUN_ARTIFACTS.split.file),
  };
}

/** Options of {@link writeRunReport}. */
export interface WriteRunReportOptions {
  /**
   * Where logs go; `null` for the `pipeline` project logger.
   * @default null
   */
  logger?: Logger | null;
  /**
   * Shuffles per input for permutation importance (1–100).
   * @default 5
   */
  repeats?: number;
}

/**
 * Defaults of {@link WriteRunReportOptions}.
 *
 * @example
 * ```ts
 * await writeRunReport(dir, id, root, { ...DEFAULT_WRITE_RUN_REPORT_OPTIONS, repeats: 10 });
 * ```
 */
export const DEFAULT_WRITE_RUN_REPORT_OPTIONS: Readonly<Required<WriteRunReportOptions>> = {
  logger: null,
  repeats: 5,
};

/** The outcome of {@link writeRunReport}. */
export interface WrittenRunReport {
  /** The run id. */
  id: string;
  /** The report file. */
  path: string;
  /** Whether the test split was rebuilt, so ROC or prediction plots and importance are drawn. */
  testSplit: boolean;
  /** Why the test split was not rebuilt, or `null`. */
  note: string | null;
}

/**
 * Rebuilds `report.html` of run `id` from its folder.
 *
 * The run is opened with its checksums verified; its test split is rebuilt from the config
 * snapshot and must match the recorded fingerprint. When the data changed (or can no longer be
 * read), the report is still written, with a note where the charts that need the test split
 * would be. The file is written to a temporary name and renamed over the old report. The
 * report is not in `run.json`'s checksums, so the run stays verifiable.
 *
 * @param ref a run id, `"production"` or a run folder (see `openRun`)
 * @param where the project root and registry folders; a `LoadedConfig` will do
 * @param options the logger and the importance repeats
 * @returns the report path and whether the test split was available
 * @throws {ArtifactError} when the run is missing or altered, an artifact cannot be read, or the
 *   report cannot be written
 * @example
 * ```ts
 * const { path } = await writeRunReport(id, await loadConfig());
 * ```
 */
export async function writeRunReport(
  ref: string,
  where: RunLocations,
  options: WriteRunReportOptions = {},
): Promise<WrittenRunReport> {
  const settings = { ...DEFAULT_WRITE_RUN_REPORT_OPTIONS, ...options };
  const logger = settings.logger ?? getProjectLogger("pipeline");
  const run = await openRun(ref, where);
  const id = run.id;
  try {
    const input = await loadRunReportInput(run);
    let test:
      | { x: ReturnType<typeof featureMatrixForRun>; y: ReturnType<typeof targetsForRun> }
      | null = null;
    let note: string | null = null;
    try {
      const data = await prepareData(run.loaded.config, logger);
      const fingerprint = await fingerprintFrame(data.test);
      if (fingerprint === run.record.test_fingerprint) {
        test = { x: featureMatrixForRun(run, data.test), y: targetsForRun(run, data.test) };
      } else {
        note = `the input data changed since the run: the rebuilt test split's fingerprint ${
          fingerprint.slice(0, 12)
        }… differs from the recorded ${run.record.test_fingerprint.slice(0, 12)}…`;
      }
    } catch (error) {
      const expected = [ArtifactError, DataValidationError, SchemaMismatchError];
      if (!expected.some((kind) => error instanceof kind)) throw error;
      note = `the test split cannot be rebuilt: ${(error as Error).message}`;
    }
    if (note !== null) {
      logger.warn("Report of run {id} is written without the test split: {note}", { id, note });
    }
    const html = await buildRunReport(input, {
      test,
      testUnavailable: note,
      repeats: settings.repeats,
      logger,
    });
    const path = `${runArtifactPath(run.dir, "report")}`;
    await writeFileAtomically(path, html, `the report of run "${id}"`);
    logger.info("Wrote the report of run {id} to {path}", { id, path });
    return { id: run.id, path, testSplit: test !== null, note };
  } finally {
    run.model.dispose();
  }
}

/**
 * Gathers what the runs page shows: every run of the experiments folder (newest first) with its
 * primary metric and hyperparameters from its `config.yaml`, the production run, and every
 * study (a folder holding a `study.json`, see `runStudy`).
 *
 * Runs and studies that cannot be read are listed with the problem rather than failing the
 * page. Links to reports are relative to `out`, so the page works wherever the folder is.
 *
 * @param registry the experiments and production folders (`config.registry`)
 * @param out the page's path, against which links are made relative
 * @param options which runs to list (studies are always listed)
 * @returns the page input
 * @throws {ArtifactError} when the experiments folder cannot be listed
 * @example
 * ```ts
 * const input = await collectRunsPage(config.registry, "models/runs.html", { filter: { family: "mlp" } });
 * input.runs.length; // 12
 * ```
 */
export async function collectRunsPage(
  registry: Pick<RegistryConfig, "experiments_dir" | "production_dir">,
  out: string,
  options: Pick<WriteRunsPageOptions, "filter"> = {},
): Promise<RunsPageInput> {
  const experiments = registry.experiments_dir;
  const link = (path: string) => relative(dirname(out), path).split("\\").join("/");
  // The production run of every project is highlighted.
  const productionIds = new Set<string>();
  for (const project of await listProductionProjects(registry.production_dir)) {
    try {
      const pointer = await readProductionPointer(
        projectProductionDir(registry.production_dir, project),
      );
      if (pointer !== null) productionIds.add(pointer.run_id);
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      // The page is still useful without the pointer; `deno task runs` says what is wrong.
    }
  }
  const runs: RunsPageRun[] = [];
  for (const summary of await listRuns(experiments, options.filter ?? {})) {
    const record = summary.record;
    const report = await pathExists(runArtifactPath(summary.dir, "report"))
      ? link(runArtifactPath(summary.dir, "report"))
      : null;
    let params: RunsPageRun["params"] = {};
    let problem = summary.problem;
    try {
      params = hyperparameters(parseYaml(await RUN_ARTIFACTS.config.read(summary.dir)));
    } catch (error) {
      problem ??= `config.yaml unreadable (${(error as Error).name})`;
    }
    runs.push({
      id: summary.id,
      created: record?.created ?? null,
      project: record?.project ?? null,
      profile: record ? profileName(record.profile) : null,
      family: record?.family ?? null,
      primary: record?.primary
        ? {
          metric: record.primary.metric,
          val: finiteOrNull(record.primary.val),
          test: finiteOrNull(record.primary.test),
        }
        : null,
      params,
      production: productionIds.has(summary.id),
      problem,
      report,
    });
  }
  const studies: RunsPageStudy[] = [];
  for (const id of await listStudyIds(experiments)) {
    studies.push(await studyRow(experiments, id, link));
  }
  // One project listed: its production run; several: each project's, in listing order.
  const shownProduction = runs.filter((run) => run.production).map((run) => run.id);
  const productionId = shownProduction.length === 0 ? null : shownProduction.join(", ");
  return { experimentsDir: experiments, productionId, runs, studies };
}

/** Options of {@link writeRunsPage}. */
export interface WriteRunsPageOptions {
  /**
   * Where logs go; `null` for the `pipeline` project logger.
   * @default null
   */
  logger?: Logger | null;
  /**
   * Which runs to list, as `deno task runs` filters them; `{}` lists every run.
   * @default {}
   */
  filter?: Pick<ListRunsOptions, "project" | "profile" | "family">;
}

/**
 * Defaults of {@link WriteRunsPageOptions}.
 *
 * @example
 * ```ts
 * await writeRunsPage(config.registry, "models/runs.html", { ...DEFAULT_WRITE_RUNS_PAGE_OPTIONS });
 * ```
 */
export const DEFAULT_WRITE_RUNS_PAGE_OPTIONS: Readonly<Required<WriteRunsPageOptions>> = {
  logger: null,
  filter: {},
};

/**
 * Writes the runs comparison page (see `buildRunsPage`) to `out`, atomically.
 *
 * @param registry the experiments and production folders (`config.registry`)
 * @param out the page's path, e.g. `models/runs.html` (its folder is created when missing)
 * @param options the logger and which runs to list
 * @returns the path and how many runs and studies the page lists
 * @throws {ArtifactError} when the experiments folder cannot be listed or the page cannot be
 *   written
 * @example
 * ```ts
 * const { path, runs } = await writeRunsPage(config.registry, `${root}/models/runs.html`);
 * ```
 */
export async function writeRunsPage(
  registry: Pick<RegistryConfig, "experiments_dir" | "production_dir">,
  out: string,
  options: WriteRunsPageOptions = {},
): Promise<{ path: string; runs: number; studies: number }> {
  const settings = { ...DEFAULT_WRITE_RUNS_PAGE_OPTIONS, ...options };
  const logger = settings.logger ?? getProjectLogger("pipeline");
  const input = await collectRunsPage(registry, out, { filter: settings.filter });
  const html = await buildRunsPage(input, { logger });
  try {
    await Deno.mkdir(dirname(out), { recursive: true });
  } catch (cause) {
    throw new ArtifactError(`Cannot write the runs page "${out}": its folder cannot be created`, {
      cause,
    });
  }
  await writeFileAtomically(out, html, "the runs page");
  return { path: out, runs: input.runs.length, studies: input.studies.length };
}

function hyperparameters(config: unknown): RunsPageRun["params"] {
  const out: RunsPageRun["params"] = {};
  for (const [path, value] of flattenConfig(config)) {
    if (!path.startsWith("model.params.") && !RUNS_PAGE_TRAINING_KEYS.includes(path)) continue;
    out[path] = typeof value === "number" || typeof value === "string" ||
        typeof value === "boolean" || value === null
      ? value
      : JSON.stringify(value);
  }
  return out;
}

async function studyRow(
  experiments: string,
  id: string,
  link: (path: string) => string,
): Promise<RunsPageStudy> {
  const empty: RunsPageStudy = {
    id,
    status: null,
    trials: null,
    planned: null,
    metric: null,
    best: null,
    bestStd: null,
    params: null,
    run: null,
    report: null,
    problem: null,
  };
  let study;
  try {
    study = await readStudy(experiments, id);
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    return { ...empty, problem: error.message };
  }
  const run = study.final_run?.id ?? null;
  const reportPath = run === null ? null : runArtifactPath(`${experiments}/${run}`, "report");
  return {
    ...empty,
    status: study.status ?? null,
    trials: study.trials.length,
    planned: finiteOrNull(study.trials_planned),
    metric: study.primary_metric ?? null,
    best: finiteOrNull(study.best?.mean),
    bestStd: finiteOrNull(study.best?.std),
    params: study.best ? formatTrialParams(study.best.params) : null,
    run,
    report: reportPath !== null && await pathExists(reportPath) ? link(reportPath) : null,
  };
}

async function writeFileAtomically(path: string, text: string, what: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (cause) {
    throw new ArtifactError(`Cannot write ${what} to "${path}": ${(cause as Error).message}`, {
      cause,
    });
  }
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
