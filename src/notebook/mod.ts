/**
 * Notebooks: the headless runner that executes `.ipynb` files through the Deno Jupyter kernel
 * (no Python or Jupyter needed), the display helpers notebooks use to show charts, tables
 * and recorded runs, and the helpers that let one notebook explore any profile without naming a
 * column (column roles, numeric columns ranked against the target, target summaries, the charts
 * of a run's test split by task).
 *
 * @module
 */
export {
  DEFAULT_RUN_NOTEBOOK_OPTIONS,
  RUN_ID_TEXT_PATTERN,
  runNotebook,
  STUDY_ID_TEXT_PATTERN,
} from "./runner.ts";
export type { NotebookResult, RunNotebookOptions } from "./runner.ts";
export { NotebookExecutionError } from "../errors.ts";
export type { NotebookFailureReason } from "../errors.ts";
export {
  checkNotebookParameters,
  describeRule,
  effectiveParameters,
  INJECTED_PARAMETERS_TAG,
  PARAMETERS_TAG,
  parseParameterArgs,
  readNotebookParameters,
  readParameters,
} from "./parameters.ts";
export type { ParameterDeclaration, ParameterRule } from "./parameters.ts";
export { resolveNotebooks } from "./resolve_notebooks.ts";
export { DEFAULT_FORMAT_JSON_OPTIONS, formatJson } from "./format_json.ts";
export type { FormatJsonOptions } from "./format_json.ts";
// -- display helpers (exports added below this line)
export {
  DEFAULT_DISPLAY_OPTIONS,
  defaultSink,
  display,
  HTML_MIME,
  isJupyterKernel,
  jupyterSink,
  PNG_MIME,
  RUN_MIME,
  SVG_MIME,
  TEXT_MIME,
  textSink,
  VEGA_LITE_MIME,
  vegaLiteMime,
} from "./display.ts";
export type {
  DisplayBundle,
  DisplayOptions,
  DisplaySink,
  DisplayTarget,
  JupyterBroadcast,
} from "./display.ts";
export { chartBundle, DEFAULT_SHOW_OPTIONS, show } from "./show_chart.ts";
export type { ShowOptions } from "./show_chart.ts";
export { DEFAULT_TABLE_OPTIONS, showTable, tableBundle } from "./show_table.ts";
export type { TableOptions } from "./show_table.ts";
export { runBundle, showRun } from "./show_run.ts";
export { DEFAULT_LIVE_TRAINING_OPTIONS, liveTrainingDisplay } from "./live_training.ts";
export type { LiveTrainingDisplay, LiveTrainingOptions } from "./live_training.ts";
export {
  columnRoles,
  DEFAULT_COLUMN_ROLES_OPTIONS,
  DEFAULT_RATIO_CANDIDATES_OPTIONS,
  rankNumericColumns,
  ratioCandidates,
  rowsWithMissing,
  targetByCategory,
  targetBySplit,
} from "./explore.ts";
export type {
  ColumnRanking,
  ColumnRoles,
  ColumnRolesOptions,
  ColumnScore,
  RankColumnsOptions,
  RatioCandidatesOptions,
  RatioFeature,
  TargetSummaryOptions,
  Task,
} from "./explore.ts";
export { DEFAULT_TEST_RESULTS_OPTIONS, plotTestResults } from "./experiments.ts";
export type { TestResultsOptions } from "./experiments.ts";
export { DEFAULT_RELOAD_OPTIONS, reloadInfo, reloadSrc } from "./reload.ts";
export type { ReloadInfo, ReloadOptions, SrcModule } from "./reload.ts";
