/**
 * Rich display for notebooks: charts, tables, live training curves and run records as Jupyter
 * display bundles.
 *
 * The `*Bundle` functions build a display bundle (a map from MIME type to content); the `show*`
 * functions build one and hand it to a {@link DisplaySink}. Inside the Deno Jupyter kernel the
 * sink broadcasts it on the IOPub channel (`display_data`, or `update_display_data` for a display
 * that changes in place); on a terminal it prints the bundle's `text/plain` part; anywhere else
 * (tests, piped output) it does nothing. So the helpers work, and can be tested, outside the
 * kernel: pass a sink to receive the bundles, or call the `*Bundle` builders.
 *
 * The `show*` functions resolve to `undefined` on purpose: the kernel prints a cell's last value
 * as its result, so a returned bundle would print the whole spec and SVG source under every chart.
 *
 * A chart bundle carries the vega-lite spec and a rendered SVG side by side: JupyterLab and
 * VS Code draw the vega-lite spec, the classic notebook and GitHub's notebook viewer fall back to
 * the SVG, and the executed `.ipynb` file keeps a picture of every chart.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import type { TopLevelSpec } from "vega-lite";
import type { TrainingResult } from "../pipelines/mod.ts";
import type {
  EpochLogs,
  TrainBeginInfo,
  TrainingCallbacks,
  TrainingHistory,
} from "../models/mod.ts";
import { isNumericDtype } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { type EpochPoint, plotLearningCurves, toSVG } from "../viz/mod.ts";

// ---------------------------------------------------------------- bundles and sinks

/** MIME type of a vega-lite spec (JupyterLab, VS Code and nteract render it). */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** MIME type of an SVG picture (every front end, GitHub's notebook viewer included). */
export const SVG_MIME = "image/svg+xml";

/** MIME type of HTML. */
export const HTML_MIME = "text/html";

/** MIME type of the plain-text fallback that every bundle carries. */
export const TEXT_MIME = "text/plain";

/**
 * MIME type of a recorded training run, `{ run_id, dir }`: the notebook runner collects run ids
 * from bundles of this type.
 */
export const RUN_MIME = "application/vnd.deno-mlops.run+json";

/**
 * What a display shows: content per MIME type. `text/plain` is always present; JSON types
 * (vega-lite, run records) hold objects, the others strings.
 */
export interface DisplayBundle {
  /** The plain-text form, shown where nothing richer can be. */
  [TEXT_MIME]: string;
  /** Any other representation, keyed by MIME type. */
  [mime: string]: string | object;
}

/** Where a bundle goes: a new display, or an update of the display with that id. */
export interface DisplayTarget {
  /** The display to create or update; `null` for an anonymous display. */
  displayId: string | null;
  /** `true` replaces the content of display `displayId` instead of adding a display. */
  update: boolean;
}

/**
 * Receives display bundles: {@link jupyterSink} broadcasts them, {@link textSink} prints their
 * text, tests collect them.
 */
export type DisplaySink = (bundle: DisplayBundle, target: DisplayTarget) => void | Promise<void>;

/** Options shared by every display helper. */
export interface DisplayOptions {
  /**
   * Where the bundle goes; `null` picks {@link defaultSink} at the time of the call.
   * @default null
   */
  sink?: DisplaySink | null;
  /**
   * An id for the display, so that a later call with `update: true` can replace its content.
   * @default null
   */
  displayId?: string | null;
  /**
   * Replace the content of display `displayId` instead of adding a new display.
   * @default false
   */
  update?: boolean;
}

/**
 * Defaults of {@link DisplayOptions}.
 *
 * @example
 * ```ts
 * await display({ "text/plain": "hello" }, { ...DEFAULT_DISPLAY_OPTIONS, displayId: "status" });
 * ```
 */
export const DEFAULT_DISPLAY_OPTIONS: Readonly<Required<DisplayOptions>> = {
  sink: null,
  displayId: null,
  update: false,
};

/** `Deno.jupyter.broadcast`: sends one message on the kernel's IOPub channel. */
export type JupyterBroadcast = (msgType: string, content: Record<string, unknown>) => Promise<void>;

/** The part of `Deno.jupyter` the sinks use. */
interface JupyterApi {
  broadcast: JupyterBroadcast;
}

/**
 * Tells whether code runs inside the Deno Jupyter kernel (`deno jupyter`).
 *
 * Outside the kernel, reading `Deno.jupyter` throws; this function never does.
 *
 * @returns `true` inside the kernel
 * @example
 * ```ts
 * if (!isJupyterKernel()) console.log("charts will be printed as text");
 * ```
 */
export function isJupyterKernel(): boolean {
  return jupyterApi() !== null;
}

/**
 * Returns a sink that broadcasts bundles to the Jupyter front end: `display_data` for a new
 * display, `update_display_data` to replace the content of an earlier one with the same id.
 *
 * @param broadcast the function that sends a message, or `null` for `Deno.jupyter.broadcast`
 * @returns the sink
 * @throws {TypeError} when `broadcast` is `null` outside the Deno Jupyter kernel
 * @example
 * ```ts
 * await show(spec, { sink: jupyterSink() });
 * ```
 */
export function jupyterSink(broadcast: JupyterBroadcast | null = null): DisplaySink {
  const send = broadcast ?? jupyterApi()?.broadcast;
  if (send === undefined) {
    throw new TypeError(
      `Cannot display in Jupyter: this code does not run in the Deno Jupyter kernel (Deno.jupyter is unavailable); use textSink() or leave the sink option out`,
    );
  }
  return async function broadcastBundle(bundle, target) {
    if (target.update && target.displayId === null) {
      throw new TypeError(
        `Cannot update a display: no displayId was given, pass the id used when the display was created`,
      );
    }
    await send(target.update ? "update_display_data" : "display_data", {
      data: bundle,
      metadata: {},
      transient: target.displayId === null ? {} : { display_id: target.displayId },
    });
  };
}

/**
 * Returns a sink that writes the `text/plain` part of each bundle, followed by a newline.
 *
 * @param write where the text goes
 * @returns the sink
 * @example
 * ```ts
 * const lines: string[] = [];
 * await showTable(df, { sink: textSink((text) => lines.push(text)) });
 * ```
 */
export function textSink(write: (text: string) => void = writeStdout): DisplaySink {
  return function writeText(bundle) {
    write(`${bundle[TEXT_MIME]}\n`);
  };
}

/**
 * Returns the sink the helpers use when none is given: Jupyter inside the kernel, plain text on
 * a terminal, and `null` (show nothing) when standard output is a file or a pipe.
 *
 * @returns the sink, or `null` when displays go nowhere
 * @example
 * ```ts
 * const sink = defaultSink(); // jupyterSink() in a notebook
 * ```
 */
export function defaultSink(): DisplaySink | null {
  if (isJupyterKernel()) return jupyterSink();
  return stdoutIsTerminal() ? textSink() : null;
}

/**
 * Sends a bundle to a sink: shows it in the notebook, or prints its text on a terminal.
 *
 * @param bundle the content per MIME type; it must have a `text/plain` string
 * @param options the sink, the display id and whether to update an earlier display
 * @returns nothing, once the sink has taken the bundle
 * @throws {TypeError} when the bundle has no `text/plain` string, or `update` has no `displayId`
 * @example
 * ```ts
 * await display({ "text/plain": "3 runs", "text/html": "<b>3</b> runs" });
 * ```
 */
export async function display(
  bundle: DisplayBundle,
  options: DisplayOptions = {},
): Promise<void> {
  const settings = { ...DEFAULT_DISPLAY_OPTIONS, ...options };
  if (typeof bundle !== "object" || bundle === null || typeof bundle[TEXT_MIME] !== "string") {
    throw new TypeError(
      `Cannot display bundle: expected an object with a "${TEXT_MIME}" string, got ${
        describeValue(bundle)
      }`,
    );
  }
  if (settings.update && settings.displayId === null) {
    throw new TypeError(
      `Cannot update a display: no displayId was given, pass the id used when the display was created`,
    );
  }
  const sink = settings.sink ?? defaultSink();
  if (sink !== null) {
    await sink(bundle, { displayId: settings.displayId, update: settings.update });
  }
}

// ---------------------------------------------------------------- charts

/** Options of {@link show} and {@link chartBundle}. */
export interface ShowOptions extends DisplayOptions {
  /**
   * Where vega warnings go while rendering the SVG; `null` for the `viz` project logger.
   * @default null
   */
  logger?: Logger | null;
}

/**
 * Defaults of {@link ShowOptions}.
 *
 * @example
 * ```ts
 * await show(spec, { ...DEFAULT_SHOW_OPTIONS, displayId: "mass" });
 * ```
 */
export const DEFAULT_SHOW_OPTIONS: Readonly<Required<ShowOptions>> = {
  ...DEFAULT_DISPLAY_OPTIONS,
  logger: null,
};

/**
 * Builds the display bundle of a chart: the vega-lite spec, its SVG rendering and a one-line
 * text description.
 *
 * @param chart a vega-lite spec with inline data, e.g. from `plotHistogram`
 * @param options where render warnings go
 * @returns the bundle with `application/vnd.vegalite.v5+json`, `image/svg+xml` and `text/plain`
 * @throws {TypeError} when the spec cannot be compiled or rendered
 * @example
 * ```ts
 * const bundle = await chartBundle(plotCounts(df, { column: "Island" }));
 * bundle["image/svg+xml"]; // "<svg ..."
 * ```
 */
export async function chartBundle(
  chart: TopLevelSpec,
  options: Pick<ShowOptions, "logger"> = {},
): Promise<DisplayBundle> {
  // vega tags the inline rows it ingests with a symbol key; render a copy so the caller's spec,
  // which goes into the bundle, stays as it was built.
  const svg = await toSVG(structuredClone(chart), { logger: options.logger ?? null });
  const size = svgSize(svg);
  return {
    [VEGA_LITE_MIME]: chart,
    [SVG_MIME]: svg,
    [TEXT_MIME]: `Chart: ${chartTitleText(chart)}${
      size === null ? "" : ` (${size.width}×${size.height} SVG)`
    }`,
  };
}

/**
 * Shows a chart in the notebook: one display bundle with the vega-lite spec and its SVG.
 *
 * Outside the kernel it prints one line naming the chart (on a terminal); {@link chartBundle}
 * builds the same bundle without showing it.
 *
 * @param chart a vega-lite spec with inline data, e.g. from `plotHistogram`
 * @param options the sink, a display id to update later, where render warnings go
 * @returns nothing, once the chart was shown
 * @throws {TypeError} when the spec cannot be compiled or rendered
 * @example
 * ```ts
 * await show(plotHistogram(data.raw, { column: "Body Mass (g)", color: "Species" }));
 * ```
 */
export async function show(chart: TopLevelSpec, options: ShowOptions = {}): Promise<void> {
  const settings = { ...DEFAULT_SHOW_OPTIONS, ...options };
  const bundle = await chartBundle(chart, { logger: settings.logger });
  await display(bundle, settings);
}

// ---------------------------------------------------------------- tables

/** Options of {@link showTable} and {@link tableBundle}. */
export interface TableOptions extends DisplayOptions {
  /**
   * Rows shown from the top (0 or more).
   * @default 5
   */
  head?: number;
  /**
   * Rows shown from the bottom (0 or more); rows in both head and tail are shown once.
   * @default 5
   */
  tail?: number;
  /**
   * Most columns shown (2 or more); wider frames show the first and last columns around a
   * "…" column.
   * @default 20
   */
  maxColumns?: number;
  /**
   * Longest cell text (10 or more characters); longer values are cut and end with "…".
   * @default 60
   */
  maxCellChars?: number;
  /**
   * A caption above the table, or `null` for none.
   * @default null
   */
  title?: string | null;
}

/**
 * Defaults of {@link TableOptions}.
 *
 * @example
 * ```ts
 * await showTable(df, { ...DEFAULT_TABLE_OPTIONS, head: 10 });
 * ```
 */
export const DEFAULT_TABLE_OPTIONS: Readonly<Required<TableOptions>> = {
  ...DEFAULT_DISPLAY_OPTIONS,
  head: 5,
  tail: 5,
  maxColumns: 20,
  maxCellChars: 60,
  title: null,
};

/**
 * Builds the display bundle of a polars frame: an HTML table with the shape, each column's
 * dtype, the first and last rows, and the same as aligned plain text.
 *
 * @param df the frame
 * @param options rows and columns shown, cell width and a caption
 * @returns the bundle with `text/html` and `text/plain`
 * @throws {TypeError} when `df` is not a polars DataFrame
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * tableBundle(pl.DataFrame({ a: [1, 2] }))["text/plain"]; // "shape: (2, 1)\n..."
 * ```
 */
export function tableBundle(df: DataFrame, options: TableOptions = {}): DisplayBundle {
  const settings = { ...DEFAULT_TABLE_OPTIONS, ...options };
  const action = "Cannot show table";
  checkFrame(df, action);
  checkCount(settings.head, "head", 0, action);
  checkCount(settings.tail, "tail", 0, action);
  checkCount(settings.maxColumns, "maxColumns", 2, action);
  checkCount(settings.maxCellChars, "maxCellChars", 10, action);
  if (settings.title !== null && typeof settings.title !== "string") {
    throw new TypeError(
      `${action}: option "title" must be a string or null, got ${describeValue(settings.title)}`,
    );
  }
  const layout = tableLayout(df, settings);
  return {
    [HTML_MIME]: tableHtml(layout, settings.title),
    [TEXT_MIME]: tableText(layout, settings.title),
  };
}

/**
 * Shows a polars frame as an HTML table: shape, dtypes, head and tail.
 *
 * nodejs-polars' own display shows nothing in some front ends; this one works in all of them
 * and prints an aligned text table outside the kernel. {@link tableBundle} builds the bundle
 * without showing it.
 *
 * @param df the frame
 * @param options rows and columns shown, cell width, a caption, the sink
 * @returns nothing, once the table was shown
 * @throws {TypeError} when `df` is not a polars DataFrame
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * await showTable(data.raw, { head: 3, tail: 2, title: "Raw penguins" });
 * ```
 */
export async function showTable(
  df: DataFrame,
  options: TableOptions = {},
): Promise<void> {
  await display(tableBundle(df, options), options);
}

// ---------------------------------------------------------------- runs

/**
 * Builds the display bundle of a recorded training run: its id, folder and primary metric, and
 * an `application/vnd.deno-mlops.run+json` part `{ run_id, dir }` for the notebook runner.
 *
 * @param result what `runTraining` returned
 * @returns the bundle with the run part, `text/html` and `text/plain`
 * @throws {TypeError} when the run was not recorded (`record: false`) or has no id
 * @example
 * ```ts
 * runBundle(result)["application/vnd.deno-mlops.run+json"]; // { run_id: "2026…", dir: "…" }
 * ```
 */
export function runBundle(result: Pick<TrainingResult, "id" | "dir" | "record">): DisplayBundle {
  if (typeof result !== "object" || result === null || typeof result.id !== "string") {
    throw new TypeError(
      `Cannot show run: expected the result of runTraining, got ${describeValue(result)}`,
    );
  }
  if (result.dir === null) {
    throw new TypeError(
      `Cannot show run "${result.id}": it was not recorded (runTraining ran with record: false); train with record: true to get a run folder`,
    );
  }
  const { metric, val, test } = result.record.primary;
  const value = (x: number | null) => (x === null ? "n/a" : x.toFixed(4));
  const lines = [
    `run: ${result.id}`,
    `folder: ${result.dir}`,
    `${result.record.family} ${metric}: val ${value(val)}, test ${value(test)}`,
  ];
  return {
    [RUN_MIME]: { run_id: result.id, dir: result.dir },
    [HTML_MIME]: `<div><b>run</b> <code>${escapeHtml(result.id)}</code><br><b>folder</b> <code>${
      escapeHtml(result.dir)
    }</code><br><b>${escapeHtml(result.record.family)}</b> ${escapeHtml(metric)}: val ${
      value(val)
    }, test ${value(test)}</div>`,
    [TEXT_MIME]: lines.join("\n"),
  };
}

/**
 * Shows a recorded training run: its id, folder and primary metric. The notebook runner collects
 * the run id from the bundle's `application/vnd.deno-mlops.run+json` part.
 *
 * @param result what `runTraining` returned
 * @param options the sink
 * @returns nothing, once the run was shown
 * @throws {TypeError} when the run was not recorded (`record: false`) or has no id
 * @example
 * ```ts
 * const result = await runTraining(loaded, { callbacks: liveTrainingDisplay() });
 * await showRun(result);
 * ```
 */
export async function showRun(
  result: Pick<TrainingResult, "id" | "dir" | "record">,
  options: DisplayOptions = {},
): Promise<void> {
  await display(runBundle(result), options);
}

// ---------------------------------------------------------------- live training curves

/** Options of {@link liveTrainingDisplay}. */
export interface LiveTrainingOptions {
  /**
   * Redraw at most every this many epochs (1 or more).
   * @default 1
   */
  everyEpochs?: number;
  /**
   * Least time between two redraws in milliseconds (0 or more); the end of training is always
   * drawn.
   * @default 1000
   */
  minIntervalMs?: number;
  /**
   * Chart title; the subtitle says how far training got.
   * @default "Training progress"
   */
  title?: string;
  /**
   * Width of each panel in pixels.
   * @default 320
   */
  width?: number;
  /**
   * Height of each panel in pixels.
   * @default 200
   */
  height?: number;
  /**
   * Where the display goes; `null` picks {@link defaultSink} when training begins.
   * @default null
   */
  sink?: DisplaySink | null;
  /**
   * The display id; `null` makes a unique one.
   * @default null
   */
  displayId?: string | null;
  /**
   * The clock, in milliseconds (tests pass a fake one).
   * @default performance.now
   */
  now?: () => number;
  /**
   * Where vega warnings go while rendering; `null` for the `viz` project logger.
   * @default null
   */
  logger?: Logger | null;
}

/**
 * Defaults of {@link LiveTrainingOptions}.
 *
 * @example
 * ```ts
 * liveTrainingDisplay({ ...DEFAULT_LIVE_TRAINING_OPTIONS, everyEpochs: 5 });
 * ```
 */
export const DEFAULT_LIVE_TRAINING_OPTIONS: Readonly<Required<LiveTrainingOptions>> = {
  everyEpochs: 1,
  minIntervalMs: 1000,
  title: "Training progress",
  width: 320,
  height: 200,
  sink: null,
  displayId: null,
  now: () => performance.now(),
  logger: null,
};

/** Training callbacks that draw learning curves into one display, updated in place. */
export interface LiveTrainingDisplay extends TrainingCallbacks {
  /** The id of the display that is updated. */
  readonly displayId: string;
  /** How many bundles were sent so far (the first display and its updates). */
  readonly updates: number;
  /** The epochs seen so far, oldest first. */
  readonly epochs: readonly EpochPoint[];
}

/**
 * Returns training callbacks that draw the learning curves (loss and metric, train and
 * validation) into ONE display and redraw it in place as epochs end: the notebook's
 * replacement for the terminal progress bar.
 *
 * Training begins with a text display; each redraw (throttled by `everyEpochs` and
 * `minIntervalMs`) sends an `update_display_data` bundle with the chart as vega-lite and SVG, and
 * the end of training draws the final curves with the best epoch marked. Outside the kernel each
 * redraw prints one line of progress on a terminal.
 *
 * @param options throttling, the look, the sink and the display id
 * @returns callbacks for `runTraining(loaded, { callbacks })` or `model.fit(x, y, { callbacks })`
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * const result = await runTraining(loaded, { callbacks: liveTrainingDisplay({ everyEpochs: 5 }) });
 * ```
 */
export function liveTrainingDisplay(options: LiveTrainingOptions = {}): LiveTrainingDisplay {
  const settings = { ...DEFAULT_LIVE_TRAINING_OPTIONS, ...options };
  const action = "Cannot create live training display";
  checkCount(settings.everyEpochs, "everyEpochs", 1, action);
  if (!Number.isFinite(settings.minIntervalMs) || settings.minIntervalMs < 0) {
    throw new RangeError(
      `${action}: option "minIntervalMs" must be a finite number >= 0, got ${
        describeValue(settings.minIntervalMs)
      }`,
    );
  }
  checkCount(settings.width, "width", 1, action);
  checkCount(settings.height, "height", 1, action);
  const displayId = settings.displayId ?? `deno-mlops-training-${crypto.randomUUID()}`;
  const epochs: EpochPoint[] = [];
  let sink: DisplaySink | null = null;
  let updates = 0;
  let planned: number | null = null;
  let metric = "metric";
  let lastDraw = -Infinity;
  let sinceDraw = 0;
  let started = false;

  async function send(bundle: DisplayBundle): Promise<void> {
    if (sink === null) return;
    const update = updates > 0;
    updates++;
    await sink(bundle, { displayId, update });
  }

  async function begin(info: TrainBeginInfo | null): Promise<void> {
    started = true;
    sink = settings.sink ?? defaultSink();
    // A second fit with the same callbacks starts over in the same display.
    epochs.length = 0;
    sinceDraw = 0;
    lastDraw = -Infinity;
    planned = info?.epochs ?? null;
    if (info !== null) metric = info.metric;
    const text = `${settings.title}: training${
      info === null ? "" : ` for up to ${plural(info.epochs, "epoch")} on ${info.samples} rows`
    }…`;
    await send({ [HTML_MIME]: `<p>${escapeHtml(text)}</p>`, [TEXT_MIME]: text });
  }

  async function draw(history: Pick<TrainingHistory, "bestEpoch"> | null): Promise<void> {
    lastDraw = settings.now();
    sinceDraw = 0;
    if (sink === null || epochs.length === 0) return;
    const last = epochs[epochs.length - 1]!;
    const status = history === null
      ? `epoch ${last.epoch + 1}${planned === null ? "" : ` of ${planned}`}`
      : `finished after ${plural(epochs.length, "epoch")}, best epoch ${history.bestEpoch}`;
    const spec = plotLearningCurves(
      { epochs, metric, ...(history === null ? {} : { bestEpoch: history.bestEpoch }) },
      { title: `${settings.title}: ${status}`, width: settings.width, height: settings.height },
    );
    const bundle = await chartBundle(spec, { logger: settings.logger });
    bundle[TEXT_MIME] = `${settings.title}: ${status} (${epochLine(last, metric)})`;
    await send(bundle);
  }

  return {
    displayId,
    get updates(): number {
      return updates;
    },
    get epochs(): readonly EpochPoint[] {
      return epochs;
    },
    async onTrainBegin(info: TrainBeginInfo): Promise<void> {
      await begin(info);
    },
    async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
      if (!started) await begin(null);
      epochs.push(epochPoint(epoch, logs));
      sinceDraw++;
      const due = sinceDraw >= settings.everyEpochs &&
        settings.now() - lastDraw >= settings.minIntervalMs;
      if (due) await draw(null);
    },
    async onTrainEnd(history: TrainingHistory): Promise<void> {
      if (!started) await begin(null);
      if (epochs.length === 0) {
        for (const logs of history.epochs) epochs.push(epochPoint(logs.epoch, logs));
      }
      await draw(history);
      started = false;
    },
  };
}

