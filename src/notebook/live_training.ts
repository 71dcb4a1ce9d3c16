/**
 * Live training curves: a display that redraws the learning curves in place as epochs end,
 * wired into `model.fit` through its training callbacks.
 *
 * @module
 */
import type {
  EpochLogs,
  TrainBeginInfo,
  TrainingCallbacks,
  TrainingHistory,
} from "../models/mod.ts";
import type { TrainingStepName } from "../models/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { type EpochPoint, plotLearningCurves, type TrainingObjective } from "../viz/mod.ts";
import { checkCount, describeValue, escapeHtml } from "./_util.ts";
import {
  defaultSink,
  type DisplayBundle,
  type DisplaySink,
  HTML_MIME,
  TEXT_MIME,
} from "./display.ts";
import { chartBundle } from "./show_chart.ts";

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
   * What the loss is, from `trainingObjective(task, params)`: names the loss panel and says in
   * the subtitle whether it carries an L2 penalty the metrics' log-loss does not; `null` keeps
   * the panel named `loss`.
   * @default null
   */
  objective?: TrainingObjective | null;
  /**
   * What one history entry is called: `"epoch"`, or `"round"` for tree families (from
   * `trainingStepName(family)`).
   * @default "epoch"
   */
  step?: TrainingStepName;
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
  objective: null,
  step: "epoch",
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
      info === null
        ? ""
        : ` for up to ${plural(info.epochs, settings.step)} on ${info.samples} rows`
    }…`;
    await send({ [HTML_MIME]: `<p>${escapeHtml(text)}</p>`, [TEXT_MIME]: text });
  }

  async function draw(history: Pick<TrainingHistory, "bestEpoch"> | null): Promise<void> {
    lastDraw = settings.now();
    sinceDraw = 0;
    if (sink === null || epochs.length === 0) return;
    const last = epochs[epochs.length - 1]!;
    const step = settings.step;
    const status = history === null
      ? `${step} ${last.epoch + 1}${planned === null ? "" : ` of ${planned}`}`
      : `finished after ${plural(epochs.length, step)}, best ${step} ${history.bestEpoch + 1}`;
    const spec = plotLearningCurves(
      { epochs, metric, ...(history === null ? {} : { bestEpoch: history.bestEpoch }) },
      {
        title: `${settings.title}: ${status}`,
        width: settings.width,
        height: settings.height,
        objective: settings.objective,
        step: settings.step,
      },
    );
    // The PNG (for untrusted and static viewers) only for the final picture, which is the one
    // an executed notebook keeps; rendering it for every epoch would slow training down.
    const bundle = await chartBundle(spec, { logger: settings.logger, png: history !== null });
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
