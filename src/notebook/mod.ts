/**
 * Notebooks: the headless runner that executes `.ipynb` files through the Deno Jupyter kernel
 * (no Python or Jupyter needed), and the display helpers notebooks use to show charts, tables
 * and recorded runs.
 *
 * @module
 */
export { NotebookExecutionError } from "../errors.ts";
export type { NotebookFailureReason } from "../errors.ts";
export {
  checkNotebookParameters,
  DEFAULT_RUN_NOTEBOOK_OPTIONS,
  INJECTED_PARAMETERS_TAG,
  PARAMETERS_TAG,
  parseParameterArgs,
  readNotebookParameters,
  readParameters,
  resolveNotebooks,
  RUN_ID_TEXT_PATTERN,
  runNotebook,
} from "./runner.ts";
export type { NotebookResult, ParameterDeclaration, RunNotebookOptions } from "./runner.ts";
// -- display helpers (exports added below this line)
export {
  chartBundle,
  DEFAULT_DISPLAY_OPTIONS,
  DEFAULT_LIVE_TRAINING_OPTIONS,
  DEFAULT_SHOW_OPTIONS,
  DEFAULT_TABLE_OPTIONS,
  defaultSink,
  display,
  HTML_MIME,
  isJupyterKernel,
  jupyterSink,
  liveTrainingDisplay,
  RUN_MIME,
  runBundle,
  show,
  showRun,
  showTable,
  SVG_MIME,
  tableBundle,
  TEXT_MIME,
  textSink,
  VEGA_LITE_MIME,
} from "./display.ts";
export type {
  DisplayBundle,
  DisplayOptions,
  DisplaySink,
  DisplayTarget,
  JupyterBroadcast,
  LiveTrainingDisplay,
  LiveTrainingOptions,
  ShowOptions,
  TableOptions,
} from "./display.ts";
export { DEFAULT_RELOAD_OPTIONS, reloadInfo, reloadSrc } from "./reload.ts";
export type { ReloadInfo, ReloadOptions, SrcModule } from "./reload.ts";