// ---------------------------------------------------------------- helpers

function jupyterApi(): JupyterApi | null {
  try {
    // Deno.jupyter is a getter that throws outside `deno jupyter`.
    const api = (Deno as unknown as { jupyter?: Partial<JupyterApi> }).jupyter;
    return typeof api?.broadcast === "function" ? { broadcast: api.broadcast.bind(api) } : null;
  } catch {
    return null;
  }
}

function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function epochPoint(epoch: number, logs: EpochLogs): EpochPoint {
  return {
    epoch,
    loss: logs.loss,
    metric: logs.metric,
    ...(logs.val_loss === undefined ? {} : { val_loss: logs.val_loss }),
    ...(logs.val_metric === undefined ? {} : { val_metric: logs.val_metric }),
  };
}

function epochLine(point: EpochPoint, metric: string): string {
  const parts = [`loss ${formatValue(point.loss)}`];
  if (point.val_loss !== undefined) parts.push(`val_loss ${formatValue(point.val_loss)}`);
  parts.push(`${metric} ${formatValue(point.metric)}`);
  if (point.val_metric !== undefined) parts.push(`val_${metric} ${formatValue(point.val_metric)}`);
  return parts.join(", ");
}

function formatValue(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

function chartTitleText(chart: TopLevelSpec): string {
  const title = (chart as { title?: unknown }).title;
  if (typeof title === "string") return `"${title}"`;
  if (Array.isArray(title)) return `"${title.join(" ")}"`;
  if (typeof title === "object" && title !== null) {
    const text = (title as { text?: unknown }).text;
    if (typeof text === "string") return `"${text}"`;
    if (Array.isArray(text)) return `"${text.join(" ")}"`;
  }
  return "(untitled)";
}

function svgSize(svg: string): { width: number; height: number } | null {
  const open = /^<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const width = /\bwidth="([\d.]+)"/.exec(open)?.[1];
  const height = /\bheight="([\d.]+)"/.exec(open)?.[1];
  return width === undefined || height === undefined
    ? null
    : { width: Math.round(Number(width)), height: Math.round(Number(height)) };
}

/** The cells of a table as text, with where the gaps ("…") go. */
interface TableLayout {
  shape: { rows: number; columns: number };
  /** Column names, dtypes and whether they hold numbers; `null` marks the "…" column. */
  columns: ({ name: string; dtype: string; numeric: boolean } | null)[];
  /** Row number and cells; `null` marks the "…" row. */
  rows: ({ index: number; cells: CellText[] } | null)[];
}

/** One cell's text, and whether it is a null (drawn differently). */
interface CellText {
  text: string;
  isNull: boolean;
}

function tableLayout(df: DataFrame, settings: Required<TableOptions>): TableLayout {
  const { height, width } = df;
  const names = df.columns;
  const dtypes = df.dtypes.map((d) => dtypeName(String(d)));
  let shownColumns: (number | null)[] = names.map((_, i) => i);
  if (width > settings.maxColumns) {
    const left = Math.ceil(settings.maxColumns / 2);
    const right = settings.maxColumns - left;
    shownColumns = [
      ...shownColumns.slice(0, left),
      null,
      ...(right > 0 ? shownColumns.slice(width - right) : []),
    ];
  }
  const headCount = Math.min(settings.head, height);
  const tailStart = Math.max(headCount, height - settings.tail);
  const rowIndexes: (number | null)[] = [];
  for (let i = 0; i < headCount; i++) rowIndexes.push(i);
  if (tailStart > headCount) rowIndexes.push(null);
  for (let i = tailStart; i < height; i++) rowIndexes.push(i);
  const picked = rowIndexes.filter((i): i is number => i !== null);
  const columnIndexes = shownColumns.filter((i): i is number => i !== null);
  const numeric = new Map(
    columnIndexes.map((c) => [c, isNumericDtype(df.getColumn(names[c]!).dtype)]),
  );
  const cellsByColumn = columnIndexes.map((c) => {
    const series = df.getColumn(names[c]!);
    const isFloat = series.isFloat();
    return picked.map((row): CellText => {
      const value = series.get(row) as unknown;
      const isNull = value === null || value === undefined;
      return { text: cellText(value, settings.maxCellChars, isFloat), isNull };
    });
  });
  let k = 0;
  const rows = rowIndexes.map((index) => {
    if (index === null) return null;
    const position = k++;
    return { index, cells: cellsByColumn.map((cells) => cells[position]!) };
  });
  return {
    shape: { rows: height, columns: width },
    columns: shownColumns.map((c) =>
      c === null ? null : { name: names[c]!, dtype: dtypes[c]!, numeric: numeric.get(c)! }
    ),
    rows,
  };
}

const ELLIPSIS = "…";

function tableHtml(layout: TableLayout, title: string | null): string {
  const cell = "padding:2px 8px;border-bottom:1px solid #e0e0e0;white-space:nowrap";
  const gapAt = layout.columns.indexOf(null);
  const shown = layout.columns.filter((c) => c !== null);
  const header = layout.columns.map((c) =>
    c === null
      ? `<th style="${cell}">${ELLIPSIS}</th>`
      : `<th style="${cell};text-align:left">${escapeHtml(c.name)}</th>`
  ).join("");
  const dtypes = layout.columns.map((c) =>
    `<td style="${cell};color:#666;font-style:italic">${c === null ? "" : escapeHtml(c.dtype)}</td>`
  ).join("");
  const body = layout.rows.map((row) => {
    if (row === null) {
      const gaps = layout.columns.map(() => `<td style="${cell}">${ELLIPSIS}</td>`).join("");
      return `<tr><td style="${cell};color:#666">${ELLIPSIS}</td>${gaps}</tr>`;
    }
    const cells = row.cells.map((c, i) =>
      `<td style="${cell};text-align:${shown[i]!.numeric ? "right" : "left"}${
        c.isNull ? ";color:#999" : ""
      }">${escapeHtml(c.text)}</td>`
    );
    if (gapAt >= 0) cells.splice(gapAt, 0, `<td style="${cell}">${ELLIPSIS}</td>`);
    return `<tr><td style="${cell};color:#666;text-align:right">${row.index}</td>${
      cells.join("")
    }</tr>`;
  }).join("");
  const caption = `${title === null ? "" : `<b>${escapeHtml(title)}</b> · `}shape: (${
    formatInteger(layout.shape.rows)
  }, ${formatInteger(layout.shape.columns)})`;
  return `<div><div style="margin-bottom:4px">${caption}</div>` +
    `<table style="border-collapse:collapse;font-size:12px;font-family:monospace">` +
    `<thead><tr><th style="${cell}"></th>${header}</tr>` +
    `<tr><td style="${cell}"></td>${dtypes}</tr></thead>` +
    `<tbody>${body}</tbody></table></div>`;
}

function tableText(layout: TableLayout, title: string | null): string {
  const gapAt = layout.columns.indexOf(null);
  const lines: string[][] = [];
  lines.push(["", ...layout.columns.map((c) => c === null ? ELLIPSIS : c.name)]);
  lines.push(["", ...layout.columns.map((c) => c === null ? "" : c.dtype)]);
  for (const row of layout.rows) {
    if (row === null) {
      lines.push([ELLIPSIS, ...layout.columns.map(() => ELLIPSIS)]);
      continue;
    }
    const cells = row.cells.map((c) => c.text);
    if (gapAt >= 0) cells.splice(gapAt, 0, ELLIPSIS);
    lines.push([String(row.index), ...cells]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((line) => [...line[i]!].length)));
  const numericColumn = [true, ...layout.columns.map((c) => c?.numeric ?? false)];
  const render = (line: string[], isHeader: boolean) =>
    line.map((text, i) => {
      const pad = " ".repeat(widths[i]! - [...text].length);
      return numericColumn[i] && !isHeader ? pad + text : text + pad;
    }).join("  ").trimEnd();
  const caption = `${
    title === null ? "" : `${title}, `
  }shape: (${layout.shape.rows}, ${layout.shape.columns})`;
  return [caption, ...lines.map((line, i) => render(line, i < 2))].join("\n");
}

function cellText(value: unknown, maxChars: number, isFloat: boolean): string {
  let text: string;
  if (value === null || value === undefined) text = "null";
  else if (typeof value === "number") text = formatNumber(value, isFloat);
  else if (typeof value === "bigint") text = value.toString();
  else if (typeof value === "string") text = value;
  else if (value instanceof Date) {
    text = Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  } else if (typeof value === "boolean") text = String(value);
  else text = JSON.stringify(value, (_, v) => typeof v === "bigint" ? v.toString() : v) ?? "";
  const chars = [...text];
  return chars.length > maxChars ? chars.slice(0, maxChars - 1).join("") + ELLIPSIS : text;
}

/** Six significant digits; whole floats keep a ".0" so they read as floats, as polars prints them. */
function formatNumber(x: number, isFloat: boolean): string {
  if (!Number.isFinite(x)) return String(x);
  const text = String(Number(x.toPrecision(6)));
  return isFloat && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

function formatInteger(n: number): string {
  return n.toLocaleString("en-US");
}

/** Turns `DataType(List(DataType(Float64)))` into `List(Float64)`. */
function dtypeName(text: string): string {
  const prefix = "DataType(";
  let out = text;
  for (let at = out.indexOf(prefix); at >= 0; at = out.indexOf(prefix)) {
    let depth = 0;
    let end = -1;
    for (let i = at + prefix.length - 1; i < out.length; i++) {
      if (out[i] === "(") depth++;
      else if (out[i] === ")" && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) break;
    out = out.slice(0, at) + out.slice(at + prefix.length, end) + out.slice(end + 1);
  }
  return out;
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function checkFrame(df: unknown, action: string): asserts df is DataFrame {
  const frame = df as Partial<DataFrame> | null;
  if (
    typeof frame !== "object" || frame === null || !Array.isArray(frame.columns) ||
    typeof frame.getColumn !== "function" || typeof frame.height !== "number"
  ) {
    throw new TypeError(`${action}: expected a polars DataFrame, got ${describeValue(df)}`);
  }
}

function checkCount(value: number, name: string, min: number, action: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `${action}: option "${name}" must be an integer >= ${min}, got ${describeValue(value)}`,
    );
  }
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  if (value === undefined) return "undefined";
  return Object.prototype.toString.call(value);
}
