/**
 * Training progress for people: a live bar per epoch on a terminal, one log line per epoch
 * elsewhere (CI, files). Notebooks hook the training callbacks themselves.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type {
  EpochLogs,
  TrainBeginInfo,
  TrainingCallbacks,
  TrainingHistory,
  TrainingMetricName,
} from "./train.ts";

/** Options of `createProgressReporter`. */
export interface ProgressReporterOptions {
  /**
   * Draw a live bar (`true`) or log one line per epoch (`false`).
   * @default Deno.stderr.isTerminal()
   */
  isTerminal?: boolean;
  /**
   * Where epoch lines go when not on a terminal.
   * @default getLogger(["deno-mlops", "models"])
   */
  logger?: Logger;
  /**
   * Writes terminal output.
   * @default a synchronous write to standard error
   */
  write?: (text: string) => void;
  /**
   * Characters in the bar.
   * @default 24
   */
  barWidth?: number;
  /**
   * Shortest time between two redraws within an epoch, in milliseconds.
   * @default 100
   */
  minRedrawMs?: number;
  /**
   * The clock, in milliseconds.
   * @default performance.now
   */
  now?: () => number;
}

/** Defaults of `ProgressReporterOptions` that do not depend on the process. */
export const DEFAULT_PROGRESS_REPORTER_OPTIONS = { barWidth: 24, minRedrawMs: 100 };

/**
 * Returns training callbacks that report progress.
 *
 * On a terminal each epoch gets one line, rewritten in place with `\r` while its batches run:
 * `Epoch 3/50 [=========>    ] 12/30 loss 0.4123 elapsed 1.2s ETA 45.0s`, finished with the
 * validation loss and metric. Otherwise each epoch logs one info line with the same numbers as
 * properties (`epoch`, `epochs`, `loss`, `val_loss`, `metric`, `val_metric`, `elapsed`, `eta`).
 *
 * @param options terminal or log, where to write, the clock
 * @returns callbacks for `FitOptions.callbacks`
 * @example
 * ```ts
 * await model.fit(x, y, { ...options, callbacks: createProgressReporter({ isTerminal: Deno.stderr.isTerminal() }) });
 * ```
 */
export function createProgressReporter(options: ProgressReporterOptions = {}): TrainingCallbacks {
  const { barWidth, minRedrawMs } = { ...DEFAULT_PROGRESS_REPORTER_OPTIONS, ...options };
  const isTerminal = options.isTerminal ?? Deno.stderr.isTerminal();
  const logger = options.logger ?? getLogger(["deno-mlops", "models"]);
  const write = options.write ?? writeToStderr;
  const now = options.now ?? (() => performance.now());
  let info: TrainBeginInfo = {
    epochs: 1,
    batchesPerEpoch: 1,
    samples: 0,
    metric: "accuracy",
    hasValidation: false,
  };
  let trainStarted = 0;
  let lastDraw = -Infinity;
  let lossSum = 0;
  let seen = 0;
  let epoch = 0;

  return {
    onTrainBegin(begin: TrainBeginInfo): void {
      info = begin;
      trainStarted = now();
    },
    onEpochBegin(index: number): void {
      epoch = index;
      lossSum = 0;
      seen = 0;
      lastDraw = -Infinity;
      if (isTerminal) draw(0);
    },
    onBatchEnd(batch: number, logs: { loss: number; size: number }): void {
      lossSum += logs.loss * logs.size;
      seen += logs.size;
      if (!isTerminal) return;
      const done = batch + 1;
      if (now() - lastDraw >= minRedrawMs || done === info.batchesPerEpoch) draw(done);
    },
    onEpochEnd(index: number, logs: EpochLogs): void {
      const elapsed = (now() - trainStarted) / 1000;
      const eta = elapsed / (index + 1) * (info.epochs - index - 1);
      if (isTerminal) {
        write(`\r${epochLine(index, info.batchesPerEpoch, logs, elapsed, eta)}\x1b[K\n`);
        return;
      }
      const props: Record<string, unknown> = {
        epoch: index + 1,
        epochs: info.epochs,
        loss: logs.loss,
        metric: logs.metric,
        elapsed,
        eta,
      };
      if (logs.val_loss !== undefined) props["val_loss"] = logs.val_loss;
      if (logs.val_metric !== undefined) props["val_metric"] = logs.val_metric;
      logger.info(
        `Epoch ${index + 1}/${info.epochs}: ${scores(logs, info.metric)}, ` +
          `elapsed ${formatDuration(elapsed)}, ETA ${formatDuration(eta)}`,
        props,
      );
    },
    onTrainEnd(history: TrainingHistory): void {
      const last = history.epochs.length;
      const text = `Training finished after ${last} epoch${last === 1 ? "" : "s"} in ` +
        `${formatDuration(history.seconds)}` +
        (history.stoppedEarly ? ` (stopped early on ${history.monitor})` : "") +
        `; best epoch ${history.bestEpoch + 1}` +
        (history.restoredBest ? ", its weights restored" : "");
      if (isTerminal) write(`${text}\n`);
      else {
        logger.info(text, {
          epochs: last,
          bestEpoch: history.bestEpoch + 1,
          stoppedEarly: history.stoppedEarly,
          seconds: history.seconds,
        });
      }
    },
  };

  function draw(done: number): void {
    lastDraw = now();
    const total = info.batchesPerEpoch;
    const filled = Math.round((done / total) * barWidth);
    const bar = done === total
      ? "=".repeat(barWidth)
      : `${"=".repeat(Math.max(0, filled - 1))}${filled > 0 ? ">" : ""}`.padEnd(barWidth, " ");
    const elapsed = (lastDraw - trainStarted) / 1000;
    const fraction = (epoch + done / total) / info.epochs;
    const eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : NaN;
    const loss = seen > 0 ? ` loss ${formatNumber(lossSum / seen)}` : "";
    write(
      `\rEpoch ${epoch + 1}/${info.epochs} [${bar}] ${done}/${total}${loss} ` +
        `elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)}\x1b[K`,
    );
  }

  function epochLine(
    index: number,
    total: number,
    logs: EpochLogs,
    elapsed: number,
    eta: number,
  ): string {
    return `Epoch ${index + 1}/${info.epochs} [${"=".repeat(barWidth)}] ${total}/${total} ` +
      `${scores(logs, info.metric)} elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)}`;
  }
}

/**
 * Formats seconds for people: `0.4s`, `12.3s`, `4m 05s`, `1h 02m`.
 *
 * @param seconds a duration
 * @returns the text, or `?` when unknown
 * @example
 * ```ts
 * formatDuration(245); // "4m 05s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function writeToStderr(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}

function scores(logs: EpochLogs, metric: TrainingMetricName): string {
  const parts = [`loss ${formatNumber(logs.loss)}`, `${metric} ${formatNumber(logs.metric)}`];
  if (logs.val_loss !== undefined) parts.push(`val_loss ${formatNumber(logs.val_loss)}`);
  if (logs.val_metric !== undefined) parts.push(`val_${metric} ${formatNumber(logs.val_metric)}`);
  return parts.join(" ");
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(3)
    : value.toFixed(4);
}
